"""Agreement in the web interface: where partners stand, and recording a partner's signed act.

The browser never holds a private key. The page shows the exact command that signs the act
offline on the partner's machine (`accord protocol sign ... --act ... --for-hub <hub id>`);
the institute administrator then uploads or pastes the signed `.sig.json` file, which the
hub verifies exactly as it does on the API (`Hub.record_act`, via the policy).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ...identity import PartnerAct
from .. import _policy as policy
from .._errors import BadRequest
from ._web import Web, web

WebDep = Annotated[Web, Depends(web)]
MAX_ACT = 10_000  # bytes: a signed act is well under 2 KB

# The acts an exercise takes in each state, as the hub's governance allows them.
ACTS_BY_STATE = {
    "draft": ("sign-off",),
    "open": ("sign-off", "object", "withdraw"),
    "closed": ("sign-off", "approve", "object", "withdraw"),
}


def agreement_context(w: Web, exercise_id: str, view: policy.ExerciseView, state: str) -> Any:
    """What the exercise page's agreement section shows to `w.actor`."""
    partners = sorted(view.partners)
    return {
        "agreement": w.hub.agreement(w.actor, exercise_id),
        "act_partners": [p for p in partners if policy.partner_act(w.actor, view, p).allowed],
        "acts": ACTS_BY_STATE.get(state, ()),
        "hub_id": w.hub.hub_id,
    }


def agreement_router() -> APIRouter:
    """The page action that records a partner's signed act."""
    router = APIRouter(include_in_schema=False)

    @router.post("/exercises/{exercise_id}/acts")
    async def record_act(
        exercise_id: str,
        w: WebDep,
        csrf: Annotated[str, Form(max_length=100)] = "",
        act_file: Annotated[UploadFile | None, File()] = None,
        act_text: Annotated[str, Form(max_length=MAX_ACT)] = "",
        intent: Annotated[str, Form(max_length=20)] = "",
    ) -> Response:
        w.check_csrf(csrf)
        raw = act_text.strip()
        if act_file is not None and act_file.filename:
            data = await act_file.read(MAX_ACT + 1)
            if len(data) > MAX_ACT:
                raise BadRequest(f"a signed act is under {MAX_ACT} bytes; this file is not one")
            raw = data.decode("utf-8", errors="replace").strip()
        act = parse_act(raw)
        if intent and intent != act.act:
            raise BadRequest(
                f"you chose '{intent}' but the file is a signed '{act.act}'; "
                "upload the file for the act you mean"
            )
        state = await run_in_threadpool(w.hub.record_act, w.actor, exercise_id, act)
        note = f"Recorded: {act.act} by {act.partner}."
        if state["can_open"] and act.act == "sign-off":
            note += " Every sign-off the exercise needs is in."
        return w.redirect(f"/exercises/{exercise_id}", note)

    return router


def parse_act(raw: str) -> PartnerAct:
    """A signed act from an uploaded or pasted `.sig.json`.

    Raises:
        BadRequest: For nothing, a private key, or anything that is not a signed act.
    """
    if not raw:
        raise BadRequest("choose the .sig.json file `accord protocol sign` wrote, or paste it")
    if "PRIVATE KEY" in raw or '"private_key"' in raw:
        raise BadRequest(
            "that is a private key: never upload it. Sign offline with `accord protocol sign` "
            "and upload the .sig.json it writes"
        )
    try:
        return PartnerAct.model_validate_json(raw)
    except ValidationError as ex:
        first = ex.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise BadRequest(
            f"not a signed partner act: {first['msg']} at {where}; upload the .sig.json "
            "`accord protocol sign` wrote"
        ) from None
