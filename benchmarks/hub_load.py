"""A bounded load test of a served hub: concurrent submissions and result queries for 60 s.

Real signed bundles of the example task (both partners, stand-in model) are re-signed with
ever later `created` times, so every upload is a distinct, valid bundle that supersedes the
partner's previous one. The hub runs in its own process (`accord hub serve`, uvicorn) on
SQLite and on PostgreSQL; this process runs one submitting thread per partner and four
query threads (results, a page of scores, the signed ledger head) over loopback.

Afterwards it checks that nothing was lost: every accepted submission has all its runs and
every run all its score rows, the ledger holds one acceptance per accepted upload and its
chain verifies.

Usage: python -m benchmarks.hub_load [--seconds 60] [--postgres URL|none]
"""

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from benchmarks.hub_queries import bundles
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from accord._util import canonical_json
from accord.bundle._archive import write_archive
from accord.hub import open_hub
from accord.identity import load_private_key, prove_possession, sign
from accord.store import LedgerEntry, Run, SampleScore, Submission, verify_ledger

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
QUERY_THREADS = 4


def make_bundles(work: Path) -> tuple[str, dict[str, Path], dict[str, Any]]:
    protocol_yaml, out, files = bundles(work, limit=6)
    keys = {
        partner: (key.record, load_private_key(key.private_key))  # type: ignore[attr-defined]
        for partner, key in files.items()
    }
    return protocol_yaml, out, keys


class Resigner:
    """Distinct valid bundles of one partner: the same logs, signed at later and later times."""

    def __init__(self, bundle: Path, key: Ed25519PrivateKey, work: Path, start: datetime):
        with zipfile.ZipFile(bundle) as archive:
            self.members = [(n, archive.read(n)) for n in archive.namelist()]
        self.document = json.loads(self.members[0][1])
        self.key, self.work, self.next = key, work, start
        self.work.mkdir(parents=True, exist_ok=True)

    def bundle(self) -> Path:
        self.next += timedelta(seconds=1)
        data = {**self.document, "created": self.next.isoformat()}
        raw = canonical_json(data)
        signature = canonical_json(
            {"algorithm": "ed25519", "key_id": data["key_id"], "signature": sign(self.key, raw)}
        )
        folder = self.work / uuid.uuid4().hex
        files = []
        for name, content in [("bundle.json", raw), ("signature", signature), *self.members[2:]]:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            files.append((name, path))
        target = folder / "bundle.accord"
        write_archive(target, files)
        return target


def prepare(db: str, data: Path, protocol_yaml: str, keys: dict[str, Any]) -> dict[str, Any]:
    """Institutes, members, tokens, keys (with proofs) and an open exercise, directly."""
    hub = open_hub(db, data)
    _, issued = hub.bootstrap("hub", "Hub", "admin@hub.example")
    admin = hub.actor(f"Bearer {issued.token}")
    tokens = {}
    for partner, (record, key) in keys.items():
        hub.create_institute(admin, partner, partner)
        member = hub.create_member(admin, partner, f"e@{partner}.example", "e", "evaluator")
        tokens[partner] = hub.create_token(admin, member.id, ["read", "write"], None).token
        challenge = hub.key_challenge(admin, partner)["challenge"]
        proof = (challenge, prove_possession(key, partner, challenge))
        hub.register_key(admin, partner, record, None, None, proof)
    exercise = hub.create_exercise(admin, protocol_yaml).id
    hub.transition(admin, exercise, "open")
    hub.engine.dispose()
    return {"admin": issued.token, "tokens": tokens, "exercise": exercise}


