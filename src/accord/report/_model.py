"""The joint report as data: what `accord report -o report.json` writes (format 1).

Every renderer (HTML, Markdown, the hub's pages) reads this model and nothing else, so a
number looks the same wherever it is shown.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_FORMAT = 1


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class PartnerInfo(_Row):
    """A partner institute."""

    id: str
    name: str


class ModelInfo(_Row):
    """A model of the protocol (id and Inspect model string; both replaced when anonymised)."""

    id: str
    model: str
    role: str | None


class EstimateRow(_Row):
    """A model's mean score on a task for one partner, or pooled (`partner` None)."""

    task: str
    model: str
    scorer: str
    partner: str | None
    partners: list[str]
    n: int
    mean: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    method: str | None = None
    notes: list[str] = Field(default_factory=list)
    group: str | None = None  # "key=value" of a subgroup row


class ComparisonRow(_Row):
    """Model minus reference on a task."""

    task: str
    scorer: str
    model: str
    reference: str
    partner: str | None
    partners: list[str]
    paired: bool
    n: int
    delta: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    correction: str | None
    method: str | None = None
    notes: list[str] = Field(default_factory=list)
    group: str | None = None  # "key=value" of a subgroup row


class ReplicationRow(_Row):
    """Two partners' runs of the same task x model, against the reproducibility margin."""

    task: str
    model: str
    scorer: str
    partner_a: str
    partner_b: str
    deviations: list[str]
    paired: bool
    n: int
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    margin: float
    p_tost: float | None
    verdict: str
    method: str | None = None
    notes: list[str] = Field(default_factory=list)
    group: str | None = None  # "key=value" of a subgroup row


class Bounded(_Row):
    """A value with its interval."""

    value: float | None
    ci_low: float | None
    ci_high: float | None


class AgreementRow(_Row):
    """Agreement between two graders on the same items."""

    task: str
    model: str
    partner: str
    grader_a: str
    grader_b: str
    n: int
    percent: Bounded
    kappa: Bounded
    alpha_nominal: Bounded
    alpha_ordinal: Bounded
    notes: list[str] = Field(default_factory=list)


class FindingRow(_Row):
    """A protocol threshold judged against the interval of its quantity."""

    threshold: str
    statement: str
    status: str
    task: str
    model: str
    compare_to: str | None
    when: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    partners: list[str]
    evidence: str
    sentence: str
    notes: list[str] = Field(default_factory=list)


class Chart(_Row):
    """A chart: its Vega-Lite spec (data inline), rendered to SVG by the renderers."""

    id: str
    title: str
    description: str
    spec: dict[str, Any]


class TaskSection(_Row):
    """Everything the report says about one task."""

    task: str
    inspect_task: str
    epochs: int
    cluster: str | None
    disclosure: str
    estimates: list[EstimateRow]
    comparisons: list[ComparisonRow]
    replications: list[ReplicationRow]
    agreements: list[AgreementRow]
    thresholds: list[str]
    estimate_bounds: list[float] = Field(
        default_factory=list, description="Threshold values on the estimate, drawn in charts."
    )
    delta_bounds: list[float] = Field(
        default_factory=list, description="Threshold values on Δ, drawn in charts."
    )
    charts: list[Chart] = Field(default_factory=list)
    group_estimates: list[EstimateRow] = Field(default_factory=list)
    group_comparisons: list[ComparisonRow] = Field(default_factory=list)
    group_replications: list[ReplicationRow] = Field(default_factory=list)


class RunProvenance(_Row):
    """Where one run's numbers come from."""

    partner: str
    task: str
    model: str
    samples: int | None
    inspect_version: str | None
    accord_version: str | None
    dataset_digest: str | None
    log_sha256: str | None
    bundle_sha256: str | None
    signer_key_id: str | None
    started_at: str | None
    completed_at: str | None
    snapshots: list[str] = Field(
        default_factory=list,
        description="`model: id, id` per model called: the snapshots the provider returned.",
    )
    usage: list[str] = Field(
        default_factory=list,
        description="`model: N in / N out tokens[, $cost]` per model called (graders too).",
    )


