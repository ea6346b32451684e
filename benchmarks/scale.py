"""Throughput of a share: bare Inspect in one process vs `accord run --executor ray --workers 2`.

A loopback OpenAI-compatible server (`tests/run/_loopback.py`, its own process) answers after
a fixed latency. The same task of N samples (one epoch) runs against it through Inspect's
`openai-api` provider, first as a bare `inspect eval` in one process, then as
`accord run --executor ray --workers 2` (a fresh local Ray, started by the command). Both are
timed from the command's start to its exit, so Ray's start-up and the merge of the shards
count against Ray. Prints samples/s, the ratio, the efficiency against the ideal
(connections / latency) and the server's CPU share of the wall time.

Each pair runs `--repeat` times side by side (the machine's load average is printed with
each pair), since a shared machine moves these numbers between runs.

Usage: python benchmarks/scale.py [--samples 2000] [--latency 0.05 0.5] [--connections 100]
    [--repeat 1]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path

from inspect_ai.log import read_eval_log_sample_summaries
from tests.run._loopback import LoopbackServer

TASK = textwrap.dedent(
    """
    from inspect_ai import Task, task
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate


    @task
    def questions(samples: int = 2000) -> Task:
        data = [Sample(id=i, input=f"Question {i}: is it safe?", target="safe")
                for i in range(1, samples + 1)]
        return Task(dataset=MemoryDataset(data), solver=generate(), scorer=includes(), version=1)
    """
)

PROTOCOL = textwrap.dedent(
    """
    accord: 1
    name: scale
    partners: [{{id: lab, name: Lab}}]
    models: [{{id: m, model: openai-api/loopback/echo, base_url: "{base_url}"}}]
    tasks: [{{id: questions, task: "task.py@questions", args: {{samples: {samples}}}}}]
    assignments: [{{partner: lab, tasks: [questions], models: [m]}}]
    """
)


def run_phase(log_dir: Path) -> float:
    """Seconds from the first sample's start to the last sample's end, in the one log."""
    [log] = log_dir.glob("*.eval")
    summaries = read_eval_log_sample_summaries(str(log))
    first = min(datetime.fromisoformat(str(s.started_at)) for s in summaries)
    last = max(datetime.fromisoformat(str(s.completed_at)) for s in summaries)
    return (last - first).total_seconds()


def timed(command: list[str], cwd: Path, server: LoopbackServer) -> tuple[float, float, int, int]:
    """Wall seconds, server CPU seconds, requests served and peak concurrent requests."""
    server.reset()
    env = {**os.environ, "LOOPBACK_API_KEY": "bench", "INSPECT_LOG_DIR": str(cwd / "logs")}
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    stats = server.stats()
    return wall, stats["cpu_seconds"], stats["requests"], stats["peak"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.5])
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    print(f"{args.samples} samples, {args.connections} connections, {args.workers} Ray workers")
    header = (
        "latency ms | runner | wall s | samples/s | run phase s | samples/s in run phase | "
        "ideal/s | efficiency (run phase) | server CPU | peak connections"
    )
    print(header)
    for latency in [x for x in args.latency for _ in range(args.repeat)]:
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        ideal = args.connections / latency
        with LoopbackServer(latency) as server, tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "task.py").write_text(TASK)
            (work / "protocol.yaml").write_text(
                PROTOCOL.format(base_url=server.base_url, samples=args.samples)
            )
            bare = [str(bin_dir / "inspect"), "eval", "task.py@questions"]
            bare += ["-T", f"samples={args.samples}", "--model", "openai-api/loopback/echo"]
            bare += ["--model-base-url", server.base_url, "--max-connections"]
            bare += [str(args.connections), "--display", "none", "--log-dir", "bare"]
            ray = [str(bin_dir / "accord"), "run", "protocol.yaml", "-p", "lab", "-o", "ray"]
            ray += ["--executor", "ray", "--workers", str(args.workers), "--json"]
            ray += ["--max-connections", str(args.connections)]
            rates, phase_rates = {}, {}
            for name, command, logs in (
                ("inspect, 1 process", bare, "bare"),
                ("accord ray", ray, "ray"),
            ):
                wall, cpu, requests, peak = timed(command, work, server)
                assert peak <= args.connections, f"{name} went over the cap: {peak}"
                assert requests == args.samples, f"{name} asked {requests} times"
                phase = run_phase(work / logs)
                rates[name], phase_rates[name] = args.samples / wall, args.samples / phase
                print(
                    f"{latency * 1000:.0f} | {name} | {wall:.1f} | {rates[name]:.1f} | "
                    f"{phase:.1f} | {phase_rates[name]:.1f} | {ideal:.0f} | "
                    f"{phase_rates[name] / ideal:.1%} | {cpu / wall:.0%} | {peak}"
                )
            one, many = "inspect, 1 process", "accord ray"
            print(
                f"{latency * 1000:.0f} | ratio ray / one process: wall {rates[many] / rates[one]:.2f}x,"
                f" run phase {phase_rates[many] / phase_rates[one]:.2f}x"
            )


if __name__ == "__main__":
    main()
