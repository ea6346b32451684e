"""Building and verifying a bundle of a 10,000-sample run, beside a plain SHA-256.

A real run of the example task (stand-in model, full transcripts) is grown to N samples by
repeating its samples under new ids, the manifest is rebuilt for it, and then for each
disclosure level the bundle is built and verified. Throughput is MB of run logs per second;
the baseline is hashlib SHA-256 over the same bytes, timed in the same process.

Usage: python benchmarks/bundle.py [--samples 10000]
"""

import argparse
import hashlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from inspect_ai.log import read_eval_log, write_eval_log

from accord.bundle import build_bundle, verify_bundle
from accord.identity import Keyring, load_private_key, write_key_pair
from accord.protocol import load_protocol, write_example
from accord.run import collect_logs, plan_share, read_manifest, run_share
from accord.run._manifest import write_manifest


def grow_run(work: Path, samples: int, level: str) -> tuple[Path, Path]:
    directory = work / level
    write_example(directory)
    data = yaml.safe_load((directory / "protocol.yaml").read_text())
    data["assignments"] = [
        {"partner": "inst-a", "tasks": ["refusal"], "models": ["subject"]},
        {"partner": "inst-b", "tasks": ["refusal"], "models": ["subject"]},
    ]
    data["tasks"][0]["epochs"] = 1
    data["disclosure"] = {"default": level}
    (directory / "protocol.yaml").write_text(yaml.safe_dump(data))
    protocol = load_protocol(directory / "protocol.yaml")
    plan = plan_share(protocol, "inst-a", directory / "run")
    assert run_share(plan, display="none").complete
    [record] = read_manifest(plan.out_dir).logs
    path = plan.out_dir / record.file
    log = read_eval_log(str(path))
    base = log.samples or []
    grown = []
    for index in range(samples):
        sample = base[index % len(base)]
        grown.append(sample.model_copy(update={"id": f"{sample.id}-{index}"}))
    log.samples = grown
    log.eval.dataset.samples = samples
    log.eval.dataset.sample_ids = [s.id for s in grown]
    write_eval_log(log, str(path))
    manifest = read_manifest(plan.out_dir)
    write_manifest(plan.out_dir, manifest.model_copy(update={"logs": collect_logs(plan)}))
    return directory / "protocol.yaml", plan.out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-bundle-bench-"))
    files = write_key_pair("inst-a", work / "keys", datetime.now(UTC))
    key = load_private_key(files.private_key)
    ring = Keyring()
    ring.add(files.record, files.record.created, None)

    print(f"{args.samples} samples per run; MB = 10^6 bytes of the run's logs")
    columns = [("level", 12), ("log MB", 8), ("build s", 8), ("build MB/s", 11)]
    columns += [("sha256 MB/s", 12), ("ratio", 7), ("bundle MB", 10), ("verify s", 9)]
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    for level in ("scores", "samples", "transcripts"):
        protocol_path, run_dir = grow_run(work, args.samples, level)
        logs = [run_dir / r.file for r in read_manifest(run_dir).logs]
        payload = [p.read_bytes() for p in logs]
        size = sum(len(b) for b in payload) / 1e6
        start = time.perf_counter()
        for chunk in payload:
            hashlib.sha256(chunk).hexdigest()
        hash_seconds = time.perf_counter() - start
        protocol = load_protocol(protocol_path)
        start = time.perf_counter()
        built = build_bundle(run_dir, protocol, key, work / f"{level}.accord")
        build_seconds = time.perf_counter() - start
        start = time.perf_counter()
        verify_bundle(built.path, ring)
        verify_seconds = time.perf_counter() - start
        build_rate, hash_rate = size / build_seconds, size / hash_seconds
        print(
            f"{level:>12} {size:>8.1f} {build_seconds:>8.2f} {build_rate:>11.1f} "
            f"{hash_rate:>12.1f} {build_rate / hash_rate:>7.4f} "
            f"{built.path.stat().st_size / 1e6:>10.1f} {verify_seconds:>9.3f}"
        )


if __name__ == "__main__":
    main()
