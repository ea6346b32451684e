"""Helpers shared by every layer: the error hierarchy, canonical JSON, secret detection."""

from ._canonical import canonical_json, sha256_digest, sha256_hex
from ._errors import AccordError, InputError, OperationError, invalid_fields
from ._secrets import (
    CanaryMatcher,
    SecretFinding,
    canary_matcher,
    find_secrets,
    might_contain_secret,
)
from ._zipsafe import (
    ZIP_READ_ERRORS,
    OpenedArchive,
    check_member,
    extract_member,
    fixed_info,
    open_untrusted_zip,
)

__all__ = [
    "ZIP_READ_ERRORS",
    "AccordError",
    "CanaryMatcher",
    "InputError",
    "OpenedArchive",
    "OperationError",
    "SecretFinding",
    "canary_matcher",
    "canonical_json",
    "check_member",
    "extract_member",
    "find_secrets",
    "fixed_info",
    "invalid_fields",
    "might_contain_secret",
    "open_untrusted_zip",
    "sha256_digest",
    "sha256_hex",
]
