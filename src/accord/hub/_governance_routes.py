"""Routes for agreement: partners' signed acts on an exercise, and where partners stand."""

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from ..identity import PartnerAct
from ._developer import MAX_RESPONSE
from ._schemas import ExerciseIn
from ._service import Hub

API = "/api/v1"
Auth = Annotated[str | None, Header(alias="Authorization")]


class ResponseIn(BaseModel):
    """A developer's response to its models' results, printed verbatim in the report."""

    text: str = Field(min_length=1, max_length=MAX_RESPONSE)


def governance_router(hub: Hub) -> APIRouter:
    """Signed acts, amendments and the agreement of an exercise."""
    router = APIRouter()

    @router.post(f"{API}/exercises/{{exercise_id}}/acts", status_code=201)
    def record_act(exercise_id: str, body: PartnerAct, authorization: Auth = None) -> Any:
        """Record a partner's signed sign-off, approval, objection or withdrawal."""
        return hub.record_act(hub.actor(authorization), exercise_id, body)

    @router.post(f"{API}/exercises/{{exercise_id}}/amendments", status_code=201)
    def amend(exercise_id: str, body: ExerciseIn, authorization: Auth = None) -> Any:
        """Amend the protocol: a new version, linked on the ledger; partners sign it again."""
        return hub.amend(hub.actor(authorization), exercise_id, body.protocol_yaml)

    @router.get(f"{API}/exercises/{{exercise_id}}/agreement")
    def agreement(exercise_id: str, authorization: Auth = None) -> dict[str, Any]:
        """Who signed the protocol and who approved or objected to publication."""
        return hub.agreement(hub.actor(authorization), exercise_id)

    @router.get(f"{API}/identity")
    def identity() -> dict[str, Any]:
        """The hub's id (named in signed acts) and its ledger signing key."""
        return {"hub_id": hub.hub_id, "ledger_key": hub.signer.record.model_dump(mode="json")}

    @router.post(f"{API}/exercises/{{exercise_id}}/responses", status_code=201)
    def respond(exercise_id: str, body: ResponseIn, authorization: Auth = None) -> Any:
        """Attach a developer's response (developers, during their review)."""
        return hub.respond(hub.actor(authorization), exercise_id, body.text)

    @router.get(f"{API}/exercises/{{exercise_id}}/responses")
    def responses(exercise_id: str, authorization: Auth = None) -> list[dict[str, Any]]:
        """Developers' responses the caller may read."""
        return hub.responses(hub.actor(authorization), exercise_id)

    return router
