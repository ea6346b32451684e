"""The report as one self-contained HTML file: inline CSS and SVG, no script, no fetch."""

from pathlib import Path
from typing import Any

from ._charts import render_svg
from ._model import Report
from ._parts import task_parts
from ._tables import provenance_table

TEMPLATES = Path(__file__).parent / "templates"


def render_html(report: Report) -> str:
    """The report as HTML; readable on screen and printable (page breaks per task)."""
    import jinja2
    from markupsafe import Markup

    from .. import __version__

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    sections: list[dict[str, Any]] = []
    for section in report.tasks:
        parts = [
            {
                "table": part.table,
                "charts": [
                    {"id": c.id, "description": c.description, "svg": Markup(render_svg(c))}
                    for c in part.charts
                ],
            }
            for part in task_parts(report, section)
        ]
        sections.append({**section.model_dump(exclude={"charts"}), "parts": parts})
    return env.get_template("report.html.j2").render(
        r=report,
        sections=sections,
        provenance=provenance_table(report.provenance.runs),
        version=__version__,
    )
