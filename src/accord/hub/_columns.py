"""Each run's scores as compressed numpy columns: the analysis input without row-by-row work.

At ingest every run gets one `run_score_columns` row (same transaction as its per-sample
rows): sample, scorer and cluster labels once each, with int codes, epochs and values as
arrays. Reading an exercise's current runs then costs one decompression per run and a
remap of labels, not a Python object per score. Runs stored before columns existed are
built from their rows on first read and stored then.

Subgroup labels (the task's `groups:` metadata keys) are stored only here, as optional
`group:<key>` columns; columns without them (older runs, or rebuilt from rows, which never
carry them) give no subgroup rows for that run: submit the run again to get them.
"""

import hashlib
import io
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..analysis import AnalysisError, ScoreTable
from ..store import Run, RunScoreColumns, SampleScore, transaction

FORMAT = 1
_LABELLED = ("sample", "scorer", "cluster")


@dataclass
class ColumnsBuilder:
    """Collects a run's scores row by row (as ingest streams them) and encodes them once."""

    sample: list[str] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    scorer: list[str] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    cluster: list[str | None] = field(default_factory=list)
    groups: dict[str, list[str | None]] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        """Add one score row (the keys of a `sample_scores` row, and optional `groups`)."""
        for key, _ in row.get("groups") or ():
            self.groups.setdefault(key, [None] * len(self.value))
        labels = dict(row.get("groups") or ())
        for key, column in self.groups.items():
            column.append(labels.get(key))
        self.sample.append(row["sample_id"])
        self.epoch.append(row["epoch"])
        self.scorer.append(row["scorer"])
        self.value.append(row["value"])
        self.cluster.append(row["cluster"])

    def record(self, run_id: str) -> RunScoreColumns:
        """The run's `run_score_columns` row."""
        payload = encode(
            self.sample, self.epoch, self.scorer, self.value, self.cluster, self.groups
        )
        return RunScoreColumns(
            run_id=run_id,
            format=FORMAT,
            rows=len(self.value),
            sha256="sha256:" + hashlib.sha256(payload).hexdigest(),
            payload=payload,
        )


