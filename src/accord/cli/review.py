"""Developer review commands: `accord exercise respond` and `accord exercise responses`.

A model developer named in the protocol's `governance.developer_review` reads its own
models' results with `accord results` after the exercise closes, and attaches a response
that the joint report prints verbatim.
"""

from pathlib import Path

import typer

from ._console import Column, out, print_json, print_table
from .hub import HubOption, JsonFlag, TokenOption, client

ExerciseArg = typer.Argument(..., help="Exercise id.", show_default=False)


def respond_command(
    exercise: str = ExerciseArg,
    file: Path = typer.Option(
        ..., "--file", help="The response (plain text or Markdown), printed verbatim."
    ),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Attach your organisation's response to its models' results (developers, in review).

    Example: `accord exercise respond refusal-pilot --file response.md`
    """
    from .._util import InputError

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as ex:
        raise InputError(f"cannot read {file} as UTF-8 text: {ex}") from None
    if not text.strip():
        raise InputError(f"{file} is empty; write what the report should print")
    result = client(hub, token).call(
        "POST", f"/exercises/{exercise}/responses", json={"text": text}
    )
    if json_output:
        print_json(result)
        return
    out.print(
        f"recorded: response of {result['institute']} on {', '.join(result['models'])} "
        f"(ledger entry {result['ledger_seq']}, sha256 {result['sha256']})",
        highlight=False,
    )


def responses_command(
    exercise: str = ExerciseArg,
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """List the developers' responses you may read on an exercise.

    Example: `accord exercise responses refusal-pilot`
    """
    rows = client(hub, token).call("GET", f"/exercises/{exercise}/responses")
    if json_output:
        print_json(rows)
        return
    print_table(
        [
            Column("developer", id=True),
            "models",
            "at",
            Column("ledger", justify="right"),
            Column("response", note=True),
        ],
        [
            [r["institute"], ", ".join(r["models"]), r["at"], r["ledger_seq"], r["text"]]
            for r in rows
        ],
        title=f"Developer responses on {exercise}",
    )
