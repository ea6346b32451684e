"""The web interface's exercise page on an exercise with 1,000,000 score rows, SQLite and PostgreSQL.

The exercise of `hub_queries` (two partners' real signed bundles, runs filled with synthetic
score rows to 1,000,000) is served on loopback. A partner's evaluator signs in through the
sign-in form; the exercise page (protocol, progress matrix, submissions, the report's charts
and tables, the first page of per-sample scores) is requested once cold and then REQUESTS
times warm, one request at a time. Side by side, the API's JSON results for the same exercise
(the baseline: the same cached analysis without rendering) and a deep keyset page of scores.

Usage: python benchmarks/ui.py [--rows 1000000] [--postgres URL]
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from accord.hub import HubClient, create_app, open_hub, serve_in_background
from accord.identity import load_private_key
from hub_queries import bundles, fill

REQUESTS = 30
TARGET_S = 1.0


def timed(client: httpx.Client, path: str, marker: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    spent = time.perf_counter() - start
    assert response.status_code == 200 and marker in response.text, response.text[:300]
    return spent


def run_backend(label: str, db: str, data: Path, made: tuple, rows: int) -> dict[str, float]:  # type: ignore[type-arg]
    protocol_yaml, bundle_files, keys = made
    hub = open_hub(db, data)
    _, admin = hub.bootstrap("hub", "Hub", "admin@hub.example")
    with serve_in_background(create_app(hub)) as url:
        api = HubClient(url, admin.token)
        tokens = {}
        for partner in ("inst-a", "inst-b"):
            api.call("POST", "/institutes", json={"id": partner, "name": partner})
            member = api.call(
                "POST",
                f"/institutes/{partner}/members",
                json={"email": f"e@{partner}", "name": "e", "role": "evaluator"},
            )
            tokens[partner] = api.call(
                "POST", f"/members/{member['id']}/tokens", json={"scopes": ["read", "write"]}
            )["token"]
            api.register_key(
                partner, keys[partner].record, load_private_key(keys[partner].private_key)
            )
        exercise = api.call("POST", "/exercises", json={"protocol_yaml": protocol_yaml})["id"]
        api.call("POST", f"/exercises/{exercise}/open")
        for partner, path in bundle_files.items():
            HubClient(url, tokens[partner]).submit(exercise, path)
        fill(db, exercise, rows)
        hub.refresh_statistics()
        hub.analysis_cache.clear()
        hub.results_cache.clear()
        count = hub.counts()["sample_scores"]

        browser = httpx.Client(base_url=url, timeout=600)
        form = browser.get("/signin").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        signed = browser.post("/signin", data={"token": tokens["inst-a"], "csrf": csrf})
        assert signed.status_code == 303, signed.text[:300]
        page = f"/exercises/{exercise}"
        cold = timed(browser, page, 'id="score-rows"')
        warm = [timed(browser, page, 'id="score-rows"') for _ in range(REQUESTS)]
        deep = [
            timed(
                browser,
                f"{page}/scores?after={count * (i + 1) // (REQUESTS + 1)}",
                'id="score-rows"',
            )
            for i in range(REQUESTS)
        ]
        bearer = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {tokens['inst-a']}"}, timeout=600
        )
        baseline = [
            timed(bearer, f"/api/v1/exercises/{exercise}/results", '"analysis"')
            for _ in range(REQUESTS)
        ]
        listing = [timed(browser, "/exercises", exercise) for _ in range(REQUESTS)]
    p50 = {
        "page": statistics.median(warm),
        "api": statistics.median(baseline),
        "deep": statistics.median(deep),
        "list": statistics.median(listing),
    }
    p95 = sorted(warm)[int(0.95 * (len(warm) - 1))]
    print(
        f"\n{label}: {count:,} score rows; cold exercise page (analysis of every row) {cold:.2f} s"
    )
    print(f"{'request (warm, sequential)':>40} {'p50 ms':>8}")
    print(f"{'exercise page':>40} {p50['page'] * 1000:>8.1f}   (p95 {p95 * 1000:.1f} ms)")
    print(f"{'API results JSON (baseline)':>40} {p50['api'] * 1000:>8.1f}")
    print(f"{'scores page, keyset at any depth':>40} {p50['deep'] * 1000:>8.1f}")
    print(f"{'exercise list':>40} {p50['list'] * 1000:>8.1f}")
    print(f"ratio exercise page / API results: {p50['page'] / p50['api']:.2f}")
    verdict = "meets" if p95 < TARGET_S else "MISSES"
    print(f"target: warm exercise page < {TARGET_S:.0f} s — p95 {p95:.3f} s {verdict} it")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-ui-bench-"))
    made = bundles(work)
    run_backend("SQLite", str(work / "hub.db"), work / "sqlite-data", made, args.rows)
    import psycopg

    name = f"accord_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = args.postgres.rsplit("/", 1)[0]
        run_backend("PostgreSQL", f"{base}/{name}", work / "pg-data", made, args.rows)
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
