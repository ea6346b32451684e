"""Digests of what a run actually did: the log file and the samples it ran."""

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from .._util import OperationError, sha256_digest

_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def dataset_digest(samples: list[tuple[Any, Any, Any]]) -> str:
    """`sha256:<hex>` over the canonical JSON of the ordered (id, input, target) triples.

    Message inputs are reduced to role and content (message ids are random per run, so
    they are left out).
    """
    return sha256_digest([[sid, normalise_input(inp), target] for sid, inp, target in samples])


def normalise_input(value: Any) -> Any:
    """A sample input as plain data, without per-run identifiers."""
    if isinstance(value, str):
        return value
    messages = []
    for message in value:
        data = message if isinstance(message, dict) else message.model_dump(mode="json")
        content = data.get("content")
        if isinstance(content, list):
            content = [_without_ids(c) for c in content]
        messages.append({"role": data.get("role"), "content": content})
    return messages


def log_dataset_digest(log_file: Path, sample_ids: list[Any]) -> str:
    """The dataset digest of an `.eval` log, in the dataset order given by `sample_ids`.

    Reads the first-epoch sample members straight from the archive (no full log parse).

    Raises:
        OperationError: When the log is unreadable or lacks a sample it lists.

    """
    found: dict[Any, tuple[Any, Any]] = {}
    try:
        with zipfile.ZipFile(log_file) as archive:
            for name in archive.namelist():
                if name.startswith("samples/") and name.endswith("_epoch_1.json"):
                    data = json.loads(archive.read(name))
                    found[data["id"]] = (data["input"], data["target"])
    except (OSError, zipfile.BadZipFile, KeyError, json.JSONDecodeError) as ex:
        raise OperationError(f"cannot read samples of log {log_file}: {ex}") from None
    missing = [sid for sid in sample_ids if sid not in found]
    if missing:
        raise OperationError(
            f"log {log_file} lists samples it does not hold ({missing[:5]}); re-run the share"
        )
    return dataset_digest([(sid, *found[sid]) for sid in sample_ids])


def _without_ids(item: Any) -> Any:
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if k not in ("id", "internal") and v is not None}
    return item
