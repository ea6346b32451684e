"""Ingesting a log's scores into the hub's store, against merely reading it with Inspect.

For N samples (10,000 and 100,000 by default), a real log of the example task (stand-in
model, full transcripts) is grown to N samples. Timed side by side in this process:
`inspect_ai.log.read_eval_log` of the log, and Accord's ingest of the same log: streaming
every sample member with ijson, converting scores, and bulk-inserting the rows into a
migrated SQLite store in one transaction. Prints both and the ratio (target >= 10x).

Usage: python benchmarks/ingest.py [--samples 10000 100000]
"""

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._growlog import grow_log
from inspect_ai.log import read_eval_log
from sqlalchemy import insert

from accord.hub._ingest import BATCH, score_rows
from accord.protocol import load_protocol, write_example
from accord.run import plan_share, read_manifest, run_share
from accord.store import (
    Exercise,
    Institute,
    Member,
    Run,
    SampleScore,
    Submission,
    make_engine,
    migrate,
    session_factory,
    transaction,
)


def seed(work: Path) -> Path:
    write_example(work / "p")
    protocol = load_protocol(work / "p" / "protocol.yaml")
    plan = plan_share(protocol, "inst-b", work / "run")
    assert run_share(plan, display="none").complete
    [record] = read_manifest(plan.out_dir).logs
    return plan.out_dir / record.file


def ingest(log: Path, db: Path) -> tuple[int, float]:
    engine = make_engine(str(db))
    migrate(engine)
    now = datetime.now(UTC)
    rows = [
        Institute(id="inst-b", name="B", created_at=now),
        Member(
            id="m", institute_id="inst-b", email="m@b", name="m", role="evaluator", created_at=now
        ),
        Exercise(
            id="x",
            name="x",
            protocol_id="p",
            protocol_yaml="",
            state="open",
            created_by="m",
            created_at=now,
        ),
        Submission(
            id="s",
            exercise_id="x",
            institute_id="inst-b",
            bundle_sha256="b",
            key_id="k",
            signed_at=now,
            submitted_at=now,
            submitter_id="m",
            verification={},
        ),
        Run(
            id="r",
            exercise_id="x",
            submission_id="s",
            institute_id="inst-b",
            task_id="t",
            model_id="m",
            log_sha256="l",
            dataset_digest="d",
            task_version="1",
            generate_config={},
            disclosure="transcripts",
            samples=0,
        ),
    ]
    with transaction(session_factory(engine)) as session:
        for row in rows:  # one by one: the models declare no relationships to order them
            session.add(row)
            session.flush()
    start = time.perf_counter()
    count = 0
    with transaction(session_factory(engine)) as session:
        batch = []
        for row in score_rows(log, "category", keep_text=True):
            row["run_id"] = "r"
            batch.append(row)
            if len(batch) >= BATCH:
                session.execute(insert(SampleScore), batch)
                count += len(batch)
                batch = []
        if batch:
            session.execute(insert(SampleScore), batch)
            count += len(batch)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return count, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="accord-ingest-bench-"))
    source = seed(work)
    print(
        f"{'samples':>8} {'log MB':>7} {'read_eval_log s':>16} {'accord ingest s':>16} {'ratio':>7} {'rows':>8}"
    )
    for samples in args.samples:
        log = work / f"grown-{samples}.eval"
        grow_log(source, log, samples)
        start = time.perf_counter()
        read = read_eval_log(str(log))
        read_seconds = time.perf_counter() - start
        assert len(read.samples or []) == samples
        del read
        count, ingest_seconds = ingest(log, work / f"{uuid.uuid4().hex}.db")
        assert count == samples
        print(
            f"{samples:>8} {log.stat().st_size / 1e6:>7.1f} {read_seconds:>16.2f} "
            f"{ingest_seconds:>16.2f} {read_seconds / ingest_seconds:>7.1f} {count:>8}"
        )


if __name__ == "__main__":
    main()
