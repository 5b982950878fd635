"""Document history: the imported versions and every published one."""

from __future__ import annotations

from report.data import ReportData
from report.docx_parts import WordDoc, header_row, text_cell
from report.headline import human_date
from report.html_parts import e, lines
from report.sections.base import RenderOptions, ReportSection
from report.text import _md
from report.wordml import row_xml, table_xml, twips

HEADING = "Document history"
COLUMNS = ("Date issued", "Version No.", "Summary of changes", "Author")
NONE_YET = "No version of this report has been published yet."


def changes_sentence(data: ReportData) -> str:
    """ "2 changes to the plan since version 6.0 (2 Mar 2020): 1 timescale revised, 1 action withdrawn." """
    return data.plan_changes.sentence if data.plan_changes is not None else ""


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    out.doc.add_heading(HEADING, level=1)
    if not data.history:
        out.doc.add_paragraph(NONE_YET)
        if changes_sentence(data):
            out.doc.add_paragraph(changes_sentence(data))
        return
    widths = [twips(2.6), twips(2.2), twips(13.5), twips(8.4)]
    rows = [header_row(COLUMNS, widths)]
    rows += [
        row_xml(
            [text_cell(human_date(h.date)), text_cell(h.version), text_cell(h.summary), text_cell(h.author)],
            widths,
        )
        for h in data.history
    ]
    out.add_table(table_xml(widths, rows, keep_together=len(rows) <= 12))
    if changes_sentence(data):
        out.doc.add_paragraph(changes_sentence(data))


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f'<h2 id="history">{HEADING}</h2>']
    changes = [f'<p class="plan-changes">{e(changes_sentence(data))}</p>'] if changes_sentence(data) else []
    if not data.history:
        return [*out, f"<p>{NONE_YET}</p>", *changes]
    head = "".join(f"<th>{name}</th>" for name in COLUMNS)
    out.append(f'<table class="history"><thead><tr>{head}</tr></thead><tbody>')
    out += [
        f"<tr><td>{e(human_date(row.date))}</td><td>{e(row.version)}</td>"
        f"<td>{lines(row.summary)}</td><td>{e(row.author)}</td></tr>"
        for row in data.history
    ]
    out.append("</tbody></table>")
    return out + changes


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f"## {HEADING}\n"]
    changes = [_md(changes_sentence(data)), ""] if changes_sentence(data) else []
    if not data.history:
        return [*out, NONE_YET, "", *changes]
    out += [f"| {' | '.join(COLUMNS)} |", "|---|---|---|---|"]
    for row in data.history:
        summary = _md(row.summary).replace("\n", " ")
        out.append(f"| {human_date(row.date)} | {_md(row.version)} | {summary} | {_md(row.author)} |")
    out.append("")
    return out + changes


SECTION = ReportSection("history", docx=docx, html=html, markdown=markdown)
