"""`accord scores`, `accord submissions`, `accord audit`: a hub's records, every page of them."""

import csv
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import typer

from ._console import Column, print_json, print_table
from .hub import HubOption, JsonFlag, TokenOption, client

if TYPE_CHECKING:
    from ..hub import HubClient

PAGE = 5000
SCORE_FIELDS = (
    "id",
    "run_id",
    "institute_id",
    "task_id",
    "model_id",
    "sample_id",
    "epoch",
    "scorer",
    "value",
    "cluster",
    "answer",
    "explanation",
)


def score_pages(
    api: "HubClient", exercise: str, run: str | None, limit: int | None
) -> Iterator[dict[str, Any]]:
    """Every score of an exercise (or one run), fetched page by page with the `after` cursor."""
    after: int | None = None
    served = 0
    while limit is None or served < limit:
        size = PAGE if limit is None else min(PAGE, limit - served)
        params: dict[str, Any] = {"limit": size}
        if run is not None:
            params["run"] = run
        if after is not None:
            params["after"] = after
        page = api.call("GET", f"/exercises/{exercise}/scores", params=params)
        yield from page["items"]
        served += len(page["items"])
        if len(page["items"]) < size or page["next_after"] is None:
            return
        after = page["next_after"]


def scores_command(
    exercise: str = typer.Argument(..., help="Exercise id.", show_default=False),
    run: str | None = typer.Option(None, "--run", help="Only this run id (even if superseded)."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="At most this many scores [default: all]."
    ),
    csv_output: bool = typer.Option(False, "--csv", help="Print CSV on stdout."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Per-sample scores of an exercise (partners and secondees), every page of them.

    Without --run, the current runs' scores; superseded runs only when asked for by id.

    Example: `accord scores refusal-pilot --csv > scores.csv`
    """
    if csv_output and json_output:
        raise typer.BadParameter("choose one of --json and --csv", param_hint="--csv")
    items = score_pages(client(hub, token), exercise, run, limit)
    if csv_output:
        writer = csv.DictWriter(sys.stdout, SCORE_FIELDS, lineterminator="\n")
        writer.writeheader()
        for item in items:
            writer.writerow({k: item.get(k) for k in SCORE_FIELDS})
        return
    rows = list(items)
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("run", id=True),
            Column("partner", id=True),
            Column("task", id=True),
            Column("model", id=True),
            Column("sample", id=True),
            Column("epoch", justify="right"),
            "scorer",
            Column("value", justify="right"),
        ],
        [
            _pick(r, *("run_id", "institute_id", "task_id", "model_id", "sample_id"))
            + _pick(r, "epoch", "scorer", "value")
            for r in rows
        ],
        title=f"Scores of {exercise} ({len(rows)})",
    )


def submissions_command(
    exercise: str = typer.Argument(..., help="Exercise id.", show_default=False),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """An exercise's accepted submissions, current and superseded (partners and secondees).

    Example: `accord submissions refusal-pilot`
    """
    rows = client(hub, token).call("GET", f"/exercises/{exercise}/submissions")
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("submission", id=True),
            Column("partner", id=True),
            "current",
            Column("bundle sha256", id=True),
            Column("submitted", id=True),
            Column("submitter", id=True),
        ],
        [
            _pick(
                {**s, "current": "yes" if s["current"] else "superseded"},
                *("id", "institute_id", "current", "bundle_sha256", "submitted_at", "submitter_id"),
            )
            for s in rows
        ],
        title=f"Submissions to {exercise}",
    )


def audit_command(
    outcome: str | None = typer.Option(
        None, "--outcome", help="Only events with this outcome (deny, reject, allow)."
    ),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """The audit log: all of it for hub admins, their institute's for institute admins.

    Example: `accord audit --outcome deny --limit 20`
    """
    api = client(hub, token)
    rows: list[dict[str, Any]] = []
    while len(rows) < limit:
        params: dict[str, Any] = {"limit": min(PAGE, limit - len(rows)), "offset": len(rows)}
        if outcome is not None:
            params["outcome"] = outcome
        page = api.call("GET", "/audit", params=params)
        rows += page
        if len(page) < params["limit"]:
            break
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("at", id=True),
            Column("actor", id=True),
            Column("institute", id=True),
            Column("action", id=True),
            Column("target", id=True),
            "outcome",
            Column("detail", note=True),
        ],
        [
            _pick(e, "at", "actor", "institute_id", "action", "target", "outcome", "detail")
            for e in rows
        ],
        title="Audit log",
    )


def _pick(row: dict[str, Any], *keys: str) -> list[Any]:
    return [row.get(k) for k in keys]
