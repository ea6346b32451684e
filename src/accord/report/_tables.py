"""The report's tables as plain cells, shared by the HTML and Markdown renderers (and web pages).

Every identifier is shown in full; numbers are formatted in one place.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from ._model import (
    AgreementRow,
    Bounded,
    ComparisonRow,
    EstimateRow,
    FindingRow,
    ReplicationRow,
    RunProvenance,
)

DASH = "\u2013"  # en dash: a missing value
MINUS = "\u2212"


@dataclass(frozen=True)
class Table:
    """A titled table of text cells; `kinds` marks a cell's class (e.g. a verdict) per row."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    kinds: list[str]


def num(value: float | None, digits: int = 3) -> str:
    """A number to `digits` places, or an en dash when absent."""
    return "\u2013" if value is None else f"{value:.{digits}f}"


def interval(low: float | None, high: float | None) -> str:
    """`[low, high]`, or "no interval"."""
    return "no interval" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def p_value(value: float | None) -> str:
    """A p-value: four significant digits, `< 0.0001` below that."""
    if value is None:
        return "\u2013"
    return "< 0.0001" if value < 1e-4 else f"{value:.4g}"


def _notes(method: str | None, notes: Sequence[str]) -> str:
    return "; ".join([*([method] if method else []), *notes])


def _pooled(partner: str | None, partners: Sequence[str]) -> str:
    return partner if partner is not None else f"pooled ({', '.join(partners)})"


def estimates_table(task: str, rows: Sequence[EstimateRow], confidence: str) -> Table:
    """Estimates of one task."""
    return Table(
        id=f"estimates-{task}",
        title="Estimates",
        columns=[
            "scorer",
            "model",
            "partner",
            "n",
            "mean",
            "SE",
            f"{confidence} CI",
            "method / notes",
        ],
        rows=[
            [
                r.scorer,
                r.model,
                _pooled(r.partner, r.partners),
                str(r.n),
                num(r.mean),
                num(r.se),
                interval(r.ci_low, r.ci_high),
                _notes(r.method, r.notes),
            ]
            for r in rows
        ],
        kinds=["pooled" if r.partner is None else "" for r in rows],
    )


def comparisons_table(task: str, rows: Sequence[ComparisonRow], confidence: str) -> Table:
    """Differences vs references of one task."""
    return Table(
        id=f"comparisons-{task}",
        title="Differences vs references",
        columns=[
            "scorer",
            "model \u2212 reference",
            "partner",
            "n",
            "Δ",
            f"{confidence} CI",
            "p",
            "p adjusted",
            "method / notes",
        ],
        rows=[
            [
                r.scorer,
                f"{r.model} \u2212 {r.reference}",
                _pooled(r.partner, r.partners),
                str(r.n),
                num(r.delta),
                interval(r.ci_low, r.ci_high),
                p_value(r.p_value),
                p_value(r.p_adjusted) + (f" ({r.correction})" if r.correction else ""),
                _notes(r.method, r.notes),
            ]
            for r in rows
        ],
        kinds=["pooled" if r.partner is None else "" for r in rows],
    )


def replications_table(task: str, rows: Sequence[ReplicationRow], level: str) -> Table:
    """Cross-site reproducibility of one task; deviations named with their fields."""
    return Table(
        id=f"replications-{task}",
        title="Cross-site reproducibility",
        columns=[
            "scorer",
            "model",
            "partners",
            "n",
            "Δ",
            f"{level} CI",
            "margin",
            "p TOST",
            "verdict",
            "deviations / notes",
        ],
        rows=[
            [
                r.scorer,
                r.model,
                f"{r.partner_a} vs {r.partner_b}",
                str(r.n),
                num(r.delta),
                interval(r.ci_low, r.ci_high),
                f"±{r.margin:g}",
                p_value(r.p_tost),
                r.verdict,
                _notes("; ".join(f"differs in {d}" for d in r.deviations) or r.method, r.notes),
            ]
            for r in rows
        ],
        kinds=[r.verdict for r in rows],
    )


def _bounded(b: Bounded) -> str:
    return f"{num(b.value)} {interval(b.ci_low, b.ci_high)}" if b.value is not None else "\u2013"


def agreements_table(task: str, rows: Sequence[AgreementRow]) -> Table:
    """Grader agreement of one task."""
    return Table(
        id=f"agreements-{task}",
        title="Grader agreement",
        columns=[
            "model",
            "partner",
            "graders",
            "n",
            "agreement",
            "Cohen's \u03ba",
            "Krippendorff \u03b1 (nominal)",
            "Krippendorff \u03b1 (ordinal)",
        ],
        rows=[
            [
                r.model,
                r.partner,
                f"{r.grader_a} / {r.grader_b}",
                str(r.n),
                *(_bounded(b) for b in (r.percent, r.kappa, r.alpha_nominal, r.alpha_ordinal)),
            ]
            for r in rows
        ],
        kinds=["" for _ in rows],
    )


def findings_table(rows: Sequence[FindingRow]) -> Table:
    """Findings with their evidence."""
    return Table(
        id="findings",
        title="Findings",
        columns=["threshold", "finding", "condition", "status", "evidence"],
        rows=[
            [r.threshold, r.statement, r.when, r.status, "; ".join([r.evidence, *r.notes])]
            for r in rows
        ],
        kinds=[r.status.replace(" ", "-") for r in rows],
    )


def provenance_table(rows: Sequence[RunProvenance]) -> Table:
    """Each run's partner, versions, digests, bundle and signer."""
    return Table(
        id="provenance",
        title="Runs",
        columns=[
            "partner",
            "task",
            "model",
            "samples",
            "Inspect",
            "Accord",
            "dataset digest",
            "log SHA-256",
            "bundle SHA-256",
            "signer key id",
            "model snapshots",
            "tokens",
        ],
        rows=[
            [
                r.partner,
                r.task,
                r.model,
                "\u2013" if r.samples is None else str(r.samples),
                r.inspect_version or "\u2013",
                r.accord_version or "\u2013",
                r.dataset_digest or "\u2013",
                r.log_sha256 or "withheld",
                r.bundle_sha256 or "\u2013",
                r.signer_key_id or "\u2013",
                "; ".join(r.snapshots) or "\u2013",
                "; ".join(r.usage) or "\u2013",
            ]
            for r in rows
        ],
        kinds=["" for _ in rows],
    )
