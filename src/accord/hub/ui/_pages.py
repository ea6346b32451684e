"""Read-only pages: exercises, an exercise with its results, scores, reports, the ledger."""

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, RedirectResponse, Response

from .. import _policy as policy
from .._errors import NotFound
from .._queries import MAX_PAGE
from ._agreement import agreement_context
from ._results import report_view
from ._web import Web, web

PAGE_SIZE = 50
After = Annotated[int | None, Query(ge=0, le=2**62)]
WebDep = Annotated[Web, Depends(web)]


def pages_router() -> APIRouter:
    """The read-only pages."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/exercises", status_code=303)

    @router.get("/exercises")
    def exercises(w: WebDep) -> Response:
        rows = w.hub.exercise_summaries(w.actor)
        can_create = policy.create_exercise(w.actor, None).allowed
        return w.render("exercises.html.j2", section="exercises", rows=rows, can_create=can_create)

    @router.get("/exercises/{exercise_id}")
    def exercise(exercise_id: str, w: WebDep) -> Response:
        from ...protocol import parse_protocol

        hub, actor = w.hub, w.actor
        row, view = hub.exercise(actor, exercise_id)
        insider = policy.see_samples(actor, view).allowed
        protocol = parse_protocol(
            row.protocol_yaml, f"exercise {exercise_id}", Path("."), resolve_tasks=False
        )
        scope = policy.results_scope(actor, view)
        report, sections = report_view(hub, w.reports, actor, exercise_id, row.state, scope)
        embargoed = row.embargo_until is not None and hub.clock() < row.embargo_until
        return w.render(
            "exercise.html.j2",
            section="exercises",
            e=row,
            p=protocol,
            insider=insider,
            can_manage=policy.manage_exercise(actor, view).allowed,
            can_submit=policy.submit(actor, view, None).allowed,
            embargoed=embargoed,
            progress=hub.progress(actor, exercise_id),
            submissions=hub.submissions(actor, exercise_id) if insider else None,
            report=report,
            sections=sections,
            deviations=hub.results(actor, exercise_id)["deviations"],
            scores=hub.scores(actor, exercise_id, None, PAGE_SIZE, 0) if insider else None,
            page_size=PAGE_SIZE,
            after=None,
            **agreement_context(w, exercise_id, view, row.state),
        )

    @router.get("/exercises/{exercise_id}/scores")
    def scores(exercise_id: str, w: WebDep, after: After = None) -> Response:
        row, _ = w.hub.exercise(w.actor, exercise_id)
        page = w.hub.scores(w.actor, exercise_id, None, PAGE_SIZE, 0, after)
        return w.render(
            "scores.html.j2",
            section="exercises",
            e=row,
            scores=page,
            page_size=PAGE_SIZE,
            after=after,
        )

    @router.get("/exercises/{exercise_id}/report")
    def report(
        exercise_id: str, w: WebDep, format: Literal["html", "md", "pdf"] = "html"
    ) -> Response:
        import tempfile

        from ...report import html_to_pdf, render

        row, view = w.hub.exercise(w.actor, exercise_id)
        built, _ = report_view(
            w.hub,
            w.reports,
            w.actor,
            exercise_id,
            row.state,
            policy.results_scope(w.actor, view),
        )
        if format == "md":
            return Response(render(built, "md"), media_type="text/markdown; charset=utf-8")
        html = render(built, "html")
        if format == "html":
            return Response(html, media_type="text/html; charset=utf-8")
        with tempfile.TemporaryDirectory() as temp:
            target = Path(temp) / "report.pdf"
            html_to_pdf(html, target)
            payload = target.read_bytes()
        return Response(
            payload,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{exercise_id}.pdf"'},
        )

    @router.get("/exercises/{exercise_id}/export")
    def export(
        exercise_id: str, w: WebDep, format: Literal["csv", "parquet", "eee"] = "csv"
    ) -> Response:
        from ...report import export_archive
        from .._reports import export_data

        payload = export_archive(export_data(w.hub, w.actor, exercise_id), format)
        return Response(
            payload,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{exercise_id}-{format}.zip"'},
        )

    @router.get("/exercises/{exercise_id}/submissions/{submission_id}/bundle")
    def bundle(exercise_id: str, submission_id: str, w: WebDep) -> Response:
        rows = w.hub.submissions(w.actor, exercise_id)  # the scores policy: insiders only
        match = next((s for s in rows if s["id"] == submission_id), None)
        if match is None or not w.hub.blobs.exists(match["bundle_sha256"]):
            raise NotFound(f"no bundle of submission '{submission_id}' in '{exercise_id}'")
        return FileResponse(
            w.hub.blobs.path(match["bundle_sha256"]),
            media_type="application/octet-stream",
            filename=f"{exercise_id}-{match['institute_id']}.accord",
        )

    @router.get("/ledger")
    def ledger(w: WebDep, after: After = None, verify: bool = False) -> Response:
        start = after or 0
        entries = w.hub.ledger(w.actor, start, PAGE_SIZE)
        check = w.hub.verify_ledger(w.actor) if verify else None
        return w.render(
            "ledger.html.j2",
            section="ledger",
            entries=entries,
            after=start,
            page_size=PAGE_SIZE,
            check=check,
            max_page=MAX_PAGE,
        )

    return router
