"""Administration: institutes, members, tokens, keys and secondments."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .._util import InputError
from ..identity import PublicKeyRecord, check_record, proof_valid
from ..store import (
    ApiToken,
    Institute,
    InstituteKey,
    Member,
    Secondment,
    append,
    transaction,
)
from . import _policy as policy
from ._auth import INSTITUTE_ROLES, ROLES, SECONDEE_ROLES, Actor, new_token, token_hash
from ._base import HubBase
from ._challenge import CHALLENGE_TTL, challenge_problem, issue_challenge
from ._errors import BadRequest, Conflict, NotFound


@dataclass(frozen=True)
class IssuedToken:
    """A token as created: the secret is shown this once."""

    id: str
    token: str
    member_id: str
    scopes: list[str]
    expires_at: datetime | None


def new_hub_admin(institute: str, email: str, now: datetime) -> Member:
    """A hub-admin member row (by `hub init`, or an operator's recovery)."""
    return Member(
        id=uuid.uuid4().hex,
        institute_id=institute,
        email=email,
        name=email,
        role="hub-admin",
        created_at=now,
    )


class AdminOps(HubBase):
    """Operations on institutes, members, tokens, keys and secondments."""

    # bootstrap ---------------------------------------------------------------------------

    def bootstrap(self, institute: str, name: str, email: str) -> tuple[Member, IssuedToken]:
        """Create the hub operators' institute and the first hub admin (an empty hub only)."""
        with transaction(self.sessions) as session:
            if session.scalar(select(func.count()).select_from(Member)):
                raise Conflict("the hub already has members; use an admin token to add more")
            now = self.clock()
            session.add(Institute(id=institute, name=name, created_at=now))
            member = new_hub_admin(institute, email, now)
            session.add(member)
            session.flush()
            issued = self._issue(session, member.id, ["read", "write", "admin"], None)
            append(session, "institute.created", institute, None, {"name": name}, now)
            return member, issued

    # institutes, members, tokens --------------------------------------------------------

    def create_institute(self, actor: Actor, institute_id: str, name: str) -> Institute:
        """Register an institute (hub admin)."""
        self.check(actor, policy.hub_admin(actor), "institute.create", institute_id)
        with transaction(self.sessions) as session:
            if session.get(Institute, institute_id):
                raise Conflict(f"institute '{institute_id}' exists")
            institute = Institute(id=institute_id, name=name, created_at=self.clock())
            session.add(institute)
            append(
                session,
                "institute.created",
                institute_id,
                actor.member_id,
                {"name": name},
                self.clock(),
            )
            return institute

    def institutes(self, actor: Actor) -> list[Institute]:
        """Every institute (signed-in members)."""
        self.check(actor, policy.signed_in(actor), "institute.list", "institutes")
        with transaction(self.reads) as session:
            return list(session.scalars(select(Institute).order_by(Institute.id)))

    def create_member(
        self, actor: Actor, institute_id: str, email: str, name: str, role: str
    ) -> Member:
        """Add a member to an institute (its admins, or the hub's)."""
        self.check(
            actor, policy.institute_admin(actor, institute_id), "member.create", institute_id
        )
        allowed = ROLES if actor.hub_admin else INSTITUTE_ROLES
        if role not in allowed:
            raise BadRequest(f"role must be one of {', '.join(allowed)}")
        with transaction(self.sessions) as session:
            self._institute(session, institute_id)
            if session.scalars(select(Member).where(Member.email == email)).first():
                raise Conflict(f"a member with email {email} exists")
            member = Member(
                id=uuid.uuid4().hex,
                institute_id=institute_id,
                email=email,
                name=name,
                role=role,
                created_at=self.clock(),
            )
            session.add(member)
            return member

    def members(self, actor: Actor, institute_id: str) -> list[Member]:
        """An institute's members (its members, or hub admins)."""
        self.check(actor, policy.institute_member(actor, institute_id), "member.list", institute_id)
        with transaction(self.reads) as session:
            return list(
                session.scalars(
                    select(Member).where(Member.institute_id == institute_id).order_by(Member.email)
                )
            )

    def set_member_role(self, actor: Actor, member_id: str, role: str) -> Member:
        """Change a member's role (admins of its institute, or the hub's); audited.

        Nobody changes their own role (another admin must), and only hub admins grant or
        take away `hub-admin`.
        """
        with transaction(self.reads) as session:
            member = self._member(session, member_id)
        institute = member.institute_id
        self.check(actor, policy.institute_admin(actor, institute), "member.role", member_id)
        allowed = ROLES if actor.hub_admin else INSTITUTE_ROLES
        if role not in allowed or (member.role == "hub-admin" and not actor.hub_admin):
            raise BadRequest(f"role must be one of {', '.join(allowed)}, set by a hub admin")
        if member_id == actor.member_id:
            raise BadRequest("you cannot change your own role; ask another administrator")
        with transaction(self.sessions) as session:
            member = self._member(session, member_id)
            previous, member.role = member.role, role
        self.audit(actor, "member.role", member_id, "allow", f"{previous} -> {role}")
        return member

    def create_token(
        self, actor: Actor, member_id: str, scopes: list[str], expires_at: datetime | None
    ) -> IssuedToken:
        """Issue a token for a member (the member, or an admin of its institute).

        The policy caps the new token by the caller's: no scope it lacks, no later expiry.
        """
        unknown = set(scopes) - {"read", "write", "admin"}
        if not scopes or unknown:
            raise BadRequest("scopes must be a non-empty subset of read, write, admin")
        if expires_at is not None and expires_at <= self.clock():
            raise BadRequest("expires_at must be in the future")
        with transaction(self.reads) as session:
            member = self._member(session, member_id)
        decision = policy.issue_token(actor, member_id, member.institute_id, scopes, expires_at)
        self.check(actor, decision, "token.create", member_id)
        with transaction(self.sessions) as session:
            return self._issue(session, member_id, scopes, expires_at)

    def tokens(self, actor: Actor, institute_id: str, limit: int = 500) -> list[ApiToken]:
        """The tokens of an institute's members, newest first (its admins, or the hub's).

        Only ids, prefixes, scopes and times: the secrets themselves were never stored.
        """
        self.check(actor, policy.institute_admin(actor, institute_id), "token.list", institute_id)
        with transaction(self.reads) as session:
            return list(
                session.scalars(
                    select(ApiToken)
                    .join(Member, Member.id == ApiToken.member_id)
                    .where(Member.institute_id == institute_id)
                    .order_by(ApiToken.created_at.desc())
                    .limit(limit)
                )
            )

    def revoke_token(self, actor: Actor, token_id: str) -> ApiToken:
        """Revoke a token from now on."""
        with transaction(self.reads) as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise NotFound(f"no token '{token_id}'")
            member = self._member(session, token.member_id)
        if actor.member_id != member.id:
            self.check(
                actor, policy.institute_admin(actor, member.institute_id), "token.revoke", token_id
            )
        with transaction(self.sessions) as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise NotFound(f"no token '{token_id}'")
            if token.revoked_at is None:  # revoking again keeps the first time
                token.revoked_at = self.clock()
            return token

    def _issue(
        self, session: Session, member_id: str, scopes: list[str], expires_at: datetime | None
    ) -> IssuedToken:
        secret = new_token()
        row = ApiToken(
            id=uuid.uuid4().hex,
            member_id=member_id,
            token_hash=token_hash(secret),
            prefix=secret[:10],
            scopes=sorted(scopes),
            created_at=self.clock(),
            expires_at=expires_at,
        )
        session.add(row)
        return IssuedToken(row.id, secret, member_id, row.scopes, expires_at)

    # keys --------------------------------------------------------------------------------

    def key_challenge(self, actor: Actor, institute_id: str) -> dict[str, str]:
        """A challenge to sign when registering a key of `institute_id` (its admins)."""
        self.check(
            actor, policy.institute_admin(actor, institute_id), "key.challenge", institute_id
        )
        now = self.clock()
        return {
            "institute": institute_id,
            "challenge": issue_challenge(self.secret, institute_id, now),
            "expires_at": (now + CHALLENGE_TTL).isoformat(),
        }

    def register_key(
        self,
        actor: Actor,
        institute_id: str,
        record: PublicKeyRecord,
        valid_from: datetime | None,
        valid_until: datetime | None,
        proof: tuple[str, str] = ("", ""),
    ) -> InstituteKey:
        """Register an institute's public signing key.

        `proof` is (challenge, signature): the key's own signature over the registration
        message for this institute and a live challenge of this hub, so nobody registers a
        key they do not hold. The key must parse and its id must derive from it.
        """
        self.check(actor, policy.institute_admin(actor, institute_id), "key.register", institute_id)
        if record.partner != institute_id:
            raise BadRequest(f"the key belongs to '{record.partner}', not '{institute_id}'")
        try:
            check_record(record, "key")
        except InputError as ex:
            raise BadRequest(str(ex)) from None
        challenge, signature = proof
        if not challenge or not signature:
            raise BadRequest(
                "registering a key needs proof of possession: sign a challenge from "
                f"GET /institutes/{institute_id}/keys/challenge with the key "
                "(`accord hub key --add ... --private-key ...` does both)"
            )
        problem = challenge_problem(self.secret, institute_id, challenge, self.clock())
        if problem is not None:
            raise BadRequest(problem)
        if not proof_valid(record, institute_id, challenge, signature):
            raise BadRequest(
                f"the proof is not {record.key_id}'s signature of the registration message for "
                f"'{institute_id}' and this challenge"
            )
        with transaction(self.sessions) as session:
            self._institute(session, institute_id)
            if session.get(InstituteKey, record.key_id):
                raise Conflict(f"key {record.key_id} is registered")
            start = valid_from or record.created
            if valid_until is not None and valid_until <= start:
                raise BadRequest("valid_until must be later than valid_from")
            key = InstituteKey(
                key_id=record.key_id,
                institute_id=institute_id,
                public_key=record.public_key,
                created=record.created,
                valid_from=start,
                valid_until=valid_until,
            )
            session.add(key)
            append(
                session,
                "key.registered",
                record.key_id,
                actor.member_id,
                {"institute": institute_id, "challenge": challenge, "proof": signature},
                self.clock(),
            )
            return key

    def revoke_key(
        self, actor: Actor, institute_id: str, key_id: str, reason: str | None
    ) -> InstituteKey:
        """Revoke a key from now on (earlier signatures stay valid)."""
        self.check(actor, policy.institute_admin(actor, institute_id), "key.revoke", key_id)
        with transaction(self.sessions) as session:
            key = session.get(InstituteKey, key_id)
            if key is None or key.institute_id != institute_id:
                raise NotFound(f"'{institute_id}' has no key {key_id}")
            if key.revoked_at is not None:
                return key  # revoking again keeps the first revocation
            key.revoked_at, key.revocation_reason = self.clock(), reason
            append(
                session,
                "key.revoked",
                key_id,
                actor.member_id,
                {"institute": institute_id, "reason": reason},
                self.clock(),
            )
            return key

    def keys(self, actor: Actor, institute_id: str) -> list[InstituteKey]:
        """An institute's public keys (signed-in members)."""
        self.check(actor, policy.signed_in(actor), "key.list", institute_id)
        with transaction(self.reads) as session:
            return list(
                session.scalars(
                    select(InstituteKey).where(InstituteKey.institute_id == institute_id)
                )
            )

    # secondments -------------------------------------------------------------------------

    def grant_secondment(
        self,
        actor: Actor,
        member_id: str,
        host: str,
        exercise_id: str | None,
        role: str,
        starts_at: datetime,
        ends_at: datetime,
    ) -> Secondment:
        """Second a member to a host institute's exercise (or all its exercises) for a time."""
        self.check(actor, policy.institute_admin(actor, host), "secondment.grant", host)
        if role not in SECONDEE_ROLES:
            raise BadRequest(f"role must be one of {', '.join(SECONDEE_ROLES)}")
        if ends_at <= starts_at:
            raise BadRequest("ends_at must be later than starts_at")
        with transaction(self.sessions) as session:
            member = self._member(session, member_id)
            self._institute(session, host)
            if member.institute_id == host:
                raise BadRequest("a member cannot be seconded to their own institute")
            if exercise_id is not None:
                self._exercise(session, exercise_id)
            row = Secondment(
                id=uuid.uuid4().hex,
                member_id=member_id,
                host_institute_id=host,
                exercise_id=exercise_id,
                role=role,
                starts_at=starts_at,
                ends_at=ends_at,
                created_by=actor.member_id or "",
            )
            session.add(row)
            append(
                session,
                "secondment.granted",
                row.id,
                actor.member_id,
                {
                    "member": member_id,
                    "host": host,
                    "exercise": exercise_id,
                    "role": role,
                    "starts_at": starts_at.isoformat(),
                    "ends_at": ends_at.isoformat(),
                },
                self.clock(),
            )
            return row

    def revoke_secondment(self, actor: Actor, secondment_id: str) -> Secondment:
        """End a secondment now."""
        with transaction(self.reads) as session:
            row = session.get(Secondment, secondment_id)
            if row is None:
                raise NotFound(f"no secondment '{secondment_id}'")
        self.check(
            actor,
            policy.institute_admin(actor, row.host_institute_id),
            "secondment.revoke",
            secondment_id,
        )
        with transaction(self.sessions) as session:
            row = session.get(Secondment, secondment_id)
            if row is None:
                raise NotFound(f"no secondment '{secondment_id}'")
            if row.revoked_at is not None:
                return row  # revoking again changes nothing
            row.revoked_at = self.clock()
            append(
                session,
                "secondment.revoked",
                secondment_id,
                actor.member_id,
                {"member": row.member_id},
                self.clock(),
            )
            return row

    def secondments(self, actor: Actor, institute_id: str) -> list[Secondment]:
        """Secondments hosted by an institute (its members, or hub admins)."""
        self.check(
            actor, policy.institute_member(actor, institute_id), "secondment.list", institute_id
        )
        with transaction(self.reads) as session:
            return list(
                session.scalars(
                    select(Secondment).where(Secondment.host_institute_id == institute_id)
                )
            )
