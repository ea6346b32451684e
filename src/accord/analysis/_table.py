"""The score table: per sample x epoch scores, in columns of integer codes."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ._errors import AnalysisError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_LETTERS = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
"""Inspect's score letters: CORRECT, INCORRECT, PARTIAL, NOANSWER (as `value_to_float`)."""


def score_to_float(value: Any, where: str) -> float:
    """A score value as a number, the way Inspect's `value_to_float` maps it.

    Raises:
        AnalysisError: For values with no numeric meaning (lists, dicts, other strings).
    """
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in _LETTERS:
            return _LETTERS[text.upper()]
        if text.lower() in ("yes", "true"):
            return 1.0
        if text.lower() in ("no", "false"):
            return 0.0
        try:
            return float(text)
        except ValueError:
            pass
    raise AnalysisError(
        f"{where}: score {value!r} is not numeric; use a scorer whose values are numbers, "
        "booleans or C/I/P/N"
    )


@dataclass(frozen=True)
class ScoreRow:
    """One score of one sample in one epoch."""

    task: str
    model: str
    partner: str
    scorer: str
    sample: str
    epoch: int
    value: float
    cluster: str | None = None
    groups: tuple[tuple[str, str | None], ...] = ()
    """(metadata key, label) of each `groups:` key of the task; None where the sample lacks it."""


@dataclass(frozen=True)
class ScoreTable:
    """Scores in columns: each categorical column is int codes into its `levels`.

    `cluster` is -1 where a sample has no cluster. All arrays have one entry per score.
    """

    task: IntArray
    model: IntArray
    partner: IntArray
    scorer: IntArray
    sample: IntArray
    epoch: IntArray
    value: FloatArray
    cluster: IntArray
    levels: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, IntArray] = field(default_factory=dict)
    """Subgroup codes per metadata key (levels under `group:<key>`), -1 where unlabelled."""

    def __len__(self) -> int:
        return int(self.value.shape[0])

    @classmethod
    def from_rows(cls, rows: Iterable[ScoreRow]) -> "ScoreTable":
        """Build a table from rows."""
        columns: dict[str, list[Any]] = {
            k: []
            for k in ("task", "model", "partner", "scorer", "sample", "epoch", "value", "cluster")
        }
        labels: dict[str, list[str | None]] = {}
        for count, row in enumerate(rows):
            for key in columns:
                columns[key].append(getattr(row, key))
            for name, _ in row.groups:
                labels.setdefault(name, [None] * count)
            for name, column in labels.items():
                column.append(dict(row.groups).get(name))
        return cls.from_columns(**columns).with_groups(labels)

    @classmethod
    def from_columns(
        cls,
        *,
        task: Sequence[str],
        model: Sequence[str],
        partner: Sequence[str],
        scorer: Sequence[str],
        sample: Sequence[str],
        epoch: Sequence[int],
        value: Sequence[float],
        cluster: Sequence[str | None],
    ) -> "ScoreTable":
        """Build a table from equal-length columns of labels and numbers."""
        levels: dict[str, list[str]] = {}
        coded: dict[str, IntArray] = {}
        for name, column in (
            ("task", task),
            ("model", model),
            ("partner", partner),
            ("scorer", scorer),
            ("sample", sample),
        ):
            labels, codes = np.unique(
                np.asarray(column, dtype=object).astype(str), return_inverse=True
            )
            levels[name] = [str(label) for label in labels]
            coded[name] = codes.astype(np.int64)
        cluster_labels = sorted({c for c in cluster if c is not None})
        index = {label: i for i, label in enumerate(cluster_labels)}
        levels["cluster"] = cluster_labels
        values = np.asarray(value, dtype=np.float64)
        if values.size and not np.all(np.isfinite(values)):
            raise AnalysisError("scores include NaN or infinite values; fix or drop those samples")
        return cls(
            epoch=np.asarray(epoch, dtype=np.int64),
            value=values,
            cluster=np.asarray(
                [index[c] if c is not None else -1 for c in cluster], dtype=np.int64
            ),
            levels=levels,
            task=coded["task"],
            model=coded["model"],
            partner=coded["partner"],
            scorer=coded["scorer"],
            sample=coded["sample"],
        )

    def with_groups(self, groups: Mapping[str, Sequence[str | None]]) -> "ScoreTable":
        """The table with subgroup labels per metadata key (one per score, None: unlabelled)."""
        levels, codes = dict(self.levels), dict(self.groups)
        for key, labels in groups.items():
            levels[f"group:{key}"], codes[key] = encode_labels(labels)
        return replace(self, levels=levels, groups=codes)

    def label(self, column: str, code: int) -> str:
        """The label of `code` in a categorical column."""
        return self.levels[column][code]

    def code(self, column: str, label: str) -> int | None:
        """The code of `label` in a categorical column, or None when absent."""
        try:
            return self.levels[column].index(label)
        except ValueError:
            return None


def encode_labels(column: Sequence[str | None]) -> tuple[list[str], IntArray]:
    """Sorted distinct labels and int codes into them (-1 for None)."""
    labels = sorted({c for c in column if c is not None})
    index = {label: i for i, label in enumerate(labels)}
    codes = np.fromiter((-1 if c is None else index[c] for c in column), np.int64, len(column))
    return labels, codes
