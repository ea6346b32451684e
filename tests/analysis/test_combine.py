"""`combine` numbers distinct code combinations the same way whether it counts or sorts."""

import numpy as np
import pytest

from accord.analysis import _core
from accord.analysis._core import combine


def sorted_combine(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The definition: ids in the sorted order of the distinct rows, first row of each."""
    rows = np.stack(codes, axis=1)
    _, first, ids = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    return ids.ravel(), first


@pytest.mark.parametrize("seed", range(6))
def test_counting_and_sorting_give_the_same_ids_and_first_rows(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 5000))
    codes = [  # -1 is "none" (e.g. no cluster); spans from tiny to sparse
        rng.integers(-1, int(rng.choice([2, 30, 4000])), rows).astype(np.int64)
        for _ in range(int(rng.integers(1, 4)))
    ]
    expected_ids, expected_first = sorted_combine(*codes)
    counted = combine(*codes)
    monkeypatch.setattr(_core, "DENSE_SPAN", 0)  # force the sorting path
    sorted_ = combine(*codes)
    for ids, first in (counted, sorted_):
        assert np.array_equal(ids, expected_ids)
        assert np.array_equal(first, expected_first)
        assert ids.dtype == first.dtype == np.int64


def test_no_rows() -> None:
    ids, first = combine(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert ids.size == first.size == 0
