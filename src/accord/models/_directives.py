"""Tool-call directives: how stand-in agents know what to do with their tools.

A stand-in does not plan. It acts on explicit directives written in its conversation as a
call of an offered tool with keyword literals, e.g. ``bash(cmd="ls /srv")`` or
``send_email(to="a@example.org", body="hi")``. Whether a directive found in a tool result
(an injected instruction) is obeyed depends on the stand-in.
"""

import ast
import re
from dataclasses import dataclass
from typing import Any

from .._util import canonical_json

_CALL_START = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\(")


@dataclass(frozen=True)
class Directive:
    """A tool call written out in text."""

    function: str
    arguments: dict[str, Any]

    def key(self) -> bytes:
        """A canonical identity, to tell whether the call was already made."""
        return canonical_json([self.function, self.arguments])


def find_directives(text: str, tools: set[str]) -> list[Directive]:
    """Every well-formed call of one of `tools` in `text`, in order of appearance."""
    found: list[Directive] = []
    for match in _CALL_START.finditer(text):
        if match.group(1) not in tools:
            continue
        call = _parse_call(text, match.start())
        if call is not None:
            found.append(call)
    return found


def _parse_call(text: str, start: int) -> Directive | None:
    # Try successively longer spans ending in ')' until one parses as a call with literals.
    end = text.find(")", start)
    while end != -1:
        try:
            node = ast.parse(text[start : end + 1], mode="eval").body
        except SyntaxError:
            end = text.find(")", end + 1)
            continue
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
            return None
        try:
            arguments = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        except ValueError:
            return None
        return Directive(node.func.id, arguments)
    return None
