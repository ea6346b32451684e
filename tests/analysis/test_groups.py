"""Subgroup analysis (`groups:` per task) against a direct computation on real demo runs."""

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from inspect_ai.log import read_eval_log
from inspect_ai.scorer import value_to_float
from scipy import stats
from sqlalchemy import delete
from typer.testing import CliRunner

from accord.analysis import analyze, load_runs
from accord.cli import app
from accord.protocol import load_protocol, parse_protocol
from accord.report import build_report, from_run_dirs, render_markdown
from accord.run import read_manifest
from accord.store import RunScoreColumns, transaction
from tests.conftest import BACKENDS
from tests.report.conftest import Demo, build_hub, demo

__all__ = ["demo"]  # the session fixture, shared with tests/report

runner = CliRunner(env={"COLUMNS": "250"})
ALPHA = 0.05


def by_hand(run_dir: Path, task: str, model: str, scorer: str) -> dict[str, list[float]]:
    """Scores per `transform`, read with Inspect's own log reader and value_to_float."""
    to_float = value_to_float()
    values: dict[str, list[float]] = defaultdict(list)
    for record in read_manifest(run_dir).logs:
        if (record.task_id, record.model_id) != (task, model):
            continue
        log = read_eval_log(str(run_dir / record.file))
        for sample in log.samples or []:
            assert sample.scores is not None
            values[str(sample.metadata["transform"])].append(to_float(sample.scores[scorer].value))
    return values


def wilson_by_hand(successes: float, n: float, q: float) -> tuple[float, float]:
    """Wilson's interval with exact Poisson bounds for at most 3 successes or failures."""
    p = successes / n
    centre = (p + q**2 / (2 * n)) / (1 + q**2 / n)
    half = q * np.sqrt(p * (1 - p) / n + q**2 / (4 * n**2)) / (1 + q**2 / n)
    low, high = max(centre - half, 0.0), min(centre + half, 1.0)
    tail = stats.norm.sf(q)
    if 0 < successes <= 3:
        low = min(low, stats.chi2.ppf(tail, 2 * successes) / (2 * n))
    if 0 < n - successes <= 3:
        high = max(high, 1 - stats.chi2.ppf(tail, 2 * (n - successes)) / (2 * n))
    return (0.0 if successes == 0 else low), (1.0 if successes == n else high)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, written out."""
    m, order = len(p_values), sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def check_jailbreak_groups(analysis: dict[str, Any], demo: Demo) -> None:
    """Subgroup estimates and comparisons of the demo's jailbreak task, checked by hand."""
    run_dir = demo.runs[0]  # inst-a ran jailbreak
    subject = by_hand(run_dir, "jailbreak", "subject", "attack_success")
    ref = by_hand(run_dir, "jailbreak", "ref", "attack_success")
    assert len(subject) == 9  # every transform of the suite is a subgroup
    rows = {
        (e["group"], e["model"]): e
        for e in analysis["group_estimates"]
        if e["task"] == "jailbreak" and e["scorer"] == "attack_success"
    }
    for transform, scores in subject.items():
        x = np.asarray(scores)
        row = rows[(f"transform={transform}", "subject")]
        assert row["partner"] == "inst-a" and row["n"] == x.size == 18
        assert row["mean"] == pytest.approx(x.mean(), abs=1e-12)
        # one sample per `original` cluster in a subgroup: CR2 reduces to sd / sqrt(n)
        assert row["se"] == pytest.approx(x.std(ddof=1) / np.sqrt(x.size), abs=1e-9)
        assert row["method"] == "wilson" and row["clusters"] == 18
        q = stats.t.ppf(1 - ALPHA / 2, x.size - 1)
        low, high = wilson_by_hand(x.sum(), x.size, q)
        assert row["ci_low"] == pytest.approx(low, abs=1e-6)
        assert row["ci_high"] == pytest.approx(high, abs=1e-6)
    family = [
        c
        for c in analysis["group_comparisons"]
        if c["task"] == "jailbreak" and c["partner"] is None
    ]
    # the family: every transform x comparison pair of the task's one key, Holm-adjusted
    assert len(family) == 9 * 2
    assert [c["p_adjusted"] for c in family] == pytest.approx(holm([c["p_value"] for c in family]))
    assert [c["adjusted_level"] for c in family] == pytest.approx([1 - ALPHA / 18] * 18)
    for c in family:
        if (c["model"], c["reference"]) == ("subject", "ref"):
            transform = c["group"].removeprefix("transform=")
            delta = np.mean(subject[transform]) - np.mean(ref[transform])
            assert c["delta"] == pytest.approx(delta, abs=1e-12)
            assert c["n"] == 18 and c["paired"]
    # the primary family is untouched by the subgroup rows
    primary = [c for c in analysis["comparisons"] if c["p_adjusted"] is not None]
    assert all(c.get("group") is None for c in primary)


