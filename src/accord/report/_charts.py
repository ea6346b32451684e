"""Charts as Vega-Lite specs (data inline), rendered to inline SVG without a browser.

The same spec drives the HTML report and, later, the hub's web pages. Intervals are always
drawn (a rule with end ticks; a point alone is never shown); colours are Okabe-Ito
(colour-blind safe); a zero-width interval is drawn as a cross-bar and said so.
"""

from collections.abc import Sequence
from typing import Any

from ._model import Chart, ComparisonRow, EstimateRow, ReplicationRow, Report
from ._tables import MINUS

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
VERDICT_COLOURS = {
    "consistent": "#009E73",
    "inconsistent": "#D55E00",
    "deviation": "#CC79A7",
    "inconclusive": "#E69F00",
}
WIDTH = 460
ROW = 24
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an id in the spec, never fetched


def _base(title: str, values: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": {"text": title, "anchor": "start", "fontSize": 13},
        "width": WIDTH,
        "height": max(ROW * rows, 40),
        "data": {"values": values},
        "config": {
            "font": "Helvetica, Arial, sans-serif",
            "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 320},
            "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
            "view": {"stroke": None},
        },
        "layer": [],
    }


def _interval_layers(
    y: dict[str, Any], colour: dict[str, Any], x_title: str, shape: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    x = {"field": "low", "type": "quantitative", "title": x_title, "scale": {"zero": False}}
    point_encoding: dict[str, Any] = {
        "y": y,
        "x": {"field": "value", "type": "quantitative"},
        "color": colour,
        "tooltip": [
            {"field": "label", "title": "row"},
            {"field": "value", "format": ".3f"},
            {"field": "low", "format": ".3f", "title": "CI low"},
            {"field": "high", "format": ".3f", "title": "CI high"},
        ],
    }
    if shape is not None:
        point_encoding["shape"] = shape
    return [
        {
            "mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {"y": y, "x": x, "x2": {"field": "high"}, "color": colour},
        },
        {
            "mark": {"type": "tick", "orient": "vertical", "thickness": 2, "size": 12},
            "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "color": colour},
        },
        {
            "mark": {"type": "tick", "orient": "vertical", "thickness": 2, "size": 12},
            "encoding": {"y": y, "x": {"field": "high", "type": "quantitative"}, "color": colour},
        },
        {"mark": {"type": "point", "filled": True, "size": 70}, "encoding": point_encoding},
        {
            "transform": [{"filter": "datum.high - datum.low < 1e-12"}],
            "mark": {"type": "text", "align": "left", "dx": 10, "fontSize": 10, "color": "#333333"},
            "encoding": {
                "y": y,
                "x": {"field": "value", "type": "quantitative"},
                "text": {"value": "zero-width interval"},
            },
        },
    ]


def _reference_rules(values: list[tuple[float, str]]) -> list[dict[str, Any]]:
    """Vertical dashed rules (zero, thresholds, margins) with labels."""
    if not values:
        return []
    data = [{"at": at, "what": what} for at, what in values]
    return [
        {
            "data": {"values": data},
            "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#555555"},
            "encoding": {"x": {"field": "at", "type": "quantitative"}},
        },
        {
            "data": {"values": data},
            "mark": {
                "type": "text",
                "dy": -6,
                "fontSize": 10,
                "color": "#333333",
                "baseline": "bottom",
            },
            "encoding": {
                "x": {"field": "at", "type": "quantitative"},
                "y": {"value": 0},
                "text": {"field": "what"},
            },
        },
    ]


def _with_interval(low: float | None, high: float | None) -> bool:
    return low is not None and high is not None


def _point(
    label: str, value: float | None, low: float | None, high: float | None
) -> dict[str, Any]:
    return {"label": label, "value": value, "low": low, "high": high}


