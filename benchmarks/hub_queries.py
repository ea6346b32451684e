"""Hub queries over HTTP at 1,000,000 score rows, measured from outside the server.

A real exercise (two partners' signed bundles of the example task) is submitted through the
API, then its runs are filled with synthetic score rows up to 1,000,000 (bulk inserts; each
run's score columns are stored as ingest stores them). `accord hub serve --workers N` then
serves it in its own process; the clients are other processes:

- cold `results`: after each of a few changes (each appends to the ledger, which
  invalidates every worker's cache), one request from this process;
- warm: 8 client processes x 150 requests per kind (results, a scores page by keyset at a
  random depth and by offset, the exercise list): p50/p95/p99, throughput, and CPU per
  request of the server, of PostgreSQL and of the clients (all share the machine's cores).

Baseline in the same run: building the analysis table from every row (the path before
run columns) beside building it from the columns, in-process.

Usage: python benchmarks/hub_queries.py [--rows 1000000] [--workers 2] [--postgres URL]
"""

import argparse
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml
from sqlalchemy import delete, func, insert, select

from accord.analysis import ScoreTable, analyze
from accord.bundle import build_bundle
from accord.hub import HubClient, create_app, open_hub, serve_in_background
from accord.hub._columns import backfill, score_table
from accord.hub._queries import current_scores
from accord.identity import load_private_key, write_key_pair
from accord.protocol import load_protocol, parse_protocol, write_example
from accord.run import RunManifest, plan_share, run_share
from accord.store import (
    Exercise,
    Run,
    RunScoreColumns,
    SampleScore,
    Submission,
    make_engine,
    session_factory,
    transaction,
)

CLIENTS, REQUESTS, COLD_ROUNDS, WARMUP_ROUNDS = 8, 150, 5, 10


def bundles(work: Path, limit: int | None = None) -> tuple[str, dict[str, Path], dict[str, object]]:
    """The example protocol, both partners' signed bundles (`limit` samples) and key files."""
    write_example(work / "p")
    data = yaml.safe_load((work / "p" / "protocol.yaml").read_text())
    data["embargo_until"] = None
    (work / "p" / "protocol.yaml").write_text(yaml.safe_dump(data))
    protocol = load_protocol(work / "p" / "protocol.yaml")
    out, keys = {}, {}
    for partner in ("inst-a", "inst-b"):
        key = write_key_pair(partner, work / "keys", datetime.now(UTC) - timedelta(days=1))
        plan = plan_share(protocol, partner, work / partner)
        result = run_share(plan, display="none", limit=limit)
        out[partner] = build_bundle(
            result.out_dir, protocol, load_private_key(key.private_key), work / f"{partner}.accord"
        ).path
        keys[partner] = key
    return (work / "p" / "protocol.yaml").read_text(), out, keys


