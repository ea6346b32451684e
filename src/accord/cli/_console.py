"""Consoles and output helpers shared by every command.

Tables go through `print_table`, which never cuts an identifier: id columns are never
wrapped or shortened, long notes move to numbered footnotes below the table, and when
the table still does not fit the terminal (80 columns whenever output is piped), each
row is printed as a block of `column: value` lines instead.

    print_table(
        [Column("key id", id=True), "partner", Column("note", note=True)],
        [[entry.key_id, entry.partner, entry.note]],
        title="Keys",
    )
"""

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

out = Console()
"""Results: tables, and JSON with --json (nothing else goes to stdout then)."""

err = Console(stderr=True, soft_wrap=True)
"""Progress, notes and errors."""

NOTE_INLINE_LIMIT = 24
"""Notes longer than this many characters become footnotes."""

MIN_WORD_WIDTH = 16
"""Other columns are at least as wide as their longest word, up to this many characters."""


@dataclass(frozen=True)
class Column:
    """A table column.

    Attributes:
        name: The header.
        id: The values are identifiers: never wrapped, folded or shortened.
        note: The values are free text: long ones move to numbered footnotes.
        justify: `left` or `right` (numbers).
    """

    name: str
    id: bool = False
    note: bool = False
    justify: Literal["left", "right"] = "left"


def cell(value: Any) -> str:
    """A value as table text: `-` for None, never Python's `None`."""
    return "-" if value is None or value == "" else str(value)


def print_table(
    columns: Sequence[Column | str],
    rows: Sequence[Sequence[Any]],
    title: str | None = None,
    console: Console | None = None,
) -> None:
    """Print rows as a table that never cuts an identifier (see the module docstring)."""
    console = console or out
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]
    texts = [[cell(v) for v in row] for row in rows]
    texts, footnotes = _footnotes(cols, texts)
    table = _table(cols, texts, title)
    # Each column's minimum, plus a space either side and a border line between columns.
    needed = sum((c.min_width or 1) + 3 for c in table.columns) + 1
    if needed <= console.width:
        console.print(table)
    else:
        _print_vertical(console, cols, texts, title)
    for number, note in enumerate(footnotes, 1):
        console.print(f"[{number}] {note}", markup=False, highlight=False, soft_wrap=True)


ID_HEADERS = frozenset(
    {"task", "model", "scorer", "partner", "partners", "threshold", "model - reference", "graders"}
)
"""Headers `print_rich_table` treats as identifier columns."""

NOTE_HEADERS = frozenset({"note", "evidence", "finding", "verdict"})
"""Headers `print_rich_table` treats as free-text notes."""


def print_rich_table(table: Table, console: Console | None = None) -> None:
    """Print a ready-made Rich table the way `print_table` does (ids whole, notes as footnotes).

    For code that builds `rich.table.Table`s: replace `out.print(table)` with
    `print_rich_table(table)`. Columns are recognised by header (`ID_HEADERS`, `NOTE_HEADERS`).
    """
    columns = [
        Column(
            str(c.header),
            id=str(c.header) in ID_HEADERS,
            note=str(c.header) in NOTE_HEADERS,
            justify="right" if c.justify == "right" else "left",
        )
        for c in table.columns
    ]
    cells = [[_markup(v) for v in c.cells] for c in table.columns]
    rows = [list(row) for row in zip(*cells, strict=True)]
    print_table(columns, rows, str(table.title) if table.title else None, console)


def _markup(value: Any) -> str:
    return value.markup if isinstance(value, Text) else str(value)


def _footnotes(cols: list[Column], rows: list[list[str]]) -> tuple[list[list[str]], list[str]]:
    notes: list[str] = []
    result = []
    for row in rows:
        new = list(row)
        for index, col in enumerate(cols):
            text = new[index]
            if col.note and len(Text.from_markup(text).plain) > NOTE_INLINE_LIMIT:
                if text not in notes:
                    notes.append(text)
                new[index] = f"[{notes.index(text) + 1}]"
        result.append(new)
    return result, [Text.from_markup(n).plain for n in notes]


def _table(cols: list[Column], rows: list[list[str]], title: str | None) -> Table:
    table = Table(title=title)
    for index, col in enumerate(cols):
        plain = [Text.from_markup(r[index]).plain for r in rows]
        if col.id:
            width = max([len(col.name), *map(len, plain)])
            table.add_column(col.name, no_wrap=True, min_width=width)
        else:
            # Wide enough for the header and every word (up to a point) so nothing is squeezed.
            words = [len(w) for text in [col.name, *plain] for w in text.split()]
            width = min(max(words, default=1), MIN_WORD_WIDTH)
            table.add_column(col.name, overflow="fold", min_width=width, justify=col.justify)
    for row in rows:
        table.add_row(*row)
    return table


def _print_vertical(
    console: Console, cols: list[Column], rows: list[list[str]], title: str | None
) -> None:
    if title:
        console.print(Text(title, style="italic"))
    width = max(len(c.name) for c in cols)
    for number, row in enumerate(rows):
        if number:
            console.print()
        for col, text in zip(cols, row, strict=True):
            console.print(f"{col.name:>{width}}: {text}", soft_wrap=True, highlight=False)


def print_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout, plain (no colour or wrapping)."""
    print(json.dumps(data, indent=2, sort_keys=False, default=str))


def print_json_error(message: str, exit_code: int) -> None:
    """An error under `--json`: one JSON object on stderr (stdout stays empty)."""
    sys.stderr.write(json.dumps({"error": message, "exit_code": exit_code}) + "\n")
