"""The protocol document: pydantic models for every field of `protocol.yaml`."""

from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROTOCOL_FORMAT = 1
MAX_GROUP_KEYS = 4
"""At most this many `groups:` keys per task: each key adds a family of subgroup rows."""

Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$",
        description="Letters, digits, '.', '_' or '-'; starts with a letter or digit; at most 64.",
    ),
]

Canary = Annotated[
    str,
    Field(
        min_length=8,
        max_length=1000,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="A planted test credential, or sha256:<64 hex digits> of it.",
    ),
]

DisclosureLevel = Literal["scores", "samples", "transcripts"]
"""How much of each sample leaves an institute: scores < samples < transcripts."""

ModelRole = Literal["subject", "reference"]

SubjectKind = Literal["model", "system", "agent"]
"""What a protocol's `models:` entry tests: a bare model, a system around it, or an agent."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Partner(_Strict):
    """An institute taking part in the protocol."""

    id: Identifier
    name: str = Field(min_length=1)


class GuardSpec(_Strict):
    """An input or output guard: an Inspect model used as a classifier (docs/subjects.md)."""

    id: Identifier
    model: str = Field(pattern=r"^[^/\s]+/\S+$", description="Inspect model string.")
    model_args: dict[str, Any] = Field(default_factory=dict)
    base_url: str | None = Field(
        default=None, description="Where the guard model is served (not part of the fingerprint)."
    )
    prompt: str | None = Field(
        default=None,
        min_length=1,
        description="Classifier prompt; `{content}` is replaced by the text to check.",
    )
    block_when: str = Field(
        default=r"^\s*unsafe\b",
        min_length=1,
        description="Regular expression (case-insensitive) that, found in the guard's "
        "reply, blocks the text.",
    )
    on_block: Literal["refuse", "stop"] = Field(
        default="refuse",
        description="refuse: answer with `refusal`; stop: end the sample with no answer.",
    )
    refusal: str = Field(default="I'm sorry, but I can't help with that.", min_length=1)


class SubjectLimits(_Strict):
    """Limits on an agent's run of one sample."""

    messages: int | None = Field(default=None, ge=1, le=100_000)
    tokens: int | None = Field(default=None, ge=1)
    time: float | None = Field(default=None, gt=0, description="Seconds of working time.")


class ModelSpec(_Strict):
    """A model under test (`subject`) or a baseline to compare with (`reference`)."""

    id: Identifier
    model: str = Field(
        pattern=r"^[^/\s]+/\S+$",
        description="Inspect model string, provider/name (e.g. openai/gpt-4o-mini).",
    )
    role: ModelRole = "subject"
    model_args: dict[str, Any] = Field(default_factory=dict)
    base_url: str | None = None
    # Subject fields (docs/subjects.md); all default to absent, so a protocol without them
    # keeps its id.
    kind: SubjectKind = "model"
    system_prompt: str | None = Field(default=None, min_length=1)
    system_prompt_file: str | None = Field(default=None, min_length=1)
    input_guards: list[GuardSpec] = Field(default_factory=list)
    output_guards: list[GuardSpec] = Field(default_factory=list)
    generate: dict[str, Any] = Field(
        default_factory=dict, description="Generate settings fixed by the system."
    )
    agent: str | None = Field(
        default=None,
        min_length=1,
        description="Inspect agent or solver: registry name (react) or file.py@function.",
    )
    agent_args: dict[str, Any] = Field(default_factory=dict)
    tools: list[str] = Field(default_factory=list)
    limits: SubjectLimits | None = None


RoleName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$", description="An Inspect model role name."),
]


class RoleModelSpec(_Strict):
    """A helper model a task calls in an Inspect model role: a grader, an attacker, a guard."""

    id: Identifier
    model: str = Field(
        pattern=r"^[^/\s]+/\S+$",
        description="Inspect model string, provider/name (e.g. openai/gpt-4o-mini).",
    )
    model_args: dict[str, Any] = Field(default_factory=dict)
    base_url: str | None = None
    generate: dict[str, Any] = Field(
        default_factory=dict, description="Generate settings of this model's calls."
    )


