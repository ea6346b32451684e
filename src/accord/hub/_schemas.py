"""Request bodies of the hub's API, with the limits every input is held to."""

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from ..identity import PublicKeyRecord

MAX_OFFSET = 2**62  # paging values fit a signed 64-bit column with room to spare
MAX_SEQ = 2**31 - 1  # ledger sequence numbers are 32-bit integers
MAX_PROTOCOL_CHARS = 1_000_000


def _printable(value: str) -> str:
    bad = next((c for c in value if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        raise ValueError(f"contains the control character {bad!r}; use printable text")
    return value


def _bounded(max_length: int) -> object:
    return Field(min_length=1, max_length=max_length)


Name = Annotated[str, _bounded(200), AfterValidator(_printable)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Reason = Annotated[str, _bounded(500), AfterValidator(_printable)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstituteIn(_Body):
    """`POST /institutes`."""

    id: Identifier
    name: Name


class MemberIn(_Body):
    """`POST /institutes/{id}/members`."""

    email: Annotated[str, Field(pattern=r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]{1,189}$")]
    name: Name
    role: Annotated[str, Field(max_length=20)]


class TokenIn(_Body):
    """`POST /members/{id}/tokens`: scopes and expiry are capped by the caller's token."""

    scopes: list[Annotated[str, Field(max_length=10)]] = Field(
        default_factory=lambda: ["read", "write"], max_length=3
    )
    expires_at: AwareDatetime | None = None


class KeyIn(_Body):
    """`POST /institutes/{id}/keys`: the public record, its validity and proof of possession.

    `proof` is the base64 Ed25519 signature, by the key being registered, of the registration
    message over the institute id, the key id and a challenge from `GET .../keys/challenge`
    (`accord hub key --add` makes it).
    """

    key: PublicKeyRecord
    challenge: Annotated[str, Field(max_length=200)] = ""
    proof: Annotated[str, Field(max_length=200)] = ""
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class RevokeIn(_Body):
    """A revocation's reason."""

    reason: Reason | None = None


class SecondmentIn(_Body):
    """`POST /secondments`."""

    member_id: Annotated[str, Field(max_length=40)]
    host_institute: Identifier
    exercise_id: Annotated[str, Field(max_length=64)] | None = None
    role: Annotated[str, Field(max_length=20)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class ExerciseIn(_Body):
    """`POST /exercises`: a protocol document (YAML), at most a million characters."""

    protocol_yaml: str = Field(min_length=1, max_length=MAX_PROTOCOL_CHARS)
