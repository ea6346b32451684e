"""Findings on whole (adjusted) intervals: a table of hand-built cases with the expected status."""

from pathlib import Path
from typing import Any

import pytest

from accord.analysis import (
    Comparison,
    Estimate,
    ScoreTable,
    adjust_p_values,
    comparisons,
    estimates,
    findings,
    simultaneous_alpha,
)
from accord.protocol import Protocol, ProtocolError, load_protocol
from tests.conftest import ProtocolFactory


def protocol(*thresholds: dict[str, Any]) -> Protocol:
    return Protocol.model_validate(
        {
            "accord": 1,
            "name": "p",
            "partners": [{"id": "a", "name": "A"}],
            "models": [{"id": "m", "model": "x/m"}, {"id": "r", "model": "x/r"}],
            "tasks": [{"id": "t", "task": "x.py@t"}],
            "assignments": [{"partner": "a", "tasks": ["t"], "models": ["m", "r"]}],
            "thresholds": [
                {"id": f"f{i}", "task": "t", "metric": "s", "finding": "f", **t}
                for i, t in enumerate(thresholds)
            ],
        }
    )


def estimate(model: str, mean: float, low: float | None, high: float | None) -> Estimate:
    return Estimate(
        task="t",
        model=model,
        scorer="s",
        partner=None,
        partners=["a"],
        n=12,
        mean=mean,
        se=0.1,
        ci_low=low,
        ci_high=high,
        df=11,
        method="t",
        ci_level=0.95,
        binary=False,
    )


def comparison(
    delta: float, low: float, high: float, adjusted: tuple[float, float] | None
) -> Comparison:
    extra: dict[str, Any] = {}
    if adjusted is not None:
        extra = {
            "p_adjusted": 0.0837,
            "correction": "holm",
            "adjusted_level": 0.99,
            "adjusted_ci_low": adjusted[0],
            "adjusted_ci_high": adjusted[1],
        }
    return Comparison(
        task="t",
        scorer="s",
        model="m",
        reference="r",
        partner=None,
        partners=["a"],
        paired=True,
        n=30,
        delta=delta,
        se=0.05,
        ci_low=low,
        ci_high=high,
        df=29,
        p_value=0.0167,
        method="t",
        ci_level=0.95,
        binary=False,
        **extra,
    )


# (threshold, estimates, comparisons, expected status, text in evidence or reason)
CASES = [
    # estimate's point value is above 0.5 but its interval straddles it
    (
        {"model": "m", "when": "estimate > 0.5"},
        [estimate("m", 0.417, 0.089, 0.744)],
        [],
        "inconclusive",
        "straddles",
    ),
    (
        {"model": "m", "when": "estimate > 0.05"},
        [estimate("m", 0.3, 0.1, 0.5)],
        [],
        "supported",
        "95.0% CI [0.100, 0.500]",
    ),
    (
        {"model": "m", "when": "estimate < 0.05"},
        [estimate("m", 0.3, 0.1, 0.5)],
        [],
        "not supported",
        "",
    ),
    # zero width: a non-binary estimate without an interval supports nothing
    (
        {"model": "m", "when": "estimate < 0.05"},
        [estimate("m", 0.0, None, None)],
        [],
        "inconclusive",
        "point value alone",
    ),
    # compare_to: estimate and reference are judged on their intervals, not their points
    (
        {"model": "m", "compare_to": "r", "when": "estimate > 0.5"},
        [estimate("m", 0.417, 0.089, 0.744), estimate("r", 0.2, 0.1, 0.3)],
        [comparison(0.2, 0.1, 0.3, (0.05, 0.35))],
        "inconclusive",
        "estimate = 0.417",
    ),
    (
        {"model": "m", "compare_to": "r", "when": "reference < 0.4"},
        [estimate("m", 0.417, 0.089, 0.744), estimate("r", 0.2, 0.1, 0.3)],
        [comparison(0.2, 0.1, 0.3, (0.05, 0.35))],
        "supported",
        "reference = 0.200",
    ),
    # adjusted vs unadjusted: the 95% interval excludes 0, the Holm-consistent one does not
    (
        {"model": "m", "compare_to": "r", "when": "delta > 0"},
        [estimate("m", 0.5, 0.4, 0.6), estimate("r", 0.38, 0.3, 0.45)],
        [comparison(0.12, 0.02, 0.22, (-0.01, 0.25))],
        "inconclusive",
        "holm-adjusted 0.0837",
    ),
    (
        {"model": "m", "compare_to": "r", "when": "delta > 0"},
        [estimate("m", 0.5, 0.4, 0.6), estimate("r", 0.38, 0.3, 0.45)],
        [comparison(0.12, 0.02, 0.22, (0.01, 0.23))],
        "supported",
        "99.0% CI",
    ),
    # a missing quantity is `no data`, never a False that `not` turns True
    (
        {"model": "m", "compare_to": "r", "when": "not (reference > 0.5)"},
        [estimate("m", 0.5, 0.4, 0.6)],
        [comparison(0.12, 0.02, 0.22, (0.01, 0.23))],
        "no data",
        "no reference",
    ),
    (
        {"model": "m", "compare_to": "r", "when": "delta > 0"},
        [estimate("m", 0.5, 0.4, 0.6)],
        [],
        "no data",
        "analysis.comparisons",
    ),
    ({"model": "m", "when": "estimate > 0.5"}, [], [], "no data", "no scores"),
]


