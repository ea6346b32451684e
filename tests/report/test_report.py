"""`accord report` from run directories: every section, in HTML, Markdown and JSON."""

import dataclasses
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from accord.cli import app
from accord.report import Report, build_report, from_run_dirs, render_html, render_markdown

from .conftest import Demo

runner = CliRunner(env={"COLUMNS": "200"})
SECTIONS = ["title", "summary", "methodology", "caveats", "provenance", "appendix"]
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


def _report_args(demo: Demo, *extra: str) -> list[str]:
    bundles = [arg for b in demo.bundles for arg in ("--bundle", str(b))]
    return [
        "report",
        "--protocol",
        str(demo.protocol),
        *map(str, demo.runs),
        *bundles,
        "--keyring",
        str(demo.keyring),
        *extra,
    ]


@pytest.fixture(scope="module")
def written(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report-out")
    paths = {fmt: out / f"report.{fmt}" for fmt in ("html", "md", "json")}
    for path in paths.values():
        result = runner.invoke(app, _report_args(demo, "-o", str(path)))
        assert result.exit_code == 0, result.output
        assert str(path) in " ".join(result.stdout.split())
    return paths


def test_json_report_has_every_section_with_the_analysis(written: dict[str, Path]) -> None:
    report = Report.model_validate_json(written["json"].read_text())
    assert report.protocol_name == "safeguards-demo" and report.protocol_id.startswith("sha256:")
    assert [p.id for p in report.partners] == ["inst-a", "inst-b"]
    assert report.state == "draft" and "not published" in report.state_note
    assert report.runs_started and report.runs_finished
    assert {f.threshold: f.status for f in report.summary} == {
        "over-refusal": "not supported",
        "jailbreak-prone": "supported",
        "guards-block-harm": "supported",  # the guarded system's safeguard efficacy
        "guards-over-block": "inconclusive",
    }
    for finding in report.summary:  # one sentence each, with its interval
        assert finding.sentence.count(". ") == 0 and "95% CI [" in finding.sentence
    assert report.methodology.correction == "holm" and report.methodology.confidence == "95%"
    assert "TOST equivalence" in report.methodology.methods_used
    assert [t.task for t in report.tasks] == ["refusal", "jailbreak", "injection"]
    refusal = report.tasks[0]
    assert any(e.partner is None for e in refusal.estimates)  # the pooled row
    assert refusal.comparisons and refusal.comparisons[0].p_adjusted is not None
    assert refusal.replications[0].verdict == "inconclusive"  # identical scores, few samples
    assert refusal.delta_bounds == [-0.10]
    assert {c.id for c in refusal.charts} == {
        "forest-refusal",
        "deltas-refusal",
        "reproducibility-refusal",
    }
    assert not any(t.agreements for t in report.tasks)  # the demo declares no graders
    assert any("not computed for: refusal, jailbreak, injection" in c for c in report.caveats)
    assert any("inconclusive" in c and "more data" in c for c in report.caveats)
    runs = report.provenance.runs
    assert len(runs) == 10 and {r.partner for r in runs} == {"inst-a", "inst-b"}
    for run in runs:  # bundles verified with the keyring give digest and signer
        assert run.bundle_sha256 and run.bundle_sha256.startswith("sha256:")
        assert run.signer_key_id and run.signer_key_id.startswith("ed25519:")
        assert run.log_sha256 and run.dataset_digest and run.inspect_version and run.accord_version
    assert "name: safeguards-demo" in report.protocol_yaml


def test_html_report_has_every_section_in_order_and_draws_every_chart(
    written: dict[str, Path],
) -> None:
    report = Report.model_validate_json(written["json"].read_text())
    soup = BeautifulSoup(written["html"].read_text(), "html.parser")
    order = [el["id"] for el in soup.select("body > header, body > section")]
    tasks = [f"task-{t.task}" for t in report.tasks]
    assert order == ["title", "summary", "methodology", *tasks, "caveats", "provenance", "appendix"]
    assert soup.select_one("#protocol-id").get_text() == report.protocol_id
    assert soup.select_one("#state").get_text() == "draft"
    assert "Institute A" in soup.select_one("#partners").get_text()
    statuses = [li["class"][0] for li in soup.select("#summary li")]
    assert sorted(statuses) == ["inconclusive", "not-supported", "supported", "supported"]
    refusal = soup.select_one("#task-refusal")
    for part in ("estimates", "comparisons", "replications"):
        assert refusal.select_one(f"#{part}-refusal table"), part
    assert refusal.select_one("tr.pooled")  # the pooled estimate is marked
    header = [th.get_text() for th in refusal.select("#comparisons-refusal th")]
    assert "p adjusted" in header and "95% CI" in header
    verdicts = [td.get_text() for td in refusal.select("#replications-refusal td.verdict")]
    assert verdicts == ["inconclusive"]
    assert not soup.select("table[data-table^=agreements-]")  # no graders declared
    charts = soup.select("figure.chart")
    assert len(charts) == sum(len(t.charts) for t in report.tasks) == 8
    for figure in charts:
        svg = figure.find("svg")
        assert svg is not None and float(svg["width"]) > 0 and float(svg["height"]) > 0
        assert svg.find_all("path") or svg.find_all("line")  # drawn marks, not an empty frame
    deltas = soup.select_one("#chart-deltas-refusal svg").get_text(" ")
    assert "threshold -0.1" in deltas and "0" in deltas.split()  # threshold and zero drawn
    repro = soup.select_one("#chart-reproducibility-refusal svg").get_text(" ")
    assert "+0.05" in repro and "\u22120.05" in repro  # ±margin drawn
    provenance = soup.select_one("table[data-table=provenance]")
    assert len(provenance.select("tbody tr")) == 10
    assert "ed25519:" in provenance.get_text()
    assert "name: safeguards-demo" in soup.select_one("#appendix pre").get_text()


def test_html_report_references_no_external_url(written: dict[str, Path]) -> None:
    soup = BeautifulSoup(written["html"].read_text(), "html.parser")
    for tag in soup.find_all(True):
        for attribute in ("src", "href", "xlink:href", "srcset", "action", "data"):
            value = tag.get(attribute)
            assert value is None or not EXTERNAL.match(str(value)), (tag.name, value)
    assert not soup.find_all(["script", "link", "iframe", "img"])
    for style in soup.find_all("style"):
        assert "@import" not in style.get_text() and "url(" not in style.get_text()


def test_markdown_report_has_the_same_sections(written: dict[str, Path]) -> None:
    text = written["md"].read_text()
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == [
        "Summary of findings",
        "Methodology",
        "Task `refusal`",
        "Task `jailbreak`",
        "Task `injection`",
        "Caveats",
        "Provenance",
        "Appendix: the protocol",
    ]
    assert text.startswith("# Joint report: safeguards-demo")
    assert "- Supported: More than one in five" in text
    assert re.search(r"^\| scorer \| model \| partner \|", text, re.MULTILINE)
    assert "```yaml\n" in text and "ed25519:" in text


def test_anonymised_report_names_no_model_anywhere(demo: Demo, tmp_path: Path) -> None:
    html, md = tmp_path / "anon.html", tmp_path / "anon.md"
    for path in (html, md):
        result = runner.invoke(app, _report_args(demo, "-o", str(path), "--anonymise-models"))
        assert result.exit_code == 0, result.output
    mapping = json.loads((tmp_path / "anon.html.models.json").read_text())
    assert mapping == {
        "Model A": "subject (accord/guarded)",
        "Model B": "ref (accord/refuser)",
        "Model C": "guarded-system (accord/guarded)",
    }
    for path in (html, md):
        text = path.read_text()
        for model in demo.models():
            assert model["model"] not in text
            assert not re.search(rf"(?<![\w-]){re.escape(model['id'])}(?![\w-])", text), model
        assert "Model A" in text and "Model B" in text
        assert "Estimates by subgroup" in text and "transform=rot13" in text  # groups: too
    soup = BeautifulSoup(html.read_text(), "html.parser")
    labels = soup.select_one("#chart-deltas-refusal svg").get_text(" ")
    assert "Model A \u2212 Model B" in labels  # charts redrawn with the labels


def test_report_builds_from_inputs_without_bundles(demo: Demo) -> None:
    report, mapping = build_report(from_run_dirs(demo.protocol, demo.runs))
    assert mapping == {}
    assert all(r.bundle_sha256 is None and r.signer_key_id is None for r in report.provenance.runs)
    assert "| \u2013 | \u2013 |" in render_markdown(report)  # shown as absent, not invented


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "say where to write the report"),
        (["-o", "report.txt"], "name it .html, .md, .json or .pdf"),
        (["-o", "report.pdf"], "use --pdf"),
        (["--pdf", "report.html"], "must end in .pdf"),
    ],
)
def test_bad_output_arguments_exit_2_and_write_nothing(
    demo: Demo, tmp_path: Path, extra: list[str], message: str
) -> None:
    args = [a if not a.startswith("report.") else str(tmp_path / a) for a in extra]
    result = runner.invoke(app, _report_args(demo, *args))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert list(tmp_path.iterdir()) == []


