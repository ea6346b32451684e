"""Tables never cut an identifier, at 80 columns (piped output) or wider."""

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from accord.cli import app
from accord.cli._console import Column, print_table

LONG_ID = "ed25519:69dfe4ae99e0123456789abcdef0123456789abcdef0123456789abcdef01"
NOTE = "the margin is wider than the interval, so this verdict is inconclusive for now"


def render(width: int) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None)
    print_table(
        [Column("partner", id=True), Column("key id", id=True), "valid", Column("note", note=True)],
        [["inst-a", LONG_ID, "2026-11-28T17:00:00+00:00", NOTE], ["inst-b", "ed25519:1", None, ""]],
        title="Keys",
        console=console,
    )
    return buffer.getvalue()


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_ids_are_whole_and_long_notes_are_footnotes(width: int) -> None:
    text = render(width)
    assert LONG_ID in text  # on one line, uncut
    assert "…" not in text
    assert f"[1] {NOTE}" in text  # the note once, below the table
    assert "None" not in text
    assert max(len(line) for line in text.splitlines()) <= max(width, len(f"[1] {NOTE}"))


def test_a_table_too_wide_for_the_terminal_turns_vertical() -> None:
    narrow, wide = render(80), render(200)
    assert f"key id: {LONG_ID}" in narrow
    assert "┃ partner" in wide and "key id:" not in wide


def test_keys_list_keeps_the_key_id_revoke_needs(tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "80"})
    made = runner.invoke(
        app, ["keys", "init", "--partner", "inst-b", "--out", str(tmp_path), "--json"]
    )
    assert made.exit_code == 0, made.output
    key = json.loads(made.stdout)
    assert key["partner"] == "inst-b" and Path(key["public_key"]).is_file()
    ring = str(tmp_path / "ring.json")
    assert runner.invoke(app, ["keys", "add", key["public_key"], "--keyring", ring]).exit_code == 0
    listed = runner.invoke(app, ["keys", "list", "--keyring", ring])
    assert listed.exit_code == 0
    assert key["key_id"] in listed.stdout
    revoked = runner.invoke(app, ["keys", "revoke", key["key_id"], "--keyring", ring])
    assert revoked.exit_code == 0, revoked.output


def test_hub_init_json_gives_the_admin_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["hub", "init", "--db", str(tmp_path / "hub.db"), "--data", str(tmp_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["token"].startswith("acc_") and data["admin_id"]


def test_a_ready_made_rich_table_prints_the_same_way() -> None:
    from rich.table import Table

    from accord.cli._console import print_rich_table

    table = Table("task", "model", "mean", "note", title="Estimates")
    table.add_row("refusal", LONG_ID, "0.500", NOTE)
    buffer = io.StringIO()
    print_rich_table(table, Console(file=buffer, width=80, color_system=None))
    text = buffer.getvalue()
    assert LONG_ID in text and f"[1] {NOTE}" in text and "…" not in text
