"""What an export may hold per sample: scores always, text only where disclosure allows."""

import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis import ScoreTable
from ..protocol import Protocol
from ..run import RunManifest

TEXT_LEVELS = frozenset({"samples", "transcripts"})
"""Disclosure levels at which a sample's input, output, answer and explanation may be shared."""

SampleKey = tuple[str, str, str, str, int]  # partner, task, model, sample id, epoch


@dataclass(frozen=True)
class SampleText:
    """One sample-epoch's text, read only for tasks whose disclosure allows it."""

    input: str
    target: list[str]
    output: str
    answers: dict[str, tuple[str | None, str | None]]  # scorer -> (answer, explanation)


@dataclass(frozen=True)
class ExportData:
    """Scores (and text where allowed) of an exercise, with what describes them."""

    protocol: Protocol
    protocol_id: str
    analysis: Mapping[str, Any]
    scores: ScoreTable
    manifests: Mapping[str, RunManifest] = field(default_factory=dict)
    texts: Mapping[SampleKey, SampleText] = field(default_factory=dict)
    answers: Sequence[str | None] | None = None  # aligned with `scores` rows (hub source)
    explanations: Sequence[str | None] | None = None
    exercise: str | None = None

    def level(self, task: str) -> str:
        """The protocol's disclosure level of a task."""
        return self.protocol.disclosure.tasks.get(task, self.protocol.disclosure.default)

    def text_allowed(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Per score row, whether its text may be exported."""
        allowed = np.array(
            [self.level(t) in TEXT_LEVELS for t in self.scores.levels.get("task", [])], dtype=bool
        )
        return allowed[self.scores.task] if len(self.scores) else np.zeros(0, dtype=bool)


def _content(value: Any) -> str:
    """Text of an Inspect input or message content (a string, or a list of parts/messages)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                role = item.get("role")
                text = _content(item.get("content", item.get("text", "")))
                parts.append(f"{role}: {text}" if role else text)
            else:
                parts.append(str(item))
        return "\n".join(parts)
    return "" if value is None else str(value)


def read_texts(
    run_dirs: Mapping[str, Path], manifests: Mapping[str, RunManifest], protocol: Protocol
) -> dict[SampleKey, SampleText]:
    """Sample text of the runs' logs, for tasks whose disclosure level allows text only."""
    import inspect_ai.log  # noqa: F401  (registers the zstd codec of Inspect's archives)

    texts: dict[SampleKey, SampleText] = {}
    allowed = {
        t.id
        for t in protocol.tasks
        if protocol.disclosure.tasks.get(t.id, protocol.disclosure.default) in TEXT_LEVELS
    }
    for partner, manifest in manifests.items():
        for log in manifest.logs:
            if log.task_id not in allowed:
                continue
            with zipfile.ZipFile(run_dirs[partner] / log.file) as archive:
                for name in archive.namelist():
                    if not (name.startswith("samples/") and name.endswith(".json")):
                        continue
                    sample = json.loads(archive.read(name))
                    target = sample.get("target")
                    key = (
                        partner,
                        log.task_id,
                        log.model_id,
                        str(sample["id"]),
                        int(sample["epoch"]),
                    )
                    texts[key] = SampleText(
                        input=_content(sample.get("input")),
                        target=[str(t) for t in target]
                        if isinstance(target, list)
                        else [str(target or "")],
                        output=str((sample.get("output") or {}).get("completion") or ""),
                        answers={
                            scorer: (score.get("answer"), score.get("explanation"))
                            for scorer, score in (sample.get("scores") or {}).items()
                        },
                    )
    return texts


def from_runs(protocol_file: Path, run_dirs: Sequence[Path]) -> ExportData:
    """Export data of run directories: scores, analysis and the text disclosure allows."""
    from ..analysis import analyze, load_runs
    from ..protocol import load_protocol, protocol_id
    from ..run import read_manifest
    from ._inputs import check_protocol

    loaded = load_protocol(protocol_file)
    protocol = loaded.protocol
    table, manifests = load_runs(list(run_dirs), protocol)
    check_protocol(manifests, protocol_id(protocol), protocol_file)
    by_partner = {read_manifest(d).partner: d for d in run_dirs}
    return ExportData(
        protocol=protocol,
        protocol_id=protocol_id(protocol),
        analysis=analyze(table, protocol, manifests).model_dump(mode="json"),
        scores=table,
        manifests=manifests,
        texts=read_texts(by_partner, manifests, protocol),
    )
