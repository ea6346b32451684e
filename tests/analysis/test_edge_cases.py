"""Edge cases get clear messages or notes, never a crash or a silent number."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from accord.analysis import (
    AnalysisError,
    Design,
    ScoreTable,
    VarianceModel,
    analyze,
    estimates,
    judge,
    load_runs,
    power,
    samples_needed,
    score_to_float,
)
from accord.cli import app
from accord.protocol import load_protocol, parse_when
from accord.run import plan_share, run_share
from tests.conftest import ProtocolFactory

runner = CliRunner(env={"COLUMNS": "200"})


def table(
    values: list[float], clusters: list[str | None] | None = None, model: str = "m"
) -> ScoreTable:
    n = len(values)
    return ScoreTable.from_columns(
        task=["t"] * n,
        model=[model] * n,
        partner=["p"] * n,
        scorer=["s"] * n,
        sample=[f"x{i}" for i in range(n)],
        epoch=[1] * n,
        value=values,
        cluster=clusters or [None] * n,
    )


def test_one_sample_has_no_interval_and_says_so() -> None:
    [e] = estimates(table([1.0]), 0.05, set())
    assert (e.n, e.mean, e.se, e.ci_low, e.ci_high) == (1, 1.0, None, None, None)
    assert "one sample" in (e.note or "")


def test_all_equal_binary_scores_are_bounded_by_wilson_not_zero_width() -> None:
    [e] = estimates(table([0.0] * 10), 0.05, set())
    assert e.se == 0 and e.method == "wilson" and e.binary
    assert e.ci_low == 0.0 and abs((e.ci_high or 0) - 1.96**2 / (10 + 1.96**2)) < 1e-3  # 0.278
    assert "all scores are equal" in (e.note or "")


def test_all_equal_non_binary_scores_give_no_interval() -> None:
    [e] = estimates(table([0.5] * 10), 0.05, set())
    assert e.se == 0 and e.method == "hall" and not e.binary
    assert e.ci_low is None and e.ci_high is None
    assert "no interval" in (e.note or "")


def test_missing_cluster_value_is_refused_with_the_sample() -> None:
    with pytest.raises(AnalysisError, match="sample 'x1' lacks"):
        estimates(table([1.0, 0.0, 1.0], ["a", None, "b"]), 0.05, {"t"})


def test_single_cluster_notes_it() -> None:
    [e] = estimates(table([1.0, 0.0, 1.0], ["a", "a", "a"]), 0.05, {"t"})
    assert e.se is None and "one cluster" in (e.note or "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C", 1.0),
        ("I", 0.0),
        ("P", 0.5),
        ("N", 0.0),
        (True, 1.0),
        (0.25, 0.25),
        ("0.75", 0.75),
        ("yes", 1.0),
    ],
)
def test_score_values_map_like_inspect(value: object, expected: float) -> None:
    assert score_to_float(value, "here") == expected


@pytest.mark.parametrize("value", ["maybe", [1, 2], {"a": [1]}, None])
def test_non_numeric_scores_are_refused(value: object) -> None:
    with pytest.raises(AnalysisError, match="is not numeric"):
        score_to_float(value, "log.eval, sample 3, scorer s")


def test_nan_scores_are_refused() -> None:
    with pytest.raises(AnalysisError, match="NaN"):
        table([1.0, float("nan")])


def test_model_absent_for_a_partner_gives_no_comparison_row() -> None:
    from accord.analysis import comparisons

    assert comparisons(table([1.0, 0.0]), [("m", "absent")], 0.05, set()) == []


@pytest.mark.parametrize(
    ("when", "low", "high", "status"),
    [
        ("delta < -0.1", -0.3, -0.2, "supported"),
        ("delta < -0.1", -0.3, 0.05, "inconclusive"),
        ("delta < -0.1", 0.0, 0.2, "not supported"),
        ("delta < -0.1 or delta > 0.1", -0.2, 0.2, "inconclusive"),
        ("delta < -0.1 or delta > 0.1", 0.15, 0.3, "supported"),
        ("not (delta > 0)", -0.5, -0.1, "supported"),
        ("delta > -0.5 and delta < 0.5", -0.2, 0.2, "supported"),
    ],
)
def test_findings_are_judged_on_the_whole_interval(
    when: str, low: float, high: float, status: str
) -> None:
    assert judge(parse_when(when), {"delta": (low, high)}) == status


def test_analysis_of_real_runs_matches_inspects_own_metrics(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    protocol = load_protocol(path)
    dirs = []
    for partner in ("inst-a", "inst-b"):
        result = run_share(plan_share(protocol, partner, tmp_path / partner), display="none")
        assert result.complete
        dirs.append(result.out_dir)
    scores, manifests = load_runs(dirs, protocol.protocol)
    result = analyze(scores, protocol.protocol, manifests)
    for partner_dir in dirs:
        for record in manifests[partner_dir.name].logs:
            [e] = [
                x
                for x in result.estimates
                if (x.partner, x.model) == (partner_dir.name, record.model_id)
            ]
            # the task's own metrics: accuracy() and stderr(cluster="category")
            assert abs(e.mean - record.metrics["refusal_judge/accuracy"]) < 1e-9
            assert abs((e.se or 0.0) - record.metrics["refusal_judge/stderr"]) < 1e-9
            assert e.method == "wilson" and e.clusters == 6 and e.binary
            assert any("only 6 clusters" in w for w in e.warnings)
    [rep] = result.replications
    # identical scores from 24 samples in 6 clusters cannot show agreement within +-0.05
    assert (rep.partner_a, rep.partner_b, rep.verdict) == ("inst-a", "inst-b", "inconclusive")
    assert rep.delta == 0 and rep.method == "tango" and rep.ci_low is not None
    assert rep.ci_low < -0.05 and rep.needed_n is not None and rep.needed_n > 24
    assert f"about {rep.needed_n} samples" in (rep.note or "")
    [comparison] = [c for c in result.comparisons if c.partner is None]
    assert comparison.paired and comparison.partners == ["inst-a"] and comparison.delta > 0.25
    [finding] = result.findings
    assert finding.status == "not supported"  # guarded is not worse than refuser

    cli = runner.invoke(app, ["analyze", *map(str, dirs), "--protocol", str(path), "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout) == json.loads(result.model_dump_json())
    tables = runner.invoke(app, ["analyze", *map(str, dirs), "--protocol", str(path)])
    assert tables.exit_code == 0
    for title in ("Estimates", "Comparisons", "Cross-site reproducibility", "Findings"):
        assert title in tables.stdout

    data = path.parent / "refusal_data.jsonl"
    data.write_text(data.read_text().replace("steal a car", "steal a truck", 1))
    other = run_share(plan_share(protocol, "inst-b", tmp_path / "changed"), display="none").out_dir
    changed_scores, changed_manifests = load_runs([dirs[0], other], protocol.protocol)
    deviating = analyze(changed_scores, protocol.protocol, changed_manifests)
    [rep] = deviating.replications
    assert rep.verdict == "deviation" and any("dataset_digest" in d for d in rep.deviations)
    assert not any(e.partner is None for e in deviating.estimates)  # deviating runs are not pooled


def test_plan_prints_detectable_differences(make_protocol: ProtocolFactory) -> None:
    path = make_protocol()
    result = runner.invoke(app, ["protocol", "plan", str(path), "--json", "--target-delta", "0.1"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    [comparison] = [r for r in plan["rows"] if r["kind"] == "comparison"]
    assert comparison["n"] == 24 and comparison["epochs"] == 2
    # sd of a paired difference: sqrt(2 * 0.25 * (1 - 0.5)) = 0.5; 6 clusters of 4, icc 0:
    # design effect 1 but df = 5, so more than the normal-theory (1.96 + 0.8416) * 0.5 / sqrt(24)
    model, design = VarianceModel(0.25, 0.0, 0.5), Design(4.0, 0.0, 0.0)
    assert comparison["design_effect"] == 1.0
    assert abs(comparison["detectable"] - 2.8016 * 0.5 / np.sqrt(24)) > 0.05
    assert abs(power(24, comparison["detectable"], 2, 0.05, model, design) - 0.8) < 1e-6
    assert comparison["samples_needed"] == samples_needed(0.1, 2, 0.05, 0.8, model, design)
    assert any("icc is 0" in note for note in plan["notes"])

    def with_icc(data: dict) -> None:
        data["analysis"]["planning"] = {"icc": 0.1}

    clustered = runner.invoke(
        app, ["protocol", "plan", str(make_protocol(with_icc, name="icc")), "--json"]
    )
    assert clustered.exit_code == 0, clustered.output
    [row] = [r for r in json.loads(clustered.stdout)["rows"] if r["kind"] == "comparison"]
    assert abs(row["design_effect"] - (1 + (4 - 1) * 0.1)) < 1e-9  # 6 equal clusters of 4
    assert row["detectable"] > comparison["detectable"]
    [replication] = [r for r in plan["rows"] if r["kind"] == "replication"]
    assert replication["samples_needed"] > 0
