"""Help text as a person reads it: value names instead of Python types, no `<bool>` on flags.

Typer shows each parameter's Python type (`<bool>`, `<list[Path]>`) and wraps required
arguments in braces in the usage line (`{protocol}`). `humanise` rewrites the parameters of
every command once, before the command line is parsed: flags show no value, options show
what to give (`FILE`, `DIR`, `N`, `TEXT`, the choices), arguments are upper-case names, and
`[...]` in help texts (our `[default: ...]` notes) is kept as text, not read as markup.
It uses the parameters' rendering hooks of Typer 0.29 (`display_type_rich`,
`get_usage_pieces`); with a Typer that lacks them, help falls back to Typer's own.
"""

from typing import Any


def humanise(command: Any) -> None:
    """Rewrite the help of `command` and, for a group, of every command below it."""
    if getattr(command, "_accord_humanised", False):
        return
    command._accord_humanised = True
    help_option = command.get_help_option

    def quiet_help_option(ctx: Any) -> Any:
        option = help_option(ctx)
        if option is not None:
            option.display_type_rich = lambda ctx: None
        return option

    command.get_help_option = quiet_help_option
    for param in getattr(command, "params", []):
        try:
            _param(param)
        except AttributeError:  # another Typer release: keep its own rendering
            continue
    for sub in getattr(command, "commands", {}).values():
        humanise(sub)


def _param(param: Any) -> None:
    if param.help and "\\[" not in param.help:
        param.help = param.help.replace("[", "\\[")
    typer_type = param.display_type
    if param.param_type_name == "argument":
        name = param.metavar or param.name.upper()
        param.metavar = name
        shown = f"{name}..." if param.nargs != 1 else name
        usage = shown if param.required else f"[{shown}]"
        param.get_usage_pieces = lambda ctx: [usage]
        param.display_type_rich = lambda ctx: None
        return
    metavar = param.metavar
    param.display_type_rich = lambda ctx: metavar or value_name(typer_type(ctx))


def value_name(typer_type: str | None) -> str | None:
    """What to type as an option's value, from Typer's `<type>`: PATH, N, TEXT, the choices."""
    label = (typer_type or "").strip("<>")
    plural = label.startswith("list[")
    label = label.removeprefix("list[").removesuffix("]")
    names = {"bool": None, "Path": "PATH", "path": "PATH", "int": "N", "float": "NUMBER"}
    names |= {"str": "TEXT", "int range": "N", "float range": "NUMBER", "datetime": "TIME"}
    name = names.get(label, label.upper() if "|" not in label else label)
    return f"{name}..." if name and plural else name