def test_bundle_needs_a_keyring_and_must_be_of_the_runs(demo: Demo, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    args = ["report", "--protocol", str(demo.protocol), *map(str, demo.runs)]
    result = runner.invoke(app, [*args, "--bundle", str(demo.bundles[0]), "-o", str(target)])
    assert result.exit_code == 2 and "--bundle needs --keyring" in result.output
    swapped = [*args[:3], str(demo.runs[1]), "--bundle", str(demo.bundles[0])]
    result = runner.invoke(app, [*swapped, "--keyring", str(demo.keyring), "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert "not of the run directory" in " ".join(result.output.split())
    assert not target.exists()


def test_neither_or_both_sources_is_an_error(demo: Demo, tmp_path: Path) -> None:
    target = str(tmp_path / "r.html")
    result = runner.invoke(app, ["report", "-o", target])
    assert result.exit_code == 2 and "--protocol" in result.output
    both = ["report", "--exercise", "x", "--protocol", str(demo.protocol), "-o", target]
    result = runner.invoke(app, both)
    assert result.exit_code == 2 and "not both" in result.output


def test_new_analysis_fields_and_inconclusive_findings_are_shown(demo: Demo) -> None:
    inputs = from_run_dirs(demo.protocol, demo.runs)
    analysis = json.loads(json.dumps(inputs.analysis))
    analysis["estimates"][0]["warnings"] = ["few clusters: 2"]
    analysis["comparisons"][0]["method"] = "paired t"
    finding = analysis["findings"][0]
    finding.update(status="inconclusive", reason="the interval has no width")
    report, _ = build_report(dataclasses.replace(inputs, analysis=analysis))
    summary = next(f for f in report.summary if f.threshold == finding["threshold"])
    assert "Inconclusive" in summary.sentence and "more data is needed" in summary.sentence
    assert "the interval has no width" in summary.sentence
    soup = BeautifulSoup(render_html(report), "html.parser")
    assert "few clusters: 2" in soup.get_text()
    assert (
        "paired t"
        in soup.select_one(f"#comparisons-{analysis['comparisons'][0]['task']}").get_text()
    )
    assert soup.select_one("#summary li.inconclusive")


def test_an_exercise_without_results_still_reports(demo: Demo) -> None:
    inputs = from_run_dirs(demo.protocol, demo.runs)
    empty = dataclasses.replace(inputs, analysis={"alpha": 0.05}, runs=[])
    report, _ = build_report(empty)
    assert report.summary == [] and all(not t.charts for t in report.tasks)
    soup = BeautifulSoup(render_html(report), "html.parser")
    assert soup.select_one("#task-refusal").get_text().count("No results for this task yet") == 1
    assert "No finding can be judged yet" in soup.select_one("#summary").get_text()
    assert "No finding can be judged yet" in render_markdown(report)


def test_demo_writes_the_joint_report_from_its_hub(demo: Demo) -> None:
    soup = BeautifulSoup((demo.root / "report.html").read_text(), "html.parser")
    assert soup.select_one("#ledger-head").get_text().startswith("sha256:")
    provenance = soup.select_one("table[data-table=provenance]").get_text()
    assert "ed25519:" in provenance and "hub" in soup.select_one("#provenance").get_text()
    assert len(soup.select("figure.chart svg")) == 8


def test_runs_of_another_protocol_are_refused(demo: Demo, tmp_path: Path) -> None:
    other = tmp_path / "protocol.yaml"
    other.write_text(demo.protocol.read_text().replace("Demo of a joint", "Another joint", 1))
    target = tmp_path / "r.html"
    args = ["report", "--protocol", str(other), *map(str, demo.runs), "-o", str(target)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "pass the protocol the runs were made with" in " ".join(result.output.split())
    assert not target.exists()
