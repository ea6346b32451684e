"""Agreement with reference implementations on random data, to 1e-9."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from inspect_ai.scorer import SampleScore, Score, stderr
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from accord.analysis import (
    ScoreTable,
    adjust_p_values,
    cohen_kappa,
    comparisons,
    estimates,
    krippendorff_alpha,
    tost,
)
from accord.analysis._agreement import _confusion

TOL = 1e-9


def table_of(
    values: np.ndarray,
    clusters: np.ndarray | None = None,
    model: str = "m",
    epochs: int = 1,
    samples: np.ndarray | None = None,
) -> dict:
    n = values.shape[0]
    sample = samples if samples is not None else np.repeat(np.arange(n // epochs), epochs)
    return {
        "task": ["t"] * n,
        "model": [model] * n,
        "partner": ["p"] * n,
        "scorer": ["s"] * n,
        "sample": [f"s{i}" for i in sample],
        "epoch": list(np.tile(np.arange(1, epochs + 1), n // epochs)),
        "value": list(values),
        "cluster": [None] * n if clusters is None else [f"c{c}" for c in clusters],
    }


def merge(*parts: dict) -> ScoreTable:
    return ScoreTable.from_columns(**{k: [x for p in parts for x in p[k]] for k in parts[0]})


def cr2_by_matrices(values: np.ndarray, clusters: np.ndarray) -> tuple[float, float]:
    """CR2 SE of a mean and Bell-McCaffrey df from the general matrix formulas (reference).

    V = (X'X)^-1 sum_c X_c' A_c e_c e_c' A_c X_c (X'X)^-1 with A_c = (I - H_cc)^(-1/2);
    df = tr(G'G)^2 / tr((G'G)^2), G's columns (I - H)_(.,c) A_c X_c (X'X)^-1 (working Omega = I).
    """
    n = values.shape[0]
    x = np.ones((n, 1))
    bread = np.linalg.inv(x.T @ x)
    hat = x @ bread @ x.T
    resid = values - hat @ values
    meat, columns = 0.0, []
    for c in np.unique(clusters):
        idx = np.nonzero(clusters == c)[0]
        w, v = np.linalg.eigh(np.eye(idx.size) - hat[np.ix_(idx, idx)])
        adjust = v @ np.diag(1 / np.sqrt(w)) @ v.T
        meat += float((x[idx].T @ adjust @ resid[idx])[0] ** 2)
        columns.append((np.eye(n) - hat)[:, idx] @ adjust @ x[idx] @ bread)
    g = np.hstack(columns)
    gg = g.T @ g
    return float(np.sqrt(bread[0, 0] ** 2 * meat)), float(np.trace(gg) ** 2 / np.trace(gg @ gg))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(5, 120), k=st.integers(2, 12))
def test_clustered_se_is_cr2_with_bell_mccaffrey_df(seed: int, n: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, k, n)
    values = rng.normal(size=n)
    if len(np.unique(clusters)) < 2:
        return
    [e] = estimates(ScoreTable.from_columns(**table_of(values, clusters)), 0.05, {"t"})
    se, df = cr2_by_matrices(values, clusters)
    assert e.method == "cr2-bm" and e.se is not None and e.df is not None
    assert abs(e.mean - values.mean()) < TOL
    assert abs(e.se - se) < TOL and abs(e.df - df) < 1e-7
    half = sps.t.ppf(0.975, df) * se
    assert abs(e.ci_low - (values.mean() - half)) < 1e-7
    assert abs(e.ci_high - (values.mean() + half)) < 1e-7


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), size=st.integers(2, 12), k=st.integers(2, 12))
def test_equal_clusters_cr2_equals_statsmodels_and_inspect(seed: int, size: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    clusters = np.repeat(np.arange(k), size)
    values = rng.normal(size=k * size)
    n = values.shape[0]
    [e] = estimates(ScoreTable.from_columns(**table_of(values, clusters)), 0.05, {"t"})
    fit = sm.OLS(values, np.ones(n)).fit(
        cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True
    )
    assert abs(e.se - fit.bse[0]) < TOL and abs(e.df - (k - 1)) < 1e-9
    low, high = fit.conf_int(0.05)[0]
    assert abs(e.ci_low - low) < TOL and abs(e.ci_high - high) < TOL
    scores = [
        SampleScore(score=Score(value=float(v)), sample_id=i, sample_metadata={"c": int(c)})
        for i, (v, c) in enumerate(zip(values, clusters, strict=True))
    ]
    assert abs(e.se - stderr(cluster="c")(scores)) < TOL


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), half=st.integers(2, 100))
def test_clt_se_and_symmetric_interval_match_statsmodels_and_inspect(seed: int, half: int) -> None:
    """With no skewness Hall's interval is the t interval (symmetrised samples: skewness 0)."""
    x = np.random.default_rng(seed).normal(size=half)
    values = np.concatenate([x, 2 * x.mean() - x])
    n = values.shape[0]
    [e] = estimates(ScoreTable.from_columns(**table_of(values)), 0.05, set())
    fit = sm.OLS(values, np.ones(n)).fit()
    assert e.method == "hall"
    assert abs(e.se - fit.bse[0]) < TOL
    low, high = fit.conf_int(0.05)[0]
    assert abs(e.ci_low - low) < TOL and abs(e.ci_high - high) < TOL
    scores = [SampleScore(score=Score(value=float(v)), sample_id=i) for i, v in enumerate(values)]
    assert abs(e.se - stderr()(scores)) < TOL


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(3, 200))
def test_skewed_scores_get_halls_transformed_t_interval(seed: int, n: int) -> None:
    values = np.random.default_rng(seed).exponential(size=n)
    [e] = estimates(ScoreTable.from_columns(**table_of(values)), 0.05, set())
    mean, s = values.mean(), values.std(ddof=1)
    se = s / np.sqrt(n)
    skew = sps.skew(values)  # biased m3 / m2^1.5
    a = skew / np.sqrt(n)
    q = sps.t.ppf(0.975, n - 1)

    def g_inverse(v: float) -> float:  # g(t) = t + a t^2/3 + a^2 t^3/27 + a/6 (Hall 1992)
        return float(
            optimize.brentq(lambda t: t + a * t**2 / 3 + a**2 * t**3 / 27 + a / 6 - v, -50, 50)
        )

    assert abs(e.se - se) < TOL
    assert abs(e.ci_low - (mean - se * g_inverse(q))) < 1e-8
    assert abs(e.ci_high - (mean - se * g_inverse(-q))) < 1e-8


