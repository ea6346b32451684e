"""Routes for an exercise's joint report (results policy) and open exports (scores policy).

A report is built from what the caller may see (partners and active secondees see the run
digests, bundles and signers; everyone else, once published, the aggregate) and cached per
exercise, submission count, state and view, so a report is rebuilt only when it can change.
"""

from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from ..store import SampleScore, Submission, transaction
from . import _policy as policy
from ._auth import Actor
from ._queries import current_scores
from ._service import Hub

if TYPE_CHECKING:
    from ..report import AgreementAct, ExportData, ReportInputs

API = "/api/v1"
CACHE_SIZE = 64
MEDIA = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}
Auth = Annotated[str | None, Header(alias="Authorization")]


def report_inputs(hub: Hub, actor: Actor, exercise_id: str) -> "ReportInputs":
    """The ReportInputs of an exercise as `actor` may see it (after the results policy)."""
    from ..protocol import parse_protocol
    from ..report import (
        AmendmentNote,
        DeveloperResponse,
        ReportInputs,
        RunProvenance,
        snapshot_lines,
        usage_lines,
    )

    exercise, view = hub.exercise(actor, exercise_id)
    state = hub.agreement(actor, exercise_id)
    results = hub.results(actor, exercise_id)
    insider = policy.see_samples(actor, view).allowed
    signed: dict[str, dict[str, Any]] = {}
    if insider:
        with transaction(hub.reads) as session:
            for s in session.scalars(
                select(Submission)
                .where(Submission.exercise_id == exercise_id)
                .order_by(Submission.submitted_at)
            ):
                signed[s.institute_id] = {
                    "bundle": s.bundle_sha256,
                    "key": s.key_id,
                    "manifest": s.verification.get("run_manifest") or {},
                }
    runs = []
    for run in results["runs"]:
        partner = signed.get(run["institute_id"], {})
        manifest = partner.get("manifest", {})
        environment = manifest.get("environment") or {}
        log: dict[str, Any] = next(
            (
                entry
                for entry in manifest.get("logs", [])
                if (entry.get("task_id"), entry.get("model_id"))
                == (run["task_id"], run["model_id"])
            ),
            {},
        )
        runs.append(
            RunProvenance(
                partner=run["institute_id"],
                task=run["task_id"],
                model=run["model_id"],
                samples=run.get("samples"),
                inspect_version=environment.get("inspect_ai"),
                accord_version=environment.get("accord"),
                dataset_digest=run.get("dataset_digest"),
                log_sha256=run.get("log_sha256"),
                bundle_sha256=partner.get("bundle"),
                signer_key_id=partner.get("key"),
                started_at=log.get("started_at"),
                completed_at=log.get("completed_at"),
                snapshots=snapshot_lines(log.get("snapshots") or {}),
                usage=usage_lines(log.get("usage") or {}),
            )
        )
    protocol = parse_protocol(
        exercise.protocol_yaml, f"exercise {exercise_id}", Path("."), resolve_tasks=False
    )
    return ReportInputs(
        protocol=protocol,
        protocol_yaml=exercise.protocol_yaml,
        protocol_id=exercise.protocol_id,
        analysis=results["analysis"] or {"alpha": protocol.analysis.alpha},
        runs=runs,
        source="hub",
        exercise=exercise_id,
        state=exercise.state,
        published_at=exercise.published_at.isoformat() if exercise.published_at else None,
        ledger_head=results["ledger_head"],
        deviations=[f"{d['kind']}: {d['detail']}" for d in results["deviations"]],
        agreement=agreement_acts(state),
        amendments=[
            AmendmentNote.model_validate(_only(a, AmendmentNote)) for a in state["amendments"]
        ],
        developer_responses=[
            DeveloperResponse.model_validate(_only(r, DeveloperResponse))
            for r in hub.responses(actor, exercise_id)
        ],
    )


def agreement_acts(state: dict[str, Any]) -> "list[AgreementAct]":
    """Every partner act of an agreement (as `Hub.agreement` returns it), in ledger order."""
    from ..report import AgreementAct

    late = set(state.get("late_signatures", ()))
    return [
        AgreementAct.model_validate(
            {**_only(a, AgreementAct), "late": a["act"] == "sign-off" and a["partner"] in late}
        )
        for a in state["history"]
    ]


