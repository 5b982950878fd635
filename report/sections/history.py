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


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    out.doc.add_heading(HEADING, level=1)
    if not data.history:
        out.doc.add_paragraph(NONE_YET)
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


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f'<h2 id="history">{HEADING}</h2>']
    if not data.history:
        return [*out, f"<p>{NONE_YET}</p>"]
    head = "".join(f"<th>{name}</th>" for name in COLUMNS)
    out.append(f'<table class="history"><thead><tr>{head}</tr></thead><tbody>')
    out += [
        f"<tr><td>{e(human_date(row.date))}</td><td>{e(row.version)}</td>"
        f"<td>{lines(row.summary)}</td><td>{e(row.author)}</td></tr>"
        for row in data.history
    ]
    out.append("</tbody></table>")
    return out


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f"## {HEADING}\n"]
    if not data.history:
        return [*out, NONE_YET, ""]
    out += [f"| {' | '.join(COLUMNS)} |", "|---|---|---|---|"]
    for row in data.history:
        summary = _md(row.summary).replace("\n", " ")
        out.append(f"| {human_date(row.date)} | {_md(row.version)} | {summary} | {_md(row.author)} |")
    out.append("")
    return out


SECTION = ReportSection("history", docx=docx, html=html, markdown=markdown)
