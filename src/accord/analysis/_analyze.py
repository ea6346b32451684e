"""The shared method in one call: estimates, comparisons, replications, agreement, findings."""

from collections.abc import Mapping

from ..protocol import Protocol
from ..run import RunManifest
from ._agreement import agreements
from ._compare import Correction, comparisons
from ._estimates import estimates
from ._findings import findings
from ._groups import group_rows
from ._reproduce import replications
from ._results import AnalysisResult
from ._safeguards import safeguard_rates
from ._table import ScoreTable

DEFAULT_ALPHA = 0.05
DEFAULT_MARGIN = 0.05


def analyze(
    table: ScoreTable,
    protocol: Protocol | None = None,
    manifests: Mapping[str, RunManifest] | None = None,
    *,
    correction: Correction | None = None,
) -> AnalysisResult:
    """Analyse scores as the protocol's analysis plan says (defaults without a protocol).

    Args:
        table: The scores.
        protocol: Gives alpha, comparisons, the reproducibility margin, the correction,
            cluster keys, declared graders and thresholds. Without it: estimates and
            replications.
        manifests: Run manifests per partner, for comparability checks.
        correction: Overrides the protocol's multiple-testing correction.
    """
    manifests = manifests or {}
    alpha = protocol.analysis.alpha if protocol else DEFAULT_ALPHA
    margin = protocol.analysis.reproducibility_margin if protocol else DEFAULT_MARGIN
    method: Correction = correction or (protocol.analysis.correction if protocol else "holm")
    clustered = {t.id for t in protocol.tasks if t.cluster} if protocol else set()
    graders = {t.id: t.graders for t in protocol.tasks if t.graders} if protocol else {}
    reproduced = replications(table, manifests, margin, alpha, clustered)
    deviating = {(r.task, r.model) for r in reproduced if r.verdict == "deviation"}
    poolable = {(r.task, r.model) for r in reproduced} - deviating
    estimated = estimates(table, alpha, clustered, poolable)
    pairs = [tuple(pair) for pair in protocol.analysis.comparisons] if protocol else []
    compared = comparisons(table, pairs, alpha, clustered, method, deviating)  # type: ignore[arg-type]
    found = findings(protocol, estimated, compared, alpha) if protocol else []
    grouped = (
        group_rows(
            table,
            protocol,
            manifests,
            alpha=alpha,
            margin=margin,
            correction=method,
            overall=reproduced,
        )
        if protocol
        else ([], [], [], [])
    )
    return AnalysisResult(
        alpha=alpha,
        estimates=estimated,
        comparisons=compared,
        replications=reproduced,
        agreements=agreements(table, alpha, graders, clustered),
        findings=found,
        safeguards=safeguard_rates(estimated),
        group_estimates=grouped[0],
        group_comparisons=grouped[1],
        group_replications=grouped[2],
        group_notes=grouped[3],
    )