def _only(row: dict[str, Any], model: type[Any]) -> dict[str, Any]:
    """The keys of `row` that are fields of `model`."""
    return {k: v for k, v in row.items() if k in model.model_fields}


def export_data(hub: Hub, actor: Actor, exercise_id: str) -> "ExportData":
    """The ExportData of an exercise (after the scores policy: partners and secondees only)."""
    from ..analysis import ScoreTable
    from ..protocol import parse_protocol
    from ..report import ExportData
    from ..run import RunManifest

    exercise, view = hub.exercise(actor, exercise_id)
    hub.check(actor, policy.see_samples(actor, view), "export.read", exercise_id)
    results = hub.results(actor, exercise_id)
    with transaction(hub.reads) as session:
        extra = (SampleScore.answer, SampleScore.explanation)
        rows = session.execute(current_scores(exercise_id, *extra).order_by(SampleScore.id)).all()
        manifests = {
            s.institute_id: RunManifest.model_validate(s.verification["run_manifest"])
            for s in session.scalars(
                select(Submission).where(Submission.exercise_id == exercise_id)
            )
        }
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    names = ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
    table = ScoreTable.from_columns(**dict(zip(names, columns[:8], strict=True)))
    protocol = parse_protocol(
        exercise.protocol_yaml, f"exercise {exercise_id}", Path("."), resolve_tasks=False
    )
    return ExportData(
        protocol=protocol,
        protocol_id=exercise.protocol_id,
        analysis=results["analysis"] or {"alpha": protocol.analysis.alpha},
        scores=table,
        manifests=manifests,
        answers=list(columns[8]),
        explanations=list(columns[9]),
        exercise=exercise_id,
    )


def _responses_seq(hub: Hub, actor: Actor, exercise_id: str) -> int:
    """The ledger entry of the latest developer response the actor may read (0: none)."""
    return max((r["ledger_seq"] for r in hub.responses(actor, exercise_id)), default=0)


def _submission_count(hub: Hub, exercise_id: str) -> int:
    with transaction(hub.reads) as session:
        query = select(func.count()).where(Submission.exercise_id == exercise_id)
        return int(session.scalar(query.select_from(Submission)) or 0)


def reports_router(hub: Hub) -> APIRouter:
    """The report and export routes of `hub`."""
    router = APIRouter(prefix=API)
    cache: OrderedDict[tuple[Any, ...], str] = OrderedDict()

    @router.get("/exercises/{exercise_id}/report")
    def report(
        exercise_id: str,
        format: Literal["html", "md", "json"] = Query("html"),
        authorization: Auth = None,
    ) -> Response:
        """The joint report (results policy), cached per submission count."""
        actor = hub.actor(authorization)
        exercise, view = hub.exercise(actor, exercise_id)
        scope = policy.results_scope(actor, view)
        acts = hub.agreement(actor, exercise_id)
        count = _submission_count(hub, exercise_id)
        key = (
            exercise_id,
            count,
            len(acts["history"]) + len(acts["amendments"]),
            exercise.state,
            scope.insider,
            format,
            scope.key(),  # a developer's review sees its own models only
            _responses_seq(hub, actor, exercise_id),
        )
        body = cache.get(key)
        if body is None:
            from ..report import build_report, render

            built, _ = build_report(report_inputs(hub, actor, exercise_id))
            body = render(built, format)
            cache[key] = body
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        cache.move_to_end(key)
        return Response(body, media_type=MEDIA[format], headers={"X-Accord-Cache": key_text(key)})

    @router.get("/exercises/{exercise_id}/export")
    def export(
        exercise_id: str,
        format: Literal["csv", "parquet", "eee"] = Query("parquet"),
        authorization: Auth = None,
    ) -> Response:
        """Per-sample scores and analysis tables as a zip of CSV, Parquet or EEE files."""
        from ..report import export_archive

        payload = export_archive(export_data(hub, hub.actor(authorization), exercise_id), format)
        filename = f"{exercise_id}-{format}.zip"
        return Response(
            payload,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return router


def key_text(key: tuple[Any, ...]) -> str:
    """The cache key as a header value (tests and operators see what a report was built from)."""
    return ";".join(str(part) for part in key)
