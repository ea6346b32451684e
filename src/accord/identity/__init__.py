"""Identity: institutes' Ed25519 keys and the keyrings that say which keys to trust."""

from ._keyring import Keyring, KeyringEntry, read_keyring, write_keyring
from ._keys import (
    ALGORITHM,
    KeyFiles,
    PublicKeyRecord,
    check_record,
    key_id_of,
    load_private_key,
    load_public_record,
    public_record,
    sign,
    signature_valid,
    write_key_pair,
)
from ._proof import proof_valid, prove_possession, registration_message

__all__ = [
    "ALGORITHM",
    "KeyFiles",
    "Keyring",
    "KeyringEntry",
    "PublicKeyRecord",
    "check_record",
    "key_id_of",
    "load_private_key",
    "load_public_record",
    "proof_valid",
    "prove_possession",
    "public_record",
    "read_keyring",
    "registration_message",
    "sign",
    "signature_valid",
    "write_key_pair",
    "write_keyring",
]
