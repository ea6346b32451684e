"""Write a report in the format its file name asks for, atomically."""

import os
import tempfile
from pathlib import Path
from typing import Literal

from .._util import InputError
from ._model import Report

ReportFormat = Literal["html", "md", "json", "pdf"]
SUFFIXES: dict[str, ReportFormat] = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".json": "json",
    ".pdf": "pdf",
}


def report_format(path: Path) -> ReportFormat:
    """The format a report file's suffix names.

    Raises:
        InputError: For any other suffix.
    """
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the report format of '{path}': name it .html, .md, .json or .pdf"
        )
    return fmt


def render(report: Report, fmt: ReportFormat) -> str:
    """The report as text in `fmt` (html, md or json)."""
    if fmt == "html":
        from ._html import render_html

        return render_html(report)
    if fmt == "md":
        from ._markdown import render_markdown

        return render_markdown(report)
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    raise InputError(f"'{fmt}' is not a text format; use write_report for PDF")


def write_report(report: Report, path: Path, fmt: ReportFormat | None = None) -> Path:
    """Write the report to `path` (format from its suffix unless given); never half-written."""
    fmt = fmt or report_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    os.chmod(temp, 0o644)  # mkstemp's 0600 would hide the report from its readers
    try:
        if fmt == "pdf":
            from ._html import render_html
            from ._pdf import html_to_pdf

            html_to_pdf(render_html(report), Path(temp))
        else:
            Path(temp).write_text(render(report, fmt), encoding="utf-8")
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return path
