"""Ed25519 signing keys of institutes: creating, saving and loading them."""

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from .._util import InputError, invalid_fields

ALGORITHM = "ed25519"


class PublicKeyRecord(BaseModel):
    """An institute's public key as shared with partners (the `*.pub.json` file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partner: str = Field(description="Partner id of the institute that holds the private key.")
    key_id: str = Field(description="ed25519:<first 32 hex digits of SHA-256 of the raw key>.")
    algorithm: str = ALGORITHM
    public_key: str = Field(description="The raw 32-byte public key, base64.")
    created: AwareDatetime

    def verifier(self) -> Ed25519PublicKey:
        """The key as a `cryptography` public key."""
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key))


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """The key id (fingerprint) of a public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{ALGORITHM}:{hashlib.sha256(raw).hexdigest()[:32]}"


def public_record(
    private_key: Ed25519PrivateKey, partner: str, created: datetime
) -> PublicKeyRecord:
    """The shareable public record of a private key."""
    public = private_key.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PublicKeyRecord(
        partner=partner,
        key_id=key_id_of(public),
        public_key=base64.b64encode(raw).decode(),
        created=created,
    )


@dataclass(frozen=True)
class KeyFiles:
    """Where `write_key_pair` put the keys."""

    private_key: Path
    public_key: Path
    record: PublicKeyRecord


def write_key_pair(
    partner: str, directory: Path, created: datetime, passphrase: bytes | None = None
) -> KeyFiles:
    """Create an Ed25519 key pair and write `<partner>.key` (mode 0600) and `<partner>.pub.json`.

    Raises:
        InputError: When either file exists already (keys are never overwritten).
    """
    private_path = directory / f"{partner}.key"
    public_path = directory / f"{partner}.pub.json"
    for path in (private_path, public_path):
        if path.exists():
            raise InputError(
                f"{path} exists; keys are never overwritten. Move it away or choose --out"
            )
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    record = public_record(key, partner, created)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    public_path.write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return KeyFiles(private_path, public_path, record)


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load a private key written by `write_key_pair`.

    Raises:
        InputError: When the file is missing, not an Ed25519 key, or the passphrase is wrong.
    """
    try:
        data = path.read_bytes()
    except OSError as ex:
        raise InputError(f"cannot read private key {path}: {ex.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        hint = "give its passphrase" if passphrase is None else "it is not encrypted"
        raise InputError(f"private key {path}: {hint} (--passphrase-env VAR)") from None
    except ValueError:
        raise InputError(f"{path} is not a PEM private key, or the passphrase is wrong") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} is not an Ed25519 key; create one with `accord keys init`")
    return key


def load_public_record(path: Path) -> PublicKeyRecord:
    """Read a `*.pub.json` file.

    Raises:
        InputError: When it is missing or malformed, or its key id does not match its key.
    """
    try:
        record = PublicKeyRecord.model_validate_json(path.read_bytes())
    except OSError as ex:
        raise InputError(f"cannot read public key {path}: {ex.strerror}") from None
    except ValidationError as ex:
        raise InputError(
            f"{path} is not a valid public key file (bad or missing: {invalid_fields(ex)}); "
            "use the .pub.json file that `accord keys init` wrote"
        ) from None
    except ValueError as ex:
        raise InputError(f"{path} is not a valid public key file: {ex}") from None
    check_record(record, str(path))
    return record


def check_record(record: PublicKeyRecord, where: str = "the key") -> None:
    """Check that a public record holds an Ed25519 key and that its id derives from that key.

    Raises:
        InputError: When the key is not 32 bytes of valid base64, or the id is not its own.
    """
    if record.algorithm != ALGORITHM:
        raise InputError(f"{where}: algorithm must be '{ALGORITHM}', not '{record.algorithm}'")
    try:
        raw = base64.b64decode(record.public_key, validate=True)
        verifier = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InputError(
            f"{where}: public_key is not the base64 of a 32-byte Ed25519 key; "
            "use the .pub.json written by `accord keys init`"
        ) from None
    if key_id_of(verifier) != record.key_id:
        raise InputError(
            f"{where}: key_id {record.key_id} does not match the key it holds "
            f"(expected {key_id_of(verifier)})"
        )


def sign(private_key: Ed25519PrivateKey, data: bytes) -> str:
    """Base64 Ed25519 signature of `data`."""
    return base64.b64encode(private_key.sign(data)).decode()


def signature_valid(record: PublicKeyRecord, data: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is `record`'s key's signature of `data`."""
    try:
        record.verifier().verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
