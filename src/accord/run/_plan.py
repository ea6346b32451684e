"""Planning a partner's share: what to run, where, and whether the output dir may be used."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._util import InputError
from ..protocol import (
    ModelSpec,
    ProtocolFile,
    TaskRef,
    parse_task_ref,
    partner_share,
    protocol_id,
    short_id,
    subject_fingerprint,
)
from ._manifest import MANIFEST_FILE, SubjectRecord, read_manifest


@dataclass(frozen=True)
class PlannedRun:
    """One task x model run of a share, with everything needed to start it."""

    task_id: str
    model_id: str
    task_ref: TaskRef
    task_args: dict[str, Any]
    model: str
    model_args: dict[str, Any]
    base_url: str | None
    epochs: int
    generate: dict[str, Any]
    subject: SubjectRecord | None = None


@dataclass(frozen=True)
class SharePlan:
    """A partner's share of a protocol, ready to execute."""

    protocol_file: ProtocolFile
    protocol_id: str
    partner: str
    out_dir: Path
    runs: list[PlannedRun] = field(default_factory=list)


def default_out_dir(protocol_file: ProtocolFile, partner: str) -> Path:
    """`runs/<protocol-short-id>/<partner>/` under the current directory."""
    return Path("runs") / short_id(protocol_id(protocol_file.protocol)) / partner


def plan_share(protocol_file: ProtocolFile, partner: str, out_dir: Path | None = None) -> SharePlan:
    """Plan `partner`'s share of a protocol.

    Raises:
        InputError: For an unknown partner, or an output directory holding another run.

    """
    protocol = protocol_file.protocol
    items = partner_share(protocol, partner)
    pid = protocol_id(protocol)
    directory = out_dir if out_dir is not None else default_out_dir(protocol_file, partner)
    _check_out_dir(directory, pid, partner)
    runs = []
    for item in items:
        task, model = protocol.task(item.task), protocol.model(item.model)
        runs.append(
            PlannedRun(
                task_id=task.id,
                model_id=model.id,
                task_ref=parse_task_ref(task.task, protocol_file.base_dir),
                task_args=dict(task.args),
                model=model.model,
                model_args=dict(model.model_args),
                base_url=model.base_url,
                epochs=task.epochs,
                generate={**protocol.generate_config(task.id), **model.generate},
                subject=subject_record(model, protocol_file.base_dir),
            )
        )
    return SharePlan(protocol_file, pid, partner, directory, runs)


def _check_out_dir(directory: Path, pid: str, partner: str) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError(f"output path {directory} is a file; give a directory with --out")
    if not directory.is_dir():
        return
    if (directory / MANIFEST_FILE).is_file():
        manifest = read_manifest(directory)
        if manifest.protocol_id != pid:
            raise InputError(
                f"{directory} holds a run of another protocol ({short_id(manifest.protocol_id)}, "
                f"'{manifest.protocol_name}'); choose another --out directory"
            )
        if manifest.partner != partner:
            raise InputError(
                f"{directory} holds partner '{manifest.partner}'s run of this protocol; "
                "choose another --out directory"
            )
    elif any(directory.glob("*.eval")) or any(directory.glob("*.json")):
        raise InputError(
            f"{directory} holds Inspect logs that `accord run` did not write; "
            "choose an empty or new --out directory"
        )


def subject_record(spec: ModelSpec, base_dir: Path) -> SubjectRecord:
    """The subject's fingerprint as recorded in the manifest.

    Raises:
        InputError: When a file the subject names cannot be read.

    """
    fingerprint = subject_fingerprint(spec, base_dir)
    return SubjectRecord(
        kind=fingerprint.kind, fingerprint=fingerprint.digest, parts=fingerprint.parts
    )
