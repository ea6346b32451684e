"""`accord analyze`: the shared statistical method over run directories."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from ._console import err, print_json, print_rich_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..analysis import AnalysisResult, Comparison, Correction, Estimate, Replication

ALL_PARTS = (
    "estimates",
    "comparisons",
    "replications",
    "agreements",
    "findings",
    "safeguards",
    "groups",
)


def analyze_command(
    run_dirs: list[Path] = typer.Argument(
        ..., help="Run directories (one per partner).", show_default=False
    ),
    protocol: Path | None = typer.Option(
        None, "--protocol", help="The protocol: comparisons, clusters, margin, thresholds."
    ),
    correction: str | None = typer.Option(
        None,
        "--correction",
        help="Multiple-testing correction: holm, bh or none [default: the protocol's].",
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Print JSON on stdout instead of tables."
    ),
) -> None:
    """Estimates with CIs, paired comparisons, reproducibility, grader agreement, findings.

    Tasks with `groups:` in the protocol get the same per subgroup (`task: key=value`).

    Example: `accord analyze runs/ab12/inst-a runs/ab12/inst-b --protocol protocol.yaml`
    """
    from ..analysis import analyze, load_runs
    from ..protocol import load_protocol

    # Analysis never runs a task: a protocol fetched from a hub need not have its task files.
    loaded = load_protocol(protocol, resolve_tasks=False).protocol if protocol else None
    if correction is not None and correction not in ("holm", "bh", "none"):
        raise typer.BadParameter("use holm, bh or none", param_hint="--correction")
    table, manifests = load_runs(run_dirs, loaded)
    method: Correction | None = correction  # type: ignore[assignment]
    result = analyze(table, loaded, manifests, correction=method)
    if json_output:
        print_json(result.model_dump(mode="json"))
        return
    print_tables(result)


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def print_tables(result: AnalysisResult, parts: tuple[str, ...] = ALL_PARTS) -> None:
    """Rich tables of the chosen parts of an analysis (all by default)."""
    level = f"{1 - result.alpha:.0%}"
    if "estimates" in parts:
        print_rich_table(_estimates_table(result, level))
    if "comparisons" in parts and result.comparisons:
        print_rich_table(_comparisons_table(result, level))
    if "replications" in parts and result.replications:
        print_rich_table(_replications_table(result))
    if "agreements" in parts and result.agreements:
        print_rich_table(_agreements_table(result))
    if "safeguards" in parts and result.safeguards:
        print_rich_table(_safeguards_table(result, level))
    if "findings" in parts and result.findings:
        print_rich_table(_findings_table(result))
    if "groups" in parts and result.group_estimates:
        by = " by subgroup (task: key=value)"
        print_rich_table(_estimates_table(result, level, result.group_estimates, by))
    if "groups" in parts and result.group_comparisons:
        by = " by subgroup (corrected per task and key)"
        print_rich_table(_comparisons_table(result, level, result.group_comparisons, by))
    if "groups" in parts and result.group_replications:
        print_rich_table(_replications_table(result, result.group_replications, " by subgroup"))
    if "groups" in parts:
        for note in result.group_notes:
            err.print(f"[yellow]note[/]: {note}", highlight=False)


def _task(row: Estimate | Comparison | Replication) -> str:
    return row.task if row.group is None else f"{row.task}: {row.group}"


def _estimates_table(
    result: AnalysisResult, level: str, rows: Sequence[Estimate] | None = None, by: str = ""
) -> Table:
    table = Table(
        "task",
        "model",
        "scorer",
        "partner",
        "n",
        "mean",
        "se",
        f"{level} CI",
        "method",
        "note",
        title="Estimates" + by,
    )
    for e in result.estimates if rows is None else rows:
        table.add_row(
            _task(e),
            e.model,
            e.scorer,
            e.partner or "pooled: " + ", ".join(e.partners),
            str(e.n),
            _num(e.mean),
            _num(e.se),
            _ci(e.ci_low, e.ci_high),
            _method(e.method, e.clusters, e.n_effective),
            _notes(e.note, e.warnings),
        )
    return table


def _safeguards_table(result: AnalysisResult, level: str) -> Table:
    table = Table(
        "task",
        "system",
        "partner",
        f"blocks harmful (efficacy), {level} CI",
        f"blocks benign (over-blocking), {level} CI",
        "blocks any",
        "note",
        title="Safeguard efficacy",
    )

    def rate(e: Estimate | None) -> str:
        if e is None:
            return "-"
        return f"{_num(e.mean)} {_ci(e.ci_low, e.ci_high)} n={e.n} ({e.method})"

    for row in result.safeguards:
        table.add_row(
            row.task,
            row.model,
            row.partner or "pooled: " + ", ".join(row.partners),
            rate(row.efficacy),
            rate(row.over_blocking),
            rate(row.blocked),
            row.note or "",
        )
    return table


def _method(method: str, clusters: int | None, n_effective: float | None) -> str:
    details = [f"{clusters} clusters"] if clusters else []
    details += [f"n_eff {n_effective:.1f}"] if n_effective is not None else []
    return method + (f" ({', '.join(details)})" if details else "")


def _notes(note: str | None, warnings: list[str]) -> str:
    return "; ".join([*(f"[yellow]warning:[/] {w}" for w in warnings), *([note] if note else [])])


def _comparisons_table(
    result: AnalysisResult, level: str, rows: Sequence[Comparison] | None = None, by: str = ""
) -> Table:
    table = Table(
        "task",
        "scorer",
        "model - reference",
        "partner",
        "n",
        "delta",
        f"{level} CI",
        "method",
        "p",
        "p adj.",
        "adjusted CI",
        "note",
        title="Comparisons" + by,
    )
    for c in result.comparisons if rows is None else rows:
        adjusted = f"{_num(c.p_adjusted, 4)} ({c.correction})" if c.p_adjusted is not None else "-"
        simultaneous = (
            f"{_ci(c.adjusted_ci_low, c.adjusted_ci_high)} ({c.adjusted_level:.1%})"
            if c.adjusted_level is not None
            else "-"
        )
        note = ("paired" if c.paired else "UNPAIRED") + (f"; {c.note}" if c.note else "")
        table.add_row(
            _task(c),
            c.scorer,
            f"{c.model} - {c.reference}",
            c.partner or "pooled: " + ", ".join(c.partners),
            str(c.n),
            _num(c.delta),
            _ci(c.ci_low, c.ci_high),
            _method(c.method, c.clusters, c.n_effective),
            _num(c.p_value, 4),
            adjusted,
            simultaneous,
            _notes(note, c.warnings),
        )
    return table


def _replications_table(
    result: AnalysisResult, rows: Sequence[Replication] | None = None, by: str = ""
) -> Table:
    table = Table(
        "task",
        "model",
        "scorer",
        "partners",
        "n",
        "delta",
        f"{1 - 2 * result.alpha:.0%} CI",
        "method",
        "margin",
        "p TOST",
        "verdict",
        "note",
        title="Cross-site reproducibility" + by,
    )
    for r in result.replications if rows is None else rows:
        style = {"consistent": "green", "inconsistent": "red", "deviation": "red"}.get(
            r.verdict, "yellow"
        )
        verdict = f"[{style}]{r.verdict}[/]" + (
            f": {'; '.join(r.deviations)}" if r.deviations else ""
        )
        table.add_row(
            _task(r),
            r.model,
            r.scorer,
            f"{r.partner_a} vs {r.partner_b}",
            str(r.n),
            _num(r.delta),
            _ci(r.ci_low, r.ci_high),
            _method(r.method, None, r.n_effective),
            f"±{r.margin:g}",
            _num(r.p_tost, 4),
            verdict,
            _notes(r.note, r.warnings),
        )
    return table


def _agreements_table(result: AnalysisResult) -> Table:
    table = Table(
        "task",
        "model",
        "partner",
        "graders",
        "n",
        "resampled",
        "agreement",
        "kappa",
        "alpha (nominal)",
        "alpha (ordinal)",
        title="Grader agreement",
    )
    for a in result.agreements:
        cells = [
            f"{_num(i.value)} {_ci(i.ci_low, i.ci_high)}"
            for i in (a.percent, a.kappa, a.alpha_nominal, a.alpha_ordinal)
        ]
        table.add_row(
            a.task,
            a.model,
            a.partner,
            f"{a.grader_a} / {a.grader_b}",
            str(a.n),
            a.resampled,
            *cells,
        )
    return table


def _findings_table(result: AnalysisResult) -> Table:
    table = Table("threshold", "finding", "status", "evidence", "reason", title="Findings")
    for f in result.findings:
        style = {"supported": "green", "not supported": "dim"}.get(f.status, "yellow")
        reason = f.reason if f.status != "no data" else ""
        table.add_row(f.threshold, f.statement, f"[{style}]{f.status}[/]", f.evidence, reason or "")
    return table
