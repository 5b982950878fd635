"""Tiny WordprocessingML builders: tables as XML text, parsed once.

python-docx's high-level table API recomputes the cell grid on every access and takes tens of seconds
on a 1,000-row table; building the XML as text and parsing it once takes a few hundred milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TWIPS_PER_CM = 566.93


def twips(cm: float) -> int:
    return round(cm * TWIPS_PER_CM)


def clean(text: str) -> str:
    """XML-safe text: characters Word cannot store are dropped, then &, < and > escaped."""
    return escape(_CONTROL.sub("", text or ""))


def text_colour_on(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill`` ("#RRGGBB")."""
    value = fill.lstrip("#")
    try:
        r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return "000000"
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "000000" if luminance > 0.5 else "FFFFFF"


def run(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    colour: str | None = None,
    size: float | None = None,
) -> str:
    props = ""
    if bold:
        props += "<w:b/>"
    if italic:
        props += "<w:i/>"
    if colour:
        props += f'<w:color w:val="{colour.lstrip("#")}"/>'
    if size:
        props += f'<w:sz w:val="{round(size * 2)}"/><w:szCs w:val="{round(size * 2)}"/>'
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    pieces = clean(text).split("\n")
    body = "<w:br/>".join(f'<w:t xml:space="preserve">{p}</w:t>' for p in pieces)
    return f"<w:r>{rpr}{body}</w:r>"


def para(
    *runs: str, align: str | None = None, after: int = 0, before: int = 0, keep_next: bool = False
) -> str:
    props = f'<w:spacing w:before="{before}" w:after="{after}"/>'
    if keep_next:
        props = "<w:keepNext/>" + props
    if align:
        props += f'<w:jc w:val="{align}"/>'
    return f"<w:p><w:pPr>{props}</w:pPr>{''.join(runs)}</w:p>"


@dataclass
class Cell:
    paragraphs: list[str] = field(default_factory=list)
    fill: str | None = None
    span: int = 1
    valign: str = "top"


def cell_xml(c: Cell, width: int) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if c.span > 1:
        props += f'<w:gridSpan w:val="{c.span}"/>'
    if c.fill:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{c.fill.lstrip("#").upper()}"/>'
    props += f'<w:vAlign w:val="{c.valign}"/>'
    body = "".join(c.paragraphs) or "<w:p/>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{body}</w:tc>"


def row_xml(
    cells: Sequence[Cell], widths: Sequence[int], *, header: bool = False, cant_split: bool = False
) -> str:
    props = ""
    if cant_split:
        props += "<w:cantSplit/>"
    if header:
        # Word repeats rows marked tblHeader at the top of every page the table runs onto.
        props += "<w:tblHeader/>"
    out, col = [], 0
    for c in cells:
        out.append(cell_xml(c, sum(widths[col : col + c.span])))
        col += c.span
    trpr = f"<w:trPr>{props}</w:trPr>" if props else ""
    return f"<w:tr>{trpr}{''.join(out)}</w:tr>"


def table_xml(
    widths: Sequence[int],
    rows: Iterable[str],
    *,
    border: str = "808080",
    style: str | None = None,
    keep_together: bool = False,
) -> str:
    rows = list(rows)
    if keep_together:
        # "Keep with next" on every paragraph but the last row's keeps a short table on one page.
        rows = [r.replace("<w:pPr>", "<w:pPr><w:keepNext/>") for r in rows[:-1]] + rows[-1:]
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="{border}"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    style_xml = f'<w:tblStyle w:val="{style}"/>' if style else ""
    return (
        f'<w:tbl xmlns:w="{W_NS}"><w:tblPr>{style_xml}<w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/>'
        '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
        'w:noHBand="1" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"
    )
