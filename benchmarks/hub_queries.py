"""Results queries over HTTP on an exercise with 1,000,000 score rows, SQLite and PostgreSQL.

A real exercise (two partners' signed bundles of the example task) is submitted through the
API, then its runs are filled with synthetic score rows up to 1,000,000. A hub serves it on
loopback; a bounded pool of concurrent clients (8 threads x 40 requests each) measures p50
and p95 latency of: a page of per-sample scores (keyset pagination, random depth), the same
by offset (shallow), and the results summary (analysis over every row; the first, cold
request is timed on its own, then cached per submission count).

Usage: python benchmarks/hub_queries.py [--rows 1000000] [--postgres URL]
"""

import argparse
import random
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import yaml
from sqlalchemy import func, insert, select

from accord.bundle import build_bundle
from accord.hub import HubClient, create_app, open_hub, serve_in_background
from accord.identity import load_private_key, write_key_pair
from accord.protocol import load_protocol, write_example
from accord.run import plan_share, run_share
from accord.store import Run, SampleScore, make_engine, session_factory, transaction

CLIENTS, REQUESTS = 8, 40


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
    engine.dispose()


def measure(url: str, token: str, exercise: str, max_id: int) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    kinds = {
        "scores (keyset, random depth)": lambda c: c.get(
            f"/api/v1/exercises/{exercise}/scores",
            params={"limit": 100, "after": random.randint(0, max_id - 200)},
        ),
        "scores (offset <= 10,000)": lambda c: c.get(
            f"/api/v1/exercises/{exercise}/scores",
            params={"limit": 100, "offset": random.randint(0, 10_000)},
        ),
        "results (cached analysis)": lambda c: c.get(f"/api/v1/exercises/{exercise}/results"),
    }
    timings: dict[str, list[float]] = {}
    for name, request in kinds.items():

        def worker(_: int, request=request) -> list[float]:  # type: ignore[no-untyped-def]
            spent = []
            with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
                for _ in range(REQUESTS):
                    start = time.perf_counter()
                    response = request(client)
                    spent.append(time.perf_counter() - start)
                    assert response.status_code == 200, response.text[:200]
            return spent

        with ThreadPoolExecutor(CLIENTS) as pool:
            timings[name] = [t for part in pool.map(worker, range(CLIENTS)) for t in part]
    return timings


def run_backend(
    label: str,
    db: str,
    data: Path,
    protocol_yaml: str,
    bundle_files: dict[str, Path],
    keys: dict[str, object],
    rows: int,
) -> None:
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
        hub.analysis_cache.clear()
        counts = hub.counts()
        start = time.perf_counter()
        api.get(f"/exercises/{exercise}/results").raise_for_status()
        cold = time.perf_counter() - start
        timings = measure(url, tokens["inst-a"], exercise, counts["sample_scores"])
    print(
        f"\n{label}: {counts['sample_scores']:,} score rows (filled in {fill_seconds:.0f} s); cold results (analysis of every row): {cold:.2f} s"
    )
    print(f"{'query':>32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in timings.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(
            f"{name:>32} {len(values):>5} {statistics.median(values) * 1000:>8.1f} {p95 * 1000:>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-hub-bench-"))
    protocol_yaml, bundle_files, keys = bundles(work)
    print(f"{CLIENTS} concurrent clients x {REQUESTS} requests per query kind, loopback HTTP")
    run_backend(
        "SQLite",
        str(work / "hub.db"),
        work / "sqlite-data",
        protocol_yaml,
        bundle_files,
        keys,
        args.rows,
    )
    import psycopg

    name = f"accord_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0]
        run_backend(
            "PostgreSQL",
            f"{base}/{name}",
            work / "pg-data",
            protocol_yaml,
            bundle_files,
            keys,
            args.rows,
        )
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
