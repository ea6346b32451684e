"""The Jinja2 environment of the pages; the report's own templates are reachable as `report/`."""

from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """The pages' template environment (autoescaped, strict about undefined names)."""
    from ... import report

    report_templates = Path(report.__file__).parent / "templates"
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(TEMPLATES),
                jinja2.PrefixLoader({"report": jinja2.FileSystemLoader(report_templates)}),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    return env


def when(value: datetime | str | None) -> str:
    """A time as `YYYY-MM-DD HH:MM UTC` (or an en dash when absent)."""
    if value is None:
        return "\u2013"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC")
