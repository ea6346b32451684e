"""`accord protocol`: write, check and inspect protocols."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ._console import Column, err, out, print_json, print_table

if TYPE_CHECKING:
    from ..protocol import Protocol, ProtocolFile

protocol_app = typer.Typer(
    help="Write, validate and inspect protocols (the agreed test plan).", no_args_is_help=True
)

ProtocolPath = typer.Argument(
    ..., help="The protocol YAML file.", show_default=False, metavar="PROTOCOL"
)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")


@protocol_app.command("init")
def init(
    directory: Path = typer.Argument(Path("."), help="Where to write the files."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
    json_output: bool = JsonFlag,
) -> None:
    """Write a commented template protocol and an example task to edit.

    Example: `accord protocol init pilot/ && accord protocol validate pilot/protocol.yaml`
    """
    from ..protocol import write_example

    path = write_example(directory, overwrite=force)
    if json_output:
        print_json({"protocol": str(path), "task": str(path.parent / "refusal_task.py")})
        return
    err.print(f"wrote {path} and its example task refusal_task.py in {directory}")
    err.print(f"next: edit it, then run `accord protocol validate {path}`")


@protocol_app.command("validate")
def validate(path: Path = ProtocolPath, json_output: bool = JsonFlag) -> None:
    """Check a protocol; print its id and a summary, or every problem (exit 2).

    Every task reference is resolved where it can be without running task code: files
    statically, registry names among the tasks their package registers with Inspect. Any
    that cannot be checked here are listed, with the reason.

    Example: `accord protocol validate protocol.yaml`
    """
    from ..protocol import ProtocolError, load_protocol, protocol_id, short_id

    try:
        loaded = load_protocol(path)
    except ProtocolError as ex:
        if not json_output:
            raise
        issues = [{"field": i.field, "line": i.line, "message": i.message} for i in ex.issues]
        print_json({"valid": False, "file": str(path), "issues": issues})
        raise typer.Exit(2) from None
    protocol = loaded.protocol
    summary = _summary(loaded)
    if json_output:
        print_json({"valid": True, "file": str(path), **summary})
        return
    pid = protocol_id(protocol)
    out.print(f"[green]valid[/] protocol [bold]{protocol.name}[/]", highlight=False)
    out.print(f"id: {pid}  (short: {short_id(pid)})", highlight=False, soft_wrap=True)
    print_table(
        [Column("item", id=True), "value"],
        [[key, _text(key, value)] for key, value in summary.items() if key not in ("id", "name")],
        title="Summary",
    )
    for task in summary["tasks"]:
        if task["check"]["status"] == "unchecked":
            err.print(
                f"[yellow]not checked[/]: task {task['id']} ({task['task']}): "
                f"{task['check']['detail']}",
                highlight=False,
                soft_wrap=True,
            )


@protocol_app.command("show")
def show(
    path: Path = ProtocolPath,
    partner: str | None = typer.Option(None, "--partner", help="Show only this partner's share."),
    json_output: bool = JsonFlag,
) -> None:
    """Show the plan: which task x model runs each partner owes, and each subject's fingerprint.

    Example: `accord protocol show protocol.yaml --partner inst-a`
    """
    from ..protocol import load_protocol, protocol_id, short_id

    loaded = load_protocol(path)
    plan = _plan(loaded, partner)
    subjects = _subjects(loaded)
    roles = _roles(loaded.protocol)
    if json_output:
        print_json(
            {
                "id": protocol_id(loaded.protocol),
                "shares": plan,
                "subjects": subjects,
                "roles": roles,
            }
        )
        return
    protocol = loaded.protocol
    out.print(f"[bold]{protocol.name}[/] {short_id(protocol_id(protocol))}", highlight=False)
    print_table(
        [
            Column("partner", id=True),
            Column("task", id=True),
            Column("task reference", id=True),
            Column("model", id=True),
            Column("model string", id=True),
            "epochs",
            "disclosure",
            "also run by",
        ],
        [
            [
                row["partner"],
                row["task"],
                protocol.task(row["task"]).task,
                row["model"],
                protocol.model(row["model"]).model,
                row["epochs"],
                row["disclosure"],
                ", ".join(row["replicated_by"]),
            ]
            for row in plan
        ],
    )
    print_table(
        [Column("model", id=True), "kind", "role", "defined by", Column("fingerprint", id=True)],
        [
            [s["id"], s["kind"], s["role"], ", ".join(s["parts"]), s["fingerprint"]]
            for s in subjects
        ],
        title="Subjects",
    )
    if roles:
        print_table(
            [
                Column("task", id=True),
                Column("role", id=True),
                Column("role model", id=True),
                Column("model string", id=True),
            ],
            [[r["task"], r["role"], r["role_model"], r["model"]] for r in roles],
            title="Model roles",
        )


@protocol_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of protocol files (for editors and other tools).

    Example: `accord protocol schema > protocol.schema.json`
    """
    from ..protocol import Protocol

    print(json.dumps(Protocol.model_json_schema(), indent=2))