def encode(
    sample: Sequence[str],
    epoch: Sequence[int],
    scorer: Sequence[str],
    value: Sequence[float],
    cluster: Sequence[str | None],
    groups: Mapping[str, Sequence[str | None]] | None = None,
) -> bytes:
    """Columns of one run as bytes: sorted labels as JSON, codes and numbers as arrays.

    `groups` adds a `group:<key>` label column per subgroup key (None: sample lacks it).
    """
    arrays: dict[str, npt.NDArray[Any]] = {
        "epoch": np.asarray(epoch, dtype=np.int64),
        "value": np.asarray(value, dtype=np.float64),
    }
    labels: dict[str, list[str]] = {}
    named = [("sample", sample), ("scorer", scorer), ("cluster", cluster)]
    named += [(f"group:{key}", column) for key, column in (groups or {}).items()]
    for name, column in named:
        levels = sorted({c for c in column if c is not None})
        index = {label: i for i, label in enumerate(levels)}
        labels[name] = levels
        arrays[name] = np.fromiter(
            (-1 if c is None else index[c] for c in column), dtype=np.int64, count=len(column)
        )
    arrays["labels"] = np.frombuffer(json.dumps(labels).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return zlib.compress(buffer.getvalue(), 1)


@dataclass(frozen=True)
class RunColumns:
    """One run's decoded columns (codes into `labels`)."""

    arrays: dict[str, npt.NDArray[Any]]
    labels: dict[str, list[str]]

    @classmethod
    def decode(cls, payload: bytes) -> "RunColumns":
        """Read what `encode` wrote."""
        with np.load(io.BytesIO(zlib.decompress(payload)), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        labels = json.loads(arrays.pop("labels").tobytes())
        return cls(arrays, labels)


def score_table(
    session: Session, writes: sessionmaker[Session], exercise_id: str
) -> ScoreTable | None:
    """The exercise's current (not superseded) scores from their columns; None when none.

    Runs without columns (stored before columns existed) get them built from their rows,
    stored through `writes`.

    Raises:
        AnalysisError: For NaN or infinite values (as `ScoreTable.from_columns`).
    """
    runs = session.execute(
        select(Run.id, Run.task_id, Run.model_id, Run.institute_id)
        .where(Run.exercise_id == exercise_id, Run.superseded_by.is_(None))
        .order_by(Run.institute_id, Run.task_id, Run.model_id)
    ).all()
    ids = [run.id for run in runs]
    stored: dict[str, bytes] = {
        run_id: payload
        for run_id, payload in session.execute(
            select(RunScoreColumns.run_id, RunScoreColumns.payload).where(
                RunScoreColumns.run_id.in_(ids), RunScoreColumns.format == FORMAT
            )
        )
    }
    parts: list[tuple[tuple[str, str, str], RunColumns]] = []
    for run in runs:
        payload = stored.get(run.id)
        if payload is None:
            payload = backfill(session, writes, run.id)
        columns = RunColumns.decode(payload)
        if columns.arrays["value"].size:
            parts.append(((run.task_id, run.model_id, run.institute_id), columns))
    return _merge(parts) if parts else None


def backfill(session: Session, writes: sessionmaker[Session], run_id: str) -> bytes:
    """Build a run's columns from its rows and store them; returns the payload."""
    builder = ColumnsBuilder()
    query = (
        select(
            SampleScore.sample_id,
            SampleScore.epoch,
            SampleScore.scorer,
            SampleScore.value,
            SampleScore.cluster,
        )
        .where(SampleScore.run_id == run_id)
        .order_by(SampleScore.id)
    )
    for sample, epoch, scorer, value, cluster in session.execute(query):
        builder.add(
            {
                "sample_id": sample,
                "epoch": epoch,
                "scorer": scorer,
                "value": value,
                "cluster": cluster,
            }
        )
    record = builder.record(run_id)
    try:
        with transaction(writes) as write:
            write.merge(record)
    except IntegrityError:
        pass  # another worker stored the same run's columns first
    return record.payload


def _merge(parts: list[tuple[tuple[str, str, str], RunColumns]]) -> ScoreTable:
    levels: dict[str, list[str]] = {}
    coded: dict[str, list[npt.NDArray[np.int64]]] = {}
    for position, name in enumerate(("task", "model", "partner")):
        labels = sorted({key[position] for key, _ in parts})
        levels[name] = labels
        coded[name] = [
            np.full(c.arrays["value"].size, labels.index(key[position]), dtype=np.int64)
            for key, c in parts
        ]
    for name in _LABELLED:
        levels[name] = merged = _union(c.labels[name] for _, c in parts)
        index: dict[str, int] = {}
        coded[name] = []
        for _, c in parts:
            if c.labels[name] == merged:  # the usual case: codes already index the union
                coded[name].append(c.arrays[name].astype(np.int64, copy=False))
                continue
            index = index or {label: i for i, label in enumerate(merged)}
            coded[name].append(_recode(c.arrays[name], c.labels[name], index))
    group_codes = _merge_groups(parts, levels)
    values = np.concatenate([c.arrays["value"] for _, c in parts])
    if values.size and not np.all(np.isfinite(values)):
        raise AnalysisError("scores include NaN or infinite values; fix or drop those samples")
    return ScoreTable(
        task=np.concatenate(coded["task"]),
        model=np.concatenate(coded["model"]),
        partner=np.concatenate(coded["partner"]),
        scorer=np.concatenate(coded["scorer"]),
        sample=np.concatenate(coded["sample"]),
        epoch=np.concatenate([c.arrays["epoch"] for _, c in parts]),
        value=values,
        cluster=np.concatenate(coded["cluster"]),
        levels=levels,
        groups=group_codes,
    )


def _merge_groups(
    parts: list[tuple[tuple[str, str, str], RunColumns]], levels: dict[str, list[str]]
) -> dict[str, npt.NDArray[np.int64]]:
    """Subgroup codes over all runs (-1 for runs stored without that key's labels)."""
    names = sorted({n for _, c in parts for n in c.labels if n.startswith("group:")})
    codes: dict[str, npt.NDArray[np.int64]] = {}
    for name in names:
        levels[name] = sorted(set().union(*(c.labels.get(name, []) for _, c in parts)))
        index = {label: i for i, label in enumerate(levels[name])}
        codes[name.removeprefix("group:")] = np.concatenate(
            [
                _recode(c.arrays[name], c.labels[name], index)
                if name in c.labels
                else np.full(c.arrays["value"].size, -1, dtype=np.int64)
                for _, c in parts
            ]
        )
    return codes


def _union(label_lists: Iterable[list[str]]) -> list[str]:
    lists = list(label_lists)
    first = lists[0]
    if all(labels == first for labels in lists[1:]):
        return first  # the usual case: partners ran the same samples
    return sorted(set().union(*lists))


def _recode(
    codes: npt.NDArray[np.int64], labels: list[str], index: dict[str, int]
) -> npt.NDArray[np.int64]:
    mapping = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
    if np.array_equal(mapping, np.arange(len(labels))):
        return codes.astype(np.int64, copy=False)
    # -1 (no cluster) stays -1: the appended entry answers index -1
    return np.append(mapping, -1)[codes]
