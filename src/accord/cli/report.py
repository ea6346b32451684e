"""`accord report`: the joint report of an exercise, from run directories or from a hub."""

from pathlib import Path
from typing import Any

import typer

from .._util import InputError
from ._console import err, out, print_json

# Defined here rather than imported from `.hub`, which loads the server at import time.
HubOption = typer.Option(None, "--hub", help="Hub URL [env ACCORD_HUB_URL].")
TokenOption = typer.Option(None, "--token", help="API token [env ACCORD_TOKEN].")


def report_command(
    run_dirs: list[Path] = typer.Argument(
        None, help="Run directories, one per partner (or use --exercise).", show_default=False
    ),
    protocol: Path | None = typer.Option(
        None, "--protocol", help="The protocol the runs followed (with run directories)."
    ),
    exercise: str | None = typer.Option(
        None, "--exercise", help="Read the exercise from the hub, as you may see it."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Report file: .html, .md or .json (format from the suffix)."
    ),
    pdf: Path | None = typer.Option(
        None, "--pdf", help="Also print the report to this PDF (needs /usr/bin/chromium)."
    ),
    bundles: list[Path] = typer.Option(
        None, "--bundle", help="A partner's signed bundle of these runs (repeat); needs --keyring."
    ),
    keyring: Path | None = typer.Option(
        None, "--keyring", help="The partners' keyring, to verify --bundle and --signature files."
    ),
    signatures: list[Path] = typer.Option(
        None,
        "--signature",
        help="A partner's signed sign-off of the protocol (repeat); needs --keyring.",
    ),
    anonymise_models: bool = typer.Option(
        False, "--anonymise-models", help="Call the models Model A, B, ... throughout."
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        help="Where to write the anonymisation map [default: <output>.models.json].",
    ),
    title: str | None = typer.Option(None, "--title", help="The report's title."),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = typer.Option(
        False, "--json", help="Print what was written as JSON on stdout."
    ),
) -> None:
    """Write the joint report: HTML (self-contained, with charts), Markdown, JSON or PDF.

    Examples:
      `accord report --protocol protocol.yaml runs/ab12/inst-a runs/ab12/inst-b -o report.html`

      `accord report --exercise safeguards-demo -o report.md --pdf report.pdf`
    """
    from ..report import Report, anonymise, build_report, from_run_dirs, report_format, with_charts
    from ..report import write_report as write

    targets = [t for t in (output, pdf) if t is not None]
    if not targets:
        raise InputError("say where to write the report: -o report.html|.md|.json or --pdf FILE")
    if output is not None and report_format(output) == "pdf":
        raise InputError(f"-o {output}: use --pdf for PDF output")
    if pdf is not None and report_format(pdf) != "pdf":
        raise InputError(f"--pdf {pdf}: the file name must end in .pdf")
    if exercise is not None and (run_dirs or protocol or bundles or signatures):
        raise InputError("give either --exercise or run directories with --protocol, not both")
    if exercise is None:
        if not run_dirs or protocol is None:
            raise InputError(
                "give run directories and --protocol (or --exercise ID to read from a hub)"
            )
        with err.status("analysing the runs..."):
            inputs = from_run_dirs(protocol, run_dirs, bundles or (), keyring, signatures or ())
            report, labels = build_report(inputs, anonymise_models=anonymise_models, title=title)
    else:
        from ..hub import HubClient, hub_settings

        api = HubClient(*hub_settings(hub, token))
        data = api.call("GET", f"/exercises/{exercise}/report", params={"format": "json"})
        api.close()
        report = Report.model_validate(data)
        if title:
            report = report.model_copy(update={"title": title})
        report, labels = anonymise(report) if anonymise_models else (with_charts(report), {})
    written: dict[str, Any] = {"report": [], "mapping": None}
    for target in targets:
        with err.status(f"writing {target}..."):
            written["report"].append(str(write(report, target)))
    if anonymise_models:
        mapping = mapping or targets[0].with_name(targets[0].name + ".models.json")
        _write_mapping(mapping, labels)
        written["mapping"] = str(mapping)
    if json_output:
        print_json(written)
        return
    for path in written["report"]:
        out.print(f"report written: {path}", soft_wrap=True, highlight=False)
    if written["mapping"]:
        out.print(
            f"model mapping (keep it with the partners): {written['mapping']}",
            soft_wrap=True,
            highlight=False,
        )


def _write_mapping(path: Path, labels: dict[str, str]) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")
