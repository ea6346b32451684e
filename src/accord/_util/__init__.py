"""Helpers shared by every layer: the error hierarchy, canonical JSON, secret detection."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._errors import AccordError, InputError, OperationError, invalid_fields

if TYPE_CHECKING:
    from ._canonical import canonical_json, sha256_digest, sha256_hex
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

# Loaded on first use: the CLI imports the errors at start-up, and `zipfile`, `hashlib` and
# the secret patterns would add tens of milliseconds to every `accord --help`.
_LAZY = {
    name: module
    for module, names in {
        "._canonical": ("canonical_json", "sha256_digest", "sha256_hex"),
        "._secrets": (
            "CanaryMatcher",
            "SecretFinding",
            "canary_matcher",
            "find_secrets",
            "might_contain_secret",
        ),
        "._zipsafe": (
            "ZIP_READ_ERRORS",
            "OpenedArchive",
            "check_member",
            "extract_member",
            "fixed_info",
            "open_untrusted_zip",
        ),
    }.items()
    for name in names
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


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
