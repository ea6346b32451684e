"""The cost of developer review on every exercise request: `Hub.exercise` (which each route
calls before anything else) for a protocol without `governance.developer_review` (the
baseline: a substring check) and for one with it (protocol parse plus one ledger query for
the close time), on SQLite, alternating which goes first.

Usage: python benchmarks/review_view.py [--calls 2000] [--rounds 5]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from accord.hub import open_hub
from accord.protocol import write_example
from accord.store import Exercise, append, transaction


def setup(work: Path) -> tuple[object, object, str, str]:
    hub = open_hub(f"sqlite:///{work / 'hub.db'}", work / "data")
    _, issued = hub.bootstrap("hub", "Hub operators", "admin@hub.example")
    actor = hub.actor(f"Bearer {issued.token}")
    for institute in ("inst-a", "inst-b", "devco"):
        hub.create_institute(actor, institute, institute)
    data = yaml.safe_load(write_example(work / "p").read_text())
    data["name"] = "plain"
    hub.create_exercise(actor, yaml.safe_dump(data))
    data["name"] = "reviewed"
    data["governance"] = {
        "developer_review": {"developers": [{"institute": "devco", "models": ["subject"]}]}
    }
    hub.create_exercise(actor, yaml.safe_dump(data))
    with transaction(hub.sessions) as session:  # closed, as during a review
        session.get(Exercise, "reviewed").state = "closed"
        append(session, "exercise.closed", "reviewed", None, {}, hub.clock())
    return hub, actor, "plain", "reviewed"


def timed(hub: object, actor: object, exercise: str, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        hub.exercise(actor, exercise)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        hub, actor, plain, reviewed = setup(Path(temp))
        timed(hub, actor, plain, 100), timed(hub, actor, reviewed, 100)  # warm up
        ratios, base, review = [], [], []
        for round_ in range(args.rounds):
            order = (plain, reviewed) if round_ % 2 == 0 else (reviewed, plain)
            results = {e: timed(hub, actor, e, args.calls) for e in order}
            base.append(results[plain])
            review.append(results[reviewed])
            ratios.append(results[reviewed] / results[plain])
        print(f"calls per round {args.calls}, rounds {args.rounds}")
        print(f"without developer_review: {statistics.median(base):.0f} us per call (median)")
        print(f"with developer_review:    {statistics.median(review):.0f} us per call (median)")
        print(
            f"ratio with/without: {statistics.median(ratios):.2f} "
            f"(per round {min(ratios):.2f}-{max(ratios):.2f})"
        )


if __name__ == "__main__":
    main()
