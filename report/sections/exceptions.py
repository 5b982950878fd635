"""Exceptions: Red, overdue, no update since the last version, contradictions; each group listed."""

from __future__ import annotations

from report.data import ExceptionItem, ReportData
from report.docx_parts import WordDoc, header_row, rag_cell, text_cell
from report.html_parts import e, rag_td
from report.sections.base import RenderOptions, ReportSection
from report.text import _md
from report.wordml import row_xml, table_xml, twips

HEADING = "Exceptions"
# Column widths (cm): together the 26.7 cm between 1.5 cm margins on landscape A4.
COLUMNS = (("Ref", 1.4), ("Action", 9.0), ("Lead(s)", 4.0), ("RAG", 2.0), ("Detail", 10.3))


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    out.doc.add_heading(HEADING, level=1)
    for _kind, heading, items in data.exception_groups():
        out.doc.add_heading(f"{heading} ({len(items)})", level=2)
        if items:
            out.add_table(_docx_table(data, items))
        else:
            out.doc.add_paragraph("None.")


def _docx_table(data: ReportData, items: tuple[ExceptionItem, ...]) -> str:
    widths = [twips(w) for _, w in COLUMNS]
    rows = [header_row([name for name, _ in COLUMNS], widths)]
    for item in items:
        key = data.key_entry(item.rag)
        cells = [
            text_cell(item.ref, bold=True),
            text_cell(item.title),
            text_cell(", ".join(item.leads)),
            rag_cell(item.rag, key.colour if key else None),
            text_cell(item.detail),
        ]
        rows.append(row_xml(cells, widths, cant_split=True))
    return table_xml(widths, rows)


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f'<h2 id="exceptions">{HEADING}</h2>']
    for kind, title, items in data.exception_groups():
        out.append(f'<h3 class="exc-{kind}">{e(title)} ({len(items)})</h3>')
        if not items:
            out.append('<p class="none">None.</p>')
            continue
        head = "".join(f"<th>{name}</th>" for name, _ in COLUMNS)
        out.append(f'<table class="exceptions" data-kind="{kind}"><thead><tr>{head}</tr></thead><tbody>')
        out += [
            f'<tr><td class="ref">{e(item.ref)}</td><td>{e(item.title)}</td>'
            f"<td>{e(', '.join(item.leads))}</td>{rag_td(data, item.rag)}<td>{e(item.detail)}</td></tr>"
            for item in items
        ]
        out.append("</tbody></table>")
    return out


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f"## {HEADING}\n"]
    for _kind, title, items in data.exception_groups():
        out.append(f"### {_md(title)} ({len(items)})\n")
        if not items:
            out.append("None.\n")
            continue
        for item in items:
            leads = ", ".join(item.leads) or "no lead"
            out.append(
                f"- **{_md(item.ref)}** [{_md(item.rag or 'not rated')}] {_md(item.title)} · {_md(leads)}: "
                f"{_md(item.detail)}"
            )
        out.append("")
    return out


SECTION = ReportSection("exceptions", docx=docx, html=html, markdown=markdown)
