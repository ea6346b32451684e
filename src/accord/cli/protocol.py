"""`accord protocol`: write, check and inspect protocols."""

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..protocol import (
    Protocol,
    ProtocolError,
    ProtocolFile,
    load_protocol,
    partner_share,
    protocol_id,
    replications,
    require_partner,
    short_id,
    write_example,
)
from ._console import err, out, print_json

protocol_app = typer.Typer(
    help="Write, validate and inspect protocols (the agreed test plan).", no_args_is_help=True
)

ProtocolPath = typer.Argument(..., help="The protocol YAML file.", show_default=False)
JsonFlag = typer.Option(False, "--json", help="Print JSON on stdout instead of tables.")


@protocol_app.command("init")
def init(
    directory: Path = typer.Argument(Path("."), help="Where to write the files."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
) -> None:
    """Write a commented template protocol and an example task to edit.

    Example: `accord protocol init pilot/ && accord protocol validate pilot/protocol.yaml`
    """
    path = write_example(directory, overwrite=force)
    err.print(f"wrote {path} and its example task refusal_task.py in {directory}")
    err.print(f"next: edit it, then run `accord protocol validate {path}`")


@protocol_app.command("validate")
def validate(path: Path = ProtocolPath, json_output: bool = JsonFlag) -> None:
    """Check a protocol; print its id and a summary, or every problem (exit 2).

    Example: `accord protocol validate protocol.yaml`
    """
    try:
        loaded = load_protocol(path)
    except ProtocolError as ex:
        if not json_output:
            raise
        issues = [{"field": i.field, "line": i.line, "message": i.message} for i in ex.issues]
        print_json({"valid": False, "file": str(path), "issues": issues})
        raise typer.Exit(2) from None
    protocol = loaded.protocol
    if json_output:
        print_json({"valid": True, "file": str(path), **_summary(protocol)})
        return
    out.print(f"[green]valid[/] protocol [bold]{protocol.name}[/]")
    out.print(f"id: {protocol_id(protocol)}  (short: {short_id(protocol_id(protocol))})")
    table = Table("item", "value", title="Summary", show_header=False)
    for key, value in _summary(protocol).items():
        if key not in ("id", "name"):
            table.add_row(key, _text(value))
    out.print(table)


@protocol_app.command("show")
def show(
    path: Path = ProtocolPath,
    partner: str | None = typer.Option(None, "--partner", help="Show only this partner's share."),
    json_output: bool = JsonFlag,
) -> None:
    """Show the plan: which task x model runs each partner owes.

    Example: `accord protocol show protocol.yaml --partner inst-a`
    """
    loaded = load_protocol(path)
    plan = _plan(loaded, partner)
    if json_output:
        print_json({"id": protocol_id(loaded.protocol), "shares": plan})
        return
    protocol = loaded.protocol
    table = Table("partner", "task", "model", "epochs", "disclosure", "also run by")
    for row in plan:
        table.add_row(
            row["partner"],
            f"{row['task']} ({protocol.task(row['task']).task})",
            f"{row['model']} ({protocol.model(row['model']).model})",
            str(row["epochs"]),
            row["disclosure"],
            ", ".join(row["replicated_by"]) or "-",
        )
    out.print(f"[bold]{protocol.name}[/] {short_id(protocol_id(protocol))}")
    out.print(table)


@protocol_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of protocol files (for editors and other tools).

    Example: `accord protocol schema > protocol.schema.json`
    """
    print(json.dumps(Protocol.model_json_schema(), indent=2))


def _summary(protocol: Protocol) -> dict[str, Any]:
    owners = replications(protocol)
    return {
        "id": protocol_id(protocol),
        "name": protocol.name,
        "partners": [p.id for p in protocol.partners],
        "models": {m.id: f"{m.model} ({m.role})" for m in protocol.models},
        "tasks": {t.id: f"{t.task}, {t.epochs} epoch(s)" for t in protocol.tasks},
        "runs": sum(len(v) for v in owners.values()),
        "replicated_runs": sum(1 for v in owners.values() if len(v) > 1),
        "comparisons": [f"{a} vs {b}" for a, b in protocol.analysis.comparisons],
        "thresholds": [t.id for t in protocol.thresholds],
        "disclosure": {t.id: protocol.disclosure.level(t.id) for t in protocol.tasks},
        "embargo_until": protocol.embargo_until.isoformat() if protocol.embargo_until else None,
    }


def _plan(loaded: ProtocolFile, partner: str | None) -> list[dict[str, Any]]:
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


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None else str(value)
