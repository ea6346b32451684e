"""Finding `accord` command lines in docs and messages, and checking them against the CLI."""

import re
import shlex
from pathlib import Path
from typing import Any

import typer

from accord.cli import app

ROOT = Path(__file__).parents[2]
_SHELL_BLOCK = re.compile(r"```(?:bash|sh|shell|console)?\n(.*?)```", re.DOTALL)


def shell_lines(markdown: str) -> list[str]:
    """Every command line of the shell code blocks of a Markdown text, comments removed."""
    lines = []
    for block in _SHELL_BLOCK.findall(markdown):
        for line in block.replace("\\\n", " ").splitlines():  # join continued lines
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def commands(line: str) -> list[list[str]]:
    """The simple commands of a shell line (split on `&&`), env prefixes and `&` removed."""
    tokens = shlex.split(line.replace("'s ", "s "), comments=True)  # prose: "eve's token"
    result: list[list[str]] = [[]]
    for token in tokens:
        if token == "&&":
            result.append([])
        elif token != "&":
            result[-1].append(token)
    cleaned = []
    for command in result:
        while command and re.fullmatch(r"[A-Z_]+=.*", command[0]):
            command = command[1:]
        if command:
            cleaned.append(command)
    return cleaned


def problem(args: list[str]) -> str | None:
    """Why `accord args...` is not a command line the CLI accepts; None when it is.

    Checks the command path and that every option exists on the command it is given to
    (option values and arguments are not checked: they may be placeholders).
    """
    assert args[0] == "accord", args
    command: Any = typer.main.get_command(app)
    words = [w.strip("[]") for w in args[1:]]
    if "..." in words:  # `accord --debug ...`: any command
        words = words[: words.index("...")]
    index = 0
    while hasattr(command, "commands"):
        word = next((w for w in words[index:] if not w.startswith("-")), None)
        if word is None:
            return None  # a group on its own prints its help
        position = words.index(word, index)
        if word in command.commands:
            command, index = command.commands[word], position + 1
        elif "share" in command.commands:  # `accord run PROTOCOL` is `accord run share`
            command = command.commands["share"]
        else:
            return f"`{' '.join(args)}`: no command '{word}'"
    options = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    options |= {"--help", "-h"}
    for word in words[index:]:
        name = word.split("=", 1)[0]
        if name.startswith("-") and name not in options:
            return f"`{' '.join(args)}`: '{command.name}' has no option {name}"
    return None
