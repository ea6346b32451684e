"""The one place that reads analysis results (typed or as JSON) into the report's rows.

The analysis grows fields over time (per-row `method`, `note`, `reason`, `warnings`): they are
read here with defaults, and any that are present are shown in the row's notes.
"""

from collections.abc import Mapping
from typing import Any

from ._model import (
    AgreementRow,
    Bounded,
    ComparisonRow,
    EstimateRow,
    FindingRow,
    ReplicationRow,
)

Row = Mapping[str, Any]
_NOTE_FIELDS = ("note", "reason")


def _notes(row: Row) -> list[str]:
    notes = [str(row[key]) for key in _NOTE_FIELDS if row.get(key)]
    warnings = row.get("warnings") or []
    notes.extend(str(w) for w in (warnings if isinstance(warnings, list) else [warnings]))
    low, high = row.get("adjusted_ci_low"), row.get("adjusted_ci_high")
    if low is not None and high is not None and row.get("adjusted_level") is not None:
        level = float(row["adjusted_level"])
        notes.append(
            f"{level:.1%} interval adjusted for multiple comparisons ({row.get('correction')}): "
            f"[{float(low):.3f}, {float(high):.3f}]"
        )
    needed = row.get("needed_n")
    if needed and not any("would decide" in note for note in notes):
        notes.append(f"about {int(needed):,} samples would decide this verdict")
    return list(dict.fromkeys(notes))


def _method(row: Row) -> str | None:
    method = row.get("method")
    if method is None:
        return None
    clusters = row.get("clusters")
    return f"{method} ({clusters} clusters)" if clusters else str(method)


def _float(row: Row, key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)


def estimate(row: Row) -> EstimateRow:
    """A report row of an analysis estimate."""
    notes = _notes(row)
    return EstimateRow(
        task=row["task"],
        model=row["model"],
        scorer=row["scorer"],
        partner=row.get("partner"),
        partners=list(row.get("partners") or []),
        n=int(row["n"]),
        mean=float(row["mean"]),
        se=_float(row, "se"),
        ci_low=_float(row, "ci_low"),
        ci_high=_float(row, "ci_high"),
        method=_method(row),
        notes=notes,
        group=row.get("group"),
    )


def comparison(row: Row) -> ComparisonRow:
    """A report row of a model-vs-reference comparison."""
    method = _method(row) or ("paired" if row.get("paired", True) else "unpaired")
    return ComparisonRow(
        task=row["task"],
        scorer=row["scorer"],
        model=row["model"],
        reference=row["reference"],
        partner=row.get("partner"),
        partners=list(row.get("partners") or []),
        paired=bool(row.get("paired", True)),
        n=int(row["n"]),
        delta=float(row["delta"]),
        se=_float(row, "se"),
        ci_low=_float(row, "ci_low"),
        ci_high=_float(row, "ci_high"),
        p_value=_float(row, "p_value"),
        p_adjusted=_float(row, "p_adjusted"),
        correction=row.get("correction"),
        method=method,
        notes=_notes(row),
        group=row.get("group"),
    )


def replication(row: Row) -> ReplicationRow:
    """A report row of a cross-site reproducibility check."""
    return ReplicationRow(
        task=row["task"],
        model=row["model"],
        scorer=row["scorer"],
        partner_a=row["partner_a"],
        partner_b=row["partner_b"],
        deviations=list(row.get("deviations") or []),
        paired=bool(row.get("paired", True)),
        n=int(row["n"]),
        delta=_float(row, "delta"),
        ci_low=_float(row, "ci_low"),
        ci_high=_float(row, "ci_high"),
        margin=float(row["margin"]),
        p_tost=_float(row, "p_tost"),
        verdict=str(row["verdict"]),
        method=_method(row) or "TOST",
        notes=_notes(row),
        group=row.get("group"),
    )


def _bounded(value: Any) -> Bounded:
    value = value or {}
    return Bounded(
        value=_float(value, "value"),
        ci_low=_float(value, "ci_low"),
        ci_high=_float(value, "ci_high"),
    )


def agreement(row: Row) -> AgreementRow:
    """A report row of grader agreement."""
    return AgreementRow(
        task=row["task"],
        model=row["model"],
        partner=row["partner"],
        grader_a=row["grader_a"],
        grader_b=row["grader_b"],
        n=int(row["n"]),
        percent=_bounded(row.get("percent")),
        kappa=_bounded(row.get("kappa")),
        alpha_nominal=_bounded(row.get("alpha_nominal")),
        alpha_ordinal=_bounded(row.get("alpha_ordinal")),
        notes=_notes(row),
    )


def finding(row: Row, confidence: str) -> FindingRow:
    """A report row of a finding, with its one-sentence summary."""
    notes = _notes(row)
    status = str(row["status"])
    quantity = "delta" if row.get("compare_to") else "estimate"
    interval = (
        f"{quantity} = {row['value']:.3f}, {confidence} CI "
        f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
        if row.get("value") is not None
        and row.get("ci_low") is not None
        and row.get("ci_high") is not None
        else "no interval"
    )
    lead = {
        "supported": "Supported",
        "not supported": "Not supported",
        "inconclusive": "Inconclusive",
    }.get(status, status.capitalize())
    sentence = f"{lead}: {row['statement']} (when {row['when']}; {interval})."
    if status == "inconclusive":
        why = "; ".join(notes) or "the interval straddles the threshold"
        sentence = sentence[:-1] + f"; more data is needed: {why}."
    return FindingRow(
        threshold=row["threshold"],
        statement=row["statement"],
        status=status,
        task=row["task"],
        model=row["model"],
        compare_to=row.get("compare_to"),
        when=row["when"],
        value=_float(row, "value"),
        ci_low=_float(row, "ci_low"),
        ci_high=_float(row, "ci_high"),
        partners=list(row.get("partners") or []),
        evidence=str(row.get("evidence") or ""),
        sentence=sentence,
        notes=notes,
    )
