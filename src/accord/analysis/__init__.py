"""Analysis: the shared statistical method (Miller 2024, "Adding Error Bars to Evals")."""

from ._agreement import (
    agreement_between,
    agreements,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from ._analyze import analyze
from ._compare import Correction, adjust_p_values, comparisons, simultaneous_alpha
from ._core import RunData
from ._difference import Difference, IntervalMethod, difference
from ._errors import AnalysisError
from ._estimates import estimates
from ._findings import findings, judge
from ._load import group_label, load_runs, log_rows, score_metrics
from ._power import (
    Design,
    VarianceModel,
    cluster_design,
    equivalence_margin,
    minimum_detectable_difference,
    pilot_assumptions,
    power,
    samples_for_margin,
    samples_needed,
    tost_power,
)
from ._reproduce import equivalence, replications, tost
from ._results import (
    Agreement,
    AnalysisResult,
    Comparison,
    Estimate,
    Finding,
    Interval,
    Replication,
    SafeguardRate,
)
from ._safeguards import safeguard_rates
from ._table import ScoreRow, ScoreTable, score_to_float

__all__ = [
    "Agreement",
    "AnalysisError",
    "AnalysisResult",
    "Comparison",
    "Correction",
    "Design",
    "Difference",
    "Estimate",
    "Finding",
    "Interval",
    "IntervalMethod",
    "Replication",
    "RunData",
    "SafeguardRate",
    "ScoreRow",
    "ScoreTable",
    "VarianceModel",
    "adjust_p_values",
    "agreement_between",
    "agreements",
    "analyze",
    "cluster_design",
    "cohen_kappa",
    "comparisons",
    "difference",
    "equivalence",
    "equivalence_margin",
    "estimates",
    "findings",
    "group_label",
    "judge",
    "krippendorff_alpha",
    "load_runs",
    "log_rows",
    "minimum_detectable_difference",
    "percent_agreement",
    "pilot_assumptions",
    "power",
    "replications",
    "safeguard_rates",
    "samples_for_margin",
    "samples_needed",
    "score_metrics",
    "score_to_float",
    "simultaneous_alpha",
    "tost",
    "tost_power",
]
