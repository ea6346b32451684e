"""Joint reports (HTML with inline SVG charts, Markdown, JSON) and open exports."""

from ._anonymise import anonymise, model_labels
from ._build import build_report
from ._charts import deltas, forest, render_svg, reproducibility, with_charts
from ._eee import EEE_VERSION, eee_documents
from ._export import (
    EXPORT_FORMATS,
    ExportFormat,
    check_format,
    export_archive,
    extract_archive,
    write_export,
)
from ._html import render_html
from ._inputs import ReportInputs, from_run_dirs
from ._markdown import render_markdown
from ._model import (
    REPORT_FORMAT,
    AgreementAct,
    AgreementRow,
    AmendmentNote,
    Chart,
    ComparisonRow,
    DeveloperResponse,
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
    snapshot_lines,
    usage_lines,
)
from ._parts import Part, task_parts
from ._pdf import CHROMIUM_ARGS, html_to_pdf
from ._samples import TEXT_LEVELS, ExportData, SampleText, from_runs
from ._tables import Table
from ._tabular import TABLES, scores_table, table_schemas
from ._write import ReportFormat, render, report_format, write_report

__all__ = [
    "CHROMIUM_ARGS",
    "EEE_VERSION",
    "EXPORT_FORMATS",
    "REPORT_FORMAT",
    "TABLES",
    "TEXT_LEVELS",
    "AgreementAct",
    "AgreementRow",
    "AmendmentNote",
    "Chart",
    "ComparisonRow",
    "DeveloperResponse",
    "EstimateRow",
    "ExportData",
    "ExportFormat",
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
    "SampleText",
    "Table",
    "TaskSection",
    "anonymise",
    "build_report",
    "check_format",
    "deltas",
    "eee_documents",
    "export_archive",
    "extract_archive",
    "forest",
    "from_run_dirs",
    "from_runs",
    "html_to_pdf",
    "model_labels",
    "render",
    "render_html",
    "render_markdown",
    "render_svg",
    "report_format",
    "reproducibility",
    "scores_table",
    "snapshot_lines",
    "table_schemas",
    "task_parts",
    "usage_lines",
    "with_charts",
    "write_export",
    "write_report",
]
