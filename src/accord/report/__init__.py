"""Joint reports (HTML with inline SVG charts, Markdown, JSON) and open exports."""

from ._anonymise import anonymise, model_labels
from ._build import build_report
from ._charts import deltas, forest, render_svg, reproducibility, with_charts
from ._html import render_html
from ._inputs import ReportInputs, from_run_dirs
from ._markdown import render_markdown
from ._model import (
    REPORT_FORMAT,
    AgreementRow,
    Chart,
    ComparisonRow,
    EstimateRow,
    FindingRow,
    Methodology,
    ModelInfo,
    PartnerInfo,
    Provenance,
    ReplicationRow,
    Report,
    RunProvenance,
    TaskSection,
)
from ._parts import Part, task_parts
from ._pdf import CHROMIUM_ARGS, html_to_pdf
from ._tables import Table
from ._write import ReportFormat, render, report_format, write_report

__all__ = [
    "CHROMIUM_ARGS",
    "REPORT_FORMAT",
    "AgreementRow",
    "Chart",
    "ComparisonRow",
    "EstimateRow",
    "FindingRow",
    "Methodology",
    "ModelInfo",
    "Part",
    "PartnerInfo",
    "Provenance",
    "ReplicationRow",
    "Report",
    "ReportFormat",
    "ReportInputs",
    "RunProvenance",
    "Table",
    "TaskSection",
    "anonymise",
    "build_report",
    "deltas",
    "forest",
    "from_run_dirs",
    "html_to_pdf",
    "model_labels",
    "render",
    "render_html",
    "render_markdown",
    "render_svg",
    "report_format",
    "reproducibility",
    "task_parts",
    "with_charts",
    "write_report",
]
