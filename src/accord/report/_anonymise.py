"""Anonymised models: "Model A", "Model B", ... consistently across a whole report."""

import re
import string
from collections.abc import Callable
from typing import Any

import yaml

from ._charts import with_charts
from ._model import ModelInfo, Report


def model_labels(models: list[ModelInfo]) -> dict[str, str]:
    """Model id -> "Model A", "Model B", ... in the protocol's order (AA, AB, ... past 26)."""
    letters = string.ascii_uppercase
    labels = {}
    for i, m in enumerate(models):
        suffix = letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
        labels[m.id] = f"Model {suffix}"
    return labels


def _replacer(models: list[ModelInfo], labels: dict[str, str]) -> Callable[[str], str]:
    # Model strings first (they may contain an id), longest first; ids as whole tokens only.
    strings = sorted(((m.model, labels[m.id]) for m in models), key=lambda x: -len(x[0]))
    ids = sorted(labels.items(), key=lambda x: -len(x[0]))
    id_pattern = re.compile(
        r"(?<![\w\-])(" + "|".join(re.escape(i) for i, _ in ids) + r")(?![\w\-])"
    )

    def replace(text: str) -> str:
        for model, label in strings:
            text = text.replace(model, label)
        return id_pattern.sub(lambda m: labels[m.group(1)], text)

    return replace


def _walk(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list | tuple):
        return [_walk(v, replace) for v in value]
    if isinstance(value, dict):
        return {
            replace(k) if isinstance(k, str) else k: _walk(v, replace) for k, v in value.items()
        }
    return value


def _protocol_yaml(text: str, labels: dict[str, str], replace: Callable[[str], str]) -> str:
    data = yaml.safe_load(text)
    for model in data.get("models", []):
        label = labels.get(model.get("id"), "Model ?")
        model.clear()
        model.update({"id": label, "model": f"{label} (withheld)"})
    review = (data.get("governance") or {}).get("developer_review")
    if review:  # a developer's name identifies its models
        for developer in review.get("developers", []):
            developer["institute"] = "(withheld)"
    body = yaml.safe_dump(_walk(data, replace), sort_keys=False, allow_unicode=True)
    return (
        "# Anonymised copy: model ids, model strings and model settings are withheld.\n"
        "# The protocol id in this report is the hash of the original protocol.\n" + body
    )


def anonymise(report: Report) -> tuple[Report, dict[str, str]]:
    """The report with every model id and model string replaced (charts redrawn), and the mapping.

    The mapping (label -> "id (model string)") is for the partners only: write it to a
    separate file, never into the report.
    """
    labels = model_labels(report.models)
    replace = _replacer(report.models, labels)
    data = report.model_dump(mode="json", exclude={"protocol_yaml", "models"})
    data["provenance"]["developer_responses"] = []  # a developer's response names its models
    for section in data["tasks"]:
        section["charts"] = []  # redrawn from the anonymised rows
    data = _walk(data, replace)
    data["models"] = [
        {"id": labels[m.id], "model": labels[m.id], "role": None} for m in report.models
    ]
    data["protocol_yaml"] = _protocol_yaml(report.protocol_yaml, labels, replace)
    data["anonymised"] = True
    mapping = {labels[m.id]: f"{m.id} ({m.model})" for m in report.models}
    return with_charts(Report.model_validate(data)), mapping
