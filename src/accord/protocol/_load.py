"""Loading a protocol file: YAML -> structural validation -> cross-field checks."""

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .._util import InputError
from ._spec import Protocol
from ._validate import Problem, check_protocol, check_secrets
from ._yaml import Location, YamlDocument, read_yaml


@dataclass(frozen=True)
class ProtocolIssue:
    """One problem in a protocol file.

    Attributes:
        field: Dotted path of the field, e.g. `assignments[1].partner`.
        line: 1-based line in the YAML file, when known.
        message: What is wrong and how to fix it.

    """

    field: str
    line: int | None
    message: str


class ProtocolError(InputError):
    """A protocol file that is not valid; `issues` lists every problem found."""

    def __init__(self, source: str, issues: list[ProtocolIssue]) -> None:
        self.source = source
        self.issues = issues
        count = f"{len(issues)} problem{'s' if len(issues) != 1 else ''}"
        lines = [f"{source} is not a valid protocol ({count}):"]
        for issue in issues:
            where = f"{issue.field} (line {issue.line})" if issue.line else issue.field
            lines.append(f"  - {where}: {issue.message}")
        lines.append("Fix these and run `accord protocol validate` again.")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ProtocolFile:
    """A validated protocol with the file it came from (tasks resolve relative to it)."""

    protocol: Protocol
    path: Path

    @property
    def base_dir(self) -> Path:
        """The directory that relative task files are resolved against."""
        return self.path.parent


def load_protocol(path: str | Path, *, resolve_tasks: bool = True) -> ProtocolFile:
    """Read and validate a protocol file.

    Args:
        path: The protocol YAML file.
        resolve_tasks: Also check that every task reference resolves (file and function
            exist, or the registry package is installed). No task code is run.

    Raises:
        InputError: When the file cannot be read.
        ProtocolError: When the document is not a valid protocol; lists every problem.

    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"protocol file {file} does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as ex:
        raise InputError(f"cannot read protocol file {file}: {ex}") from None
    protocol = parse_protocol(text, str(file), file.resolve().parent, resolve_tasks=resolve_tasks)
    return ProtocolFile(protocol, file.resolve())


def parse_protocol(
    text: str, source: str, base_dir: Path, *, resolve_tasks: bool = True
) -> Protocol:
    """Validate protocol YAML text (see `load_protocol`)."""
    document = read_yaml(text, source)
    if not isinstance(document.data, dict):
        raise ProtocolError(source, [ProtocolIssue("<document>", 1, "must be a YAML mapping")])
    problems = [
        Problem(loc, "duplicate key; each key may appear once") for loc in document.duplicate_keys
    ]
    problems += check_secrets(document.data)
    try:
        protocol = Protocol.model_validate(document.data)
    except ValidationError as ex:
        problems += [Problem(tuple(e["loc"]), _pydantic_message(e)) for e in ex.errors()]
        raise _error(source, document, problems) from None
    problems += check_protocol(protocol, base_dir, resolve_tasks)
    if problems:
        raise _error(source, document, problems)
    return protocol


def _error(source: str, document: YamlDocument, problems: list[Problem]) -> ProtocolError:
    issues = [
        ProtocolIssue(_dotted(p.location), document.line(p.location), p.message) for p in problems
    ]
    issues.sort(key=lambda i: (i.line or 0, i.field))
    return ProtocolError(source, issues)


def _pydantic_message(error: object) -> str:
    assert isinstance(error, dict)
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown field; check its spelling against docs/protocol.md"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "model":
        return "must be an Inspect model string provider/name, e.g. openai/gpt-4o-mini"
    if kind == "string_pattern_mismatch":
        return "must be an id: letters, digits, '.', '_' or '-', starting with a letter or digit"
    if kind == "literal_error" and error["loc"] == ("accord",):
        return "unsupported protocol format; this version of Accord reads `accord: 1`"
    return str(message)


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<document>"
