"""Test packages: the code digest every run now records, and building, verifying and
preparing a package, beside a plain SHA-256 of the same bytes.

A protocol directory holds the example task, importing a chain of H local helper modules,
and a data file of M MB (named by the task, so it is part of its code). Timed: the task's
code digest (import graph + hashing), `build_package`, `verify_package`, `package_protocol`
with a cold and a warm cache, and sealing the data file (age) at build time. The baseline is
hashlib SHA-256 over the same bytes, in the same process.

Usage: python benchmarks/packages.py [--data-mb 50] [--helpers 50] [--rounds 3]
"""

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import yaml

from accord.identity import Keyring, write_key_pair
from accord.package import build_package, package_protocol, verify_package
from accord.protocol import load_protocol, write_example
from accord.run import task_code


def make_protocol(root: Path, data_mb: int, helpers: int, sealed: bool) -> Path:
    directory = root / ("sealed" if sealed else "plain")
    write_example(directory)
    task = directory / "refusal_task.py"
    for index in range(helpers):
        following = f"import helper_{index + 1}\n" if index + 1 < helpers else ""
        (directory / f"helper_{index}.py").write_text(f"{following}VALUE_{index} = {index}\n")
    lines = task.read_text().splitlines(keepends=True)
    lines.insert(8, "import helper_0  # noqa: F401\nBIG = 'big_data.bin'\n")
    task.write_text("".join(lines))
    (directory / "big_data.bin").write_bytes(b"x" * (data_mb * 1_000_000))
    path = directory / "protocol.yaml"
    if sealed:
        data = yaml.safe_load(path.read_text())
        data["tasks"][0]["sealed"] = ["big_data.bin"]
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def timed(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-mb", type=int, default=50)
    parser.add_argument("--helpers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        now = datetime.now(UTC)
        for partner in ("inst-a", "inst-b"):
            write_key_pair(partner, root / "keys", now)
        protocol = make_protocol(root, args.data_mb, args.helpers, sealed=False)
        loaded = load_protocol(protocol)
        size = sum(p.stat().st_size for p in protocol.parent.iterdir() if p.is_file())
        mb = size / 1e6

        def sha() -> None:
            for path in sorted(protocol.parent.iterdir()):
                if path.is_file():
                    hashlib.sha256(path.read_bytes()).digest()

        baseline = timed(sha, args.rounds)
        code = timed(lambda: task_code(loaded.base_dir, loaded.protocol.tasks[0]), args.rounds)
        counter = iter(range(10_000))
        build = timed(
            lambda: build_package(protocol, root / f"p{next(counter)}.accordpkg"), args.rounds
        )
        package = root / "p0.accordpkg"
        verify = timed(lambda: verify_package(package, None), args.rounds)
        cache = root / "cache"
        cold = timed(
            lambda: package_protocol(package, None, cache=root / f"c{next(counter)}"),
            args.rounds,
        )
        package_protocol(package, None, cache=cache)
        warm = timed(lambda: package_protocol(package, None, cache=cache), args.rounds)
        sealed_protocol = make_protocol(root, args.data_mb, args.helpers, sealed=True)
        sealed = timed(
            lambda: build_package(
                sealed_protocol, root / f"s{next(counter)}.accordpkg", seal_to=_both(root, now)
            ),
            args.rounds,
        )
    print(f"package: {mb:.1f} MB in {args.helpers + 3} files; median of {args.rounds} rounds")
    print(f"{'step':<28}{'seconds':>10}{'MB/s':>10}{'x SHA-256 time':>16}")
    for name, seconds in (
        ("SHA-256 of the files", baseline),
        ("task code digest (run)", code),
        ("build", build),
        ("build, data sealed (age)", sealed),
        ("verify", verify),
        ("prepare run, cold cache", cold),
        ("prepare run, warm cache", warm),
    ):
        print(f"{name:<28}{seconds:>10.3f}{mb / seconds:>10.0f}{seconds / baseline:>16.1f}")


def _both(root: Path, now: datetime) -> Keyring:
    from accord.identity import load_public_record

    ring = Keyring()
    for partner in ("inst-a", "inst-b"):
        ring.add(load_public_record(root / "keys" / f"{partner}.pub.json"), now, None)
    return ring


if __name__ == "__main__":
    main()
