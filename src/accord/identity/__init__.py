"""Identity: institutes' Ed25519 keys and the keyrings that say which keys to trust."""

from ._acts import (
    ActKind,
    PartnerAct,
    act_message,
    act_problem,
    read_act,
    sign_act,
    verify_act,
    write_act,
)
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
    "ActKind",
    "KeyFiles",
    "Keyring",
    "KeyringEntry",
    "PartnerAct",
    "PublicKeyRecord",
    "act_message",
    "act_problem",
    "check_record",
    "key_id_of",
    "load_private_key",
    "load_public_record",
    "proof_valid",
    "prove_possession",
    "public_record",
    "read_act",
    "read_keyring",
    "registration_message",
    "sign",
    "sign_act",
    "signature_valid",
    "verify_act",
    "write_act",
    "write_key_pair",
    "write_keyring",
]
