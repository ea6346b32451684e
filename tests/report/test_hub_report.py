"""The hub's report route (results policy, cache per submission count) and `--exercise`."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import create_app, serve_in_background
from accord.report import Report
from tests.conftest import BACKENDS

from .conftest import Demo, build_hub

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_report_route_follows_the_results_policy(database: str, demo: Demo, tmp_path: Path) -> None:
    world = build_hub(database, tmp_path / "data", demo)
    path = f"/exercises/{world.exercise}/report"
    for who in ("anonymous", "inst-c"):  # not before publication
        response = world.get(who, path)
        assert response.status_code in (401, 404), response.text  # hidden: as if missing
    partner = world.get("inst-a", path, params={"format": "json"})
    assert partner.status_code == 200, partner.text
    report = Report.model_validate(partner.json())
    assert report.exercise == world.exercise and report.state == "draft"
    assert report.provenance.source == "hub"
    assert report.provenance.ledger_head and report.provenance.ledger_head.startswith("sha256:")
    runs = report.provenance.runs
    assert len(runs) == 10
    assert all(r.bundle_sha256 and r.signer_key_id and r.log_sha256 for r in runs)
    assert all(r.inspect_version and r.accord_version for r in runs)
    assert {f.threshold: f.status for f in report.summary}["jailbreak-prone"] == "supported"
    html = world.get("inst-b", path)  # html is the default
    assert html.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(html.text, "html.parser")
    assert soup.select_one("#state").get_text() == "draft"
    assert len(soup.select("figure.chart svg")) == 8
    md = world.get("hub-admin", path, params={"format": "md"})
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Joint report: safeguards-demo")
    assert world.get("inst-a", path, params={"format": "xml"}).status_code == 422
    assert world.get("inst-a", "/exercises/no-such/report").status_code == 404

    world.post("hub-admin", f"/exercises/{world.exercise}/close")
    world.agree("approve")
    world.post("hub-admin", f"/exercises/{world.exercise}/publish")
    public = world.get("inst-c", path, params={"format": "json"})
    assert public.status_code == 200, public.text
    published = Report.model_validate(public.json())
    assert published.state == "published" and published.published_at
    # outsiders see the aggregate, not the partners' log digests, bundles or signers
    assert all(r.log_sha256 is None and r.bundle_sha256 is None for r in published.provenance.runs)
    assert [f.status for f in published.summary] == [f.status for f in report.summary]


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_report_is_cached_per_submission_count(database: str, demo: Demo, tmp_path: Path) -> None:
    world = build_hub(database, tmp_path / "data", demo)
    path = f"/exercises/{world.exercise}/report"
    first = world.get("inst-a", path, params={"format": "json"})
    again = world.get("inst-a", path, params={"format": "json"})
    assert first.text == again.text  # the same bytes: served from the cache
    assert first.headers["x-accord-cache"] == again.headers["x-accord-cache"]
    assert ";2;open;True;json" in first.headers["x-accord-cache"]
    world.post("hub-admin", f"/exercises/{world.exercise}/close")
    closed = world.get("inst-a", path, params={"format": "json"})
    assert ";2;closed;True;json" in closed.headers["x-accord-cache"]
    assert (
        Report.model_validate(closed.json()).generated_at
        > Report.model_validate(first.json()).generated_at
    )


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_cli_report_from_the_hub_over_http(database: str, demo: Demo, tmp_path: Path) -> None:
    world = build_hub(database, tmp_path / "data", demo)
    target, pdfless = tmp_path / "hub.html", tmp_path / "hub.md"
    with serve_in_background(create_app(world.hub)) as url:
        common = ["--exercise", world.exercise, "--hub", url, "--token", world.tokens["inst-b"]]
        result = runner.invoke(app, ["report", *common, "-o", str(target)])
        assert result.exit_code == 0, result.output
        result = runner.invoke(
            app, ["report", *common, "-o", str(pdfless), "--anonymise-models", "--json"]
        )
        assert result.exit_code == 0, result.output
        outsider = ["--exercise", world.exercise, "--hub", url, "--token", world.tokens["inst-c"]]
        denied = runner.invoke(app, ["report", *outsider, "-o", str(tmp_path / "no.html")])
    soup = BeautifulSoup(target.read_text(), "html.parser")
    assert soup.select_one("#ledger-head").get_text().startswith("sha256:")
    assert len(soup.select("figure.chart svg")) == 8
    text = pdfless.read_text()
    assert "accord/guarded" not in text and "Model A" in text
    assert (tmp_path / "hub.md.models.json").is_file()
    assert denied.exit_code == 2 and "no exercise" in denied.output  # hidden: as if missing
    assert not (tmp_path / "no.html").exists()
