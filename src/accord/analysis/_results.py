"""Typed results of an analysis (what `accord analyze --json` prints)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ._difference import IntervalMethod

Verdict = Literal["consistent", "inconsistent", "inconclusive", "deviation"]
FindingStatus = Literal["supported", "not supported", "inconclusive", "no data"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Estimate(_Result):
    """The mean score of one model on one task, for one partner or pooled over partners.

    `method` names the interval: `wilson` (binary scores; on effective counts with epochs or
    clusters), `hall` (CLT standard error, t with Hall's skewness transformation) or `cr2-bm`
    (CR2 clustered SE, Bell-McCaffrey df).
    `se` is the CLT or CR2 standard error whatever the interval method.
    """

    task: str
    model: str
    scorer: str
    partner: str | None  # None: pooled over `partners`
    partners: list[str]
    n: int
    mean: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None
    method: IntervalMethod
    ci_level: float
    binary: bool
    n_effective: float | None = None
    clusters: int | None = None
    warnings: list[str] = Field(default_factory=list)
    note: str | None = None
    group: str | None = None  # "key=value": a subgroup row (see `groups:` of the task)


class Comparison(_Result):
    """Model minus reference on one task: paired on shared samples, or unpaired (labelled).

    `method`: `tango` (binary, paired), `newcombe` (binary, unpaired), `t` / `cr2-bm`
    (paired), `welch` (unpaired). `p_value` is from the test the interval inverts.
    `adjusted_ci_*` is the simultaneous interval at `adjusted_level`, matching `correction`
    (Bonferroni for holm, FCR-adjusted for bh); findings judge on it.
    """

    task: str
    scorer: str
    model: str
    reference: str
    partner: str | None  # None: pooled over `partners`
    partners: list[str]
    paired: bool
    n: int
    delta: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: float | None
    p_value: float | None
    method: IntervalMethod
    ci_level: float
    binary: bool
    n_effective: float | None = None
    clusters: int | None = None
    p_adjusted: float | None = None
    correction: str | None = None
    adjusted_level: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None
    warnings: list[str] = Field(default_factory=list)
    note: str | None = None
    group: str | None = None  # "key=value": a subgroup row (see `groups:` of the task)


class Replication(_Result):
    """Whether two partners' runs of the same task x model agree (TOST against a margin)."""

    task: str
    model: str
    scorer: str
    partner_a: str
    partner_b: str
    deviations: list[str]
    paired: bool
    n: int
    delta: float | None
    se: float | None
    ci_low: float | None  # (1 - 2 alpha) interval, the one TOST uses
    ci_high: float | None
    margin: float
    p_tost: float | None
    verdict: Verdict
    method: IntervalMethod
    binary: bool
    n_effective: float | None = None
    needed_n: int | None = None  # about this many samples would decide an inconclusive verdict
    warnings: list[str] = Field(default_factory=list)
    note: str | None = None
    group: str | None = None  # "key=value": a subgroup row (see `groups:` of the task)


class Interval(_Result):
    """A point value with a bootstrap interval."""

    value: float | None
    ci_low: float | None
    ci_high: float | None


class Agreement(_Result):
    """Agreement between two graders on the same items."""

    task: str
    model: str
    partner: str
    grader_a: str
    grader_b: str
    n: int  # sample-epochs both graded
    resampled: str  # the bootstrap unit and its count, e.g. "samples (40)"
    percent: Interval
    kappa: Interval
    alpha_nominal: Interval
    alpha_ordinal: Interval


class Finding(_Result):
    """A protocol threshold evaluated against the interval of its quantity."""

    threshold: str
    statement: str
    status: FindingStatus
    task: str
    model: str
    compare_to: str | None
    when: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None = None  # level of the (adjusted) interval judged
    method: IntervalMethod | None = None  # the method of that interval
    partners: list[str]
    evidence: str
    reason: str | None = None  # why a verdict is inconclusive or there is no data
    needed_n: int | None = None


class SafeguardRate(_Result):
    """How often a system's guards blocked, on all items and split into harmful and benign.

    Each rate is the estimate of a key of the `safeguard` score, with its interval:
    `efficacy` (blocked harmful items), `over_blocking` (blocked benign items) and `blocked`
    (all items). A rate is None when the task has no items with that label.
    """

    task: str
    model: str
    partner: str | None  # None: pooled over `partners`
    partners: list[str]
    blocked: Estimate
    efficacy: Estimate | None
    over_blocking: Estimate | None
    note: str | None = None


class AnalysisResult(_Result):
    """Everything `analyze` computed."""

    alpha: float
    estimates: list[Estimate]
    comparisons: list[Comparison]
    replications: list[Replication]
    agreements: list[Agreement]
    findings: list[Finding]
    safeguards: list[SafeguardRate] = Field(default_factory=list)
    group_estimates: list[Estimate] = Field(default_factory=list)
    group_comparisons: list[Comparison] = Field(default_factory=list)
    group_replications: list[Replication] = Field(default_factory=list)
    group_notes: list[str] = Field(
        default_factory=list, description="Declared group keys that got no rows, and why."
    )
