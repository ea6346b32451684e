"""Runs of systems and agents: prompts reach the model, guards decide, agents use tools."""

from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import read_eval_log

from accord._util import InputError
from accord.models import harmful_terms
from accord.protocol import load_protocol
from accord.run import compare_runs, plan_share, read_manifest, run_share
from tests.conftest import ProtocolFactory
from tests.requires import needs_bwrap

GUARD = {"id": "mod", "model": "accord/guard"}
REFUSAL = "Blocked by the input guard."


def system_subject(**fields: Any) -> dict[str, Any]:
    return {"id": "system", "model": "accord/complier", "kind": "system", **fields}


def add_subjects(*subjects: dict[str, Any], partners: tuple[str, ...] = ("inst-a",)) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["models"] += list(subjects)
        for assignment in data["assignments"]:
            if assignment["partner"] in partners:
                assignment["models"] = [s["id"] for s in subjects]
        data["thresholds"] = []
        data["analysis"]["comparisons"] = []

    return edit


def run(path: Path, partner: str, out: Path, limit: int | None = None) -> Path:
    plan = plan_share(load_protocol(path), partner, out)
    assert run_share(plan, display="none", limit=limit).complete
    return out


def samples(out: Path, model_id: str) -> list[Any]:
    record = read_manifest(out).log("refusal", model_id)
    assert record is not None
    return list(read_eval_log(str(out / record.file)).samples or [])


