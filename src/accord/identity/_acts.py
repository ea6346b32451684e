"""Partner acts: a partner's Ed25519-signed statement about a protocol.

A sign-off says "we agree to run exactly this protocol"; the publication acts say "we
approve publishing its results", "we object (and why)" or "we withdraw our objection".
Each names the protocol by its id (a content hash), so a signature over one version can
never count for another, and anyone holding the partners' keyring can check it offline.
"""

from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from .._util import InputError, canonical_json
from ._keyring import Keyring
from ._keys import PublicKeyRecord, key_id_of, sign, signature_valid

ActKind = Literal["sign-off", "approve", "object", "withdraw"]
"""What a partner states: agreement to the protocol, or its stance on publication."""

PURPOSE = "accord partner act v1"


class PartnerAct(BaseModel):
    """A signed partner act (the `*.sig.json` file written by `accord protocol sign`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = 1
    act: ActKind
    protocol_id: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    partner: str = Field(min_length=1, max_length=64)
    key_id: str = Field(max_length=64)
    signed_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=2000)
    signature: str = Field(max_length=200, description="Base64 Ed25519 signature.")
    hub: str | None = Field(
        default=None,
        max_length=100,
        description="The hub the act is for (its id); None: not bound to a hub (an offline "
        "sign-off, or an act made before acts named their hub).",
    )

    def message(self) -> bytes:
        """The bytes the signature covers: every field but the signature itself."""
        return act_message(
            self.act,
            self.protocol_id,
            self.partner,
            self.key_id,
            self.signed_at,
            self.reason,
            self.hub,
        )


def act_message(
    act: ActKind,
    protocol_id: str,
    partner: str,
    key_id: str,
    signed_at: datetime,
    reason: str | None,
    hub: str | None = None,
) -> bytes:
    """The canonical bytes an act's signature covers.

    `hub` is covered only when set, so acts made before acts named their hub still verify.
    """
    fields: dict[str, object] = {
        "purpose": PURPOSE,
        "act": act,
        "protocol_id": protocol_id,
        "partner": partner,
        "key_id": key_id,
        "signed_at": signed_at.isoformat(),
        "reason": reason,
    }
    if hub is not None:
        fields["hub"] = hub
    return canonical_json(fields)


def sign_act(
    private_key: Ed25519PrivateKey,
    act: ActKind,
    protocol_id: str,
    partner: str,
    signed_at: datetime,
    reason: str | None = None,
    hub: str | None = None,
) -> PartnerAct:
    """Sign an act as `partner` with its institute key, for the hub `hub` (when given).

    Raises:
        InputError: When an objection has no reason, or `signed_at` is naive.
    """
    if act == "object" and not (reason and reason.strip()):
        raise InputError("an objection needs a reason (--reason): partners must know what to fix")
    if signed_at.tzinfo is None:
        raise InputError("signed_at must be timezone-aware (UTC)")
    key_id = key_id_of(private_key.public_key())
    message = act_message(act, protocol_id, partner, key_id, signed_at, reason, hub)
    return PartnerAct(
        hub=hub,
        act=act,
        protocol_id=protocol_id,
        partner=partner,
        key_id=key_id,
        signed_at=signed_at,
        reason=reason,
        signature=sign(private_key, message),
    )


def act_problem(
    act: PartnerAct, record: PublicKeyRecord | None, protocol_id: str | None = None
) -> str | None:
    """Why `act` does not verify against the key `record` (None when it does).

    Checks the protocol id (when given), that the key belongs to the act's partner, and the
    signature. Whether the key was trusted when it signed is the keyring's business.
    """
    if protocol_id is not None and act.protocol_id != protocol_id:
        return (
            f"the {act.act} is over protocol {act.protocol_id}, not {protocol_id}; "
            "sign the exact protocol in question"
        )
    if record is None or record.key_id != act.key_id:
        return f"key {act.key_id} is not a known key of '{act.partner}'"
    if record.partner != act.partner:
        return f"key {act.key_id} belongs to '{record.partner}', not '{act.partner}'"
    if not signature_valid(record, act.message(), act.signature):
        return f"the signature of '{act.partner}' does not verify (the act was altered)"
    return None


def verify_act(act: PartnerAct, keyring: Keyring, protocol_id: str | None = None) -> str | None:
    """Why `act` is not a valid act under `keyring` (None when it is): offline verification."""
    entry = keyring.entry(act.key_id)
    problem = act_problem(act, entry.key if entry else None, protocol_id)
    if problem is None and entry is not None:
        problem = entry.trusted_at(act.signed_at)
    return problem


def read_act(path: Path) -> PartnerAct:
    """Read a signed act file.

    Raises:
        InputError: When it is missing or not a valid act.
    """
    try:
        return PartnerAct.model_validate_json(path.read_bytes())
    except OSError as ex:
        raise InputError(f"cannot read {path}: {ex.strerror}") from None
    except ValidationError as ex:
        raise InputError(
            f"{path} is not a signed partner act: {ex.errors()[0]['msg']} at "
            f"{'.'.join(str(p) for p in ex.errors()[0]['loc'])}; "
            "write one with `accord protocol sign`"
        ) from None


def write_act(path: Path, act: PartnerAct) -> None:
    """Write an act file atomically (never over an existing one).

    Raises:
        InputError: When `path` exists.
    """
    if path.exists():
        raise InputError(f"{path} exists; choose another -o or move it away")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(act.model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