def _summary(loaded: ProtocolFile) -> dict[str, Any]:
    """The protocol's summary as structured data (the JSON of `validate --json`)."""
    from ..protocol import check_task_ref, parse_task_ref, protocol_id, replications

    protocol = loaded.protocol
    owners = replications(protocol)
    tasks = []
    for task in protocol.tasks:
        check = check_task_ref(parse_task_ref(task.task, loaded.base_dir))
        tasks.append(
            {
                "id": task.id,
                "task": task.task,
                "epochs": task.epochs,
                "disclosure": protocol.disclosure.level(task.id),
                "check": {"status": check.status, "detail": check.detail},
            }
        )
    return {
        "id": protocol_id(protocol),
        "name": protocol.name,
        "partners": [p.id for p in protocol.partners],
        "models": [{"id": m.id, "model": m.model, "role": m.role} for m in protocol.models],
        "tasks": tasks,
        "runs": sum(len(v) for v in owners.values()),
        "replicated_runs": sum(1 for v in owners.values() if len(v) > 1),
        "comparisons": [{"model": a, "reference": b} for a, b in protocol.analysis.comparisons],
        "thresholds": [t.id for t in protocol.thresholds],
        "embargo_until": protocol.embargo_until.isoformat() if protocol.embargo_until else None,
        "allow_trial_submissions": protocol.allow_trial_submissions,
    }


def _plan(loaded: ProtocolFile, partner: str | None) -> list[dict[str, Any]]:
    from ..protocol import partner_share, replications, require_partner

    protocol = loaded.protocol
    if partner is not None:
        require_partner(protocol, partner)
    owners = replications(protocol)
    rows = []
    for p in protocol.partners:
        if partner is not None and p.id != partner:
            continue
        for item in partner_share(protocol, p.id):
            rows.append(
                {
                    "partner": p.id,
                    "task": item.task,
                    "model": item.model,
                    "epochs": protocol.task(item.task).epochs,
                    "disclosure": protocol.disclosure.level(item.task),
                    "replicated_by": [o for o in owners[item] if o != p.id],
                }
            )
    return rows


def _subjects(loaded: ProtocolFile) -> list[dict[str, Any]]:
    """Each subject's kind and fingerprint (docs/subjects.md)."""
    from ..protocol import subject_fingerprint

    rows = []
    for spec in loaded.protocol.models:
        fingerprint = subject_fingerprint(spec, loaded.base_dir)
        rows.append(
            {
                "id": spec.id,
                "kind": spec.kind,
                "role": spec.role,
                "model": spec.model,
                "fingerprint": fingerprint.digest,
                "parts": fingerprint.parts,
            }
        )
    return rows


def _text(key: str, value: Any) -> str:
    """A summary value as one table cell, for a person."""
    if key == "models":
        return "\n".join(f"{m['id']}: {m['model']} ({m['role']})" for m in value)
    if key == "tasks":
        return "\n".join(
            f"{t['id']}: {t['task']}, {t['epochs']} epoch(s), {t['disclosure']}, "
            f"{t['check']['status']}"
            for t in value
        )
    if key == "comparisons":
        return ", ".join(f"{c['model']} vs {c['reference']}" for c in value) or "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value is None else str(value)


def _roles(protocol: Protocol) -> list[dict[str, Any]]:
    """Each task's Inspect model roles and the helper model bound to each."""
    return [
        {
            "task": task.id,
            "role": role,
            "role_model": role_model_id,
            "model": protocol.role_model(role_model_id).model,
        }
        for task in protocol.tasks
        for role, role_model_id in sorted(task.roles.items())
    ]
