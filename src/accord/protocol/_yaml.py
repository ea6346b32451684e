"""YAML reading that remembers where every value came from, for precise error messages."""

from dataclasses import dataclass, field
from typing import Any

import yaml

from .._util import InputError

Location = tuple[str | int, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_CHARS = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000  # after expanding aliases
MAX_ALIASES = 1_000


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
    if len(text) > MAX_CHARS:
        raise InputError(
            f"{source}: {len(text)} characters, over the limit of {MAX_CHARS} for a protocol"
        )
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_limits(node, source)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f"{source}, line {mark.line + 1}" if mark is not None else source
        problem = getattr(ex, "problem", None) or str(ex)
        raise InputError(f"{where}: not valid YAML ({problem}). Fix the syntax there.") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to be a protocol") from None
    document = YamlDocument(data)
    if node is not None:
        _index(node, (), document)
    return document


def _check_limits(root: yaml.Node, source: str) -> None:
    """Refuse alias cycles, alias explosions ("billion laughs") and deep nesting.

    Composing keeps each anchored node once however often it is aliased, so this walk costs
    the size of the text; the expanded size is computed per distinct node.
    """
    expanded: dict[int, int] = {}
    aliases = 0

    def size(node: yaml.Node, depth: int, path: set[int]) -> int:
        nonlocal aliases
        key = id(node)
        if key in path:
            raise InputError(
                f"{source}, line {node.start_mark.line + 1}: an alias refers to the node "
                "that contains it; protocols cannot be recursive"
            )
        if depth > MAX_DEPTH:
            raise InputError(
                f"{source}, line {node.start_mark.line + 1}: nested more than {MAX_DEPTH} "
                "levels deep"
            )
        if key in expanded:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError(f"{source}: more than {MAX_ALIASES} aliases; write it out")
            return expanded[key]
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        path.add(key)
        total = 1 + sum(size(child, depth + 1, path) for child in children)
        path.discard(key)
        if total > MAX_NODES:
            raise InputError(
                f"{source}: the document expands to more than {MAX_NODES} values (anchors "
                "and aliases multiplied); protocols never need that many"
            )
        expanded[key] = total
        return total

    size(root, 0, set())


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
