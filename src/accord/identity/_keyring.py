"""Keyrings: the partners' public keys with validity windows and revocations."""

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from .._util import InputError
from ._keys import PublicKeyRecord


class KeyringEntry(BaseModel):
    """A trusted public key, with when it may sign."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: PublicKeyRecord
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None
    revocation_reason: str | None = None

    def trusted_at(self, when: datetime) -> str | None:
        """None when the key could sign at `when`; otherwise why not."""
        if when < self.valid_from:
            return f"key {self.key.key_id} is valid only from {self.valid_from.isoformat()}"
        if self.valid_until is not None and when >= self.valid_until:
            return f"key {self.key.key_id} expired at {self.valid_until.isoformat()}"
        if self.revoked_at is not None and when >= self.revoked_at:
            reason = f" ({self.revocation_reason})" if self.revocation_reason else ""
            return f"key {self.key.key_id} was revoked at {self.revoked_at.isoformat()}{reason}"
        return None


class Keyring(BaseModel):
    """The public keys a verifier trusts (the keyring JSON file)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    keys: list[KeyringEntry] = Field(default_factory=list)

    def entry(self, key_id: str) -> KeyringEntry | None:
        """The entry for `key_id`, if the keyring holds it."""
        return next((e for e in self.keys if e.key.key_id == key_id), None)

    def add(
        self, key: PublicKeyRecord, valid_from: datetime, valid_until: datetime | None
    ) -> KeyringEntry:
        """Add a key.

        Raises:
            InputError: When the key is already present or the window is empty.
        """
        if self.entry(key.key_id) is not None:
            raise InputError(f"key {key.key_id} ({key.partner}) is already in the keyring")
        if valid_until is not None and valid_until <= valid_from:
            raise InputError("--valid-until must be later than --valid-from")
        entry = KeyringEntry(key=key, valid_from=valid_from, valid_until=valid_until)
        self.keys.append(entry)
        return entry

    def revoke(self, key_id: str, at: datetime, reason: str | None) -> KeyringEntry:
        """Revoke a key from time `at` on; signatures made before stay valid.

        Raises:
            InputError: When the key is unknown or already revoked.
        """
        entry = self.entry(key_id)
        if entry is None:
            raise InputError(f"key {key_id} is not in the keyring; `accord keys list` shows ids")
        if entry.revoked_at is not None:
            raise InputError(f"key {key_id} was already revoked at {entry.revoked_at.isoformat()}")
        revoked = entry.model_copy(update={"revoked_at": at, "revocation_reason": reason})
        self.keys[self.keys.index(entry)] = revoked
        return revoked


def read_keyring(path: Path, *, missing_ok: bool = False) -> Keyring:
    """Read a keyring file (an empty keyring when it is missing and `missing_ok`).

    Raises:
        InputError: When the file is missing (and not `missing_ok`) or malformed.
    """
    if not path.exists():
        if missing_ok:
            return Keyring()
        raise InputError(f"keyring {path} does not exist; create it with `accord keys add`")
    try:
        return Keyring.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as ex:
        raise InputError(f"{path} is not a valid keyring: {ex}") from None


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write a keyring atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(keyring.model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
