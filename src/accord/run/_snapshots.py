"""Model snapshots: the model identifiers providers returned, as opposed to the ones asked for.

A protocol names a model such as `openai/gpt-4o` or `...-latest`; the provider answers each
call with the identifier of the snapshot that served it (Inspect keeps it in every model
event's output). Two partners whose runs were served by different snapshots did not test the
same model, whatever the protocol says.
"""

import json
import zipfile
from pathlib import Path

import ijson

from .._util import OperationError


def log_snapshots(log_file: Path) -> dict[str, list[str]]:
    """Model string asked for -> sorted distinct identifiers returned, over every model call.

    Covers every model the log called (the subject and any grader or other helper model).
    Streams the sample members of the `.eval` archive (no full log parse).

    Raises:
        OperationError: When the log cannot be read.

    """
    found: dict[str, set[str]] = {}
    try:
        with zipfile.ZipFile(log_file) as archive:
            for name in archive.namelist():
                if not (name.startswith("samples/") and name.endswith(".json")):
                    continue
                with archive.open(name) as stream:
                    for event in ijson.items(stream, "events.item"):
                        _add(found, event)
    except (OSError, zipfile.BadZipFile, ijson.JSONError, json.JSONDecodeError) as ex:
        raise OperationError(f"cannot read model calls of log {log_file}: {ex}") from None
    return {model: sorted(ids) for model, ids in sorted(found.items())}


def _add(found: dict[str, set[str]], event: object) -> None:
    if not isinstance(event, dict) or event.get("event") != "model":
        return
    asked = event.get("model")
    output = event.get("output")
    returned = output.get("model") if isinstance(output, dict) else None
    if isinstance(asked, str) and isinstance(returned, str) and returned:
        found.setdefault(asked, set()).add(returned)


def snapshot_differences(
    a: dict[str, list[str]], b: dict[str, list[str]]
) -> list[tuple[str, list[str], list[str]]]:
    """(model, snapshots in a, snapshots in b) for every model both runs recorded differently.

    A model only one side recorded (an older manifest, a log without model events) is not
    compared: there is nothing to compare it with.
    """
    return [
        (model, a[model], b[model]) for model in sorted(set(a) & set(b)) if a[model] != b[model]
    ]
