"""Bookmarks that turn a deep offset into a short walk: the id found every N rows, kept.

`OFFSET k` makes the database walk k index entries on every request (on PostgreSQL about
0.2 ms per 1,000 at 1,000,000 rows). A run's score rows never change once its submission
is committed (ingest inserts them in the same transaction; nothing updates or deletes
them), so the id at row `k` of a fixed set of runs stays valid: it is found once, with a
walk from the nearest lower bookmark, and a page at offset `k` then walks fewer than
`EVERY` entries after it.
"""

import threading
from typing import Any

from sqlalchemy import Select, bindparam, literal_column, select
from sqlalchemy.orm import Session

from ..store import SampleScore

EVERY = 1000
"""Rows between bookmarks: the longest walk a page still makes."""

MAX_RUN_SETS = 256
"""Run sets (exercises, or runs asked for by id) whose bookmarks a worker keeps."""


def page_query(walk_primary_key: bool, after: bool, *columns: Any) -> Select[Any]:
    """`columns` of the score rows of the runs `run_ids`, in id order, paged.

    Bound at execution: `run_ids`, `limit`, `offset` and, with `after`, `after`.
    """
    run_column: Any = SampleScore.run_id
    if walk_primary_key:
        # `+` keeps SQLite off the (run, id) index, so it walks the primary key in order
        # instead of gathering and sorting every row of the exercise.
        run_column = literal_column("+sample_scores.run_id")
    query = select(*columns).where(run_column.in_(bindparam("run_ids", expanding=True)))
    if after:
        query = query.where(SampleScore.id > bindparam("after"))
    return query.order_by(SampleScore.id).limit(bindparam("limit")).offset(bindparam("offset"))


_IDS = {
    (walk, after): page_query(walk, after, SampleScore.id)
    for walk in (False, True)
    for after in (False, True)
}


class PageBookmarks:
    """Per set of runs, the id of the last row before every `EVERY`-th row (per worker)."""

    def __init__(self) -> None:
        self._marks: dict[tuple[str, ...], dict[int, int]] = {}
        self._lock = threading.Lock()

    def seek(
        self, session: Session, run_ids: list[str], walk: bool, offset: int
    ) -> tuple[int | None, int]:
        """`(after, offset)` that select the same rows as `offset` alone, with a short walk.

        `after` is None when `offset` is below `EVERY` (or the rows end before it): page
        from the start, as asked.
        """
        position = offset // EVERY * EVERY
        if position == 0:
            return None, offset
        key = tuple(run_ids)
        with self._lock:
            marks = self._marks.get(key, {})
            known = marks.get(position)
            below = max((p for p in marks if p < position), default=0)
        if known is None:
            # the id of row `position - 1`, walking from the nearest bookmark below it
            values = {"run_ids": run_ids, "limit": 1, "offset": position - below - 1}
            values["after"] = marks.get(below)
            statement = _IDS[walk, below > 0]
            known = session.connection().execute(statement, values).scalar()
            if known is None:
                return None, offset  # fewer rows than `position`: an empty page either way
            self._remember(key, position, known)
        return known, offset - position

    def _remember(self, key: tuple[str, ...], position: int, row_id: int) -> None:
        with self._lock:
            if key not in self._marks and len(self._marks) >= MAX_RUN_SETS:
                del self._marks[next(iter(self._marks))]
            self._marks.setdefault(key, {})[position] = row_id
