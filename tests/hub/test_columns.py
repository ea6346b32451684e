"""Per-run score columns: the analysis reads the same table from them as from the rows."""

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, insert, select

from accord.analysis import AnalysisError, ScoreTable, analyze
from accord.hub._columns import score_table
from accord.hub._queries import current_scores
from accord.protocol import parse_protocol
from accord.run import RunManifest
from accord.store import Exercise, Run, RunScoreColumns, SampleScore, Submission, transaction
from tests.hub.conftest import BACKENDS, Bundles, World, build_world
from tests.hub.test_api import open_exercise, submit


def row_table(session: Any, exercise_id: str) -> ScoreTable | None:
    """The table as the hub built it before columns: from every current row."""
    rows = session.execute(current_scores(exercise_id)).all()
    if not rows:
        return None
    names = ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
    return ScoreTable.from_columns(**dict(zip(names, zip(*rows, strict=True), strict=True)))


def labelled(table: ScoreTable) -> list[tuple[Any, ...]]:
    """The table's rows as labels, sorted: equal for equal tables whatever their row order."""
    out = []
    for i in range(len(table)):
        cluster = int(table.cluster[i])
        out.append(
            (
                *(
                    table.label(c, int(getattr(table, c)[i]))
                    for c in ("task", "model", "partner", "scorer", "sample")
                ),
                int(table.epoch[i]),
                float(table.value[i]),
                None if cluster < 0 else table.label("cluster", cluster),
            )
        )
    return sorted(out, key=repr)


def randomize(session: Any, exercise_id: str, rng: np.random.Generator, unclustered: float) -> None:
    """Replace every run's scores with random ones; add superseded runs that must not count.

    A share `unclustered` of the samples lack a cluster value.
    """
    runs = list(session.scalars(select(Run).where(Run.exercise_id == exercise_id)))
    for run in runs:
        if run.superseded_by is not None:
            continue
        old = Run(
            **{c: getattr(run, c) for c in ("exercise_id", "submission_id", "institute_id")},
            **{c: getattr(run, c) for c in ("task_id", "model_id", "log_sha256", "samples")},
            **{c: getattr(run, c) for c in ("dataset_digest", "task_version", "disclosure")},
            id=uuid.uuid4().hex,
            generate_config=run.generate_config,
            superseded_by=run.id,
        )
        session.add(old)
    session.flush()
    session.execute(delete(RunScoreColumns))
    for run in session.scalars(select(Run).where(Run.exercise_id == exercise_id)):
        session.execute(delete(SampleScore).where(SampleScore.run_id == run.id))
        samples = int(rng.integers(8, 40))
        ids = rng.choice(60, size=samples, replace=False)  # partners overlap, not exactly
        rows = []
        for sample in ids:
            cluster = None if rng.random() < unclustered else f"c{int(sample) % 5}"
            for epoch in (1, 2):
                for scorer in ("refusal_judge", "refusal_judge/extra")[: int(rng.integers(1, 3))]:
                    rows.append(
                        {
                            "run_id": run.id,
                            "sample_id": f"s{int(sample)}",
                            "epoch": epoch,
                            "scorer": scorer,
                            "value": float(rng.choice([0.0, 0.5, 1.0, rng.random()])),
                            "cluster": cluster,
                            "answer": None,
                            "explanation": None,
                        }
                    )
        rng.shuffle(rows)  # type: ignore[arg-type]
        session.execute(insert(SampleScore), rows)


def both_submitted(database: str, tmp_path: Path, bundles: Bundles) -> tuple[World, str]:
    """A hub with an open exercise and both partners' submissions."""
    world = build_world(database, tmp_path, bundles)
    exercise = open_exercise(world, bundles)
    for who, bundle in (("a-evaluator", bundles.a), ("b-evaluator", bundles.b)):
        assert submit(world, who, exercise, bundle).status_code == 201
    return world, exercise


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_columns_equal_rows_on_random_exercises(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world, exercise = both_submitted(database, tmp_path, bundles)
    # signed later than b's bundle: supersedes its run and records a deviation
    assert submit(world, "b-evaluator", exercise, bundles.b_other_data).status_code == 201
    hub = world.hub

    def both() -> tuple[ScoreTable | None, ScoreTable | None, dict[str, Any]]:
        with transaction(hub.reads) as session:
            rows = row_table(session, exercise)
            columns = score_table(session, hub.sessions, exercise)
            exercise_row = session.get(Exercise, exercise)
            assert exercise_row is not None
            submissions = session.scalars(
                select(Submission)
                .where(Submission.exercise_id == exercise)
                .order_by(Submission.submitted_at)
            )
            manifests = {
                s.institute_id: RunManifest.model_validate(s.verification["run_manifest"])
                for s in submissions
            }
            protocol = parse_protocol(
                exercise_row.protocol_yaml, "p", Path("."), resolve_tasks=False
            )
        return rows, columns, {"protocol": protocol, "manifests": manifests}

    # as ingested: every run got its columns in the submission's transaction
    with transaction(hub.reads) as session:
        runs = set(session.scalars(select(Run.id).where(Run.exercise_id == exercise)))
        stored = set(session.scalars(select(RunScoreColumns.run_id)))
    assert runs == stored
    rows, columns, context = both()
    assert rows is not None and columns is not None
    assert labelled(columns) == labelled(rows) and columns.levels == rows.levels

    for seed in range(4):
        with transaction(hub.sessions) as session:
            randomize(session, exercise, np.random.default_rng(seed), 0.1 if seed == 3 else 0)
        rows, columns, context = both()  # columns are built from the rows (backfill)
        assert rows is not None and columns is not None
        assert len(columns) == len(rows) > 0
        assert columns.levels == rows.levels, seed
        assert labelled(columns) == labelled(rows), seed
        if seed == 3:  # the clustered task refuses samples without a cluster, either way
            for table in (rows, columns):
                with pytest.raises(AnalysisError, match="clusters on a metadata key that"):
                    analyze(table, context["protocol"], context["manifests"])
            continue
        from_rows = analyze(rows, context["protocol"], context["manifests"])
        from_columns = analyze(columns, context["protocol"], context["manifests"])
        assert from_columns.model_dump(mode="json") == from_rows.model_dump(mode="json"), seed
        assert from_rows.replications  # a real analysis, not two empty ones
        with transaction(hub.reads) as session:  # backfilled columns were stored
            assert set(session.scalars(select(RunScoreColumns.run_id))) >= {
                r for r in session.scalars(select(Run.id).where(Run.superseded_by.is_(None)))
            }


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_a_hub_with_runs_stored_before_columns_serves_the_same_results(
    database: str, tmp_path: Path, bundles: Bundles
) -> None:
    world, exercise = both_submitted(database, tmp_path, bundles)
    path = f"/exercises/{exercise}/results"
    before = world.call("a-evaluator", "GET", path).json()
    with transaction(world.hub.sessions) as session:  # as a hub upgraded from 0004 has them
        session.execute(delete(RunScoreColumns))
    world.hub.results_cache.clear()
    world.hub.analysis_cache.clear()
    after = world.call("a-evaluator", "GET", path).json()
    assert after["analysis"] == before["analysis"] and after["analysis"]["replications"]
    with transaction(world.hub.reads) as session:
        stored = set(session.scalars(select(RunScoreColumns.run_id)))
    assert stored == {run["id"] for run in before["runs"]}
