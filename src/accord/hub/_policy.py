"""The one authorization policy: every route (and the web UI) asks it, and denials are audited.

Roles: `hub-admin` (everything), and per institute `institute-admin`, `evaluator`,
`observer` and `developer`. An exercise and its results are visible to members of its
partner institutes and to members seconded to it while the secondment is active; to
developers named in its protocol, for their own models only, during their review (see
`developer_review`); to everyone else only once published, and then only in aggregate.
Per-sample scores never go beyond the partners (unless the protocol lets developers see
their own models').
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ._auth import Actor

READ, WRITE, ADMIN = "read", "write", "admin"
DEVELOPER = "developer"


@dataclass(frozen=True)
class ExerciseView:
    """What the policy needs to know about an exercise."""

    id: str
    owner: str  # the institute that created it
    partners: frozenset[str]
    published: bool
    state: str = "draft"
    # developer institute -> its models, from the protocol's governance.developer_review
    developers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    review_until: datetime | None = None  # when developer review ends (None: not closed)
    developer_samples: bool = False
    now: datetime | None = None  # when the view was read (the review window's clock)


@dataclass(frozen=True)
class Decision:
    """Allow or deny, with the reason for a denial."""

    allowed: bool
    reason: str = ""


ALLOW = Decision(True)


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _scope(actor: Actor, scope: str) -> Decision | None:
    if actor.anonymous:
        return _deny("sign in: send a bearer token")
    if scope not in actor.scopes and ADMIN not in actor.scopes:
        return _deny(f"the token lacks the '{scope}' scope")
    return None


def _insider_role(actor: Actor, exercise: ExerciseView) -> str | None:
    """The role the actor holds inside an exercise: as a partner member or an active secondee."""
    if actor.role == DEVELOPER:  # never an insider, even in a partner's record
        return None
    if actor.institute_id in exercise.partners:
        return actor.role
    for s in actor.secondments:
        if s.host_institute in exercise.partners and s.exercise_id in (None, exercise.id):
            return s.role
    return None


def hub_admin(actor: Actor, scope: str = ADMIN) -> Decision:
    """Hub-wide administration."""
    denied = _scope(actor, scope)
    if denied:
        return denied
    return ALLOW if actor.hub_admin else _deny("only a hub administrator may do this")


def signed_in(actor: Actor) -> Decision:
    """Anything a signed-in member may read (public keys, the institute list, the ledger)."""
    return _scope(actor, READ) or ALLOW


def institute_admin(actor: Actor, institute: str) -> Decision:
    """Administration of one institute (members, tokens, keys, secondments it hosts)."""
    denied = _scope(actor, ADMIN)
    if denied:
        return denied
    if actor.hub_admin or (actor.role == "institute-admin" and actor.institute_id == institute):
        return ALLOW
    return _deny(f"only an administrator of '{institute}' (or of the hub) may do this")


def issue_token(
    actor: Actor,
    member_id: str,
    institute: str,
    scopes: Collection[str],
    expires_at: datetime | None,
) -> Decision:
    """Issuing a token: for oneself, or by an admin of the member's institute (or the hub).

    Either way a token never begets more than it holds: the new token's scopes must be a
    subset of the caller's, and it must expire no later than the caller's own token.
    """
    if actor.anonymous:
        return _deny("sign in: send a bearer token")
    if actor.member_id != member_id:
        denied = institute_admin(actor, institute)
        if not denied.allowed:
            return denied
    held = {READ, WRITE, ADMIN} if ADMIN in actor.scopes else actor.scopes
    extra = sorted(set(scopes) - held)
    if extra:
        return _deny(
            f"a token with scopes {', '.join(sorted(actor.scopes))} cannot issue {', '.join(extra)}"
        )
    own = actor.token_expires_at
    if own is not None and (expires_at is None or expires_at > own):
        return _deny(
            f"the new token must expire no later than the caller's own token ({own.isoformat()}); "
            "set expires_at"
        )
    return ALLOW


def institute_member(actor: Actor, institute: str) -> Decision:
    """Reading an institute's own records."""
    denied = _scope(actor, READ)
    if denied:
        return denied
    if actor.hub_admin or actor.institute_id == institute:
        return ALLOW
    return _deny(f"only members of '{institute}' may see this")


def create_exercise(actor: Actor, partners: frozenset[str] | None) -> Decision:
    """Creating an exercise from a protocol: the hub, or an admin of one of its partners.

    With `partners` None (the protocol not yet parsed) this allows anyone who could create
    an exercise for some protocol, so the hub parses nothing for anybody else.
    """
    denied = _scope(actor, WRITE)
    if denied:
        return denied
    admin = actor.role == "institute-admin"
    if actor.hub_admin or (admin and (partners is None or actor.institute_id in partners)):
        return ALLOW
    return _deny("only an administrator of a partner institute (or of the hub) may create it")


def manage_exercise(actor: Actor, exercise: ExerciseView) -> Decision:
    """Opening, closing and publishing: the hub, or an admin of the owning institute."""
    denied = _scope(actor, WRITE)
    if denied:
        return denied
    if actor.hub_admin or (
        actor.role == "institute-admin" and actor.institute_id == exercise.owner
    ):
        return ALLOW
    return _deny(f"only an administrator of '{exercise.owner}' (or of the hub) may do this")


