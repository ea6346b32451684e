"""Typed results of an analysis (what `accord analyze --json` prints)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict

Verdict = Literal["consistent", "inconsistent", "inconclusive", "deviation"]
FindingStatus = Literal["supported", "not supported", "inconclusive", "no data"]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class Estimate(_Result):
    """The mean score of one model on one task, for one partner or pooled over partners."""

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
    method: Literal["clt", "clustered"]
    clusters: int | None = None
    wilson_low: float | None = None
    wilson_high: float | None = None
    note: str | None = None


class Comparison(_Result):
    """Model minus reference on one task: paired on shared samples, or unpaired (labelled)."""

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
    p_adjusted: float | None = None
    correction: str | None = None
    note: str | None = None


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
    note: str | None = None


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
    n: int
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
    partners: list[str]
    evidence: str


class AnalysisResult(_Result):
    """Everything `analyze` computed."""

    alpha: float
    estimates: list[Estimate]
    comparisons: list[Comparison]
    replications: list[Replication]
    agreements: list[Agreement]
    findings: list[Finding]
