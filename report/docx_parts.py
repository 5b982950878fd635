"""The Word paper's house style and the cell builders every section's Word renderer shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from report.wordml import Cell, para, row_xml, run, text_colour_on

FONT = "Arial"
HEADER_FILL = "1F3864"
SECTION_FILL = "D9E2F3"
SUBSECTION_FILL = "EDF2F9"
LABEL_FILL = "F2F2F2"
MUTED = "595959"
ALERT = "C00000"
BODY_PT = 9
SMALL_PT = 8


@dataclass(frozen=True)
class WordDoc:
    """The python-docx ``Document`` being written, with the one way to add a table built as XML."""

    doc: Any

    def add_table(self, xml: str) -> None:
        from docx.oxml import parse_xml
        from docx.shared import Pt

        self.doc.element.body.sectPr.addprevious(parse_xml(xml))
        # Word needs a paragraph between two tables or it merges them.
        self.doc.add_paragraph().paragraph_format.space_after = Pt(2)


def text_cell(text: str, *, bold: bool = False, size: float = BODY_PT, fill: str | None = None) -> Cell:
    paragraphs = [para(run(line, bold=bold, size=size)) for line in (text or "").split("\n")] or [para()]
    return Cell(paragraphs, fill=fill)


def rag_cell(label: str | None, colour: str | None) -> Cell:
    if not label:
        return Cell(
            [para(run("Not rated", italic=True, colour=MUTED, size=SMALL_PT), align="center")],
            valign="center",
        )
    fill = colour or "FFFFFF"
    return Cell(
        [para(run(label, bold=True, colour=text_colour_on(fill), size=BODY_PT), align="center")],
        fill=fill,
        valign="center",
    )


def header_row(names: Sequence[str], widths: Sequence[int]) -> str:
    cells = [
        Cell([para(run(name, bold=True, colour="FFFFFF", size=BODY_PT))], fill=HEADER_FILL, valign="center")
        for name in names
    ]
    return row_xml(cells, widths, header=True, cant_split=True)
