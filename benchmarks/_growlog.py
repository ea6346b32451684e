"""Grow a real Inspect log to N samples by cloning its sample members (benchmark data only).

Inspect's own `write_eval_log` grows quadratically with the sample count, so the archive is
written directly: header, start journal, N sample members with fresh ids, summaries.
"""

import json
import zipfile
from pathlib import Path

import inspect_ai.log  # noqa: F401  (registers the zstd codec)


def grow_log(source: Path, target: Path, samples: int) -> None:
    with zipfile.ZipFile(source) as reader:
        names = reader.namelist()
        members = [n for n in names if n.startswith("samples/")]
        bodies = [json.loads(reader.read(n)) for n in members]
        header = json.loads(reader.read("header.json"))
        start = reader.read("_journal/start.json")
        reductions = reader.read("reductions.json") if "reductions.json" in names else None
    ids = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as writer:
        writer.writestr("_journal/start.json", start)
        summaries = []
        for index in range(samples):
            body = dict(bodies[index % len(bodies)])
            body["id"] = f"{body['id']}-{index}"
            body["epoch"] = 1
            ids.append(body["id"])
            writer.writestr(f"samples/{body['id']}_epoch_1.json", json.dumps(body))
            summaries.append(
                {
                    "id": body["id"],
                    "epoch": 1,
                    "input": "",
                    "target": "",
                    "scores": body.get("scores"),
                }
            )
        writer.writestr("summaries.json", json.dumps(summaries))
        if reductions is not None:
            writer.writestr("reductions.json", reductions)
        header["eval"]["dataset"]["samples"] = samples
        header["eval"]["dataset"]["sample_ids"] = ids
        header["eval"]["config"]["epochs"] = 1
        writer.writestr("header.json", json.dumps(header))
