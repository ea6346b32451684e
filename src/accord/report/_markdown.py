"""The report as Markdown, for pasting into documents and issues (charts are in the HTML)."""

from ._model import Report
from ._parts import task_parts
from ._tables import DASH, Table, findings_table, provenance_table

NOT_FROM_HUB = DASH + " (not read from a hub)"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(t: Table) -> list[str]:
    lines = [f"**{t.title}**", ""]
    lines.append("| " + " | ".join(_cell(c) for c in t.columns) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in t.rows)
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown, in the same order as the HTML."""
    r = report
    partners = ", ".join(f"{p.name} (`{p.id}`)" for p in r.partners)
    models = ", ".join(
        f"`{m.id}`" + (f" = `{m.model}`" if m.model != m.id else "") for m in r.models
    )
    lines = [
        f"# {r.title}",
        "",
        r.description,
        "",
        *([f"- Exercise: `{r.exercise}`"] if r.exercise else []),
        f"- Protocol: {r.protocol_name} `{r.protocol_id}`",
        f"- Partners: {partners}",
        f"- Models: {models}" + (" (anonymised)" if r.anonymised else ""),
        f"- Runs: {r.runs_started or DASH} to {r.runs_finished or DASH}",
        f"- Report generated: {r.generated_at.isoformat(timespec='seconds')}",
        *([f"- Published: {r.published_at}"] if r.published_at else []),
        f"- Embargo: {r.embargo_until or 'none'}",
        f"- State: **{r.state}**. {r.state_note}",
        "",
        "## Summary of findings",
        "",
    ]
    if r.summary:
        lines += [f"- {f.sentence}" for f in r.summary] + [""] + _table(findings_table(r.summary))
    elif any(t.thresholds for t in r.tasks):
        lines += ["No finding can be judged yet: there are no results for the thresholds.", ""]
    else:
        lines += ["The protocol sets no thresholds, so the report draws no findings.", ""]
    lines += ["## Methodology", ""]
    for paragraph in r.methodology.paragraphs:
        lines += [paragraph, ""]
    lines += [f"Methods used in these numbers: {', '.join(r.methodology.methods_used)}.", ""]
    for section in r.tasks:
        lines += [
            f"## Task `{section.task}`",
            "",
            f"Inspect task `{section.inspect_task}`; {section.epochs} epoch(s)"
            + (f"; clustered by `{section.cluster}`" if section.cluster else "")
            + f"; disclosure `{section.disclosure}`.",
            "",
        ]
        parts = task_parts(r, section)
        for part in parts:
            lines += _table(part.table)
        if not parts:
            lines += ["No results for this task yet.", ""]
    lines += ["## Caveats", ""] + [f"- {c}" for c in r.caveats] + [""]
    lines += [
        "## Provenance",
        "",
        f"- Source: {r.provenance.source}"
        + (f" ({r.provenance.hub_url})" if r.provenance.hub_url else ""),
        f"- Ledger head: `{r.provenance.ledger_head or NOT_FROM_HUB}`",
        f"- Deviations: {'; '.join(r.provenance.deviations) or 'none'}",
        "- Agreement: "
        + ("; ".join(a.sentence() for a in r.provenance.agreement) or "none recorded"),
        *(f"- {a.sentence()}" for a in r.provenance.amendments),
        "",
        *_responses(r),
        *_table(provenance_table(r.provenance.runs)),
        "## Appendix: the protocol",
        "",
        f"Protocol id `{r.protocol_id}`.",
        "",
        "```yaml",
        r.protocol_yaml.rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


def _responses(r: Report) -> list[str]:
    """Developers' responses, verbatim (fenced, so no markup in them is interpreted)."""
    lines: list[str] = []
    for response in r.provenance.developer_responses:
        fence = "`" * max(3, _longest_backtick_run(response.text) + 1)
        lines += [
            f"### Developer response: {response.heading()}",
            "",
            f"{fence}text",
            response.text.rstrip("\n"),
            fence,
            "",
        ]
    return lines


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
