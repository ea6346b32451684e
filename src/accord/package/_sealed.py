"""Sealed data: files encrypted with age to the partners' Ed25519 keys, opened only at run time.

age's `ssh-ed25519` recipient type encrypts to an Ed25519 public key (converted to X25519 for
the key agreement), so partners decrypt with the institute key they already sign with.
"""

import base64
from datetime import datetime

import pyrage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..identity import Keyring, PublicKeyRecord, key_id_of
from ._errors import PackageError


def seal_recipients(keyring: Keyring, partners: list[str], when: datetime) -> list[PublicKeyRecord]:
    """The keys sealed data is encrypted to: each trusted key of a protocol partner.

    Raises:
        PackageError: When a partner has no trusted key in the keyring.
    """
    records = [
        entry.key
        for entry in keyring.keys
        if entry.key.partner in partners and entry.trusted_at(when) is None
    ]
    missing = sorted(set(partners) - {r.partner for r in records})
    if missing:
        raise PackageError(
            f"the keyring has no valid key of {', '.join(missing)}; sealed data is encrypted "
            "to every partner: add their keys with `accord keys add`"
        )
    return records


def seal(data: bytes, recipients: list[PublicKeyRecord]) -> bytes:
    """`data` encrypted (age format) so that any one of `recipients` can decrypt it."""
    keys = [pyrage.ssh.Recipient.from_str(_openssh(r)) for r in recipients]
    encrypted: bytes = pyrage.encrypt(data, keys)
    return encrypted


def unseal(data: bytes, private_key: Ed25519PrivateKey, name: str) -> bytes:
    """Decrypt a sealed file with a partner's private key.

    Raises:
        PackageError: When the file was not sealed to this key, or is damaged.
    """
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    try:
        plain: bytes = pyrage.decrypt(data, [pyrage.ssh.Identity.from_buffer(pem)])
    except pyrage.DecryptError as ex:
        raise PackageError(
            f"sealed file '{name}' cannot be opened with key "
            f"{key_id_of(private_key.public_key())} ({ex}): it is sealed to the partners' "
            "keys; give your institute's key with --key"
        ) from None
    return plain


def _openssh(record: PublicKeyRecord) -> str:
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(record.public_key))
    return public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
