"""Every Eval Ever exports (the EvalEval coalition's schema 0.3.0).

One aggregate JSON per run, and its instance-level JSONL where the protocol's disclosure
level allows sample text.

Accord's intervals go in `score_details.uncertainty`; the protocol id, partner, dataset digest
and log digest in `source_metadata.additional_details` (the schema's provenance fields).
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .._util import sha256_hex
from ._samples import TEXT_LEVELS, ExportData

EEE_VERSION = "0.3.0"


def _details(values: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v is not None}


def _binary(data: ExportData, task: str, model: str, partner: str, scorer: str) -> bool:
    t, levels = data.scores, data.scores.levels
    try:
        mask = (
            (t.task == levels["task"].index(task))
            & (t.model == levels["model"].index(model))
            & (t.partner == levels["partner"].index(partner))
            & (t.scorer == levels["scorer"].index(scorer))
        )
    except ValueError:
        return False
    values = t.value[mask]
    return bool(values.size) and bool(np.isin(values, (0.0, 1.0)).all())


def _result(data: ExportData, estimate: dict[str, Any], run_id: str, when: str | None) -> Any:
    confidence = 1 - float(data.analysis.get("alpha", 0.05))
    task, scorer = estimate["task"], estimate["scorer"]
    binary = _binary(data, task, estimate["model"], estimate["partner"], scorer)
    uncertainty: dict[str, Any] = {"num_samples": int(estimate["n"])}
    if estimate.get("se") is not None:
        uncertainty["standard_error"] = {"value": estimate["se"], "method": estimate["method"]}
    if estimate.get("ci_low") is not None and estimate.get("ci_high") is not None:
        uncertainty["confidence_interval"] = {
            "lower": estimate["ci_low"],
            "upper": estimate["ci_high"],
            "confidence_level": confidence,
            "method": f"t interval, {estimate['method']} standard error (Accord)",
        }
    metric: dict[str, Any] = {
        "evaluation_description": f"Accord task {task}, scorer {scorer}",
        "metric_id": f"accord.{task}.{scorer}",
        "metric_name": scorer,
        "metric_kind": "mean_score",
        "metric_unit": "proportion" if binary else "points",
        "lower_is_better": False,
        "score_type": "binary" if binary else "continuous",
        "additional_details": {
            "direction": "not stated by the protocol: read the task's documentation"
        },
    }
    if not binary:
        metric.update({"min_score": None, "max_score": None})
    result: dict[str, Any] = {
        "evaluation_result_id": f"{run_id}/{scorer}",
        "evaluation_name": f"{task}/{scorer}",
        "source_data": {
            "dataset_name": f"{data.protocol.name}/{task}",
            "source_type": "other",
            "additional_details": {"task": data.protocol.task(task).task},
        },
        "metric_config": metric,
        "score_details": {
            "score": estimate["mean"],
            "uncertainty": uncertainty,
            "details": _details({"note": estimate.get("note"), "partner": estimate["partner"]}),
        },
    }
    if when:
        result["evaluation_timestamp"] = when
    return result


def eee_documents(
    data: ExportData, retrieved: datetime | None = None
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]] | None]]:
    """(file stem, aggregate document, instance records or None) per partner x task x model."""
    retrieved = retrieved or datetime.now(UTC)
    stamp = str(int(retrieved.timestamp()))
    names = {p.id: p.name for p in data.protocol.partners}
    models = {m.id: m for m in data.protocol.models}
    estimates = [e for e in data.analysis.get("estimates", []) if e.get("partner")]
    runs = sorted({(e["partner"], e["task"], e["model"]) for e in estimates})
    text_scores = _text_scores(data) if data.texts else {}
    for partner, task, model in runs:
        manifest = data.manifests.get(partner)
        log = manifest.log(task, model) if manifest else None
        run_id = f"{data.protocol.name}/{task}/{model}/{partner}"
        evaluation_id = f"{run_id}/{stamp}"
        spec = models[model]
        environment = manifest.environment if manifest else None
        document = {
            "schema_version": EEE_VERSION,
            "evaluation_id": evaluation_id,
            "retrieved_timestamp": stamp,
            "source_metadata": {
                "source_name": f"Accord joint exercise {data.exercise or data.protocol.name}",
                "source_type": "evaluation_run",
                "source_organization_name": names.get(partner, partner),
                "evaluator_relationship": "third_party",
                "additional_details": _details(
                    {
                        "protocol_id": data.protocol_id,
                        "protocol_name": data.protocol.name,
                        "exercise": data.exercise,
                        "partner": partner,
                        "task": task,
                        "dataset_digest": log.dataset_digest if log else None,
                        "log_sha256": log.sha256 if log else None,
                        "disclosure": data.level(task),
                    }
                ),
            },
            "eval_library": {
                "name": "inspect_ai",
                "version": environment.inspect_ai if environment else "unknown",
                "additional_details": _details(
                    {"accord": environment.accord if environment else None}
                ),
            },
            "model_info": {
                "name": spec.id,
                "id": spec.model,
                "additional_details": {
                    "deployment_type": "unknown",
                    "model_availability": "unknown",
                    **_details({"role": spec.role}),
                },
            },
            "evaluation_results": [
                _result(data, e, run_id, log.started_at if log else None)
                for e in estimates
                if (e["partner"], e["task"], e["model"]) == (partner, task, model)
            ],
        }
        if log and log.started_at:
            document["evaluation_timestamp"] = log.started_at
        instances = (
            list(
                _instances(
                    data, partner, task, model, evaluation_id, spec.model, run_id, text_scores
                )
            )
            if data.level(task) in TEXT_LEVELS and data.texts
            else None
        )
        yield f"{partner}__{task}__{model}", document, instances


def _instances(
    data: ExportData,
    partner: str,
    task: str,
    model: str,
    evaluation_id: str,
    model_string: str,
    run_id: str,
    scores: dict[tuple[str, str, str, str, int, str], float],
) -> Iterator[dict[str, Any]]:
    for (p, t, m, sample, epoch), text in sorted(data.texts.items()):
        if (p, t, m) != (partner, task, model):
            continue
        for scorer, (answer, explanation) in text.answers.items():
            score = scores.get((p, t, m, sample, epoch, scorer))
            if score is None:
                continue
            yield {
                "schema_version": EEE_VERSION,
                "evaluation_id": evaluation_id,
                "evaluation_result_id": f"{run_id}/{scorer}",
                "model_id": model_string,
                "evaluation_name": f"{task}/{scorer}",
                "sample_id": sample,
                "sample_hash": sha256_hex((text.input + "\n" + "\n".join(text.target)).encode()),
                "interaction_type": "single_turn",
                "input": {"raw": text.input, "reference": text.target},
                "output": {"raw": [text.output]},
                "answer_attribution": [
                    {
                        "turn_idx": 0,
                        "source": "output.raw",
                        "extracted_value": "" if answer is None else str(answer),
                        "extraction_method": f"scorer {scorer}",
                        "is_terminal": True,
                    }
                ],
                "evaluation": {"score": score, "is_correct": score == 1.0},
                "metadata": _details({"epoch": epoch, "explanation": explanation}),
            }


def _text_scores(data: ExportData) -> dict[tuple[str, str, str, str, int, str], float]:
    """Scores of rows whose text may be exported, by partner, task, model, sample, epoch, scorer."""
    t, levels = data.scores, data.scores.levels
    return {
        (
            levels["partner"][t.partner[i]],
            levels["task"][t.task[i]],
            levels["model"][t.model[i]],
            levels["sample"][t.sample[i]],
            int(t.epoch[i]),
            levels["scorer"][t.scorer[i]],
        ): float(t.value[i])
        for i in np.flatnonzero(data.text_allowed())
    }


def export_eee(data: ExportData, out_dir: Path, retrieved: datetime | None = None) -> list[Path]:
    """Write `<partner>__<task>__<model>.json` (and `.jsonl` where text is allowed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, document, instances in eee_documents(data, retrieved):
        path = out_dir / f"{stem}.json"
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(path)
        if instances is not None:
            lines = out_dir / f"{stem}.jsonl"
            lines.write_text("".join(json.dumps(i) + "\n" for i in instances), encoding="utf-8")
            written.append(lines)
    return written
