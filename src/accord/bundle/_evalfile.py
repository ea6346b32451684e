"""Redacting an Inspect `.eval` archive member by member, in one linear pass.

Inspect's `write_eval_log` re-buffers every sample and grows quadratically with the sample
count, so large logs are redacted here at the archive level instead: heavy fields are
dropped from each sample's JSON before it is parsed, the rest goes through `redact_sample`,
and the summaries are rebuilt from the redacted samples. Only members of Inspect's known
layout are written; anything else is refused rather than shipped unredacted.
"""

import json
import shutil
import zipfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalSample, EvalSampleReductions

from .._util import (
    CanaryMatcher,
    OperationError,
    SecretFinding,
    canary_matcher,
    find_secrets,
    might_contain_secret,
)
from ..protocol import DisclosureLevel
from ._redact import bare_score, redact_sample

_START = "_journal/start.json"
_HEADER = "header.json"
_REDUCTIONS = "reductions.json"
_SUMMARIES = "summaries.json"
_JOURNAL_SUMMARIES = "_journal/summaries/"
_HEAVY: dict[str, Any] = {
    "messages": [],
    "events": [],
    "timelines": None,
    "events_data": None,
    "store": {},
}


def scan_eval_file(path: Path, canaries: Collection[str] = ()) -> list[SecretFinding]:
    """Credentials anywhere in an `.eval` archive, as `member: json.path`.

    Declared `canaries` (exact strings or `sha256:` digests) come back marked `canary`.
    """
    matcher = canary_matcher(canaries)
    findings: list[SecretFinding] = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            findings += _scan(name, archive.read(name), matcher)
    return findings


def redact_eval_file(
    source: Path,
    target: Path,
    level: DisclosureLevel,
    keep_metadata: set[str],
    canaries: Collection[str] = (),
) -> list[SecretFinding]:
    """Write `source` redacted to `level` at `target`; return credentials left in what it wrote.

    At `transcripts` the file is copied byte for byte. Declared `canaries` are reported as
    such (`canary=True`), not as leaks.

    Raises:
        OperationError: When the log holds a member this version does not know how to redact.
    """
    if level == "transcripts":
        shutil.copyfile(source, target)
        return scan_eval_file(target, canaries)
    matcher = canary_matcher(canaries)
    findings: list[SecretFinding] = []
    summaries: list[dict[str, Any]] = []
    with (
        zipfile.ZipFile(source) as reader,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as writer,
    ):

        def put(name: str, data: bytes) -> None:
            findings.extend(_scan(name, data, matcher))
            writer.writestr(name, data)

        names = reader.namelist()
        unknown = [n for n in names if not _known(n)]
        if unknown:
            raise OperationError(
                f"log {source} holds members this version of Accord cannot redact "
                f"({', '.join(unknown[:3])}); upgrade Accord or disclose this task as transcripts"
            )
        if _START in names:
            put(_START, reader.read(_START))
        for name in names:
            if name.startswith("samples/"):
                sample = _redact_member(reader.read(name), level, keep_metadata)
                summaries.append(sample.summary().model_dump(mode="json", exclude_none=True))
                put(name, sample.model_dump_json(exclude_none=True).encode())
        encoded = json.dumps(summaries).encode()
        put(f"{_JOURNAL_SUMMARIES}1.json", encoded)
        if _REDUCTIONS in names:
            put(_REDUCTIONS, _redact_reductions(reader.read(_REDUCTIONS), level))
        put(_SUMMARIES, encoded)
        if _HEADER in names:
            put(_HEADER, _redact_header(reader.read(_HEADER), level))
    return findings


def _known(name: str) -> bool:
    return (
        name in (_START, _HEADER, _REDUCTIONS, _SUMMARIES)
        or name.startswith(_JOURNAL_SUMMARIES)
        or (name.startswith("samples/") and name.endswith(".json"))
    )


def _redact_member(raw: bytes, level: DisclosureLevel, keep: set[str]) -> EvalSample:
    data = json.loads(raw)
    data.update(_HEAVY)  # dropped at every level below transcripts; skip parsing them
    return redact_sample(EvalSample.model_validate(data), level, keep)


def _redact_reductions(raw: bytes, level: DisclosureLevel) -> bytes:
    if level != "scores":
        return raw
    reductions = [EvalSampleReductions.model_validate(r) for r in json.loads(raw)]
    bare = [
        r.model_copy(update={"samples": [bare_score(s) for s in r.samples]}).model_dump(
            mode="json", exclude_none=True
        )
        for r in reductions
    ]
    return json.dumps(bare).encode()


def _redact_header(raw: bytes, level: DisclosureLevel) -> bytes:
    if level != "scores":
        return raw
    header = json.loads(raw)
    header.pop("log_updates", None)  # edit notes may quote content
    return json.dumps(header).encode()


def _scan(member: str, data: bytes, canaries: CanaryMatcher) -> list[SecretFinding]:
    # Decoded, not on the JSON text: escapes (`\n`, `\u0073`) would hide shapes from a regex.
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError):
        text = data.decode("utf-8", "replace")
        if might_contain_secret(text):
            return [SecretFinding(member, "a credential in a non-JSON member")]
        return []
    return [
        SecretFinding(f"{member}: {f.path}", f.kind, f.canary)
        for f in find_secrets(parsed, canaries=canaries)
    ]
