"""Score intervals against independent computations, and the methods each result names."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep

from accord.analysis import ScoreTable, agreements, comparisons
from accord.analysis._intervals import tango, tango_z

Z = float(sps.norm.ppf(0.975))


def restricted_mle(b: int, c: int, n: int, delta: float) -> float:
    """The reference-only discordance rate maximising the likelihood given delta (numerically)."""

    def minus_loglik(q: float) -> float:
        rest = 1 - 2 * q - delta
        return -(b * np.log(q + delta) + c * np.log(q) + (n - b - c) * np.log(max(rest, 1e-300)))

    upper = (1 - delta) / 2
    lower = max(0.0, -delta)
    return float(
        optimize.minimize_scalar(
            minus_loglik,
            bounds=(lower + 1e-12, upper - 1e-12),
            method="bounded",
            options={"xatol": 1e-12},
        ).x
    )


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(5, 200),
    b_share=st.floats(0.01, 0.5),
    c_share=st.floats(0.01, 0.4),
    delta=st.floats(-0.3, 0.3),
)
def test_tango_statistic_uses_the_restricted_mle(
    n: int, b_share: float, c_share: float, delta: float
) -> None:
    b, c = max(1, int(b_share * n)), max(1, int(c_share * n))
    if b + c > n or not (max(0.0, -delta) < (1 - delta) / 2):
        return
    q = restricted_mle(b, c, n, delta)
    expected = (b - c - n * delta) / np.sqrt(n * (2 * q + delta * (1 - delta)))
    ours = float(tango_z(np.array([b]), np.array([c]), np.array([n]), np.array([delta]))[0])
    assert abs(ours - expected) < 1e-4 * max(1.0, abs(expected))


@pytest.mark.parametrize(("b", "c", "n"), [(3, 0, 3), (0, 0, 4), (5, 1, 40), (12, 4, 100)])
def test_tango_bounds_are_where_the_score_statistic_meets_the_critical_value(
    b: int, c: int, n: int
) -> None:
    low, high = tango(np.array([b], float), np.array([c], float), np.array([n], float), np.array(Z))
    for bound, target in ((low[0], Z), (high[0], -Z)):
        if abs(bound) < 1 - 1e-9:
            z = tango_z(np.array([b]), np.array([c]), np.array([n]), np.array([bound]))[0]
            assert abs(z - target) < 1e-6
    if b == c == 0:  # no discordant pair: +-z^2 / (n + z^2), not a zero width
        assert abs(high[0] - Z**2 / (n + Z**2)) < 1e-9 and abs(low[0] + high[0]) < 1e-9
    vector = tango(
        np.array([b, b], float), np.array([c, c], float), np.array([n, n], float), np.array(Z)
    )
    assert np.allclose(vector[0], low, atol=1e-9) and np.allclose(vector[1], high, atol=1e-9)


def columns(values: dict[str, list[float]], samples: dict[str, list[str]]) -> ScoreTable:
    cells: dict[str, list] = {
        k: [] for k in ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
    }
    for model, vals in values.items():
        n = len(vals)
        cells["task"] += ["t"] * n
        cells["model"] += [model] * n
        cells["partner"] += ["p"] * n
        cells["scorer"] += ["s"] * n
        cells["sample"] += samples[model]
        cells["epoch"] += [1] * n
        cells["value"] += vals
        cells["cluster"] += [None] * n
    return ScoreTable.from_columns(**cells)


def test_unpaired_binary_comparison_is_newcombe_like_statsmodels() -> None:
    a = [1.0] * 12 + [0.0] * 28
    b = [1.0] * 7 + [0.0] * 43
    table = columns(
        {"a": a, "b": b}, {"a": [f"a{i}" for i in range(40)], "b": [f"b{i}" for i in range(50)]}
    )
    [row] = comparisons(table, [("a", "b")], 0.05, set(), "none")
    low, high = confint_proportions_2indep(12, 40, 7, 50, method="newcomb", compare="diff")
    assert row.method == "newcombe" and not row.paired
    assert abs(row.ci_low - low) < 1e-9 and abs(row.ci_high - high) < 1e-9
    assert row.p_value is not None and (row.p_value < 0.05) == (low > 0 or high < 0)


def test_paired_binary_comparison_is_tango_with_mcnemar_p() -> None:
    rng = np.random.default_rng(3)
    a = (rng.random(60) < 0.5).astype(float)
    b = np.where(rng.random(60) < 0.8, a, 1 - a)
    samples = [f"x{i}" for i in range(60)]
    [row] = comparisons(
        columns({"a": list(a), "b": list(b)}, {"a": samples, "b": samples}),
        [("a", "b")],
        0.05,
        set(),
        "none",
    )
    bb, cc = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    low, high = tango(np.array([bb], float), np.array([cc], float), np.array([60.0]), np.array(Z))
    assert row.method == "tango" and row.paired and row.n_effective == 60
    assert abs(row.ci_low - low[0]) < 1e-9 and abs(row.ci_high - high[0]) < 1e-9
    mcnemar = 2 * sps.norm.sf(abs(bb - cc) / np.sqrt(bb + cc))  # the score test at delta = 0
    assert abs((row.p_value or 0) - mcnemar) < 1e-9


def test_agreement_only_between_declared_graders_resampling_samples() -> None:
    rng = np.random.default_rng(2)
    n, epochs = 30, 3
    truth = rng.random(n) < 0.5
    cells: dict[str, list] = {
        k: [] for k in ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
    }
    for scorer, flip in (("judge_a", 0.1), ("judge_b", 0.2), ("other/utility", 0.5)):
        for i in range(n):
            for e in range(epochs):
                cells["task"].append("t")
                cells["model"].append("m")
                cells["partner"].append("p")
                cells["scorer"].append(scorer)
                cells["sample"].append(str(i))
                cells["epoch"].append(e + 1)
                cells["value"].append(float(truth[i] ^ (rng.random() < flip)))
                cells["cluster"].append(None)
    table = ScoreTable.from_columns(**cells)
    assert agreements(table, 0.05, {}) == []  # nothing declared: nothing compared
    [row] = agreements(table, 0.05, {"t": ["judge_a", "judge_b"]})
    assert (row.grader_a, row.grader_b, row.n) == ("judge_a", "judge_b", n * epochs)
    assert row.resampled == f"samples ({n})"
    assert row.kappa.ci_low is not None and row.kappa.ci_high is not None


def test_deviating_runs_are_never_pooled_in_comparisons() -> None:
    cells: dict[str, list] = {
        k: [] for k in ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
    }
    rng = np.random.default_rng(5)
    for partner in ("p1", "p2"):
        for model in ("a", "b"):
            for i in range(20):
                cells["task"].append("t")
                cells["model"].append(model)
                cells["partner"].append(partner)
                cells["scorer"].append("s")
                cells["sample"].append(str(i))
                cells["epoch"].append(1)
                cells["value"].append(float(rng.normal()))
                cells["cluster"].append(None)
    table = ScoreTable.from_columns(**cells)
    pooled = comparisons(table, [("a", "b")], 0.05, set(), "holm")
    assert [r.partner for r in pooled] == [None, "p1", "p2"]
    split = comparisons(table, [("a", "b")], 0.05, set(), "holm", deviating={("t", "a")})
    assert [r.partner for r in split] == ["p1", "p2"]
    assert all(r.p_adjusted is not None and "not pooled" in (r.note or "") for r in split)
