"""Administration pages: institutes, members, tokens, keys, secondments and the audit log.

Each list and form is shown to whom the policy allows it; each POST asks the hub, which
checks the policy again and audits a denial.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import Response

from .. import _policy as policy
from .._auth import INSTITUTE_ROLES, ROLES, SECONDEE_ROLES
from .._errors import BadRequest, HubError
from ._web import Web, web

WebDep = Annotated[Web, Depends(web)]
Csrf = Annotated[str, Form(max_length=100)]
Text = Annotated[str, Form(max_length=2000)]
Optional = Annotated[str, Form(max_length=2000)]


def _when(value: str, field: str) -> datetime | None:
    """A form's `datetime-local` value (read as UTC), or None when empty."""
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(f"{field}: '{value}' is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def admin_router() -> APIRouter:
    """The administration pages."""
    router = APIRouter(prefix="/admin", include_in_schema=False)

    @router.get("")
    def overview(w: WebDep) -> Response:
        return w.render(
            "admin.html.j2",
            section="admin",
            institutes=w.hub.institutes(w.actor),
            can_create=policy.hub_admin(w.actor).allowed,
        )

    @router.post("/institutes")
    def create_institute(
        *, w: WebDep, csrf: Csrf = "", id: Annotated[str, Form(max_length=64)], name: Text
    ) -> Response:
        w.check_csrf(csrf)
        w.hub.create_institute(w.actor, id.strip(), name.strip())
        return w.redirect(f"/admin/institutes/{id.strip()}", f"Institute {id} registered.")

    @router.get("/institutes/{institute_id}")
    def institute(institute_id: str, w: WebDep) -> Response:
        return _institute_page(w, institute_id)

    @router.post("/institutes/{institute_id}/members")
    def add_member(
        *, institute_id: str, w: WebDep, csrf: Csrf = "", email: Text, name: Text, role: Text
    ) -> Response:
        w.check_csrf(csrf)
        row = w.hub.create_member(w.actor, institute_id, email.strip(), name.strip(), role)
        return w.redirect(f"/admin/institutes/{institute_id}", f"Member {row.email} added.")

    @router.post("/members/{member_id}/role")
    def change_role(
        *,
        member_id: str,
        w: WebDep,
        csrf: Csrf = "",
        role: Annotated[str, Form(max_length=20)],
        institute: Annotated[str, Form(max_length=64)],
    ) -> Response:
        w.check_csrf(csrf)
        row = w.hub.set_member_role(w.actor, member_id, role)
        return w.redirect(f"/admin/institutes/{institute}", f"{row.email} is now {row.role}.")

    @router.post("/members/{member_id}/tokens")
    def issue_token(
        *,
        member_id: str,
        w: WebDep,
        csrf: Csrf = "",
        institute: Annotated[str, Form(max_length=64)],
        scopes: Annotated[list[str], Form()],
        expires_at: Optional = "",
    ) -> Response:
        w.check_csrf(csrf)
        issued = w.hub.create_token(w.actor, member_id, scopes, _when(expires_at, "expires at"))
        return w.render("token_issued.html.j2", section="admin", issued=issued, institute=institute)

    @router.post("/tokens/revoke")
    def revoke_token(
        *,
        w: WebDep,
        csrf: Csrf = "",
        token_id: Annotated[str, Form(max_length=40)],
        institute: Annotated[str, Form(max_length=64)],
    ) -> Response:
        w.check_csrf(csrf)
        w.hub.revoke_token(w.actor, token_id.strip())
        return w.redirect(f"/admin/institutes/{institute}", f"Token {token_id} revoked.")

    @router.post("/institutes/{institute_id}/keys")
    def register_key(
        *,
        institute_id: str,
        w: WebDep,
        csrf: Csrf = "",
        record: Annotated[str, Form(max_length=4000)],
        challenge: Annotated[str, Form(max_length=500)],
        proof: Annotated[str, Form(max_length=500)],
    ) -> Response:
        from pydantic import ValidationError

        from ...identity import PublicKeyRecord

        w.check_csrf(csrf)
        try:
            parsed = PublicKeyRecord.model_validate_json(record)
        except ValidationError as ex:
            raise BadRequest(
                f"the public key record is not valid: {ex.errors()[0]['msg']}"
            ) from None
        key = w.hub.register_key(
            w.actor, institute_id, parsed, None, None, (challenge.strip(), proof.strip())
        )
        return w.redirect(f"/admin/institutes/{institute_id}", f"Key {key.key_id} registered.")

    @router.post("/institutes/{institute_id}/keys/{key_id}/revoke")
    def revoke_key(
        *, institute_id: str, key_id: str, w: WebDep, csrf: Csrf = "", reason: Optional = ""
    ) -> Response:
        w.check_csrf(csrf)
        w.hub.revoke_key(w.actor, institute_id, key_id, reason.strip() or None)
        return w.redirect(f"/admin/institutes/{institute_id}", f"Key {key_id} revoked.")

    @router.post("/institutes/{institute_id}/secondments")
    def grant(
        *,
        institute_id: str,
        w: WebDep,
        csrf: Csrf = "",
        member_id: Annotated[str, Form(max_length=40)],
        role: Text,
        starts_at: Text,
        ends_at: Text,
        exercise_id: Optional = "",
    ) -> Response:
        w.check_csrf(csrf)
        starts, ends = _when(starts_at, "starts at"), _when(ends_at, "ends at")
        if starts is None or ends is None:
            raise BadRequest("a secondment needs a start and an end")
        w.hub.grant_secondment(
            w.actor,
            member_id.strip(),
            institute_id,
            exercise_id.strip() or None,
            role,
            starts,
            ends,
        )
        return w.redirect(f"/admin/institutes/{institute_id}", "Secondment granted.")

    @router.post("/institutes/{institute_id}/secondments/{secondment_id}/revoke")
    def revoke_secondment(
        *, institute_id: str, secondment_id: str, w: WebDep, csrf: Csrf = ""
    ) -> Response:
        w.check_csrf(csrf)
        w.hub.revoke_secondment(w.actor, secondment_id)
        return w.redirect(f"/admin/institutes/{institute_id}", "Secondment revoked.")

    @router.get("/audit")
    def audit(
        w: WebDep,
        outcome: Annotated[str | None, Query(max_length=10)] = None,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> Response:
        rows = w.hub.audit_log(w.actor, outcome or None, 100, offset)
        return w.render(
            "audit.html.j2",
            section="audit",
            rows=rows,
            outcome=outcome or "",
            offset=offset,
        )

    return router


def _institute_page(w: Web, institute_id: str) -> Response:
    hub, actor = w.hub, w.actor
    admin = policy.institute_admin(actor, institute_id).allowed
    member = policy.institute_member(actor, institute_id).allowed
    context: dict[str, Any] = {
        "institute": institute_id,
        "admin": admin,
        "members": hub.members(actor, institute_id) if member else None,
        "tokens": hub.tokens(actor, institute_id) if admin else None,
        "keys": hub.keys(actor, institute_id),
        "secondments": hub.secondments(actor, institute_id) if member else None,
        "challenge": None,
        "roles": ROLES if actor.hub_admin else INSTITUTE_ROLES,
        "secondee_roles": SECONDEE_ROLES,
    }
    if admin:
        try:
            context["challenge"] = hub.key_challenge(actor, institute_id)
        except HubError:
            context["challenge"] = None
    return w.render("institute.html.j2", section="admin", **context)
