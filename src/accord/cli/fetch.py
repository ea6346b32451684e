"""`accord fetch`: download partners' bundles, verify them with your keyring, unpack the logs."""

from pathlib import Path

import typer

from ._console import Column, err, out, print_json, print_table
from .hub import HubOption, JsonFlag, TokenOption, client


def fetch_command(
    exercise: str = typer.Argument(..., help="Exercise id.", show_default=False),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Directory to write into."),
    keyring: Path = typer.Option(
        ..., "--keyring", help="Your keyring of trusted partner keys (accord keys)."
    ),
    partner: str | None = typer.Option(None, "--partner", help="Only this partner's bundles."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
    package: bool = typer.Option(
        False,
        "--package",
        help="Instead: download the exercise's test package into DIR and verify it.",
    ),
) -> None:
    """Download an exercise's current bundles, verify each offline, unpack their logs.

    Every bundle is checked against YOUR keyring and the exercise's protocol id, not the
    hub's word; one that fails stops the command (exit 1) and nothing of it is unpacked.
    DIR gets protocol.yaml, bundles/, and a run directory per partner with manifest.json and
    the .eval logs: open them with `inspect view --log-dir DIR/inst-b`, or analyse them
    with `accord analyze DIR/inst-a DIR/inst-b --protocol DIR/protocol.yaml`.

    Example: `accord fetch refusal-pilot -o fetched --keyring keyring.json --partner inst-b`

    The test package: `accord fetch refusal-pilot --package -o fetched --keyring keyring.json`
    """
    if package:
        from .package_hub import fetch_package, print_fetched_package

        result = fetch_package(hub, token, exercise, out_dir, keyring)
        print_fetched_package(result, json_output)
        return
    from ..hub import fetch_exercise
    from ..identity import read_keyring

    ring = read_keyring(keyring)
    fetched = fetch_exercise(client(hub, token), exercise, out_dir, ring, partner)
    rows = [
        {
            "submission_id": f.submission_id,
            "partner": f.partner,
            "sha256": f.sha256,
            "key_id": f.key_id,
            "signed_at": f.signed_at,
            "bundle": str(f.bundle),
            "run_dir": str(f.run_dir),
            "logs": f.logs,
        }
        for f in fetched
    ]
    if json_output:
        print_json(rows)
        return
    if not rows:
        err.print(f"exercise {exercise} has no current submissions to fetch yet")
        return
    print_table(
        [
            Column("partner", id=True),
            Column("submission", id=True),
            Column("signed by", id=True),
            Column("logs", justify="right"),
            Column("run directory", id=True),
        ],
        [[r["partner"], r["submission_id"], r["key_id"], r["logs"], r["run_dir"]] for r in rows],
        title=f"Verified bundles of {exercise}",
    )
    dirs = " ".join(str(f.run_dir) for f in fetched)
    out.print(f"inspect view --log-dir {fetched[0].run_dir}", highlight=False)
    out.print(f"accord analyze {dirs} --protocol {out_dir / 'protocol.yaml'}", highlight=False)
