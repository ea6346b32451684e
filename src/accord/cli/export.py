"""`accord export`: scores and analysis tables in open formats (CSV, Parquet, Every Eval Ever)."""

from pathlib import Path
from typing import Any

import typer

from .._util import InputError, OperationError
from ._console import out, print_json
from .report import HubOption, TokenOption


def export_command(
    run_dirs: list[Path] = typer.Argument(
        None, help="Run directories, one per partner (or use --exercise).", show_default=False
    ),
    protocol: Path | None = typer.Option(
        None, "--protocol", help="The protocol the runs followed (with run directories)."
    ),
    exercise: str | None = typer.Option(
        None, "--exercise", help="Export the exercise from the hub (partners and secondees)."
    ),
    fmt: str = typer.Option(
        "parquet", "--format", help="csv, parquet, or eee (Every Eval Ever JSON/JSONL)."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Directory to write the files to."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = typer.Option(False, "--json", help="Print the written files as JSON."),
) -> None:
    """Export per-sample scores (text only where disclosure allows) and every analysis table.

    Examples:
      `accord export --protocol protocol.yaml runs/ab12/inst-a runs/ab12/inst-b -o out/`

      `accord export --exercise safeguards-demo --format eee -o eee/`
    """
    from ..report import check_format, from_runs, write_export

    chosen = check_format(fmt)
    if exercise is not None and (run_dirs or protocol):
        raise InputError("give either --exercise or run directories with --protocol, not both")
    if exercise is None:
        if not run_dirs or protocol is None:
            raise InputError(
                "give run directories and --protocol (or --exercise ID to read from a hub)"
            )
        files = write_export(from_runs(protocol, run_dirs), output, chosen)
    else:
        from ..hub import HubClient, hub_settings
        from ..report import extract_archive

        api = HubClient(*hub_settings(hub, token))
        try:
            payload = _download(api, f"/exercises/{exercise}/export", {"format": chosen})
        finally:
            api.close()
        files = extract_archive(payload, output)
    if json_output:
        print_json({"format": chosen, "files": [str(f) for f in files]})
        return
    out.print(f"{len(files)} file(s) written to {output}:", soft_wrap=True, highlight=False)
    for path in files:
        out.print(f"  {path.name}", soft_wrap=True, highlight=False)


def _download(api: Any, path: str, params: dict[str, str]) -> bytes:
    """The bytes of a hub download; a refusal is an error with the hub's reason."""
    import httpx

    try:
        response = api.http.get(path, params=params)
    except httpx.HTTPError as ex:
        raise OperationError(f"cannot reach the hub at {api.url}: {ex}; is it running?") from None
    if response.is_success:
        content: bytes = response.content
        return content
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text[:500]
    error = InputError if response.status_code in (400, 404, 409, 422) else OperationError
    raise error(f"the hub refused GET {path} ({response.status_code}): {message}")
