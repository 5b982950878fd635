"""The plan's own RAG key: each state in its colour, with what it means."""

from __future__ import annotations

from report.data import ReportData
from report.docx_parts import BODY_PT, WordDoc
from report.html_parts import e, rag_td
from report.sections.base import RenderOptions, ReportSection
from report.text import _md
from report.wordml import Cell, para, row_xml, run, table_xml, text_colour_on, twips

HEADING = "Key to RAG status"


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    out.doc.add_heading(HEADING, level=1)
    widths = [twips(3.2), twips(14.0)]
    rows = [
        row_xml(
            [
                Cell(
                    [
                        para(
                            run(k.label, bold=True, colour=text_colour_on(k.colour), size=BODY_PT),
                            align="center",
                        )
                    ],
                    fill=k.colour,
                    valign="center",
                ),
                Cell([para(run(k.meaning or k.label, size=BODY_PT))], valign="center"),
            ],
            widths,
        )
        for k in data.rag_key
    ]
    out.add_table(table_xml(widths, rows, keep_together=True))


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    return [
        f'<h2 id="key">{HEADING}</h2><table class="key"><tbody>',
        *(f"<tr>{rag_td(data, k.label)}<td>{e(k.meaning or k.label)}</td></tr>" for k in data.rag_key),
        "</tbody></table>",
    ]


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    return [
        f"## {HEADING}\n",
        *(f"- **{_md(k.label)}**: {_md(k.meaning or k.label)}" for k in data.rag_key),
        "",
    ]


SECTION = ReportSection("key", docx=docx, html=html, markdown=markdown)