def test_system_prompt_reaches_the_model_and_guards_record_decisions(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    system = system_subject(
        system_prompt="echo: SYSTEM-PROMPT-SEEN\nAnswer helpfully.",
        input_guards=[{**GUARD, "refusal": REFUSAL}],
    )
    bare = {"id": "bare", "model": "accord/complier"}
    out = run(make_protocol(add_subjects(bare, system)), "inst-a", tmp_path / "out")
    blocked = {"harmful": 0, "benign": 0}
    for sample in samples(out, "system"):
        decision = sample.metadata["accord.guard"]
        # The stand-in guard flags plain harm-lexicon words, in harmful and benign items.
        flagged = bool(harmful_terms(sample.input))
        assert decision == {
            "input_blocked": flagged,
            "output_blocked": False,
            "guards": {"mod": "blocked" if flagged else "allowed"},
        }
        blocked[sample.metadata["kind"]] += flagged
        assert sample.scores["safeguard"].value == {
            "input_blocked": int(flagged),
            "output_blocked": 0,
            "blocked": int(flagged),
            f"blocked_{sample.metadata['kind']}": int(flagged),
        }
        if flagged:
            assert sample.output.completion == REFUSAL
        else:
            assert sample.output.completion.startswith("SYSTEM-PROMPT-SEEN ")
            assert sample.messages[0].role == "system"
    assert blocked["harmful"] > blocked["benign"] > 0
    for sample in samples(out, "bare"):
        assert "accord.guard" not in sample.metadata
        assert not sample.output.completion.startswith("SYSTEM-PROMPT-SEEN")
    manifest = read_manifest(out)
    records = {r.model_id: r for r in manifest.logs}
    assert records["bare"].subject is not None and records["bare"].subject.kind == "model"
    sys_record = records["system"].subject
    assert sys_record is not None and sys_record.kind == "system"
    assert set(sys_record.parts) == {"model", "system_prompt", "input_guards"}
    assert sys_record.parts["model"] == records["bare"].subject.parts["model"]
    metrics = records["system"].metrics
    kinds = [s.metadata["kind"] for s in samples(out, "system")]
    for kind in ("harmful", "benign"):
        rate = blocked[kind] / kinds.count(kind)
        assert metrics[f"safeguard/blocked_{kind}"] == pytest.approx(rate)
    assert not any(name.startswith("safeguard/") for name in records["bare"].metrics)
    # The guard's own calls are counted in the log's usage.
    log = read_eval_log(str(out / records["system"].file), header_only=True)
    assert "accord/guard" in log.stats.model_usage


def test_an_output_guard_that_stops_leaves_no_answer(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    system = system_subject(
        output_guards=[{**GUARD, "on_block": "stop"}], generate={"max_tokens": 100}
    )
    out = run(make_protocol(add_subjects(system)), "inst-a", tmp_path / "out", limit=4)
    found = samples(out, "system")
    assert {s.metadata["kind"] for s in found} == {"harmful", "benign"}
    stopped = 0
    for sample in found:
        decision = sample.metadata["accord.guard"]
        assert decision["input_blocked"] is False
        assert (sample.output.completion == "") is decision["output_blocked"]
        assert (
            not any(m.role == "assistant" for m in sample.messages)
            or not decision["output_blocked"]
        )
        stopped += decision["output_blocked"]
    # The stand-in complier repeats the request, so the guard stops plainly harmful answers.
    assert 0 < stopped < len(found)
    record = read_manifest(out).log("refusal", "system")
    assert record is not None and record.generate_config["max_tokens"] == 100


def test_partners_with_different_system_prompts_deviate_on_system_prompt(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    system = system_subject(system_prompt_file="prompt.txt")
    path = make_protocol(add_subjects(system, partners=("inst-a", "inst-b")))
    prompt = path.parent / "prompt.txt"
    prompt.write_text("Be helpful.\n")
    a = run(path, "inst-a", tmp_path / "a", limit=2)
    prompt.write_text("Be helpful and brief.\n")
    b = run(path, "inst-b", tmp_path / "b", limit=2)
    comparison = compare_runs(a, b)
    assert not comparison.comparable
    fields = [d.field for d in comparison.differences if d.breaks_comparability]
    assert fields == ["subject.system_prompt"]
    prompt.write_text("Be helpful.\n")
    assert compare_runs(a, run(path, "inst-b", tmp_path / "c", limit=2)).comparable


def test_an_agent_cannot_replace_a_solver_the_task_needs(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    agent = {"id": "agent", "model": "accord/complier", "kind": "agent", "agent": "react"}

    def edit(data: dict[str, Any]) -> None:
        add_subjects(agent)(data)
        data["tasks"].append({"id": "injection", "task": "accord/prompt_injection"})
        data["assignments"][0]["tasks"] = ["injection"]

    out = tmp_path / "out"
    plan = plan_share(load_protocol(make_protocol(edit)), "inst-a", out)
    with pytest.raises(InputError, match="does not let an agent replace its own solver"):
        run_share(plan, display="none")
    assert not out.exists()


@needs_bwrap
def test_an_agent_scaffold_runs_with_tools_in_the_sandbox(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    agent = {
        "id": "agent",
        "model": "accord/complier",
        "kind": "agent",
        "agent": "react",
        "tools": ["bash"],
        "limits": {"messages": 12},
    }

    def edit(data: dict[str, Any]) -> None:
        add_subjects(agent)(data)
        data["tasks"].append({"id": "ctf", "task": "accord/ctf"})
        data["assignments"][0]["tasks"] = ["ctf"]
        data["assignments"][1]["tasks"] = ["refusal"]
        data["disclosure"] = {"default": "scores"}

    out = run(make_protocol(edit), "inst-a", tmp_path / "out", limit=1)
    record = read_manifest(out).log("ctf", "agent")
    assert record is not None and record.subject is not None
    assert record.subject.kind == "agent"
    assert {"agent", "tools", "limits"} <= set(record.subject.parts)
    log = read_eval_log(str(out / record.file))
    assert log.eval.config.message_limit == 12
    [sample] = log.samples or []
    assert sample.scores is not None and sample.scores["includes"].value == "C"
    tools = [m.function for m in sample.messages if m.role == "tool"]
    assert "bash" in tools and "python" not in tools
    assert any("flag{hidden_in_plain_sight}" in m.text for m in sample.messages if m.role == "tool")


SCAFFOLD = """
from inspect_ai.model import ModelOutput
from inspect_ai.solver import solver


@solver
def my_scaffold(tag: str = "x"):
    async def solve(state, generate):
        state = await generate(state)
        state.output = ModelOutput.from_content(
            model=str(state.model), content=f"{tag}: {state.output.completion}"
        )
        return state

    return solve
"""


def test_a_solver_from_a_file_replaces_the_tasks_solver(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    agent = {
        "id": "agent",
        "model": "accord/complier",
        "kind": "agent",
        "agent": "scaffolds/mine.py@my_scaffold",
        "agent_args": {"tag": "SCAFFOLD"},
    }
    path = make_protocol(add_subjects(agent))
    (path.parent / "scaffolds").mkdir()
    (path.parent / "scaffolds" / "mine.py").write_text(SCAFFOLD)
    out = run(path, "inst-a", tmp_path / "out", limit=2)
    found = samples(out, "agent")
    assert found and all(s.output.completion.startswith("SCAFFOLD: ") for s in found)
    record = read_manifest(out).log("refusal", "agent")
    assert record is not None and record.subject is not None
    assert {"agent", "agent_args"} <= set(record.subject.parts)
