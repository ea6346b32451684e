"""Operator recovery: a new hub-admin token for whoever holds the database itself.

A lost admin token cannot be recovered through the API (nothing there can vouch for the
caller). Whoever can open the database can already change anything in it, so issuing a
token from there adds no power; it is recorded in the audit log and on the ledger, so the
partners see that it happened.
"""

import getpass

from sqlalchemy import select

from ..store import ApiToken, AuditEvent, Member, append, transaction
from ._admin import IssuedToken, new_hub_admin
from ._errors import BadRequest, NotFound
from ._service import Hub

ADMIN_SCOPES = ["admin", "read", "write"]


def recover_admin_token(
    hub: Hub, email: str | None = None, *, create: bool = False, revoke_old: bool = True
) -> tuple[Member, IssuedToken, int]:
    """Issue a new token to a hub admin; returns (admin, token, old tokens revoked).

    With no `email`, the hub must have exactly one hub admin. With `create`, an `email`
    that is not yet a member becomes a new hub admin in the hub operators' institute.
    `revoke_old` revokes the admin's other tokens (the lost one may turn up elsewhere).

    Raises:
        NotFound: When no hub admin matches.
        BadRequest: When the choice is ambiguous or the email belongs to a non-admin.
    """
    operator = _operator()
    now = hub.clock()
    with transaction(hub.sessions) as session:
        admins = list(
            session.scalars(select(Member).where(Member.role == "hub-admin").order_by(Member.id))
        )
        if not admins:
            raise NotFound("the hub has no admin yet: run `accord hub init` instead")
        member = _choose(
            session.scalars(select(Member).where(Member.email == email)).first() if email else None,
            admins,
            email,
            create,
        )
        if member is None:
            assert email is not None
            member = new_hub_admin(admins[0].institute_id, email, now)
            session.add(member)
            session.flush()
        revoked = 0
        if revoke_old:
            for token in session.scalars(
                select(ApiToken).where(
                    ApiToken.member_id == member.id, ApiToken.revoked_at.is_(None)
                )
            ):
                token.revoked_at = now
                revoked += 1
        issued = hub._issue(session, member.id, ADMIN_SCOPES, None)
        detail = (
            f"token {issued.id} issued to hub admin {member.email} by '{operator}' with direct "
            f"database access; {revoked} earlier token(s) revoked"
        )
        session.add(
            AuditEvent(
                at=now,
                actor=None,
                institute_id=member.institute_id,
                action="admin.token.recover",
                target=member.id,
                outcome="allow",
                detail=detail,
            )
        )
        append(
            session,
            "admin.token.recovered",
            member.id,
            None,
            {"token_id": issued.id, "operator": operator, "revoked": revoked, "via": "database"},
            now,
        )
        return member, issued, revoked


def _choose(
    named: Member | None, admins: list[Member], email: str | None, create: bool
) -> Member | None:
    if email is None:
        if len(admins) > 1:
            raise BadRequest(
                f"the hub has {len(admins)} admins ({', '.join(a.email for a in admins)}); "
                "name one with --email"
            )
        return admins[0]
    if named is None:
        if create:
            return None
        raise NotFound(f"no member with email {email}; pass --create to make them a new hub admin")
    if named.role != "hub-admin":
        raise BadRequest(f"{email} is a {named.role}, not a hub admin; name a hub admin")
    return named


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"
