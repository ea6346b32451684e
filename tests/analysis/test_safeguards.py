"""Safeguard efficacy and subject deviations in the analysis of real runs of a system."""

from pathlib import Path
from typing import Any

from accord.analysis import analyze, load_runs
from accord.protocol import load_protocol
from accord.run import plan_share, run_share
from tests.conftest import ProtocolFactory

SYSTEM = {
    "id": "system",
    "model": "accord/complier",
    "kind": "system",
    "system_prompt_file": "prompt.txt",
    "input_guards": [{"id": "mod", "model": "accord/guard"}],
}


def test_block_rates_with_intervals_and_a_prompt_deviation(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"].append(SYSTEM)
        for assignment in data["assignments"]:
            assignment["models"] = ["system"]
        data["thresholds"] = []
        data["analysis"]["comparisons"] = []

    path = make_protocol(edit)
    prompt = path.parent / "prompt.txt"
    runs = []
    for partner, text in (("inst-a", "Be helpful.\n"), ("inst-b", "Be brief.\n")):
        prompt.write_text(text)
        plan = plan_share(load_protocol(path), partner, tmp_path / partner)
        assert run_share(plan, display="none", limit=8).complete
        runs.append(plan.out_dir)
    loaded = load_protocol(path)
    table, manifests = load_runs(runs, loaded.protocol)
    result = analyze(table, loaded.protocol, manifests)

    rows = {row.partner: row for row in result.safeguards}
    assert set(rows) == {"inst-a", "inst-b"}  # not pooled: the partners' systems differ
    for row in rows.values():
        assert row.note is None and row.efficacy is not None and row.over_blocking is not None
        for rate in (row.efficacy, row.over_blocking, row.blocked):
            assert rate.method == "wilson" and rate.binary
            assert rate.ci_low is not None and rate.ci_high is not None
            assert rate.ci_low <= rate.mean <= rate.ci_high and rate.ci_high > rate.ci_low
        assert row.efficacy.n + row.over_blocking.n == row.blocked.n == 8
        assert row.efficacy.mean > row.over_blocking.mean

    [replication] = [r for r in result.replications if r.scorer == "refusal_judge"]
    assert replication.verdict == "deviation"
    assert [d.split(":")[0] for d in replication.deviations] == ["subject.system_prompt"]
