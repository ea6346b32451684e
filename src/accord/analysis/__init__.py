"""Analysis: the shared statistical method (Miller 2024, "Adding Error Bars to Evals")."""

from ._agreement import (
    agreement_between,
    agreements,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from ._analyze import analyze
from ._compare import Correction, adjust_p_values, comparisons
from ._errors import AnalysisError
from ._estimates import estimates
from ._findings import findings, judge
from ._load import load_runs, log_rows, score_metrics
from ._power import (
    VarianceModel,
    equivalence_margin,
    minimum_detectable_difference,
    pilot_assumptions,
    samples_for_margin,
    samples_needed,
)
from ._reproduce import replications, tost
from ._results import (
    Agreement,
    AnalysisResult,
    Comparison,
    Estimate,
    Finding,
    Interval,
    Replication,
)
from ._table import ScoreRow, ScoreTable, score_to_float

__all__ = [
    "Agreement",
    "AnalysisError",
    "AnalysisResult",
    "Comparison",
    "Correction",
    "Estimate",
    "Finding",
    "Interval",
    "Replication",
    "ScoreRow",
    "ScoreTable",
    "VarianceModel",
    "adjust_p_values",
    "agreement_between",
    "agreements",
    "analyze",
    "cohen_kappa",
    "comparisons",
    "equivalence_margin",
    "estimates",
    "findings",
    "judge",
    "krippendorff_alpha",
    "load_runs",
    "log_rows",
    "minimum_detectable_difference",
    "percent_agreement",
    "pilot_assumptions",
    "replications",
    "samples_for_margin",
    "samples_needed",
    "score_metrics",
    "score_to_float",
    "tost",
]
