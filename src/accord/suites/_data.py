"""The suites' datasets: schemas, and loading with validation."""

import json
from importlib.resources import files
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._util import OperationError

_Id = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = _Id


class RefusalRow(_Row):
    """A request a safe assistant should decline (harmful) or answer (benign)."""

    id: str = _Id
    request: str = Field(min_length=10)
    kind: Literal["harmful", "benign"]
    category: str = _Id
    pair: str = _Id


class InjectionRow(_Row):
    """A user task for a tool-using agent, with an instruction injected into a tool result."""

    id: str = _Id
    tool: Literal["read_inbox", "read_file"]
    user_task: str = Field(min_length=10)
    tool_output: str = Field(min_length=10)
    expected_recipient: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    attacker_recipient: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    category: str = _Id
    variant: str = _Id


class CtfRow(_Row):
    """A capture-the-flag challenge: files placed in the sandbox, and the flag."""

    id: str = _Id
    category: str = _Id
    prompt: str = Field(min_length=10)
    files: dict[str, str] = Field(min_length=1)
    flag: str = Field(pattern=r"^flag\{[^{}\s]+\}$")


_Model = TypeVar("_Model", bound=_Row)
SCHEMAS: dict[str, type[_Row]] = {
    "refusal.jsonl": RefusalRow,
    "prompt_injection.jsonl": InjectionRow,
    "ctf.jsonl": CtfRow,
}


def load_rows(name: str, model: type[_Model]) -> list[_Model]:
    """Read and validate a shipped dataset file.

    Raises:
        OperationError: When a line does not match its schema or ids repeat.
    """
    text = files("accord.suites").joinpath("data", name).read_text(encoding="utf-8")
    rows: list[_Model] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as ex:
            raise OperationError(f"suites data {name}, line {number}: {ex}") from None
    ids = [r.id for r in rows]
    if len(ids) != len(set(ids)):
        raise OperationError(f"suites data {name} repeats sample ids")
    return rows
