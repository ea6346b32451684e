"""Overhead of `accord run` over a bare `inspect_ai.eval` of the same task.

The same 1,000-sample task on `mockllm/model` (with usage-carrying outputs, so nothing is
downloaded) runs through bare `inspect_ai.eval(...)` and through Accord's run of a share
(`plan_share` + `run_share`, i.e. eval_set + manifest), alternating, for several rounds.
Prints each round's times and the median ratio accord/inspect (target <= 1.05).

Usage: python benchmarks/run_overhead.py [--samples 1000] [--rounds 5]
"""

import argparse
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolChoice, ToolInfo

from accord.protocol import load_protocol
from accord.run import capture_environment, collect_logs, plan_share, run_share

TASK = textwrap.dedent(
    """
    from inspect_ai import Task, task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate


    @task
    def arithmetic(samples: int = 1000) -> Task:
        data = [Sample(id=i, input=f"What is {i}+{i}?", target=str(2 * i)) for i in range(samples)]
        return Task(dataset=MemoryDataset(data), solver=generate(), scorer=match(), version=1)
    """
)

PROTOCOL = textwrap.dedent(
    """
    accord: 1
    name: overhead
    partners: [{{id: lab, name: Lab}}]
    models: [{{id: mock, model: mockllm/model}}]
    tasks: [{{id: arithmetic, task: "task.py@arithmetic", args: {{samples: {samples}}}}}]
    assignments: [{{partner: lab, tasks: [arithmetic], models: [mock]}}]
    """
)


def answer(
    messages: list[ChatMessage], tools: list[ToolInfo], choice: ToolChoice, config: GenerateConfig
) -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", "42")
    output.usage = ModelUsage(input_tokens=8, output_tokens=1, total_tokens=9)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    (work / "task.py").write_text(TASK)
    (work / "protocol.yaml").write_text(PROTOCOL.format(samples=args.samples))
    loaded = load_protocol(work / "protocol.yaml")
    model = get_model("mockllm/model", custom_outputs=answer)

    def bare(round_dir: Path) -> None:
        [log] = inspect_eval(
            str(work / "task.py@arithmetic"),
            task_args={"samples": args.samples},
            model=model,
            log_dir=str(round_dir / "inspect"),
            display="none",
        )
        assert log.status == "success" and log.results and log.results.total_samples == args.samples

    def accord(round_dir: Path) -> None:
        plan = plan_share(loaded, "lab", round_dir / "accord")
        result = run_share(plan, display="none", models={"mock": model})
        assert result.complete and result.manifest.logs[0].samples == args.samples

    bare(work / "warmup")  # imports, caches
    ratios = []
    print(f"{args.samples} samples, {args.rounds} rounds, alternating which goes first")
    print(f"{'round':>5} {'inspect s':>10} {'accord s':>10} {'ratio':>7}")
    for round_index in range(args.rounds):
        times = {}
        order = [("inspect", bare), ("accord", accord)]
        if round_index % 2:
            order.reverse()
        for name, fn in order:
            start = time.perf_counter()
            fn(work / f"round{round_index}")
            times[name] = time.perf_counter() - start
        ratio = times["accord"] / times["inspect"]
        ratios.append(ratio)
        print(f"{round_index:>5} {times['inspect']:>10.2f} {times['accord']:>10.2f} {ratio:>7.3f}")
    print(f"median ratio accord/inspect: {statistics.median(ratios):.3f} (target <= 1.05)")
    plan = plan_share(loaded, "lab", work / "round0" / "accord")
    start = time.perf_counter()
    capture_environment(work)
    middle = time.perf_counter()
    collect_logs(plan)
    end = time.perf_counter()
    print(
        f"accord's own steps: environment {middle - start:.3f} s, "
        f"manifest of logs {end - middle:.3f} s"
    )


if __name__ == "__main__":
    main()