def _interval_spec(
    title: str,
    values: list[dict[str, Any]],
    colour: tuple[str, str, dict[str, Any]],
    x_title: str,
    rules: list[tuple[float, str]],
    shape: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chart of one interval per row, coloured by a field, with labelled reference rules."""
    spec = _base(title, values, len(values))
    y = {"field": "label", "type": "nominal", "title": None, "sort": None}
    field, legend, scale = colour
    encoding = {"field": field, "type": "nominal", "title": legend, "scale": scale}
    spec["layer"] = _interval_layers(y, encoding, x_title, shape) + _reference_rules(rules)
    return spec


def _thresholds(values: Sequence[float]) -> list[tuple[float, str]]:
    return [(t, f"threshold {t:g}") for t in values]


def forest(task: str, rows: Sequence[EstimateRow], thresholds: Sequence[float] = ()) -> Chart:
    """Estimates with intervals by scorer x model x partner; pooled rows drawn as diamonds."""
    values = [
        {
            **_point(
                f"{r.scorer} · {r.model} · {r.partner or 'pooled'}", r.mean, r.ci_low, r.ci_high
            ),
            "kind": "pooled" if r.partner is None else "one partner",
            "partner": r.partner or "pooled",
        }
        for r in rows
        if _with_interval(r.ci_low, r.ci_high)
    ]
    shape = {
        "field": "kind",
        "type": "nominal",
        "title": "row",
        "scale": {"domain": ["one partner", "pooled"], "range": ["circle", "diamond"]},
    }
    spec = _interval_spec(
        f"{task}: estimates with confidence intervals",
        values,
        ("partner", "partner", {"range": PALETTE}),
        "mean score",
        _thresholds(thresholds),
        shape,
    )
    missing = len(rows) - len(values)
    return Chart(
        id=f"forest-{task}",
        title=f"Estimates: {task}",
        description="Mean score with its interval per scorer, model and partner; pooled rows "
        "are diamonds."
        + (f" {missing} row(s) without an interval are in the table only." if missing else ""),
        spec=spec,
    )


def deltas(task: str, rows: Sequence[ComparisonRow], thresholds: Sequence[float] = ()) -> Chart:
    """Model minus reference with intervals, against zero and the protocol's thresholds."""
    values = [
        {
            **_point(
                f"{r.scorer} · {r.model} {MINUS} {r.reference} · {r.partner or 'pooled'}",
                r.delta,
                r.ci_low,
                r.ci_high,
            ),
            "kind": "paired" if r.paired else "unpaired",
        }
        for r in rows
        if _with_interval(r.ci_low, r.ci_high)
    ]
    spec = _interval_spec(
        f"{task}: differences vs references",
        values,
        ("kind", "comparison", {"range": PALETTE}),
        f"Δ (model {MINUS} reference)",
        [(0.0, "0"), *_thresholds(thresholds)],
    )
    return Chart(
        id=f"deltas-{task}",
        title=f"Differences vs references: {task}",
        description="Δ with its interval, against zero and the protocol's thresholds on Δ.",
        spec=spec,
    )


def reproducibility(task: str, rows: Sequence[ReplicationRow]) -> Chart:
    """Cross-site Δ with its (1 - 2 alpha) interval against ±margin, coloured by verdict."""
    values = [
        {
            **_point(
                f"{r.scorer} · {r.model} · {r.partner_a} vs {r.partner_b}",
                r.delta,
                r.ci_low,
                r.ci_high,
            ),
            "verdict": r.verdict,
        }
        for r in rows
        if r.delta is not None and _with_interval(r.ci_low, r.ci_high)
    ]
    margins = sorted({r.margin for r in rows})
    rules = [(0.0, "0")] + [
        (s * m, ("+" if s > 0 else MINUS) + f"{m:g}") for m in margins for s in (-1, 1)
    ]
    verdicts = {"domain": list(VERDICT_COLOURS), "range": list(VERDICT_COLOURS.values())}
    spec = _interval_spec(
        f"{task}: cross-site reproducibility",
        values,
        ("verdict", "verdict", verdicts),
        "Δ between partners",
        rules,
    )
    return Chart(
        id=f"reproducibility-{task}",
        title=f"Cross-site reproducibility: {task}",
        description="Δ between two partners with its TOST interval, against ±margin.",
        spec=spec,
    )


def with_charts(report: Report) -> Report:
    """The report with each task's charts drawn from its rows (after any anonymisation)."""
    sections = []
    for s in report.tasks:
        charts = []
        if s.estimates:
            charts.append(forest(s.task, s.estimates, s.estimate_bounds))
        if s.comparisons:
            charts.append(deltas(s.task, s.comparisons, s.delta_bounds))
        if s.replications:
            charts.append(reproducibility(s.task, s.replications))
        sections.append(s.model_copy(update={"charts": charts}))
    return report.model_copy(update={"tasks": sections})


def render_svg(chart: Chart) -> str:
    """The chart as an SVG document (no browser, no network)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(chart.spec)
    return svg
