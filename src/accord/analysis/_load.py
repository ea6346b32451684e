"""Reading scores out of run directories (Inspect logs, full or redacted) into a ScoreTable."""

import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import inspect_ai.log  # noqa: F401  (registers the zstd codec Inspect's archives use)

from ..protocol import Protocol
from ..run import RunManifest, read_manifest
from ._errors import AnalysisError
from ._table import ScoreRow, ScoreTable, score_to_float


def load_runs(
    run_dirs: Sequence[Path], protocol: Protocol | None = None
) -> tuple[ScoreTable, dict[str, RunManifest]]:
    """Scores and manifests of run directories written by `accord run`.

    Raises:
        AnalysisError: When two directories are runs of the same partner, or runs of
            different protocols, or a score is not numeric.
    """
    manifests: dict[str, RunManifest] = {}
    rows: list[ScoreRow] = []
    for run_dir in run_dirs:
        manifest = read_manifest(run_dir)
        if manifest.partner in manifests:
            raise AnalysisError(f"two run directories are runs of partner '{manifest.partner}'")
        manifests[manifest.partner] = manifest
        for record in manifest.logs:
            cluster_key, group_keys = None, []
            if protocol is not None and record.task_id in {t.id for t in protocol.tasks}:
                cluster_key = protocol.task(record.task_id).cluster
                group_keys = protocol.task(record.task_id).groups
            rows.extend(
                log_rows(
                    run_dir / record.file,
                    record.task_id,
                    record.model_id,
                    manifest.partner,
                    cluster_key,
                    group_keys,
                )
            )
    ids = {m.protocol_id for m in manifests.values()}
    if len(ids) > 1:
        raise AnalysisError(
            f"the run directories follow {len(ids)} different protocols; "
            "analyse one protocol's runs together"
        )
    return ScoreTable.from_rows(rows), manifests


def log_rows(
    path: Path,
    task: str,
    model: str,
    partner: str,
    cluster_key: str | None,
    group_keys: Sequence[str] = (),
) -> Iterator[ScoreRow]:
    """Every (sample, epoch, scorer) score of an `.eval` log, read member by member."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as ex:
        raise AnalysisError(f"cannot read log {path}: {ex}") from None
    with archive:
        for name in archive.namelist():
            if not (name.startswith("samples/") and name.endswith(".json")):
                continue
            sample = json.loads(archive.read(name))
            if sample.get("error"):
                continue  # errored samples carry no valid score
            metadata = sample.get("metadata") or {}
            cluster = metadata.get(cluster_key) if cluster_key else None
            groups = tuple((key, group_label(metadata.get(key))) for key in group_keys)
            for scorer, score in (sample.get("scores") or {}).items():
                where = f"{path.name}, sample {sample['id']}, scorer {scorer}"
                for metric, value in score_metrics(scorer, score.get("value")):
                    yield ScoreRow(
                        task=task,
                        model=model,
                        partner=partner,
                        scorer=metric,
                        sample=str(sample["id"]),
                        epoch=int(sample["epoch"]),
                        value=score_to_float(value, where),
                        cluster=None if cluster is None else str(cluster),
                        groups=groups,
                    )


def score_metrics(scorer: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(metric name, value) of a score: a dict value gives one `scorer/key` metric per key."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{scorer}/{key}", item
    else:
        yield scorer, value


def group_label(value: Any) -> str | None:
    """A metadata value as a subgroup label: strings as they are, other values as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)
