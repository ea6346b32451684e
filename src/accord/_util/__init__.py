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

__all__ = [
    "AccordError",
    "CanaryMatcher",
    "InputError",
    "OperationError",
    "SecretFinding",
    "canary_matcher",
    "canonical_json",
    "find_secrets",
    "invalid_fields",
    "might_contain_secret",
    "sha256_digest",
    "sha256_hex",
]
