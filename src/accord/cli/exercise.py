"""`accord exercise`, `accord submit`, `accord results`: working with a hub over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ._console import Column, out, print_json, print_table
from .analyze import print_tables
from .hub import HubOption, JsonFlag, TokenOption, _show, _table, client

if TYPE_CHECKING:
    from ..hub import HubClient

exercise_app = typer.Typer(help="Create, list and move exercises on a hub.", no_args_is_help=True)


@exercise_app.command("create")
def create(
    protocol: Path = typer.Argument(
        ..., help="The protocol YAML file, or a test package (*.accordpkg).", show_default=False
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Create an exercise (a draft) from a protocol, or from a test package.

    From a package, the package is attached too: partners fetch it with
    `accord fetch EXERCISE --package`, and runs of other code are flagged as deviations.

    Example: `accord exercise create protocol.yaml --hub http://127.0.0.1:8000`
    """
    from ..protocol import load_protocol

    if protocol.name.endswith(".accordpkg"):
        from .package_hub import create_from_package

        _show(create_from_package(protocol, hub, token), json_output)
        return

    load_protocol(protocol, resolve_tasks=False)  # fail here, with lines, before the hub does
    _show(
        client(hub, token).call(
            "POST", "/exercises", json={"protocol_yaml": protocol.read_text(encoding="utf-8")}
        ),
        json_output,
    )


@exercise_app.command("list")
def list_exercises(
    hub: str | None = HubOption, token: str | None = TokenOption, json_output: bool = JsonFlag
) -> None:
    """List the exercises you may see.

    Example: `accord exercise list`
    """
    rows = client(hub, token).call("GET", "/exercises")
    _table(
        rows,
        ("id", "state", "protocol_id", "embargo_until", "published_at"),
        "Exercises",
        json_output,
    )


@exercise_app.command("status")
def status(
    exercise: str = typer.Argument(..., help="Exercise id.", show_default=False),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Who owes what: partner x task x model, owed or submitted, and what blocks closing.

    Partners and secondees also see each cell's submission, bundle digest, submitter and
    the submissions it superseded.

    Example: `accord exercise status refusal-pilot`
    """
    from ._console import Column, print_table

    data = client(hub, token).call("GET", f"/exercises/{exercise}/status")
    if json_output:
        print_json(data)
        return
    print_table(
        [
            Column("partner", id=True),
            Column("task", id=True),
            Column("model", id=True),
            "state",
            Column("submitted", id=True),
            Column("submission", id=True),
            Column("by", id=True),
            Column("superseded", justify="right"),
            Column("deviation", note=True),
        ],
        [
            [
                c["partner"],
                c["task_id"],
                c["model_id"],
                c["state"],
                c["submitted_at"],
                c.get("submission_id"),
                c.get("submitter_id"),
                len(c["superseded"]) if "superseded" in c else None,
                "; ".join(c["deviations"]),
            ]
            for c in data["cells"]
        ],
        title=f"{exercise} ({data['state']}): {data['submitted']} submitted, {data['owed']} owed",
    )
    for reason in data["blocking"]:
        out.print(f"[yellow]blocks closing[/]: {reason}", highlight=False)
    if not data["blocking"]:
        out.print("[green]nothing blocks closing[/]")


def _transition(verb: str) -> None:
    def command(
        exercise: str = typer.Argument(..., help="Exercise id.", show_default=False),
        hub: str | None = HubOption,
        token: str | None = TokenOption,
        json_output: bool = JsonFlag,
    ) -> None:
        _show(client(hub, token).call("POST", f"/exercises/{exercise}/{verb}"), json_output)

    command.__doc__ = (
        f"{verb.capitalize()} an exercise (draft -> open -> closed -> published).\n\n"
        f"Example: `accord exercise {verb} refusal-pilot`"
    )
    exercise_app.command(verb)(command)


for _verb in ("open", "close", "publish"):
    _transition(_verb)


def submit_command(
    bundle: Path = typer.Argument(
        ...,
        help="The bundle file (*.accord).",
        show_default=False,
        exists=True,
        dir_okay=False,
        metavar="BUNDLE",
    ),
    exercise: str | None = typer.Option(
        None,
        "--exercise",
        "-e",
        help="Exercise id [default: the one running the bundle's protocol].",
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Submit a signed bundle to an exercise; the hub verifies and ingests it.

    Without --exercise, the exercise is the one (visible to you) whose protocol the bundle
    follows. Submitting the same bundle again is harmless (the stored submission is returned).

    Example: `accord submit inst-a-ab12.accord`
    """
    api = client(hub, token)
    result = api.submit(exercise or _exercise_for(api, bundle), bundle)
    if json_output:
        print_json(result)
        return
    verb = "accepted" if result["created"] else "already accepted (same bundle)"
    out.print(
        f"[green]{verb}[/]: submission {result['id']} from {result['institute_id']}",
        highlight=False,
        soft_wrap=True,
    )
    for deviation in result["deviations"]:
        out.print(f"[yellow]deviation[/]: {deviation}", highlight=False, soft_wrap=True)


def _exercise_for(api: HubClient, bundle: Path) -> str:
    from .._util import InputError
    from ..bundle import open_bundle, read_document

    with open_bundle(bundle) as opened:
        document, _, _ = read_document(opened)
    matches = [
        e["id"] for e in api.call("GET", "/exercises") if e["protocol_id"] == document.protocol_id
    ]
    if len(matches) != 1:
        found = ", ".join(matches) or "none"
        raise InputError(
            f"cannot tell which exercise {bundle} is for (protocol {document.protocol_id}; "
            f"matching exercises: {found}); pass --exercise"
        )
    return str(matches[0])


def results_command(
    exercise: str = typer.Argument(..., help="Exercise id.", show_default=False),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Show an exercise's results: runs, deviations, the analysis and the ledger head.

    Example: `accord results refusal-pilot --json`
    """
    data = client(hub, token).call("GET", f"/exercises/{exercise}/results")
    if json_output:
        print_json(data)
        return
    print_table(
        [
            Column("institute", id=True),
            Column("task", id=True),
            Column("model", id=True),
            Column("samples", justify="right"),
            Column("dataset digest", id=True),
        ],
        [
            [r["institute_id"], r["task_id"], r["model_id"], r["samples"], r["dataset_digest"]]
            for r in data["runs"]
        ],
        title=f"Runs of {exercise} ({data['state']})",
    )
    for deviation in data["deviations"]:
        out.print(f"[yellow]deviation[/]: {deviation['detail']}", highlight=False, soft_wrap=True)
    if data["analysis"]:
        from ..analysis import AnalysisResult

        print_tables(AnalysisResult.model_validate(data["analysis"]))
    out.print(f"ledger head: {data['ledger_head']}", highlight=False, soft_wrap=True)