class TaskSpec(_Strict):
    """An Inspect task with its arguments and epochs."""

    id: Identifier
    task: str = Field(
        min_length=1,
        description="Registry name (accord/refusal, inspect_evals/xstest) or file.py@function.",
    )
    args: dict[str, Any] = Field(default_factory=dict)
    epochs: int = Field(default=1, ge=1, le=1000)
    generate: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the protocol-wide generate config."
    )
    cluster: str | None = Field(
        default=None, description="Sample metadata key whose values group related samples."
    )
    share_metadata: list[str] = Field(
        default_factory=list,
        description="Sample metadata keys the analysis needs, shared at every disclosure level.",
    )
    canaries: list[Canary] = Field(
        default_factory=list,
        max_length=1000,
        description=(
            "Fake credentials the task plants on purpose (exfiltration, injection): exact "
            "strings or sha256:<hex> of them. The credential scan reports them in the bundle "
            "instead of refusing it."
        ),
    )
    graders: list[str] = Field(
        default_factory=list,
        description="Scorers (metric names, e.g. judge_a, or scorer/key) that grade the same "
        "construct; grader agreement is computed between these only.",
    )
    files: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Glob patterns (relative to the protocol's directory) of files the task "
        "reads that its code does not name literally; they join its code digest and package.",
    )

    sealed: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Glob patterns (relative to the protocol's directory) of data files that "
        "a test package carries encrypted to the partners' keys, never in the clear.",
    )

    @field_validator("files", "sealed")
    @classmethod
    def _relative_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            parts = pattern.replace("\\", "/").split("/")
            if not pattern or pattern.startswith("/") or ".." in parts or ":" in pattern:
                raise ValueError(
                    f"files pattern '{pattern}' must be relative to the protocol's directory "
                    "and stay inside it (no leading /, no '..')"
                )
        return value

    roles: dict[RoleName, Identifier] = Field(
        default_factory=dict,
        description="Inspect model roles of the task (grader, attacker, ...) -> ids of "
        "`role_models`; the task's code gets them with get_model(role=...).",
    )
    groups: list[Identifier] = Field(
        default_factory=list,
        max_length=MAX_GROUP_KEYS,
        description="Sample metadata keys to analyse by subgroup (e.g. transform): estimates, "
        "comparisons and reproducibility per value, shared at every disclosure level.",
    )

    @field_validator("groups")
    @classmethod
    def _distinct_groups(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"groups {value} name a metadata key twice; list each key once")
        return value

    def shared_metadata_keys(self) -> set[str]:
        """Metadata keys that leave the institute even at level `scores`."""
        shared = set(self.share_metadata) | ({self.cluster} if self.cluster else set())
        return shared | set(self.groups)


class Assignment(_Strict):
    """Work owed by one partner: every listed task on every listed model."""

    partner: Identifier
    tasks: list[Identifier] = Field(min_length=1)
    models: list[Identifier] = Field(min_length=1)


class Planning(_Strict):
    """Assumptions for sample-size planning (`accord protocol plan`)."""

    score_variance: float = Field(
        default=0.25, gt=0.0, description="Variance of one score (0.25: a 0/1 score at 50%)."
    )
    within_fraction: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Share of that variance that differs between epochs of the same sample.",
    )
    correlation: float = Field(
        default=0.5, ge=-1.0, le=1.0, description="Correlation of two models' per-sample scores."
    )
    site_correlation: float = Field(
        default=0.9,
        ge=-1.0,
        le=1.0,
        description="Correlation of one model's per-sample scores at two partners (about "
        "0.9-1.0 at temperature 0 with a seed, 0.5-0.8 at temperature 0.5-1; use a pilot).",
    )
    icc: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Intra-cluster correlation of per-sample differences, for clustered tasks.",
    )
    power: float = Field(default=0.8, gt=0.0, lt=1.0)


class Analysis(_Strict):
    """The agreed analysis plan."""

    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    comparisons: list[tuple[Identifier, Identifier]] = Field(default_factory=list)
    reproducibility_margin: float = Field(default=0.05, gt=0.0, le=1.0)
    correction: Literal["holm", "bh", "none"] = "holm"
    planning: Planning = Field(default_factory=Planning)


class Threshold(_Strict):
    """A rule that turns an analysis result into a finding."""

    id: Identifier
    task: Identifier
    metric: str = Field(min_length=1)
    model: Identifier
    compare_to: Identifier | None = None
    when: str = Field(min_length=1)
    finding: str = Field(min_length=1)


