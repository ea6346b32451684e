"""YAML reading that remembers where every value came from, for precise error messages."""

from dataclasses import dataclass, field
from typing import Any

import yaml

from .._util import InputError

Location = tuple[str | int, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDocument:
    """A parsed YAML document and the line (1-based) of every value in it."""

    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    duplicate_keys: list[Location] = field(default_factory=list)

    def line(self, location: Location) -> int | None:
        """The line of `location`, or of its nearest enclosing value."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(tuple(location[:end]))
            if line is not None:
                return line
        return None


def read_yaml(text: str, source: str) -> YamlDocument:
    """Parse YAML text with line numbers.

    Args:
        text: The YAML document.
        source: Where it came from, for error messages.

    Raises:
        InputError: When the text is not valid YAML.

    """
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f"{source}, line {mark.line + 1}" if mark is not None else source
        problem = getattr(ex, "problem", None) or str(ex)
        raise InputError(f"{where}: not valid YAML ({problem}). Fix the syntax there.") from None
    document = YamlDocument(data)
    if node is not None:
        _index(node, (), document)
    return document


def _index(node: yaml.Node, location: Location, document: YamlDocument) -> None:
    document.lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                document.duplicate_keys.append((*location, key))
            seen.add(key)
            _index(value_node, (*location, key), document)
            document.lines[(*location, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*location, index), document)
