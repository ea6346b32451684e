"""Onboarding from a protocol: its institutes, their first admins, invitations, the exercise.

Runs as a hub admin over the API, so every step passes the same policy and lands in the
same ledger as if done by hand. Everything is checked before the first call, and a re-run
skips what exists, so an interrupted onboarding is finished by running it again.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .._util import InputError
from ..protocol import Protocol
from ._client import HubClient

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INVITE_SCOPES = ["admin", "read", "write"]


@dataclass(frozen=True)
class Invitation:
    """A partner's first admin and their invitation token (None when they existed already)."""

    partner: str
    member_id: str
    email: str
    token: str | None
    expires_at: str | None


@dataclass
class Onboarding:
    """What onboarding created and what it found in place."""

    exercise: str
    exercise_created: bool
    institutes_created: list[str] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


def read_admins(path: Path, protocol: Protocol) -> dict[str, dict[str, str]]:
    """`admins.yaml`: `<partner id>: {email: ..., name: ...}` for every partner of `protocol`.

    Raises:
        InputError: When the file is unreadable, a partner is missing or unknown, or an
            email is malformed.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as ex:
        raise InputError(f"cannot read admins file {path}: {ex}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of partner id to {{email, name}}")
    partners = {p.id for p in protocol.partners}
    problems = [f"no admin for partner '{p}'" for p in sorted(partners - set(data))]
    problems += [f"'{p}' is not a partner of the protocol" for p in sorted(set(data) - partners)]
    admins: dict[str, dict[str, str]] = {}
    for partner, entry in data.items():
        if partner not in partners:
            continue
        email = entry.get("email") if isinstance(entry, dict) else None
        if not isinstance(email, str) or not EMAIL.match(email):
            problems.append(f"{partner}.email: give the admin's email address")
            continue
        name = entry.get("name") or email
        admins[str(partner)] = {"email": email, "name": str(name)}
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems) + " (format: inst-a: {email: ...})")
    return admins


def onboard(
    api: HubClient,
    protocol: Protocol,
    protocol_yaml: str,
    admins: dict[str, dict[str, str]],
    expires_at: datetime,
) -> Onboarding:
    """Create the protocol's institutes, first admins with invitation tokens, and the draft."""
    existing = {i["id"] for i in api.call("GET", "/institutes")}
    exercises = {e["id"] for e in api.call("GET", "/exercises")}
    result = Onboarding(protocol.name, protocol.name not in exercises)
    for partner in protocol.partners:
        if partner.id not in existing:
            api.call("POST", "/institutes", json={"id": partner.id, "name": partner.name})
            result.institutes_created.append(partner.id)
        admin = admins[partner.id]
        members = api.call("GET", f"/institutes/{partner.id}/members")
        found: dict[str, Any] | None = next(
            (m for m in members if m["email"] == admin["email"]), None
        )
        if found is not None:
            result.invitations.append(
                Invitation(partner.id, found["id"], admin["email"], None, None)
            )
            continue
        member = api.call(
            "POST",
            f"/institutes/{partner.id}/members",
            json={**admin, "role": "institute-admin"},
        )
        issued = api.call(
            "POST",
            f"/members/{member['id']}/tokens",
            json={"scopes": INVITE_SCOPES, "expires_at": expires_at.isoformat()},
        )
        result.invitations.append(
            Invitation(
                partner.id, member["id"], admin["email"], issued["token"], issued["expires_at"]
            )
        )
    if result.exercise_created:
        api.call("POST", "/exercises", json={"protocol_yaml": protocol_yaml})
    return result
