"""`manifest.json`: the provenance record of one partner's run of its share."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._util import InputError, invalid_fields
from ._code import TaskCode
from ._environment import Environment
from ._options import InspectOptions
from ._usage import Price, Usage, total_usage

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT: Literal[1] = 1

# Generate settings that change how requests are sent, not what a model is asked.
OPERATIONAL_SETTINGS = frozenset(
    {
        "max_retries",
        "timeout",
        "attempt_timeout",
        "stream_idle_timeout",
        "max_connections",
        "adaptive_connections",
        "cache",
        "cache_prompt",
        "batch",
        "extra_headers",
    }
)


class SubjectRecord(BaseModel):
    """What was tested in a log: the subject's kind and fingerprint (docs/subjects.md)."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="model, system or agent.")
    fingerprint: str = Field(description="sha256:<hex> over everything defining the subject.")
    parts: dict[str, str] = Field(
        default_factory=dict, description="sha256:<hex> of each part (model, system_prompt, ...)."
    )


class LogRecord(BaseModel):
    """One Inspect log of the run: a task on a model, with what identifies the test."""

    model_config = ConfigDict(frozen=True)

    file: str = Field(description="Log file name, relative to the run directory.")
    sha256: str = Field(description="sha256:<hex> of the log file's bytes.")
    task_id: str = Field(description="The protocol's id of the task.")
    model_id: str = Field(description="The protocol's id of the model.")
    task: str = Field(description="Inspect task name.")
    task_registry_name: str | None
    task_version: int | str
    task_args: dict[str, Any]
    model: str = Field(description="Inspect model string.")
    model_args: dict[str, Any]
    generate_config: dict[str, Any] = Field(
        description="Generate settings that shape outputs (operational ones left out)."
    )
    epochs: int
    samples: int = Field(description="Distinct samples run.")
    errors: int = Field(description="Samples that ended in an error.")
    status: str = Field(description="Inspect log status: success, error, cancelled, started.")
    dataset_digest: str = Field(
        description="sha256 over canonical JSON of the ordered (id, input, target) run."
    )
    started_at: str | None = None
    completed_at: str | None = None
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Headline metrics, `scorer/metric` -> value."
    )
    code: TaskCode | None = Field(
        default=None,
        description="The task's code: digests of its local files, or its registry package "
        "and version (None in manifests written before Accord recorded it).",
    )
    subject: SubjectRecord | None = Field(
        default=None, description="The subject's fingerprint (absent in older manifests)."
    )
    snapshots: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Model string asked for -> distinct model identifiers the provider "
        "returned (the snapshots that served the calls), for every model the log called.",
    )
    usage: dict[str, Usage] = Field(
        default_factory=dict,
        description="Model string -> tokens it used in this log (graders included), with "
        "cost when `accord run --prices` priced it.",
    )
    roles: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Inspect model role (grader, attacker, ...) -> `{model, args, generate}` "
        "of the helper model the log ran with in it.",
    )


class RunOptions(BaseModel):
    """Options given to `accord run` that shape the run."""

    model_config = ConfigDict(frozen=True)

    limit: int | None = Field(
        default=None,
        description="`--limit N`: only the first N samples of each task ran (a trial run).",
    )
    max_connections: int | None = None
    inspect: InspectOptions = Field(
        default_factory=InspectOptions,
        description="Inspect's run controls (see run/_options.py for which change results).",
    )
    prices: dict[str, Price] | None = Field(
        default=None,
        description="`--prices FILE`: dollars per million tokens per model string, as used "
        "for the cost in each log's usage (operational).",
    )

    @property
    def trial(self) -> str | None:
        """How a trial run was limited, as its flag (`--limit 5`), or None for a full run."""
        if self.limit is not None:
            return f"--limit {self.limit}"
        if self.inspect.sample_id is not None:
            return f"--sample-id {','.join(self.inspect.sample_id)}"
        return None


class RunManifest(BaseModel):
    """Provenance of one partner's run of its share of a protocol."""

    model_config = ConfigDict(frozen=True)

    format: Literal[1] = MANIFEST_FORMAT
    protocol_id: str
    protocol_name: str
    partner: str
    status: Literal["running", "complete", "incomplete"]
    started_at: datetime
    finished_at: datetime | None = None
    options: RunOptions = Field(default_factory=RunOptions)
    environment: Environment
    logs: list[LogRecord] = Field(default_factory=list)
    adopted: bool = Field(
        default=False,
        description="The logs were made by plain `inspect eval`/`eval-set` and adopted with "
        "`accord adopt`; `environment` is then the adopting machine's (each log holds its own).",
    )

    @property
    def partial(self) -> bool:
        """True for a trial run (`--limit`, `--sample-id`): not every sample of the tasks ran."""
        return self.options.trial is not None

    @property
    def usage(self) -> dict[str, Usage]:
        """Tokens (and cost, if priced) per model string, summed over the run's logs."""
        return total_usage([record.usage for record in self.logs])

    def log(self, task_id: str, model_id: str) -> LogRecord | None:
        """The log of `task_id` on `model_id`, if the run has one."""
        return next((r for r in self.logs if r.task_id == task_id and r.model_id == model_id), None)


def subject_differences(a: LogRecord, b: LogRecord) -> list[tuple[str, Any, Any]]:
    """How the subjects of two logs differ: `subject.kind` and each differing part.

    Logs from manifests older than subject fingerprints are not compared.
    """
    if a.subject is None or b.subject is None or a.subject.fingerprint == b.subject.fingerprint:
        return []
    found: list[tuple[str, Any, Any]] = []
    if a.subject.kind != b.subject.kind:
        found.append(("subject.kind", a.subject.kind, b.subject.kind))
    for part in sorted(set(a.subject.parts) | set(b.subject.parts)):
        va, vb = a.subject.parts.get(part), b.subject.parts.get(part)
        if va != vb:
            found.append((f"subject.{part}", va, vb))
    return found or [("subject.fingerprint", a.subject.fingerprint, b.subject.fingerprint)]


def read_manifest(run_dir: Path) -> RunManifest:
    """Read the manifest of a run directory.

    Raises:
        InputError: When the directory has no manifest or it is not valid.

    """
    path = run_dir / MANIFEST_FILE
    if not path.is_file():
        raise InputError(
            f"{run_dir} is not an Accord run directory: it has no {MANIFEST_FILE}. "
            "Point at the directory `accord run` wrote (runs/<protocol>/<partner>/)."
        )
    try:
        return RunManifest.model_validate_json(path.read_bytes())
    except OSError as ex:
        raise InputError(f"cannot read run manifest {path}: {ex.strerror}") from None
    except ValidationError as ex:
        raise InputError(
            f"{path} is not a valid run manifest (bad or missing: {invalid_fields(ex)}); "
            "`accord run` writes it: re-run the share rather than editing it"
        ) from None


def write_manifest(run_dir: Path, manifest: RunManifest) -> None:
    """Write the manifest atomically (a reader never sees a half-written file)."""
    path = run_dir / MANIFEST_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