class Disclosure(_Strict):
    """How much of each task's samples may leave the institute that ran them."""

    default: DisclosureLevel = "scores"
    tasks: dict[Identifier, DisclosureLevel] = Field(default_factory=dict)

    def level(self, task_id: str) -> DisclosureLevel:
        """The disclosure level that applies to `task_id`."""
        return self.tasks.get(task_id, self.default)


class Developer(_Strict):
    """A model developer organisation (an institute on the hub) and the models that are its own."""

    institute: Identifier
    models: list[Identifier] = Field(min_length=1)


class DeveloperReview(_Strict):
    """Developers see their own models' aggregate results after close, before publication."""

    developers: list[Developer] = Field(min_length=1)
    window_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days after the exercise closes during which developers may review.",
    )
    per_sample: bool = Field(
        default=False, description="Also show developers per-sample scores of their models."
    )

    def models_of(self, institute: str | None) -> frozenset[str]:
        """The models of developer `institute` (empty for an institute that is none)."""
        return frozenset(m for d in self.developers if d.institute == institute for m in d.models)


class Governance(_Strict):
    """How partners agree (see docs/governance.md)."""

    quorum: int | None = Field(
        default=None,
        ge=1,
        description="How many partners must sign the protocol before the exercise opens, and "
        "approve before it is published. Default: every partner.",
    )
    developer_review: DeveloperReview | None = Field(
        default=None,
        description="Model developers who review their own models' results before publication.",
    )


class Protocol(_Strict):
    """A versioned test plan that partners agree on (see docs/protocol.md)."""

    accord: Literal[1] = Field(description="Protocol format version.")
    name: Identifier
    description: str = ""
    partners: list[Partner] = Field(min_length=1)
    models: list[ModelSpec] = Field(min_length=1)
    tasks: list[TaskSpec] = Field(min_length=1)
    generate: dict[str, Any] = Field(default_factory=dict)
    assignments: list[Assignment] = Field(min_length=1)
    analysis: Analysis = Field(default_factory=Analysis)
    thresholds: list[Threshold] = Field(default_factory=list)
    disclosure: Disclosure = Field(default_factory=Disclosure)
    embargo_until: date | None = None
    governance: Governance = Field(default_factory=Governance)
    allow_trial_submissions: bool = Field(
        default=False,
        description="Accept bundles of trial runs made with `accord run --limit` on the hub.",
    )
    fail_on_error: bool | int | float | None = Field(
        default=None,
        description="Inspect's fail_on_error for every partner's run: true (a sample error "
        "fails the task), a fraction below 1 or a count of errored samples tolerated (they are "
        "left unscored). Unset: each partner's `accord run --fail-on-error`, recorded and "
        "compared.",
    )
    role_models: list[RoleModelSpec] = Field(
        default_factory=list,
        description="Helper models (graders, attackers, guards) bound to tasks by `roles`.",
    )

    @field_validator("embargo_until", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if isinstance(value, str) and "T" in value:
            raise ValueError("give a date as YYYY-MM-DD, without a time")
        return value

    def partner(self, partner_id: str) -> Partner:
        """The partner with `partner_id` (KeyError when absent)."""
        return _by_id(self.partners, partner_id)

    def model(self, model_id: str) -> ModelSpec:
        """The model with `model_id` (KeyError when absent)."""
        return _by_id(self.models, model_id)

    def task(self, task_id: str) -> TaskSpec:
        """The task with `task_id` (KeyError when absent)."""
        return _by_id(self.tasks, task_id)

    def role_model(self, role_model_id: str) -> RoleModelSpec:
        """The role model with `role_model_id` (KeyError when absent)."""
        for item in self.role_models:
            if item.id == role_model_id:
                return item
        raise KeyError(role_model_id)

    def generate_config(self, task_id: str) -> dict[str, Any]:
        """The generate settings for `task_id`: protocol-wide, then the task's overrides."""
        return {**self.generate, **self.task(task_id).generate}


_Item = TypeVar("_Item", Partner, ModelSpec, TaskSpec)


def _by_id(items: list[_Item], item_id: str) -> _Item:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)
