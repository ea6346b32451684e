"""Exports: Parquet/CSV with the documented schema, EEE validated, disclosure honoured."""

import csv
import dataclasses
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import create_app, serve_in_background
from accord.protocol import Disclosure
from accord.report import (
    TABLES,
    ExportData,
    from_runs,
    table_schemas,
    write_export,
)
from accord.report._samples import read_texts
from tests.conftest import BACKENDS

from .conftest import Demo, build_hub

runner = CliRunner(env={"COLUMNS": "200"})


def _eee_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    package = pytest.importorskip(
        "every_eval_ever",
        reason="every-eval-ever is absent: pip install --no-deps --ignore-requires-python "
        "every-eval-ever",
    )
    schemas = Path(package.__file__).parent / "schemas"
    return (
        json.loads((schemas / "eval.schema.json").read_text()),
        json.loads((schemas / "instance_level_eval.schema.json").read_text()),
    )


@pytest.fixture(scope="module")
def data(demo: Demo) -> ExportData:
    return from_runs(demo.protocol, demo.runs)


def _at_level(data: ExportData, demo: Demo, level: str) -> ExportData:
    protocol = data.protocol.model_copy(update={"disclosure": Disclosure(default=level)})
    runs = {p.partner: d for p, d in zip(data.manifests.values(), demo.runs, strict=True)}
    return dataclasses.replace(
        data, protocol=protocol, texts=read_texts(runs, data.manifests, protocol)
    )


def test_parquet_round_trips_with_the_documented_schema(data: ExportData, tmp_path: Path) -> None:
    files = write_export(data, tmp_path, "parquet")
    assert {f.name for f in files} == {f"{t}.parquet" for t in TABLES} | {"export.json"}
    schemas = table_schemas()
    for name in TABLES:
        table = pq.read_table(tmp_path / f"{name}.parquet")
        assert table.schema.equals(schemas[name], check_metadata=False), name
    scores = pq.read_table(tmp_path / "scores.parquet").to_pylist()
    assert len(scores) == len(data.scores)
    first = scores[0]
    assert set(first) == set(schemas["scores"].names)
    assert {r["partner"] for r in scores} == {"inst-a", "inst-b"}
    # the same numbers as the analysis read: the mean of one run's scores matches its estimate
    estimate = next(
        e
        for e in data.analysis["estimates"]
        if (e["task"], e["model"], e["partner"]) == ("jailbreak", "subject", "inst-a")
    )
    values = [
        r["value"]
        for r in scores
        if (r["task"], r["model"], r["partner"], r["scorer"])
        == ("jailbreak", "subject", "inst-a", estimate["scorer"])
    ]
    assert len(values) == estimate["n"] and sum(values) / len(values) == pytest.approx(
        estimate["mean"]
    )
    manifest = json.loads((tmp_path / "export.json").read_text())
    assert manifest["protocol_id"] == data.protocol_id
    assert manifest["tables"]["scores"]["rows"] == len(data.scores)
    findings = pq.read_table(tmp_path / "findings.parquet").to_pylist()
    assert {f["threshold"]: f["status"] for f in findings}["jailbreak-prone"] == "supported"


def test_csv_has_the_same_columns_and_rows(data: ExportData, tmp_path: Path) -> None:
    write_export(data, tmp_path, "csv")
    schemas = table_schemas()
    for name in TABLES:
        with (tmp_path / f"{name}.csv").open(newline="") as stream:
            rows = list(csv.reader(stream))
        assert rows[0] == schemas[name].names, name
    with (tmp_path / "scores.csv").open(newline="") as stream:
        assert sum(1 for _ in stream) == len(data.scores) + 1


@pytest.mark.parametrize("level", ["scores", "samples", "transcripts"])
def test_exports_hold_no_text_beyond_the_disclosure_level(
    data: ExportData, demo: Demo, tmp_path: Path, level: str
) -> None:
    everything = _at_level(data, demo, "transcripts").texts
    secrets = {t.input for t in everything.values()} | {
        a for t in everything.values() for a, _ in t.answers.values() if a
    }
    assert secrets
    chosen = _at_level(data, demo, level)
    write_export(chosen, tmp_path / "csv", "csv")
    write_export(chosen, tmp_path / "parquet", "parquet")
    write_export(chosen, tmp_path / "eee", "eee")
    answers = pq.read_table(tmp_path / "parquet" / "scores.parquet").column("answer")
    jsonl = sorted((tmp_path / "eee").glob("*.jsonl"))
    text = "\n".join(p.read_text() for p in (tmp_path / "csv").iterdir()) + "\n".join(
        p.read_text() for p in (tmp_path / "eee").iterdir()
    )
    if level == "scores":
        assert answers.null_count == len(answers)
        assert jsonl == []
        assert not [s for s in secrets if s in text]
    else:
        assert answers.null_count < len(answers)
        assert len(jsonl) == 10  # every run's instances
        assert any(s in text for s in secrets)


