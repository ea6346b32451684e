"""The structural difference between two versions of a protocol (an amendment)."""

from dataclasses import dataclass, field
from typing import Any

from ._spec import Protocol

# Sections whose change after results exist makes the analysis post hoc.
_ANALYSIS_SECTIONS = ("analysis", "thresholds")


@dataclass(frozen=True)
class ProtocolDiff:
    """What an amendment changed, section by section.

    `changes` maps a section (`tasks`, `models`, `analysis`, `thresholds`, `disclosure`, ...)
    to readable changes ("changed refusal: epochs, args", "added jailbreak").
    """

    changes: dict[str, list[str]] = field(default_factory=dict)
    tasks: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()
    all_runs: bool = False

    def affects(self, task_id: str, model_id: str) -> bool:
        """Whether runs of `task_id` x `model_id` under the old version are not comparable."""
        return self.all_runs or task_id in self.tasks or model_id in self.models

    @property
    def analysis_changed(self) -> bool:
        """Whether the analysis plan or the thresholds changed."""
        return any(s in self.changes for s in _ANALYSIS_SECTIONS)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "changes": self.changes,
            "runs_not_comparable": {
                "all": self.all_runs,
                "tasks": sorted(self.tasks),
                "models": sorted(self.models),
            },
            "analysis_changed": self.analysis_changed,
        }


def protocol_diff(old: Protocol, new: Protocol) -> ProtocolDiff:
    """The structural difference from `old` to `new`."""
    before = old.model_dump(mode="json", exclude_defaults=True)
    after = new.model_dump(mode="json", exclude_defaults=True)
    changes: dict[str, list[str]] = {}
    touched: dict[str, set[str]] = {"tasks": set(), "models": set()}
    for section in sorted(set(before) | set(after)):
        a, b = before.get(section), after.get(section)
        if a == b:
            continue
        if isinstance(a, list | None) and isinstance(b, list | None) and _by_id(a or b or []):
            lines, ids = _list_changes(a or [], b or [])
            touched.setdefault(section, set()).update(ids)
        elif isinstance(a, dict) and isinstance(b, dict):
            lines = [f"changed {', '.join(sorted(_changed_keys(a, b)))}"]
        elif isinstance(a, list) or isinstance(b, list):
            lines = ["changed"]
        else:
            lines = [f"{_text(a)} -> {_text(b)}"]
        changes[section] = lines
    # A changed or removed task or model, or changed generate settings, alter what the runs
    # measure; other sections (analysis, thresholds, disclosure, embargo) do not.
    return ProtocolDiff(
        changes,
        frozenset(touched["tasks"]),
        frozenset(touched["models"]),
        all_runs="generate" in changes,
    )


def _by_id(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "id" in i for i in items)


def _list_changes(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> tuple[list[str], set[str]]:
    old, new = {i["id"]: i for i in a}, {i["id"]: i for i in b}
    lines = [f"added {i}" for i in new if i not in old]
    lines += [f"removed {i}" for i in old if i not in new]
    changed = [i for i in new if i in old and new[i] != old[i]]
    lines += [f"changed {i}: {', '.join(sorted(_changed_keys(old[i], new[i])))}" for i in changed]
    return lines, set(changed) | (set(old) - set(new))


def _changed_keys(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def _text(value: Any) -> str:
    return "unset" if value is None else str(value)