def fill(db: str, exercise: str, rows: int) -> None:
    """Fill the exercise's runs with synthetic score rows up to `rows` in all (bulk inserts),
    and store each run's score columns from the same values, as ingest does."""
    engine = make_engine(db)
    with transaction(session_factory(engine)) as session:
        runs = list(session.scalars(select(Run).where(Run.exercise_id == exercise)))
        existing = session.scalar(select(func.count()).select_from(SampleScore)) or 0
    rng = np.random.default_rng(0)
    need = rows - existing
    per_run = need // len(runs)
    batch = 50_000
    for run in runs:
        samples = per_run // 2
        for start in range(0, per_run, batch):
            count = min(batch, per_run - start)
            index = np.arange(start, start + count)
            values = (rng.random(count) < 0.7).astype(float)
            payload = [
                {
                    "run_id": run.id,
                    "sample_id": f"s{i % samples}",
                    "epoch": int(1 + i // samples),
                    "scorer": "refusal_judge",
                    "value": float(v),
                    "cluster": f"c{(i % samples) // 50}",
                    "answer": None,
                    "explanation": None,
                }
                for i, v in zip(index, values, strict=True)
            ]
            with engine.begin() as connection:
                connection.execute(insert(SampleScore), payload)
    with transaction(session_factory(engine)) as session:  # the run's rows, now all of them
        session.execute(delete(RunScoreColumns))
    writes = session_factory(engine)
    with transaction(session_factory(engine, write=False)) as session:
        for run in runs:
            backfill(session, writes, run.id)
    engine.dispose()


def client_process(job: tuple[str, str, str, str, int, int, int]) -> tuple[list[float], float]:
    """One client process: `requests` timed requests of one kind on its own connection.

    Returns the latencies and the CPU seconds this client spent on them (the clients share
    the machine's cores with the server).
    """
    url, token, kind, exercise, max_id, requests, seed = job
    rng = random.Random(seed)
    paths = {
        "results": lambda: (f"/api/v1/exercises/{exercise}/results", {}),
        "scores, keyset at random depth": lambda: (
            f"/api/v1/exercises/{exercise}/scores",
            {"limit": 100, "after": rng.randint(0, max_id - 200)},
        ),
        "scores, offset <= 10,000": lambda: (
            f"/api/v1/exercises/{exercise}/scores",
            {"limit": 100, "offset": rng.randint(0, 10_000)},
        ),
        "exercise list": lambda: ("/api/v1/exercises", {}),
    }
    spent, cpu = [], time.process_time()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        client.timeout = 300
        for _ in range(requests):
            path, params = paths[kind]()
            start = time.perf_counter()
            response = client.get(path, params=params)
            spent.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text[:200]
    return spent, time.process_time() - cpu


KINDS = ("results", "scores, keyset at random depth", "scores, offset <= 10,000", "exercise list")


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by process `pid` and its children (Linux /proc; else 0)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def database_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (Linux /proc; else 0)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = entry.read_text().split("(", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if name == "postgres":
            parts = fields.split()
            total += int(parts[11]) + int(parts[12])
    return total / tick


def measure_warm(
    pool: Any, url: str, token: str, exercise: str, max_id: int, pid: int
) -> dict[str, tuple[list[float], float, dict[str, float]]]:
    """Per kind: the latencies of CLIENTS client processes x REQUESTS, the wall time, and
    the CPU seconds over them of the server (every worker), PostgreSQL and the clients."""
    out = {}
    for kind in KINDS:
        jobs = [(url, token, kind, exercise, max_id, REQUESTS, i) for i in range(CLIENTS)]
        for _ in range(WARMUP_ROUNDS):  # until every worker has its cache (none is slow)
            parts = pool.map(client_process, [(*job[:5], 3, job[6]) for job in jobs])
            if max(t for times, _ in parts for t in times) < 1.0:
                break
        start, server, database = time.perf_counter(), server_cpu(pid), database_cpu()
        parts = pool.map(client_process, jobs)
        spent = time.perf_counter() - start
        cpu = {
            "server": server_cpu(pid) - server,
            "database": database_cpu() - database,
            "clients": sum(c for _, c in parts),
        }
        out[kind] = ([t for times, _ in parts for t in times], spent, cpu)
    return out


def measure_cold(url: str, admin: str, token: str, exercise: str) -> list[float]:
    """`results` right after a change: each round appends to the ledger (a new institute),
    which invalidates every worker's cache, then times one results request."""
    spent = []
    with httpx.Client(base_url=f"{url}/api/v1", timeout=600) as client:
        for _ in range(COLD_ROUNDS):
            created = client.post(
                "/institutes",
                json={"id": f"i-{uuid.uuid4().hex[:8]}", "name": "bench"},
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert created.status_code == 201, created.text[:200]
            start = time.perf_counter()
            response = client.get(
                f"/exercises/{exercise}/results", headers={"Authorization": f"Bearer {token}"}
            )
            spent.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text[:200]
    return spent


def baseline(db: str, data: Path, exercise: str) -> dict[str, tuple[float, float]]:
    """In this process, (wall s, CPU s) of building the analysis table from every row (the
    path before run columns) and from the run columns (best of 2), and of the analysis."""
    hub = open_hub(db, data, upgrade=False)
    out: dict[str, tuple[float, float]] = {}
    with transaction(hub.reads) as session:
        wall, cpu = time.perf_counter(), time.process_time()
        rows = session.execute(current_scores(exercise)).all()
        columns = list(zip(*rows, strict=True))
        names = ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
        ScoreTable.from_columns(**dict(zip(names, columns, strict=True)))
        out["rows"] = (time.perf_counter() - wall, time.process_time() - cpu)
        del rows, columns
        for _ in range(2):
            wall, cpu = time.perf_counter(), time.process_time()
            table = score_table(session, hub.sessions, exercise)
            spent = (time.perf_counter() - wall, time.process_time() - cpu)
            out["columns"] = min(out.get("columns", spent), spent)
        exercise_row = session.get(Exercise, exercise)
        submissions = session.scalars(select(Submission).where(Submission.exercise_id == exercise))
        manifests = {
            s.institute_id: RunManifest.model_validate(s.verification["run_manifest"])
            for s in submissions
        }
        protocol = parse_protocol(exercise_row.protocol_yaml, "p", Path("."), resolve_tasks=False)  # type: ignore[union-attr]
        wall, cpu = time.perf_counter(), time.process_time()
        analyze(table, protocol, manifests)  # type: ignore[arg-type]
        out["analysis"] = (time.perf_counter() - wall, time.process_time() - cpu)
    hub.engine.dispose()
    return out


@contextmanager
def hub_server(db: str, data: Path, workers: int) -> Iterator[tuple[str, int]]:
    """`accord hub serve --workers N` in its own process on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "accord.cli", "hub", "serve", "--db", db, "--data", str(data)]
    command += ["--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "hub did not start"
            try:
                httpx.get(f"{url}/api/v1/exercises", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare(
    db: str,
    data: Path,
    protocol_yaml: str,
    bundle_files: dict[str, Path],
    keys: dict[str, object],
    rows: int,
) -> tuple[str, str, str, int, float]:
    """An exercise with both partners' real submissions, filled to `rows`.

    Returns (exercise, admin token, a partner's token, score rows, fill seconds).
    """
    hub = open_hub(db, data)
    _, admin = hub.bootstrap("hub", "Hub", "admin@hub.example")
    with serve_in_background(create_app(hub)) as url:
        api = httpx.Client(
            base_url=f"{url}/api/v1",
            headers={"Authorization": f"Bearer {admin.token}"},
            timeout=300,
        )
        tokens = {}
        for partner in ("inst-a", "inst-b"):
            api.post("/institutes", json={"id": partner, "name": partner}).raise_for_status()
            member = api.post(
                f"/institutes/{partner}/members",
                json={"email": f"e@{partner}", "name": "e", "role": "evaluator"},
            ).json()
            tokens[partner] = api.post(
                f"/members/{member['id']}/tokens", json={"scopes": ["read", "write"]}
            ).json()["token"]
            HubClient(url, admin.token).register_key(  # with proof of possession
                partner,
                keys[partner].record,  # type: ignore[attr-defined]
                load_private_key(keys[partner].private_key),  # type: ignore[attr-defined]
            )
        exercise = api.post("/exercises", json={"protocol_yaml": protocol_yaml}).json()["id"]
        signer = HubClient(url, admin.token)
        for partner in ("inst-a", "inst-b"):  # every partner signs before the exercise opens
            key = load_private_key(keys[partner].private_key)  # type: ignore[attr-defined]
            signer.record_act(exercise, signer.sign_act(exercise, key, partner))
        api.post(f"/exercises/{exercise}/open").raise_for_status()
        for partner, path in bundle_files.items():
            with path.open("rb") as stream:
                httpx.post(
                    f"{url}/api/v1/exercises/{exercise}/submissions",
                    headers={"Authorization": f"Bearer {tokens[partner]}"},
                    files={"bundle": ("b", stream)},
                    timeout=300,
                ).raise_for_status()
    start = time.perf_counter()
    fill(db, exercise, rows)
    hub.refresh_statistics()  # as an accepted submission does
    fill_seconds = time.perf_counter() - start
    count = hub.counts()["sample_scores"]
    hub.engine.dispose()
    return exercise, admin.token, tokens["inst-a"], count, fill_seconds


def run_backend(label: str, db: str, data: Path, setup: tuple[Any, ...], workers: int) -> None:
    """Prepare, serve with `workers` processes, measure cold and warm; print a table."""
    exercise, admin, token, count, fill_seconds = prepare(db, data, *setup)
    base = baseline(db, data, exercise)
    with hub_server(db, data, workers) as (url, pid):
        first = measure_cold(url, admin, token, exercise)
        with multiprocessing.get_context("spawn").Pool(CLIENTS) as pool:
            warm = measure_warm(pool, url, token, exercise, count, pid)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{label}: {count:,} score rows (filled in {fill_seconds:.0f} s), {workers} workers")
    print(f"load average after measuring (1, 5, 15 min): {load} on {os.cpu_count()} cores")
    (row_wall, row_cpu), (col_wall, col_cpu) = base["rows"], base["columns"]
    print(
        f"in-process, wall (CPU) s: analysis table from rows {row_wall:.2f} ({row_cpu:.2f}), "
        f"from run columns {col_wall:.3f} ({col_cpu:.3f}); ratio {row_cpu / col_cpu:.0f}x CPU; "
        f"the analysis itself {base['analysis'][0]:.2f} ({base['analysis'][1]:.2f})"
    )
    cold = np.array(first) * 1000
    print(
        f"cold results after a change (n={len(cold)}): p50 {np.percentile(cold, 50):.0f} ms, "
        f"max {cold.max():.0f} ms"
    )
    print(
        f"{'warm query':>32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7} "
        f"{'CPU ms/req: server':>19} {'PostgreSQL':>10} {'clients':>8}"
    )
    for kind, (values, wall, cpu) in warm.items():
        ms = np.array(values) * 1000
        p50, p95, p99 = (np.percentile(ms, q) for q in (50, 95, 99))
        server, database, clients = (
            1000 * cpu[k] / len(ms) for k in ("server", "database", "clients")
        )
        shown = f"{database:>10.2f}" if label != "SQLite" else f"{'-':>10}"
        print(
            f"{kind:>32} {len(ms):>5} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {len(ms) / wall:>7.0f} "
            f"{server:>19.2f} {shown} {clients:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-hub-bench-"))
    protocol_yaml, bundle_files, keys = bundles(work)
    setup = (protocol_yaml, bundle_files, keys, args.rows)
    print(
        f"server: accord hub serve --workers {args.workers} (own process); clients: "
        f"{CLIENTS} processes x {REQUESTS} requests per query kind, loopback HTTP"
    )
    if not args.skip_sqlite:
        run_backend("SQLite", str(work / "hub.db"), work / "sqlite-data", setup, args.workers)
    import psycopg

    name = f"accord_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0]
        run_backend("PostgreSQL", f"{base}/{name}", work / "pg-data", setup, args.workers)
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