def serve(db: str, data: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "accord.cli", "hub", "serve", "--db", db]
    command += ["--data", str(data), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the hub did not start")


def load(url: str, setup: dict[str, Any], resigners: dict[str, Resigner], seconds: float) -> Any:
    stop = time.monotonic() + seconds
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    accepted: list[str] = []
    lock = threading.Lock()
    exercise = setup["exercise"]

    def record(kind: str, started: float, status: int) -> None:
        with lock:
            timings[kind].append(time.perf_counter() - started)
            statuses[kind][status] += 1

    def submitter(partner: str) -> None:
        headers = {"Authorization": f"Bearer {setup['tokens'][partner]}"}
        with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=120) as client:
            while time.monotonic() < stop:
                bundle = resigners[partner].bundle()
                started = time.perf_counter()
                response = client.post(
                    f"/exercises/{exercise}/submissions",
                    content=bundle.read_bytes(),
                    headers={"Content-Type": "application/octet-stream"},
                )
                record("submit", started, response.status_code)
                if response.status_code == 201:
                    with lock:
                        accepted.append(response.json()["id"])

    def querier(_: int) -> None:
        headers = {"Authorization": f"Bearer {setup['admin']}"}
        kinds = {
            "results": lambda c: c.get(f"/exercises/{exercise}/results"),
            "scores page": lambda c: c.get(
                f"/exercises/{exercise}/scores", params={"limit": 100, "offset": 0}
            ),
            "ledger head": lambda c: c.get("/ledger/head"),
        }
        with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=120) as client:
            while time.monotonic() < stop:
                kind = random.choice(list(kinds))
                started = time.perf_counter()
                record(kind, started, kinds[kind](client).status_code)

    threads = [threading.Thread(target=submitter, args=(p,)) for p in resigners]
    threads += [threading.Thread(target=querier, args=(i,)) for i in range(QUERY_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, statuses, accepted


def check(db: str, accepted: list[str], logs: dict[str, int]) -> dict[str, Any]:
    """Integrity after the load; `logs` is how many runs each partner's bundle holds."""
    hub = open_hub(db, Path(tempfile.mkdtemp()), upgrade=False)
    with hub.reads() as session:
        runs_per = dict(
            session.execute(
                select(Run.submission_id, func.count()).group_by(Run.submission_id)
            ).all()
        )
        rows_per_run = dict(
            session.execute(
                select(SampleScore.run_id, func.count()).group_by(SampleScore.run_id)
            ).all()
        )
        runs = session.execute(select(Run.id, Run.submission_id, Run.task_id, Run.model_id)).all()
        stored = dict(session.execute(select(Submission.id, Submission.institute_id)).all())
        acceptances = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == "submission.accepted")
        )
        ledger = verify_ledger(session)
    expected_rows: dict[tuple[str, str], int] = {}
    short = 0
    for run_id, _, task, model in runs:
        count = rows_per_run.get(run_id, 0)
        expected = expected_rows.setdefault((task, model), count)
        short += count != expected
    missing = [s for s in accepted if s not in stored or runs_per.get(s) != logs[stored[s]]]
    hub.engine.dispose()
    return {
        "accepted": len(accepted),
        "missing submissions": len(missing),
        "runs with missing rows": short,
        "ledger acceptances": acceptances,
        "ledger ok": ledger.ok,
    }


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def run_backend(label: str, db: str, work: Path, materials: Any, seconds: float) -> None:
    protocol_yaml, bundles, keys = materials
    data = work / f"data-{label}"
    setup = prepare(db, data, protocol_yaml, keys)
    start = datetime.now(UTC) - timedelta(hours=3)
    resigners = {
        p: Resigner(bundles[p], keys[p][1], work / f"resigned-{label}-{p}", start) for p in keys
    }
    process, url = serve(db, data)
    try:
        began = time.perf_counter()
        timings, statuses, accepted = load(url, setup, resigners, seconds)
        elapsed = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=30)
    logs = {p: len(r.document["members"]) for p, r in resigners.items()}
    verdict = check(db, accepted, logs)
    print(f"\n{label}: {elapsed:.0f} s, 2 submitting + {QUERY_THREADS} querying clients")
    print(f"{'request':>12} {'count':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for kind, spent in sorted(timings.items()):
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(statuses[kind].items()))
        print(
            f"{kind:>12} {len(spent):>7} {len(spent) / elapsed:>7.1f} "
            f"{statistics.median(spent) * 1000:>8.0f} {p95(spent) * 1000:>8.0f}  {codes}"
        )
    print("integrity:", json.dumps(verdict))
    assert verdict["missing submissions"] == 0 and verdict["runs with missing rows"] == 0
    assert verdict["ledger acceptances"] == verdict["accepted"] and verdict["ledger ok"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--postgres", default=PG_ADMIN, help="admin URL, or 'none'")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-load-"))
    materials = make_bundles(work)
    run_backend("sqlite", str(work / "hub.db"), work, materials, args.seconds)
    if args.postgres != "none":
        import psycopg

        name = f"accord_load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
            run_backend("postgresql", url, work, materials, args.seconds)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
