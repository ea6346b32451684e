"""Test packages: a protocol with the code and data of its tasks, content-addressed and signed."""

from ._archive import OpenedPackage, PackageLimits, open_package
from ._build import BuiltPackage, Signer, build_package, default_package_path, sign_package
from ._errors import PackageError
from ._format import (
    PACKAGE_FORMAT,
    PACKAGE_SUFFIX,
    PackageFile,
    PackageManifest,
    PackageSignature,
    PackageSignatures,
    SealedFile,
)
from ._unpack import CACHE_VARIABLE, PackageRun, default_cache, package_protocol, unpack_package
from ._verify import VerifiedPackage, packaged_protocol_text, verify_package

__all__ = [
    "CACHE_VARIABLE",
    "PACKAGE_FORMAT",
    "PACKAGE_SUFFIX",
    "BuiltPackage",
    "OpenedPackage",
    "PackageError",
    "PackageFile",
    "PackageLimits",
    "PackageManifest",
    "PackageRun",
    "PackageSignature",
    "PackageSignatures",
    "SealedFile",
    "Signer",
    "VerifiedPackage",
    "build_package",
    "default_cache",
    "default_package_path",
    "open_package",
    "package_protocol",
    "packaged_protocol_text",
    "sign_package",
    "unpack_package",
    "verify_package",
]