def test_local_subgroups_match_a_direct_computation(demo: Demo) -> None:
    protocol = load_protocol(demo.protocol, resolve_tasks=False).protocol
    table, manifests = load_runs(demo.runs, protocol)
    result = analyze(table, protocol, manifests)
    check_jailbreak_groups(result.model_dump(mode="json"), demo)
    # refusal by kind: both partners ran the subject, so each kind gets a replication
    kinds = {r.group for r in result.group_replications if r.task == "refusal"}
    assert kinds == {"kind=benign", "kind=harmful"}
    assert all(r.n == 18 and r.verdict != "deviation" for r in result.group_replications)


def test_cli_prints_subgroup_tables_and_json(demo: Demo) -> None:
    args = ["analyze", *map(str, demo.runs), "--protocol", str(demo.protocol)]
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "Estimates by subgroup" in shown.output
    assert "jailbreak: transform=rot13" in shown.output
    printed = runner.invoke(app, [*args, "--json"])
    assert printed.exit_code == 0, printed.output
    check_jailbreak_groups(json.loads(printed.stdout), demo)


def test_unknown_group_key_is_a_note_and_the_rest_stands(demo: Demo, tmp_path: Path) -> None:
    data = yaml.safe_load(demo.protocol.read_text())
    data["tasks"][1]["groups"] = ["no_such_key"]
    protocol = parse_protocol(yaml.safe_dump(data), "test", tmp_path, resolve_tasks=False)
    table, manifests = load_runs(demo.runs, protocol)
    result = analyze(table, protocol, manifests)
    [note] = result.group_notes
    assert "'jailbreak' declares group key 'no_such_key'" in note
    assert not [r for r in result.group_estimates if r.task == "jailbreak"]
    assert [r for r in result.group_estimates if r.task == "refusal"]  # other keys still work
    assert any(e.task == "jailbreak" for e in result.estimates)
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data))
    shown = runner.invoke(app, ["analyze", *map(str, demo.runs), "--protocol", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "no_such_key" in shown.output


@pytest.mark.parametrize("field", [["transform", "transform"], ["bad key!"], list("abcde")])
def test_groups_are_validated(demo: Demo, tmp_path: Path, field: list[str]) -> None:
    data = yaml.safe_load(demo.protocol.read_text())
    data["tasks"][1]["groups"] = field
    with pytest.raises(Exception, match="groups"):
        parse_protocol(yaml.safe_dump(data), "test", tmp_path, resolve_tasks=False)


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_hub_subgroups_match_a_direct_computation(
    database: str, demo: Demo, tmp_path: Path
) -> None:
    world = build_hub(database, tmp_path / "data", demo)
    response = world.get("inst-a", f"/exercises/{world.exercise}/results")
    assert response.status_code == 200, response.text
    analysis = response.json()["analysis"]
    check_jailbreak_groups(analysis, demo)
    protocol = load_protocol(demo.protocol, resolve_tasks=False).protocol
    table, manifests = load_runs(demo.runs, protocol)
    local = analyze(table, protocol, manifests).model_dump(mode="json")
    for part in ("group_estimates", "group_comparisons", "group_replications"):
        assert len(analysis[part]) == len(local[part]) > 0


def test_report_has_subgroup_tables(demo: Demo) -> None:
    report, _ = build_report(from_run_dirs(demo.protocol, demo.runs))
    section = next(s for s in report.tasks if s.task == "jailbreak")
    rows = {(r.group, r.model): r for r in section.group_estimates if r.partner == "inst-a"}
    subject = by_hand(demo.runs[0], "jailbreak", "subject", "attack_success")
    for transform, scores in subject.items():
        row = rows[(f"transform={transform}", "subject")]
        assert row.mean == pytest.approx(np.mean(scores)) and row.n == len(scores)
    assert len(section.group_comparisons) == 9 * 2
    markdown = render_markdown(report)
    assert "Differences vs references by subgroup (corrected per task and key)" in markdown
    assert "| transform=rot13 |" in markdown


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_hub_runs_without_group_labels_ask_for_resubmission(
    database: str, demo: Demo, tmp_path: Path
) -> None:
    """Columns rebuilt from rows carry no group labels: the results say to submit again."""
    world = build_hub(database, tmp_path / "data", demo)
    with transaction(world.hub.sessions) as session:
        session.execute(delete(RunScoreColumns))
    world.hub.results_cache.clear()
    response = world.get("inst-a", f"/exercises/{world.exercise}/results")
    assert response.status_code == 200, response.text
    analysis = response.json()["analysis"]
    assert analysis["estimates"] and not analysis["group_estimates"]
    assert any("declares group key 'kind'" in n for n in analysis["group_notes"])
    assert all("submit them again" in n for n in analysis["group_notes"])


def test_group_keys_survive_the_scores_disclosure_level(demo: Demo, tmp_path: Path) -> None:
    data = yaml.safe_load(demo.protocol.read_text())
    data["tasks"][1]["share_metadata"] = []
    protocol = parse_protocol(yaml.safe_dump(data), "test", tmp_path, resolve_tasks=False)
    assert "transform" in protocol.task("jailbreak").shared_metadata_keys()
