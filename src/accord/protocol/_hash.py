"""The protocol id: a content hash of the protocol's meaning."""

from .._util import sha256_digest
from ._spec import Protocol

SHORT_ID_LENGTH = 12


def protocol_id(protocol: Protocol) -> str:
    """`sha256:<hex>` of the canonical JSON of the validated protocol.

    Fields left at their defaults are omitted before hashing, so writing a default out
    explicitly, reordering keys or reformatting the YAML keeps the id, while any change
    of meaning changes it.
    """
    return sha256_digest(protocol.model_dump(mode="json", exclude_defaults=True))


def short_id(identifier: str) -> str:
    """The first 12 hex digits of a `sha256:` id, for display and directory names."""
    return identifier.removeprefix("sha256:")[:SHORT_ID_LENGTH]
