"""Proof of possession: a key's holder signs a hub's challenge before the hub registers it.

Without it, one institute could register another's public key under its own id and block
the rightful owner. The signed message binds the institute, the key id and the challenge,
so a proof made for one institute or hub cannot be replayed for another.
"""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .._util import canonical_json
from ._keys import PublicKeyRecord, key_id_of, sign, signature_valid

PURPOSE = "accord key registration v1"


def registration_message(institute: str, key_id: str, challenge: str) -> bytes:
    """The bytes a key signs to prove possession when it is registered for `institute`."""
    return canonical_json(
        {"purpose": PURPOSE, "institute": institute, "key_id": key_id, "challenge": challenge}
    )


def prove_possession(private_key: Ed25519PrivateKey, institute: str, challenge: str) -> str:
    """The proof (base64 signature) that the holder of `private_key` registers it."""
    key_id = key_id_of(private_key.public_key())
    return sign(private_key, registration_message(institute, key_id, challenge))


def proof_valid(record: PublicKeyRecord, institute: str, challenge: str, proof: str) -> bool:
    """Whether `proof` is `record`'s key's signature of its registration message."""
    return signature_valid(record, registration_message(institute, record.key_id, challenge), proof)
