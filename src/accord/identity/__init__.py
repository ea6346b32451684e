"""Identity: institutes' Ed25519 keys and the keyrings that say which keys to trust."""

from ._keyring import Keyring, KeyringEntry, read_keyring, write_keyring
from ._keys import (
    ALGORITHM,
    KeyFiles,
    PublicKeyRecord,
    key_id_of,
    load_private_key,
    load_public_record,
    public_record,
    sign,
    signature_valid,
    write_key_pair,
)

__all__ = [
    "ALGORITHM",
    "KeyFiles",
    "Keyring",
    "KeyringEntry",
    "PublicKeyRecord",
    "key_id_of",
    "load_private_key",
    "load_public_record",
    "public_record",
    "read_keyring",
    "sign",
    "signature_valid",
    "write_key_pair",
    "write_keyring",
]
