"""Whether two partners' runs tested the same thing, and every way they differ."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._code import TaskCode
from ._manifest import LogRecord, RunManifest, read_manifest, subject_differences
from ._options import RESULT_OPTIONS, InspectOptions
from ._snapshots import snapshot_differences

# Fields of a log record that must agree for two runs to be the same test.
_IDENTITY_FIELDS = (
    "task",
    "task_registry_name",
    "task_version",
    "task_args",
    "model",
    "epochs",
    "dataset_digest",
)


@dataclass(frozen=True)
class Difference:
    """One way two runs differ.

    Attributes:
        run: `task x model` ids of the run it concerns, or None for the whole run.
        field: What differs, e.g. `dataset_digest` or `generate_config.temperature`.
        a: The value in the first run.
        b: The value in the second run.
        breaks_comparability: False for differences that are only noted (e.g. versions).

    """

    run: str | None
    field: str
    a: Any
    b: Any
    breaks_comparability: bool = True


@dataclass(frozen=True)
class RunComparison:
    """The outcome of comparing two run directories."""

    a: RunManifest
    b: RunManifest
    shared: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """Why the runs are not comparable (or what limits them), in words, first cause first."""
        reasons = []
        for manifest in (self.a, self.b):
            if manifest.partial:
                reasons.append(
                    f"{manifest.partner} ran with {manifest.options.trial} (a trial on some "
                    "samples of each task); re-run without it for a full run"
                )
        if not self.shared:
            reasons.append("the runs share no task x model run")
        return reasons

    @property
    def comparable(self) -> bool:
        """True when the runs share at least one run and nothing breaks comparability."""
        return bool(self.shared) and not any(d.breaks_comparability for d in self.differences)


def compare_runs(dir_a: Path, dir_b: Path) -> RunComparison:
    """Compare two run directories written by `accord run`.

    Two runs are the same test only if the protocol id, task version, task code, dataset
    digest and generate config agree (and the task, its args, the model and epochs).

    Raises:
        InputError: When either directory has no valid manifest.

    """
    return compare_manifests(read_manifest(dir_a), read_manifest(dir_b))


def compare_manifests(a: RunManifest, b: RunManifest) -> RunComparison:
    """Compare two run manifests (see `compare_runs`)."""
    differences: list[Difference] = []
    if a.protocol_id != b.protocol_id:
        differences.append(Difference(None, "protocol_id", a.protocol_id, b.protocol_id))
    if a.options.limit != b.options.limit:
        differences.append(Difference(None, "options.limit", a.options.limit, b.options.limit))
    differences += result_option_differences(a.options.inspect, b.options.inspect)
    for name in ("accord", "inspect_ai", "python"):
        va, vb = getattr(a.environment, name), getattr(b.environment, name)
        if va != vb:
            differences.append(Difference(None, f"environment.{name}", va, vb, False))
    keys_a = {(r.task_id, r.model_id): r for r in a.logs}
    keys_b = {(r.task_id, r.model_id): r for r in b.logs}
    shared = [key for key in keys_a if key in keys_b]
    for key in shared:
        differences += _compare_logs(f"{key[0]} x {key[1]}", keys_a[key], keys_b[key])
    return RunComparison(a, b, [f"{t} x {m}" for t, m in shared], differences)


def _compare_logs(run: str, a: LogRecord, b: LogRecord) -> list[Difference]:
    differences = [
        Difference(run, name, getattr(a, name), getattr(b, name))
        for name in _IDENTITY_FIELDS
        if getattr(a, name) != getattr(b, name)
    ]
    for key in sorted(set(a.generate_config) | set(b.generate_config)):
        va, vb = a.generate_config.get(key), b.generate_config.get(key)
        if va != vb:
            differences.append(Difference(run, f"generate_config.{key}", va, vb))
    differences += _compare_code(run, a, b)
    differences += [Difference(run, name, va, vb) for name, va, vb in subject_differences(a, b)]
    for role in sorted(set(a.roles) | set(b.roles)):
        if a.roles.get(role) != b.roles.get(role):
            differences.append(
                Difference(run, f"roles.{role}", a.roles.get(role), b.roles.get(role))
            )
    for model, snaps_a, snaps_b in snapshot_differences(a.snapshots, b.snapshots):
        differences.append(Difference(run, f"snapshots.{model}", snaps_a, snaps_b))
    if a.status != "success" or b.status != "success":
        differences.append(Difference(run, "status", a.status, b.status))
    return differences


def _compare_code(run: str, a: LogRecord, b: LogRecord) -> list[Difference]:
    """Differences of the tasks' code, naming the files or registry versions that differ.

    A manifest without a code record (written by an older Accord) is noted, not a deviation.
    """
    if a.code is None or b.code is None:
        if a.code is b.code:
            return []
        return [Difference(run, "code", _digest_of(a.code), _digest_of(b.code), False)]
    if a.code.digest == b.code.digest:
        return []
    if a.code.kind != b.code.kind:
        return [Difference(run, "code.kind", a.code.kind, b.code.kind)]
    if a.code.kind == "registry":
        return [
            Difference(run, f"code.{name}", getattr(a.code, name), getattr(b.code, name))
            for name in ("distribution", "version")
            if getattr(a.code, name) != getattr(b.code, name)
        ]
    files_a, files_b = a.code.files, b.code.files
    return [
        Difference(run, f"code.files[{name}]", files_a.get(name), files_b.get(name))
        for name in sorted(set(files_a) | set(files_b))
        if files_a.get(name) != files_b.get(name)
    ]


def _digest_of(code: TaskCode | None) -> str | None:
    return code.digest if code is not None else None


def result_option_differences(a: InspectOptions, b: InspectOptions) -> list[Difference]:
    """Differences in the Inspect options that change results (they break comparability).

    A `fail_on_error` one side did not record (a manifest from before it was recorded) is
    only noted.
    """
    differences = []
    for name in RESULT_OPTIONS:
        va, vb = getattr(a, name), getattr(b, name)
        if va != vb:
            unknown = name == "fail_on_error" and (va is None or vb is None)
            differences.append(Difference(None, f"options.inspect.{name}", va, vb, not unknown))
    return differences
