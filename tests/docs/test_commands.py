"""Every `accord` command in the docs and in error messages exists, with the options given."""

import re

import pytest

from tests.docs.commands import ROOT, commands, problem, shell_lines

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_documented_command_exists(page) -> None:  # type: ignore[no-untyped-def]
    found = [
        args
        for line in shell_lines(page.read_text())
        if re.match(r"([A-Z_]+=\S+\s+)*accord\b", line)
        for args in commands(line)
        if args[0] == "accord"
    ]
    problems = [p for p in map(problem, found) if p]
    assert problems == []


def _hints() -> list[list[str]]:
    """Every `accord ...` quoted in backticks in the source: hints, docstrings, examples."""
    found = []
    for path in sorted((ROOT / "src" / "accord").rglob("*.py")):
        for quoted in re.findall(r"`(accord [^`]+)`", path.read_text()):
            if "{" in quoted:  # an f-string: the variable part is checked where it is filled
                continue
            found += [a for a in commands(quoted.replace(">", " ")) if a[0] == "accord"]
    return found


def test_every_command_named_in_a_message_exists() -> None:
    hints = _hints()
    assert len(hints) > 30
    assert [p for p in map(problem, hints) if p] == []


def test_the_checker_catches_what_does_not_exist() -> None:
    assert problem(["accord", "hub", "tokens", "create"]) is not None
    assert problem(["accord", "run", "p.yaml", "--partner", "a", "--limt", "5"]) is not None
    assert problem(["accord", "run", "p.yaml", "--partner", "a", "--limit", "5"]) is None
