"""Build the report model from its inputs: sections, summary, methodology, caveats."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from ..protocol import Protocol, parse_when
from . import _adapt as adapt
from ._anonymise import anonymise
from ._charts import with_charts
from ._inputs import ReportInputs
from ._model import (
    FindingRow,
    Methodology,
    ModelInfo,
    PartnerInfo,
    Provenance,
    Report,
    TaskSection,
)


def build_report(
    inputs: ReportInputs,
    *,
    anonymise_models: bool = False,
    title: str | None = None,
    generated_at: datetime | None = None,
) -> tuple[Report, dict[str, str]]:
    """The joint report of an exercise, and the model anonymisation map (empty if not asked).

    Args:
        inputs: Protocol, analysis and provenance (`from_run_dirs`, or the hub's).
        anonymise_models: Replace every model id and model string with "Model A", "Model B",
            ... (in protocol order) throughout the report, the protocol appendix included.
        title: The report's title (default: "Joint report: <protocol name>").
        generated_at: When the report was made (default: now, UTC).
    """
    protocol, analysis = inputs.protocol, inputs.analysis
    alpha = float(analysis.get("alpha", protocol.analysis.alpha))
    confidence = f"{1 - alpha:.0%}"
    findings = [adapt.finding(f, confidence) for f in analysis.get("findings", [])]
    sections = [_section(protocol, inputs, t.id) for t in protocol.tasks]
    starts = sorted(r.started_at for r in inputs.runs if r.started_at)
    ends = sorted(r.completed_at for r in inputs.runs if r.completed_at)
    published = inputs.state == "published"
    embargo = protocol.embargo_until.isoformat() if protocol.embargo_until else None
    report = Report(
        title=title or f"Joint report: {protocol.name}",
        exercise=inputs.exercise,
        protocol_name=protocol.name,
        protocol_id=inputs.protocol_id,
        description=protocol.description,
        partners=[PartnerInfo(id=p.id, name=p.name) for p in protocol.partners],
        models=[ModelInfo(id=m.id, model=m.model, role=m.role) for m in protocol.models],
        generated_at=generated_at or datetime.now(UTC),
        runs_started=starts[0] if starts else None,
        runs_finished=ends[-1] if ends else None,
        published_at=inputs.published_at,
        embargo_until=embargo,
        state="published" if published else "draft",
        state_note=_state_note(inputs, embargo),
        anonymised=False,
        summary=findings,
        methodology=_methodology(protocol, inputs, alpha, confidence),
        tasks=sections,
        caveats=_caveats(protocol, inputs, findings, confidence),
        provenance=Provenance(
            source=inputs.source,
            hub_url=inputs.hub_url,
            ledger_head=inputs.ledger_head,
            runs=list(inputs.runs),
            deviations=list(inputs.deviations),
            agreement=list(inputs.agreement),
            amendments=list(inputs.amendments),
            developer_responses=list(inputs.developer_responses),
        ),
        protocol_yaml=inputs.protocol_yaml,
    )
    if anonymise_models:
        return anonymise(report)
    return with_charts(report), {}


def _section(protocol: Protocol, inputs: ReportInputs, task_id: str) -> TaskSection:
    spec = protocol.task(task_id)
    analysis = inputs.analysis

    def rows(part: str) -> list[dict[str, object]]:
        return [r for r in analysis.get(part, []) if r["task"] == task_id]

    return TaskSection(
        task=task_id,
        inspect_task=spec.task,
        epochs=spec.epochs,
        cluster=spec.cluster,
        disclosure=protocol.disclosure.tasks.get(task_id, protocol.disclosure.default),
        estimates=[adapt.estimate(r) for r in rows("estimates")],
        comparisons=[adapt.comparison(r) for r in rows("comparisons")],
        replications=[adapt.replication(r) for r in rows("replications")],
        agreements=[adapt.agreement(r) for r in rows("agreements")],
        thresholds=[t.id for t in protocol.thresholds if t.task == task_id],
        estimate_bounds=_threshold_values(protocol, task_id, False),
        delta_bounds=_threshold_values(protocol, task_id, True),
        group_estimates=[adapt.estimate(r) for r in rows("group_estimates")],
        group_comparisons=[adapt.comparison(r) for r in rows("group_comparisons")],
        group_replications=[adapt.replication(r) for r in rows("group_replications")],
    )


def _bounds(condition: Any, variable: str) -> Iterator[float]:
    """The numbers `variable` is compared with anywhere in a parsed `when` expression."""
    if getattr(condition, "variable", None) == variable:
        yield float(condition.value)
    for operand in (getattr(condition, "operand", None), *getattr(condition, "operands", ())):
        if operand is not None:
            yield from _bounds(operand, variable)


def _threshold_values(protocol: Protocol, task: str, compared: bool) -> list[float]:
    variable = "delta" if compared else "estimate"
    return sorted(
        {
            value
            for t in protocol.thresholds
            if t.task == task and (t.compare_to is not None) == compared
            for value in _bounds(parse_when(t.when), variable)
        }
    )


def _state_note(inputs: ReportInputs, embargo: str | None) -> str:
    if inputs.state == "published":
        note = f"Published results (exercise '{inputs.exercise}')."
    elif inputs.source == "hub":
        note = (
            f"Draft results: exercise '{inputs.exercise}' is {inputs.state}, not published; "
            "for the partners only."
        )
    else:
        note = "Draft results from run directories, not published on a hub; for the partners only."
    if embargo:
        note += f" Embargoed until {embargo}: not to be made public before then."
    return note


def _methodology(
    protocol: Protocol, inputs: ReportInputs, alpha: float, confidence: str
) -> Methodology:
    plan = protocol.analysis
    analysis = inputs.analysis
    used = sorted(
        {str(e.get("method")) for e in analysis.get("estimates", []) if e.get("method")}
        | {
            ("paired" if c.get("paired", True) else "unpaired (Welch)") + " difference"
            for c in analysis.get("comparisons", [])
        }
        | ({"TOST equivalence"} if analysis.get("replications") else set())
        | ({"bootstrap agreement"} if analysis.get("agreements") else set())
    )
    clustered = [f"{t.id} by `{t.cluster}`" for t in protocol.tasks if t.cluster]
    epochs = ", ".join(f"{t.id} {t.epochs}" for t in protocol.tasks)
    pairs = "; ".join(f"{m} vs {r}" for m, r in plan.comparisons) or "none planned"
    paragraphs = [
        "Scores are each sample's score per scorer, mapped to numbers as Inspect does; "
        f"epochs are averaged per sample first (epochs: {epochs}), so n counts samples.",
        f"Estimates are means with CLT standard errors and {confidence} t intervals"
        + (f", clustered ({'; '.join(clustered)})" if clustered else "")
        + "; binary scores also get a Wilson interval. Comparable runs are pooled across "
        "partners; runs with a deviation never are.",
        f"Comparisons ({pairs}) are paired differences on shared samples (unpaired Welch "
        f"differences are labelled), with p-values adjusted by {plan.correction} across the "
        "exercise's primary comparisons.",
        "Cross-site reproducibility compares two partners' runs of the same task and model: "
        f"first comparability (protocol, task version, dataset digest, model, generate "
        f"config), then a TOST equivalence test against ±{plan.reproducibility_margin:g} at "
        f"\u03b1 = {alpha:g} with its {1 - 2 * alpha:.0%} interval: consistent inside the margin, "
        "inconsistent wholly outside, inconclusive otherwise.",
        "Grader agreement: percent agreement, Cohen's kappa and Krippendorff's alpha (nominal "
        "and ordinal) with bootstrap intervals, between scorers of the same items.",
        "Findings judge each threshold on the whole interval of its quantity: supported when "
        "every value in it meets the condition, not supported when none does, inconclusive "
        "otherwise. The full method is in Accord's methodology document (docs/methodology.md), "
        "after Miller (2024), “Adding Error Bars to Evals”.",
    ]
    return Methodology(
        alpha=alpha,
        confidence=confidence,
        correction=plan.correction,
        reproducibility_margin=plan.reproducibility_margin,
        comparisons=[(m, r) for m, r in plan.comparisons],
        methods_used=used,
        paragraphs=paragraphs,
    )


def _caveats(
    protocol: Protocol, inputs: ReportInputs, findings: Sequence[FindingRow], confidence: str
) -> list[str]:
    samples = sorted({(r.partner, r.task, r.model, r.samples) for r in inputs.runs}, key=str)
    sizes = ", ".join(f"{t} \u00d7 {m} at {p}: {n}" for p, t, m, n in samples if n is not None)
    inconclusive = sum(f.status == "inconclusive" for f in findings)
    caveats = [
        f"Margins of error: every number comes with its {confidence} interval; differences "
        "smaller than the interval's half-width cannot be told apart from noise.",
        "What the scores show: behaviour of these models on these tasks' samples, under the "
        "protocol's generation settings and scorers. What they do not show: behaviour on other "
        "prompts, other settings, in deployment, or against a determined adversary.",
        f"Sample sizes (samples per run): {sizes or 'not available'}.",
        "`inconclusive` means the data cannot decide at this sample size — more data is needed; "
        "it is not evidence that an effect is absent."
        + (f" {inconclusive} finding(s) are inconclusive." if inconclusive else ""),
    ]
    if any(t.cluster for t in protocol.tasks):
        caveats.append(
            "Clustered tasks have as many degrees of freedom as clusters: with few clusters "
            "intervals are wide and a verdict needs more clusters, not more samples per cluster."
        )
    undeclared = [t.id for t in protocol.tasks if len(t.graders) < 2]
    if undeclared:
        caveats.append(
            "Grader agreement is computed only between scorers a task declares as graders of "
            f"the same construct (`graders:` in the protocol); not computed for: "
            f"{', '.join(undeclared)}."
        )
    post_hoc = [a.ledger_seq for a in inputs.amendments if a.post_hoc]
    if post_hoc:
        caveats.append(
            "Post hoc: the analysis plan or thresholds were amended after results were "
            f"submitted (ledger entries {', '.join(map(str, post_hoc))}); findings under them "
            "are not pre-registered."
        )
    if inputs.deviations:
        caveats.append(
            f"{len(inputs.deviations)} deviation(s) between partners' runs: those runs are not "
            "pooled (see provenance)."
        )
    return caveats