def test_eee_exports_validate_against_the_package_schemas(data: ExportData, tmp_path: Path) -> None:
    import jsonschema

    aggregate, instance = _eee_schemas()
    files = write_export(data, tmp_path, "eee")
    documents = [f for f in files if f.suffix == ".json"]
    assert len(documents) == 10
    for path in documents:
        document = json.loads(path.read_text())
        jsonschema.Draft7Validator(aggregate).validate(document)
        details = document["source_metadata"]["additional_details"]
        assert details["protocol_id"] == data.protocol_id
        assert details["dataset_digest"].startswith("sha256:")
        assert details["partner"] in ("inst-a", "inst-b")
        for result in document["evaluation_results"]:
            interval = result["score_details"]["uncertainty"]["confidence_interval"]
            assert interval["lower"] <= result["score_details"]["score"] <= interval["upper"]
            assert interval["confidence_level"] == pytest.approx(0.95)
    lines = [f for f in files if f.suffix == ".jsonl"]
    assert [f.stem for f in lines] == sorted(
        f"{p}__refusal__{m}"
        for p, m in (
            ("inst-a", "guarded-system"),
            ("inst-a", "ref"),
            ("inst-a", "subject"),
            ("inst-b", "subject"),
        )
    )  # refusal is the only task disclosed at `samples`
    validator = jsonschema.Draft7Validator(instance)
    for path in lines:
        records = [json.loads(line) for line in path.read_text().splitlines()]
        assert records
        for record in records:
            validator.validate(record)


def test_bad_format_and_sources_exit_2(demo: Demo, tmp_path: Path) -> None:
    base = [
        "export",
        "--protocol",
        str(demo.protocol),
        *map(str, demo.runs),
        "-o",
        str(tmp_path / "x"),
    ]
    result = runner.invoke(app, [*base, "--format", "xlsx"])
    assert result.exit_code == 2 and "use csv, parquet or eee" in result.output
    result = runner.invoke(app, ["export", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--protocol" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_hub_export_follows_the_scores_policy(database: str, demo: Demo, tmp_path: Path) -> None:
    world = build_hub(database, tmp_path / "data", demo)
    path = f"/exercises/{world.exercise}/export"
    response = world.get("inst-a", path, params={"format": "parquet"})
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {f"{t}.parquet" for t in TABLES} | {"export.json"}
    scores = pq.read_table(io.BytesIO(archive.read("scores.parquet"))).to_pylist()
    assert scores and all(r["answer"] is None for r in scores if r["disclosure"] == "scores")
    assert any(r["answer"] for r in scores if r["task"] == "refusal")  # refusal: `samples`
    assert world.get("inst-a", path, params={"format": "xml"}).status_code == 422
    world.post("hub-admin", f"/exercises/{world.exercise}/close")
    world.agree("approve")
    world.post("hub-admin", f"/exercises/{world.exercise}/publish")
    for who in ("inst-c", "anonymous"):  # per-sample data never beyond the partners
        assert world.get(who, path).status_code in (401, 403)
    with serve_in_background(create_app(world.hub)) as url:
        args = ["export", "--exercise", world.exercise, "--hub", url, "--format", "eee"]
        result = runner.invoke(
            app, [*args, "--token", world.tokens["inst-b"], "-o", str(tmp_path / "eee")]
        )
        denied = runner.invoke(
            app, [*args, "--token", world.tokens["inst-c"], "-o", str(tmp_path / "no")]
        )
    assert result.exit_code == 0, result.output
    aggregate, _ = _eee_schemas()
    import jsonschema

    documents = sorted((tmp_path / "eee").glob("*.json"))
    assert len(documents) == 10
    for document in documents:
        jsonschema.Draft7Validator(aggregate).validate(json.loads(document.read_text()))
    assert denied.exit_code == 1 and "403" in denied.output
    assert not (tmp_path / "no").exists()


def test_every_exported_column_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "exports.md").read_text()
    for name, schema in table_schemas().items():
        section = text.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
        assert documented == schema.names, name


@pytest.mark.parametrize("database", BACKENDS[:1], indirect=True)
def test_hub_export_holds_only_current_runs(database: str, demo: Demo, tmp_path: Path) -> None:
    from accord.bundle import build_bundle
    from accord.identity import load_private_key
    from accord.protocol import load_protocol

    world = build_hub(database, tmp_path / "data", demo)
    path = f"/exercises/{world.exercise}/export"

    def score_rows() -> list[dict[str, Any]]:
        response = world.get("inst-a", path, params={"format": "parquet"})
        assert response.status_code == 200, response.text
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        rows: list[dict[str, Any]] = pq.read_table(
            io.BytesIO(archive.read("scores.parquet"))
        ).to_pylist()
        return rows

    before = score_rows()
    again = build_bundle(  # the same run signed again later: it supersedes the first
        demo.runs[0],
        load_protocol(demo.protocol),
        load_private_key(demo.root / "keys" / "inst-a.key"),
        tmp_path / "again.accord",
    ).path
    with again.open("rb") as stream:
        world.post(
            "inst-a",
            f"/exercises/{world.exercise}/submissions",
            files={"bundle": (again.name, stream)},
        )
    after = score_rows()
    assert len(after) == len(before) > 0  # superseded rows never reach an export
