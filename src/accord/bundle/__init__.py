"""Bundles: a partner's results, redacted per the protocol, packed and signed."""

from .._util import ZIP_READ_ERRORS
from ._archive import BundleLimits, OpenedBundle, open_bundle, read_member
from ._build import BuiltBundle, build_bundle, default_bundle_path
from ._errors import BundleError
from ._format import (
    BUNDLE_FORMAT,
    BUNDLE_SUFFIX,
    DOCUMENT_NAME,
    BundleDocument,
    BundleMember,
    BundleSignature,
)
from ._redact import REDACTION_KEY, content_digests, redact_sample
from ._verify import VerifiedBundle, read_document, verify_bundle

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_SUFFIX",
    "DOCUMENT_NAME",
    "REDACTION_KEY",
    "ZIP_READ_ERRORS",
    "BuiltBundle",
    "BundleDocument",
    "BundleError",
    "BundleLimits",
    "BundleMember",
    "BundleSignature",
    "OpenedBundle",
    "VerifiedBundle",
    "build_bundle",
    "content_digests",
    "default_bundle_path",
    "open_bundle",
    "read_document",
    "read_member",
    "redact_sample",
    "verify_bundle",
]