@pytest.mark.parametrize(("threshold", "rows", "compared", "status", "text"), CASES)
def test_findings_table(
    threshold: dict[str, Any],
    rows: list[Estimate],
    compared: list[Comparison],
    status: str,
    text: str,
) -> None:
    [finding] = findings(protocol(threshold), rows, compared, 0.05)
    assert finding.status == status, finding.evidence
    assert text in finding.evidence + (finding.reason or "")
    if status in ("inconclusive", "no data"):
        assert finding.reason


def test_inconclusive_findings_say_about_how_many_samples_would_decide() -> None:
    [finding] = findings(
        protocol({"model": "m", "when": "estimate > 0.2"}), [estimate("m", 0.3, 0.1, 0.5)], [], 0.05
    )
    assert finding.status == "inconclusive" and finding.needed_n is not None
    assert finding.needed_n == 48  # 12 * (0.2 / 0.1)^2: the half-width must halve


def test_ten_samples_without_refusal_do_not_support_a_rate_below_five_percent() -> None:
    n = 10
    table = ScoreTable.from_columns(
        task=["t"] * n,
        model=["m"] * n,
        partner=["a"] * n,
        scorer=["s"] * n,
        sample=[str(i) for i in range(n)],
        epoch=[1] * n,
        value=[0.0] * n,
        cluster=[None] * n,
    )
    rows = estimates(table, 0.05, set())
    [finding] = findings(protocol({"model": "m", "when": "estimate < 0.05"}), rows, [], 0.05)
    assert finding.status == "inconclusive"
    assert finding.ci_low == 0.0 and finding.ci_high is not None and finding.ci_high > 0.27


def test_three_pairs_do_not_support_a_large_difference() -> None:
    values = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    table = ScoreTable.from_columns(
        task=["t"] * 6,
        model=["m"] * 3 + ["r"] * 3,
        partner=["a"] * 6,
        scorer=["s"] * 6,
        sample=["x", "y", "z"] * 2,
        epoch=[1] * 6,
        value=values,
        cluster=[None] * 6,
    )
    compared = comparisons(table, [("m", "r")], 0.05, set(), "holm")
    [finding] = findings(
        protocol({"model": "m", "compare_to": "r", "when": "delta > 0.5"}),
        estimates(table, 0.05, set()),
        compared,
        0.05,
    )
    assert compared[0].method == "tango" and compared[0].p_value is not None
    assert compared[0].p_value > 0.05  # not p = 0 from a zero standard error
    assert finding.status == "inconclusive"


@pytest.mark.parametrize("method", ["holm", "bh", "none"])
def test_simultaneous_intervals_never_contradict_the_adjusted_p(method: str) -> None:
    """An adjusted interval that excludes 0 implies an adjusted p below alpha."""
    import numpy as np

    rng = np.random.default_rng(4)
    for _ in range(20):
        cells: dict[str, list[Any]] = {k: [] for k in ScoreTable.__dataclass_fields__}
        del cells["levels"], cells["groups"]
        for task in range(5):
            for model, shift in (("m", rng.normal(0, 0.4)), ("r", 0.0)):
                values = rng.normal(shift, 1.0, 30)
                cells["task"] += [f"t{task}"] * 30
                cells["model"] += [model] * 30
                cells["partner"] += ["a"] * 30
                cells["scorer"] += ["s"] * 30
                cells["sample"] += [str(i) for i in range(30)]
                cells["epoch"] += [1] * 30
                cells["value"] += list(values)
                cells["cluster"] += [None] * 30
        rows = comparisons(ScoreTable.from_columns(**cells), [("m", "r")], 0.05, set(), method)  # type: ignore[arg-type]
        adjusted = adjust_p_values([r.p_value or 1.0 for r in rows], method)  # type: ignore[arg-type]
        assert [r.p_adjusted for r in rows] == pytest.approx(adjusted)
        assert rows[0].adjusted_level == pytest.approx(
            1 - simultaneous_alpha(adjusted, 0.05, method)  # type: ignore[arg-type]
        )
        for r in rows:
            assert r.adjusted_ci_low is not None and r.adjusted_ci_high is not None
            if r.adjusted_ci_low > 0 or r.adjusted_ci_high < 0:
                assert (r.p_adjusted or 1.0) < 0.05


def test_interval_bounds_in_when_are_refused_at_validation(make_protocol: ProtocolFactory) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["thresholds"][0]["when"] = "delta < -0.1 and ci_high < 0"

    path: Path = make_protocol(edit)
    with pytest.raises(ProtocolError, match="already judged on the whole interval of delta"):
        load_protocol(path)


def test_a_comparison_split_by_deviating_runs_gives_no_data_and_says_why() -> None:
    rows = [
        comparison(0.2, 0.1, 0.3, (0.05, 0.35)).model_copy(update={"partner": p})
        for p in ("a", "b")
    ]
    [finding] = findings(
        protocol({"model": "m", "compare_to": "r", "when": "delta > 0"}),
        [estimate("m", 0.5, 0.4, 0.6)],
        rows,
        0.05,
    )
    assert finding.status == "no data" and "deviate" in finding.evidence