def see_exercise(actor: Actor, exercise: ExerciseView) -> Decision:
    """The exercise and its aggregate results: insiders always, everyone once published."""
    if exercise.published:
        return ALLOW
    denied = _scope(actor, READ)
    if denied:
        return denied
    if actor.hub_admin or _insider_role(actor, exercise) is not None:
        return ALLOW
    if developer_review(actor, exercise).allowed:
        return ALLOW
    return _deny("the exercise is visible only to its partners until it is published")


def see_samples(actor: Actor, exercise: ExerciseView) -> Decision:
    """Per-sample scores and submissions: insiders only, before and after publication."""
    denied = _scope(actor, READ)
    if denied:
        return denied
    if actor.hub_admin or _insider_role(actor, exercise) is not None:
        return ALLOW
    return _deny("per-sample results are visible only to the exercise's partners")


def submit(actor: Actor, exercise: ExerciseView, bundle_partner: str | None) -> Decision:
    """Submitting a bundle: an evaluator or admin of the bundle's partner, or such a secondee."""
    denied = _scope(actor, WRITE)
    if denied:
        return denied
    writers = ("institute-admin", "evaluator")
    if actor.institute_id in exercise.partners and actor.role in writers:
        if bundle_partner in (None, actor.institute_id):
            return ALLOW
        return _deny(f"members of '{actor.institute_id}' cannot submit '{bundle_partner}'s bundle")
    for s in actor.secondments:
        covers = s.host_institute in exercise.partners and s.exercise_id in (None, exercise.id)
        if covers and s.role in writers and bundle_partner in (None, s.host_institute):
            return ALLOW
    return _deny("only evaluators of the bundle's partner institute may submit it")


def see_audit(actor: Actor) -> Decision:
    """The audit log: hub admins (all) and institute admins (their institute's events)."""
    denied = _scope(actor, READ)
    if denied:
        return denied
    if actor.hub_admin or actor.role == "institute-admin":
        return ALLOW
    return _deny("only administrators may read the audit log")


def partner_act(actor: Actor, exercise: ExerciseView, partner: str) -> Decision:
    """Recording a partner's signed act (sign-off, approval, objection, withdrawal).

    An administrator of that partner, or a hub administrator relaying the partner's signed
    file: the Ed25519 signature, not the token, is what shows the partner agreed.
    """
    denied = _scope(actor, WRITE)
    if denied:
        return denied
    if partner not in exercise.partners:
        return _deny(f"'{partner}' is not a partner of '{exercise.id}'")
    if actor.hub_admin or (actor.role == "institute-admin" and actor.institute_id == partner):
        return ALLOW
    return _deny(f"only an administrator of '{partner}' (or of the hub) may record its acts")


def developer_review(actor: Actor, exercise: ExerciseView) -> Decision:
    """A developer's review: its own models' aggregate results after close, before publication.

    Only members with the `developer` role of an organisation the protocol names in
    `governance.developer_review`, while the exercise is closed and within the review window.
    """
    denied = _scope(actor, READ)
    if denied:
        return denied
    if actor.role != DEVELOPER or actor.institute_id not in exercise.developers:
        return _deny(
            "only developers (role 'developer') of an organisation named in the protocol's "
            "governance.developer_review may review"
        )
    if exercise.state != "closed":
        return _deny(f"developer review runs while the exercise is closed; it is {exercise.state}")
    if exercise.review_until and exercise.now and exercise.now >= exercise.review_until:
        return _deny(f"the developer review window ended at {exercise.review_until.isoformat()}")
    return ALLOW


@dataclass(frozen=True)
class ResultsScope:
    """What part of an exercise's results a caller sees.

    An explicit input of every results computation and of the key of any cache of them.

    `models` None means every model; `insider` adds run digests, deviations and per-sample
    access; `samples` allows per-sample scores (of `models` only).
    """

    models: frozenset[str] | None = None
    insider: bool = False
    samples: bool = False

    def key(self) -> tuple[object, ...]:
        """Hashable, for cache keys."""
        models = tuple(sorted(self.models)) if self.models is not None else None
        return (self.insider, self.samples, models)

    def shows(self, model: str) -> bool:
        """Whether results of `model` are in scope."""
        return self.models is None or model in self.models


INSIDER = ResultsScope(None, True, True)
PUBLIC = ResultsScope()


def results_scope(actor: Actor, exercise: ExerciseView) -> ResultsScope:
    """The results `actor` may see of an exercise it may see (after `see_exercise`)."""
    if see_samples(actor, exercise).allowed:
        return INSIDER
    if developer_review(actor, exercise).allowed:
        models = exercise.developers.get(actor.institute_id or "", frozenset())
        return ResultsScope(models, False, exercise.developer_samples)
    return PUBLIC


def developer_respond(actor: Actor, exercise: ExerciseView) -> Decision:
    """Attaching a developer's response to the report: a developer under review, with write."""
    denied = _scope(actor, WRITE)
    if denied:
        return denied
    return developer_review(actor, exercise)
