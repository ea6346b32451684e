"""Canonical JSON: the one serialisation used for everything hashed or signed."""

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Serialise `value` canonically: sorted keys, no insignificant whitespace, UTF-8.

    NaN and infinities are refused, since they have no JSON representation.

    Args:
        value: JSON-compatible data (dicts, lists, strings, numbers, booleans, None).

    Returns:
        The UTF-8 bytes of the canonical form.

    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def sha256_digest(value: Any) -> str:
    """`sha256:<hex>` digest of the canonical JSON of `value`."""
    return "sha256:" + sha256_hex(canonical_json(value))
