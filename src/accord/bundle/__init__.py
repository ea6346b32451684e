"""Bundles: a partner's results, redacted per the protocol, packed and signed."""

from ._archive import BundleLimits, OpenedBundle, open_bundle
from ._build import BuiltBundle, build_bundle, default_bundle_path
from ._errors import BundleError
from ._format import (
    BUNDLE_FORMAT,
    BUNDLE_SUFFIX,
    BundleDocument,
    BundleMember,
    BundleSignature,
)
from ._redact import REDACTION_KEY, content_digests, redact_sample
from ._verify import VerifiedBundle, read_document, verify_bundle

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_SUFFIX",
    "REDACTION_KEY",
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
    "redact_sample",
    "verify_bundle",
]
