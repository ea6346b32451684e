"""The HTML report in a real browser (Debian Chromium via Playwright), and printed to PDF.

With ACCORD_UPDATE_SCREENSHOTS=1 the run also refreshes the README's screenshot
(docs/images/report.png); `make screenshot` does that.
"""

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.report import CHROMIUM_ARGS, build_report, from_run_dirs, render_html

from .conftest import Demo

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).parents[2] / "docs" / "images" / "report.png"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Chromium is not installed at /usr/bin/chromium (apt chromium)"
)
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is absent")
runner = CliRunner(env={"COLUMNS": "200"})


def test_report_opens_in_chromium_with_every_chart_visible(demo: Demo, tmp_path: Path) -> None:
    report, _ = build_report(from_run_dirs(demo.protocol, demo.runs))
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(report), encoding="utf-8")
    errors: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri(), wait_until="load")
        charts = page.locator("figure.chart svg")
        assert charts.count() == sum(len(t.charts) for t in report.tasks) > 0
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            assert chart.is_visible() and box is not None
            assert box["width"] > 100 and box["height"] > 40, box
        page.screenshot(path=str(tmp_path / "top.png"))
        page.locator("#task-refusal").screenshot(path=str(tmp_path / "refusal.png"))
        if os.environ.get("ACCORD_UPDATE_SCREENSHOTS"):
            page.evaluate("window.scrollTo(0, 0)")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.locator("#task-refusal").screenshot(path=str(SCREENSHOT))
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
    assert (tmp_path / "refusal.png").stat().st_size > 10_000


def test_report_prints_to_pdf(demo: Demo, tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    args = ["report", "--protocol", str(demo.protocol), *map(str, demo.runs)]
    result = runner.invoke(app, [*args, "--pdf", str(target)])
    assert result.exit_code == 0, result.output
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    assert 4 <= pages <= 30, pages  # a page per task section at least, not runaway


def test_pdf_without_chromium_is_a_clear_failure(demo: Demo, tmp_path: Path) -> None:
    from accord._util import OperationError
    from accord.report import html_to_pdf

    with pytest.raises(OperationError, match="install the Debian package `chromium`"):
        html_to_pdf("<p>x</p>", tmp_path / "x.pdf", chromium=tmp_path / "no-chromium")
    assert not (tmp_path / "x.pdf").exists()
