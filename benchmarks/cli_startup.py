"""Start-up time of the `accord` command beside Inspect's own `inspect` command.

Runs `accord --help`, `accord --version` and `inspect --help` as fresh processes, alternating,
for several rounds; prints each command's median and minimum wall time and the ratios
accord/inspect. Also times `python -c "import accord.cli"` against a bare `python -c pass`.
Target: `accord --help` and `accord --version` <= 0.3 s wall.

Usage: python benchmarks/cli_startup.py [--rounds 15]
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    accord = shutil.which("accord", path=str(bin_dir)) or "accord"
    inspect = shutil.which("inspect", path=str(bin_dir)) or "inspect"
    commands = {
        "accord --help": [accord, "--help"],
        "accord --version": [accord, "--version"],
        "inspect --help": [inspect, "--help"],
        "python -c 'import accord.cli'": [sys.executable, "-c", "import accord.cli"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for command in commands.values():  # warm the file cache
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            times[name].append(wall(command))
    print(f"{'command':<32} {'median s':>9} {'min s':>7}")
    for name, values in times.items():
        print(f"{name:<32} {statistics.median(values):>9.3f} {min(values):>7.3f}")
    base = statistics.median(times["inspect --help"])
    for name in ("accord --help", "accord --version"):
        median = statistics.median(times[name])
        verdict = "ok" if median <= 0.3 else "over target"
        print(f"ratio {name} / inspect --help: {median / base:.3f}  (target 0.3 s: {verdict})")


if __name__ == "__main__":
    main()
