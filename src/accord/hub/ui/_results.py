"""An exercise's results as the joint report presents them, cached until they can change."""

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from .. import _policy as policy
from .._auth import Actor
from .._reports import _responses_seq, _submission_count, report_inputs
from .._service import Hub

if TYPE_CHECKING:
    from ...report import Report

CACHE_SIZE = 32
ReportCache = OrderedDict[tuple[Any, ...], tuple["Report", list[dict[str, Any]]]]


def report_view(
    hub: Hub,
    cache: ReportCache,
    actor: Actor,
    exercise_id: str,
    state: str,
    scope: policy.ResultsScope,
) -> tuple["Report", list[dict[str, Any]]]:
    """The report of an exercise and its task sections as display parts (tables, SVG charts).

    Built by the report module (the same rows and charts as the HTML report) and cached per
    exercise, submission count, state and view in `cache` (one per app), like the API's
    report route.
    """
    from markupsafe import Markup

    from ...report import build_report, render_svg, task_parts

    key = (
        exercise_id,
        _submission_count(hub, exercise_id),
        state,
        scope.key(),
        _responses_seq(hub, actor, exercise_id),
    )
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    report, _ = build_report(report_inputs(hub, actor, exercise_id))
    sections = [
        {
            "task": section.task,
            "parts": [
                {
                    "table": part.table,
                    "charts": [
                        {"id": c.id, "description": c.description, "svg": Markup(render_svg(c))}
                        for c in part.charts
                    ],
                }
                for part in task_parts(report, section)
            ],
        }
        for section in report.tasks
    ]
    cache[key] = (report, sections)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return report, sections