def test_epochs_are_averaged_per_sample_first() -> None:
    rng = np.random.default_rng(3)
    values = rng.random(30 * 4)
    [e] = estimates(ScoreTable.from_columns(**table_of(values, epochs=4)), 0.05, set())
    means = values.reshape(30, 4).mean(axis=1)
    assert e.n == 30
    assert abs(e.mean - means.mean()) < TOL
    assert abs(e.se - np.std(means, ddof=1) / np.sqrt(30)) < TOL


@pytest.mark.parametrize("successes", [0, 1, 3, 4, 17, 36, 39, 40])
def test_binary_estimates_use_modified_wilson(successes: int) -> None:
    """Wilson (statsmodels), with the exact Poisson bound for 1-3 successes or failures."""
    values = np.array([1.0] * successes + [0.0] * (40 - successes))
    [e] = estimates(ScoreTable.from_columns(**table_of(values)), 0.05, set())
    low, high = proportion_confint(successes, 40, alpha=0.05, method="wilson")
    if 1 <= successes <= 3:
        low = min(low, sps.chi2.ppf(0.025, 2 * successes) / 80)
    if 1 <= 40 - successes <= 3:
        high = max(high, 1 - sps.chi2.ppf(0.025, 2 * (40 - successes)) / 80)
    assert e.method == "wilson" and e.n_effective == 40
    assert abs(e.ci_low - low) < TOL and abs(e.ci_high - high) < TOL


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(3, 150))
def test_paired_comparison_matches_ttest_rel(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = a * 0.5 + rng.normal(size=n)
    table = merge(table_of(a, model="a"), table_of(b, model="b"))
    [c] = comparisons(table, [("a", "b")], 0.05, set(), "none")
    reference = sps.ttest_rel(a, b)
    assert c.paired and c.n == n
    assert abs(c.delta - np.mean(a - b)) < TOL
    assert abs(c.p_value - reference.pvalue) < TOL
    ci = reference.confidence_interval(0.95)
    assert abs(c.ci_low - ci.low) < TOL and abs(c.ci_high - ci.high) < TOL


def test_unpaired_fallback_is_welch_and_labelled() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=40), rng.normal(0.3, size=30)
    table = merge(table_of(a, model="a"), table_of(b, model="b", samples=np.arange(100, 130)))
    [c] = comparisons(table, [("a", "b")], 0.05, set(), "none")
    reference = sps.ttest_ind(a, b, equal_var=False)
    assert not c.paired and "UNPAIRED" in (c.note or "")
    assert abs(c.p_value - reference.pvalue) < TOL


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(3, 100),
    margin=st.floats(0.01, 1.0),
    shift=st.floats(-1, 1),
)
def test_tost_matches_two_one_sided_t_tests(seed: int, n: int, margin: float, shift: float) -> None:
    d = np.random.default_rng(seed).normal(shift, 1.0, size=n)
    se = np.std(d, ddof=1) / np.sqrt(n)
    p, _ = tost(float(np.mean(d)), float(se), n - 1, margin, 0.05)
    lower = sps.ttest_1samp(d, -margin, alternative="greater").pvalue
    upper = sps.ttest_1samp(d, margin, alternative="less").pvalue
    assert p is not None and abs(p - max(lower, upper)) < TOL


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_corrections_match_statsmodels(method: str) -> None:
    p = np.random.default_rng(9).random(25) ** 3
    ours = adjust_p_values(list(p), method)  # type: ignore[arg-type]
    reference = multipletests(p, method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
    assert np.allclose(ours, reference, atol=TOL, rtol=0)


def test_kappa_against_a_hand_computed_table() -> None:
    # 50 items: both yes 20, a yes/b no 5, a no/b yes 10, both no 15.
    confusion = np.array([[15.0, 10.0], [5.0, 20.0]])
    observed = (15 + 20) / 50
    expected = (25 / 50) * (20 / 50) + (25 / 50) * (30 / 50)
    assert abs(float(cohen_kappa(confusion)) - (observed - expected) / (1 - expected)) < TOL
    assert abs(float(cohen_kappa(confusion)) - 0.4) < TOL


@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_krippendorff_matches_the_reference_package(level: str) -> None:
    import krippendorff

    rng = np.random.default_rng(11)
    for _ in range(5):
        a = rng.integers(0, 5, 150)
        b = np.where(rng.random(150) < 0.5, a, rng.integers(0, 5, 150))
        ours = float(krippendorff_alpha(_confusion(a, b, 5), level))
        reference = krippendorff.alpha(
            reliability_data=np.vstack([a, b]).astype(float), level_of_measurement=level
        )
        assert abs(ours - reference) < TOL
