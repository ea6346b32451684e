"""Token usage per model from Inspect, and cost from the user's prices: manifest to hub."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from accord.bundle import open_bundle, read_document
from accord.cli import app
from accord.run import Price, Usage, read_manifest
from tests.conftest import ProtocolFactory
from tests.run._hub import submit_runs
from tests.run._loopback import LoopbackServer

runner = CliRunner(env={"COLUMNS": "200"})
LOOPBACK = "openai-api/loopback/echo"


def test_cost_is_input_output_and_cache_tokens_at_their_prices() -> None:
    usage = Usage(input_tokens=1000, output_tokens=200, input_tokens_cache_read=500)
    assert usage.priced(Price(input=2.0, output=8.0)).cost == pytest.approx(
        (1000 * 2.0 + 200 * 8.0 + 500 * 2.0) / 1e6
    )
    priced = usage.priced(Price(input=2.0, output=8.0, input_cache_read=0.5))
    assert priced.cost == pytest.approx((1000 * 2.0 + 200 * 8.0 + 500 * 0.5) / 1e6)
    assert usage.priced(None).cost is None
    total = priced + Usage(input_tokens=1, cost=None)
    assert (total.input_tokens, total.cost) == (1001, priced.cost)


def test_usage_and_cost_reach_manifest_summary_bundle_and_hub(
    make_protocol: ProtocolFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOPBACK_API_KEY", "test")
    prices = tmp_path / "prices.yaml"
    prices.write_text(yaml.safe_dump({LOOPBACK: {"input": 2.5, "output": 10.0}}))
    with LoopbackServer(latency=0.0) as server:

        def edit(data: dict[str, Any]) -> None:
            data["models"][0].update(model=LOOPBACK, base_url=server.base_url)
            data["embargo_until"] = None
            data["allow_trial_submissions"] = True
            data["disclosure"] = {"default": "scores"}  # the least: usage is an aggregate

        path = make_protocol(edit)
        out = tmp_path / "b"
        args = ["run", str(path), "-p", "inst-b", "-o", str(out), "--limit", "3"]
        result = runner.invoke(app, [*args, "--prices", str(prices)])
        assert result.exit_code == 0, result.output
    # 3 samples x 2 epochs, and the server reports 20 input and 10 output tokens a call.
    expected = Usage(input_tokens=120, output_tokens=60, total_tokens=180, cost=0.0009)
    manifest = read_manifest(out)
    assert manifest.logs[0].usage == {LOOPBACK: expected}
    assert manifest.usage == {LOOPBACK: expected}
    assert manifest.options.prices == {LOOPBACK: Price(input=2.5, output=10.0)}
    assert "0.0009" in result.stdout and "120" in result.stdout
    world, exercise, [response] = submit_runs(tmp_path, path, {"inst-b": out})
    assert response.status_code == 201, response.text
    with open_bundle(tmp_path / "inst-b.accord") as opened:
        document, _, _ = read_document(opened)
    assert [m.disclosure for m in document.members] == ["scores"]
    assert document.run_manifest.logs[0].usage == {LOOPBACK: expected}
    results = world.call("a-observer", "GET", f"/exercises/{exercise}/results").json()
    [run] = results["runs"]
    assert run["usage"][LOOPBACK]["cost"] == 0.0009
    assert run["usage"][LOOPBACK]["input_tokens"] == 120
    report = world.call("a-evaluator", "GET", f"/exercises/{exercise}/report?format=json")
    [row] = json.loads(report.text)["provenance"]["runs"]
    assert row["usage"] == [f"{LOOPBACK}: 120 in / 60 out, $0.0009"]


def test_stand_in_usage_is_recorded_without_a_cost(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["run", str(make_protocol()), "-p", "inst-b", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [record] = read_manifest(tmp_path).logs
    [(model, usage)] = record.usage.items()
    assert model == "accord/guarded" and usage.output_tokens > 0 and usage.cost is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "must map Inspect model strings to prices"),
        ("openai/gpt-4o: {input: 2.5}", "the price of openai/gpt-4o is not valid"),
        ("openai/gpt-4o: {input: -1, output: 2}", "bad or missing: input"),
        ("a: [", "is not YAML or JSON"),
    ],
)
def test_a_bad_prices_file_is_refused_before_running(
    make_protocol: ProtocolFactory, tmp_path: Path, content: str, message: str
) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(content)
    out = tmp_path / "out"
    args = ["run", str(make_protocol()), "-p", "inst-b", "-o", str(out), "--prices", str(prices)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and not out.exists()
