"""The credential scan over a real Inspect log, beside parsing the same JSON alone.

A real run of the example task (stand-in model, full transcripts) is grown to N samples
(1x and 4x, to show the scan stays linear); the scan of the whole `.eval` archive (every
member decoded, every value and key walked, every detector run) is timed beside the floor
it cannot beat: `json.loads` of every member, in the same process. MB = 10^6 bytes of
uncompressed member JSON.

Usage: python -m benchmarks.secret_scan [--samples 5000]
"""

import argparse
import json
import tempfile
import time
import zipfile
from pathlib import Path

import yaml
from benchmarks._growlog import grow_log

from accord.bundle._evalfile import scan_eval_file
from accord.protocol import load_protocol, write_example
from accord.run import plan_share, read_manifest, run_share


def real_log(work: Path) -> Path:
    write_example(work / "p")
    data = yaml.safe_load((work / "p" / "protocol.yaml").read_text())
    data["disclosure"] = {"default": "transcripts"}
    (work / "p" / "protocol.yaml").write_text(yaml.safe_dump(data))
    plan = plan_share(load_protocol(work / "p" / "protocol.yaml"), "inst-a", work / "run")
    assert run_share(plan, display="none", limit=20).complete
    record = read_manifest(plan.out_dir).logs[0]
    return plan.out_dir / record.file


def timed(action: object, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-scan-bench-"))
    source = real_log(work)
    print("samples      MB   scan s  scan MB/s  json.loads MB/s  ratio scan/json  findings")
    for samples in (args.samples, 4 * args.samples):
        log = work / f"grown-{samples}.eval"
        grow_log(source, log, samples)
        with zipfile.ZipFile(log) as archive:
            members = [archive.read(name) for name in archive.namelist()]
        size = sum(len(m) for m in members) / 1e6
        found: list[object] = []
        scan_seconds = timed(lambda log=log, found=found: found.append(scan_eval_file(log)))
        parse_seconds = timed(lambda members=members: [json.loads(m) for m in members])
        print(
            f"{samples:>7} {size:>7.1f} {scan_seconds:>8.2f} {size / scan_seconds:>10.1f} "
            f"{size / parse_seconds:>16.1f} {scan_seconds / parse_seconds:>16.2f} "
            f"{len(found[-1]):>9}"  # type: ignore[arg-type]
        )


if __name__ == "__main__":
    main()