class AgreementAct(_Row):
    """A partner's signed act on the hub's ledger: who agreed to what, when."""

    partner: str
    act: Literal["sign-off", "approve", "object", "withdraw"]
    protocol_id: str
    signed_at: str
    key_id: str
    ledger_seq: int | None = Field(
        default=None,
        description="Its hub ledger entry; None for a signature file verified offline.",
    )
    reason: str | None = None
    late: bool = Field(default=False, description="A sign-off after a quorum opened it.")
    hub: str | None = Field(default=None, description="The hub the act was signed for.")

    def sentence(self) -> str:
        """The act in words, with its key and ledger entry."""
        verb = {
            "sign-off": "signed the protocol",
            "approve": "approved publication",
            "object": "objected to publication",
            "withdraw": "withdrew its stance on publication",
        }[self.act]
        why = f": {self.reason}" if self.reason else ""
        where = (
            f"ledger entry {self.ledger_seq}"
            if self.ledger_seq is not None
            else "signature file verified with the keyring"
        )
        late = " after the exercise opened" if self.late else ""
        if self.ledger_seq is not None and self.hub is None:
            where += ", not bound to a hub"
        return f"{self.partner} {verb}{late} on {self.signed_at} (key {self.key_id}, {where}){why}"


class DeveloperResponse(_Row):
    """A model developer's response to its models' results, printed verbatim."""

    institute: str
    models: list[str]
    member: str | None
    at: str
    ledger_seq: int
    text: str
    sha256: str

    def heading(self) -> str:
        """Who responded about which models, when, and where on the ledger."""
        return (
            f"{self.institute} on {', '.join(self.models)} ({self.at}, ledger entry "
            f"{self.ledger_seq}, SHA-256 {self.sha256})"
        )


class AmendmentNote(_Row):
    """An amendment of the protocol on the hub's ledger."""

    ledger_seq: int
    at: str
    previous: str
    protocol_id: str
    changes: dict[str, list[str]]
    post_hoc: bool
    runs_set_aside: int

    def sentence(self) -> str:
        """The amendment in words: versions, what changed, runs set aside, post hoc or not."""
        changed = "; ".join(f"{s}: {', '.join(c)}" for s, c in self.changes.items())
        text = (
            f"Amended on {self.at} (ledger entry {self.ledger_seq}) from {self.previous} to "
            f"{self.protocol_id}: {changed or 'no structural change'}."
        )
        if self.runs_set_aside:
            text += (
                f" {self.runs_set_aside} run(s) of the earlier version are kept but not pooled "
                "with this version's (the change affects their comparability)."
            )
        if self.post_hoc:
            text += (
                " POST HOC: the analysis plan or thresholds changed after results were submitted."
            )
        return text


class Provenance(_Row):
    """The runs, their bundles and the ledger head the results were read at."""

    source: Literal["run directories", "hub"]
    hub_url: str | None
    ledger_head: str | None
    runs: list[RunProvenance]
    deviations: list[str]
    agreement: list[AgreementAct] = Field(
        default_factory=list, description="Partners' sign-offs and publication acts, in order."
    )
    amendments: list[AmendmentNote] = Field(
        default_factory=list, description="Amendments of the protocol, in order."
    )
    developer_responses: list[DeveloperResponse] = Field(
        default_factory=list, description="Model developers' responses, verbatim, in order."
    )


class Methodology(_Row):
    """The analysis plan and the methods the numbers actually used."""

    alpha: float
    confidence: str
    correction: str
    reproducibility_margin: float
    comparisons: list[tuple[str, str]]
    methods_used: list[str]
    paragraphs: list[str]


class Report(_Row):
    """A joint report of an exercise (or of a protocol's runs)."""

    format: Literal[1] = 1
    title: str
    exercise: str | None
    protocol_name: str
    protocol_id: str
    description: str
    partners: list[PartnerInfo]
    models: list[ModelInfo]
    generated_at: datetime
    runs_started: str | None
    runs_finished: str | None
    published_at: str | None
    embargo_until: str | None
    state: Literal["draft", "published"]
    state_note: str
    anonymised: bool
    summary: list[FindingRow]
    methodology: Methodology
    tasks: list[TaskSection]
    caveats: list[str]
    provenance: Provenance
    protocol_yaml: str


def snapshot_lines(snapshots: Mapping[str, list[str]]) -> list[str]:
    """`model: id, id` for each model a run called, from a log record's `snapshots`."""
    return [f"{model}: {', '.join(ids)}" for model, ids in sorted(snapshots.items())]


def usage_lines(usage: Mapping[str, Any]) -> list[str]:
    """`model: N in / N out tokens[, $cost]` per model, from a log record's `usage` (as JSON)."""
    lines = []
    for model, used in sorted(usage.items()):
        data = used if isinstance(used, Mapping) else used.model_dump()
        line = f"{model}: {data.get('input_tokens', 0):,} in / {data.get('output_tokens', 0):,} out"
        reasoning = data.get("reasoning_tokens") or 0
        if reasoning:
            line += f" ({reasoning:,} reasoning)"
        cost = data.get("cost")
        lines.append(line + ("" if cost is None else f", ${cost:.4f}"))
    return lines
