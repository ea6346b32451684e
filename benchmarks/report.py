"""The joint report and the Parquet export of an exercise of 1,000,000 sample-scores.

The exercise is the one benchmarks/analysis.py builds: 5 tasks x 4 models x 5 partners, each
2,500 samples x 4 epochs (tasks 0-1 clustered), with a protocol comparing models 1-3 to model 0
and thresholds on two tasks. After the analysis (timed apart), the report is built and
rendered to HTML (with 15 inline SVG charts), Markdown and JSON; baseline: `json.dumps` of
the analysis, what `accord analyze --json` prints. The export writes every table as Parquet
(and CSV); baseline: pyarrow writing the bare score columns to Parquet in the same process.

Targets: report < 3 s after the analysis; export >= 1,000,000 rows/s.

Usage: python benchmarks/report.py [--rounds 3]
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from accord.analysis import analyze
from accord.protocol import Protocol
from accord.report import (
    ExportData,
    ReportInputs,
    RunProvenance,
    build_report,
    render_html,
    render_markdown,
    write_export,
)
from analysis import MODELS, PARTNERS, TASKS, make_table


def protocol() -> Protocol:
    models = [f"m{i}" for i in range(MODELS)]
    tasks = [f"t{i}" for i in range(TASKS)]
    return Protocol.model_validate(
        {
            "accord": 1,
            "name": "bench-exercise",
            "partners": [{"id": f"p{i}", "name": f"Partner {i}"} for i in range(PARTNERS)],
            "models": [{"id": m, "model": f"accord/bench-{m}"} for m in models],
            "tasks": [
                {"id": t, "task": "accord/refusal", "epochs": 4, "cluster": "c" if i < 2 else None}
                for i, t in enumerate(tasks)
            ],
            "assignments": [
                {"partner": f"p{i}", "tasks": tasks, "models": models} for i in range(PARTNERS)
            ],
            "analysis": {"comparisons": [[m, "m0"] for m in models[1:]]},
            "thresholds": [
                {"id": "gap", "task": "t0", "metric": "s", "model": "m1", "compare_to": "m0",
                 "when": "delta > 0.02", "finding": "m1 scores higher than m0 on t0"},
                {"id": "high", "task": "t2", "metric": "s", "model": "m2",
                 "when": "estimate > 0.5", "finding": "m2 scores above one half on t2"},
            ],
        }
    )  # fmt: skip


def provenance() -> list[RunProvenance]:
    digest = "sha256:" + "0" * 64
    return [
        RunProvenance(
            partner=f"p{p}", task=f"t{t}", model=f"m{m}", samples=2500,
            inspect_version="0.3.285", accord_version="0.1.0", dataset_digest=digest,
            log_sha256=digest, bundle_sha256=digest, signer_key_id="ed25519:" + "0" * 32,
            started_at=None, completed_at=None,
        )
        for p in range(PARTNERS) for t in range(TASKS) for m in range(MODELS)
    ]  # fmt: skip


def timed(fn, rounds: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    table = make_table(np.random.default_rng(7))
    spec = protocol()
    rows = len(table)
    print(f"exercise: {rows:,} sample-scores")
    t_analysis, result = timed(lambda: analyze(table, spec, {}), 1)
    analysis = result.model_dump(mode="json")  # type: ignore[attr-defined]
    print(f"analysis (apart): {t_analysis:.2f} s")

    inputs = ReportInputs(
        protocol=spec, protocol_yaml="# the benchmark's protocol\n", protocol_id="sha256:" + "1" * 64,
        analysis=analysis, runs=provenance(), source="run directories",
    )  # fmt: skip
    render_html(build_report(inputs)[0])  # warm up: vl-convert's first call loads its engine

    def report() -> int:
        built, _ = build_report(inputs)
        html = render_html(built)
        return len(html) + len(render_markdown(built)) + len(built.model_dump_json())

    t_report, size = timed(report, args.rounds)
    t_json, _ = timed(lambda: json.dumps(analysis), args.rounds)
    print(
        f"report (HTML + Markdown + JSON, {size / 1e6:.1f} MB): {t_report:.2f} s "
        f"[target < 3 s]; baseline json.dumps of the analysis {t_json * 1000:.1f} ms; "
        f"ratio {t_report / t_json:.0f}x"
    )

    data = ExportData(
        protocol=spec, protocol_id=inputs.protocol_id, analysis=analysis, scores=table
    )
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp)
        t_parquet, _ = timed(lambda: write_export(data, out / "pq", "parquet"), args.rounds)
        t_csv, _ = timed(lambda: write_export(data, out / "csv", "csv"), args.rounds)
        bare = pa.table(
            {
                name: getattr(table, name)
                for name in (
                    "partner",
                    "task",
                    "model",
                    "scorer",
                    "sample",
                    "epoch",
                    "value",
                    "cluster",
                )
            }
        )
        t_bare, _ = timed(lambda: pq.write_table(bare, out / "bare.parquet"), args.rounds)
        size_pq = sum(f.stat().st_size for f in (out / "pq").iterdir()) / 1e6
    print(
        f"export Parquet: {t_parquet:.2f} s = {rows / t_parquet / 1e6:.2f} M rows/s "
        f"[target >= 1 M rows/s], {size_pq:.1f} MB; baseline bare pyarrow write "
        f"{t_bare:.2f} s = {rows / t_bare / 1e6:.2f} M rows/s; ratio {t_parquet / t_bare:.2f}"
    )
    print(f"export CSV: {t_csv:.2f} s = {rows / t_csv / 1e6:.2f} M rows/s")


if __name__ == "__main__":
    main()
