"""Read a Word plan into blocks, walking the body in order so headings between tables are kept.

Works on the XML rather than python-docx's ``row.cells`` because that API repeats the text of merged
cells once per grid column (gridSpan) and per merged row (vMerge), which would duplicate actions.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn

from storage.errors import ImportFailed
from storage.importers.model import Block, BodyText, Cell, Para, Table

_NO_FILL = {None, "", "auto", "FFFFFF", "ffffff"}


def read_docx_blocks(path: Path) -> list[Block]:
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFailed(f"{path.name}: not a readable Word document ({_reason(exc)})") from None
    except Exception as exc:  # lxml errors from a truncated part have no common base worth naming
        raise ImportFailed(f"{path.name}: not a readable Word document ({_reason(exc)})") from None
    blocks: list[Block] = []
    count = 0
    for child in _children(document.element.body, ("w:p", "w:tbl")):
        if child.tag == qn("w:p"):
            para = _para(child)
            if para.text.strip():
                blocks.append(BodyText(para.text.strip(), para.bold, _style(child)))
        elif child.tag == qn("w:tbl"):
            count += 1
            blocks.append(Table(_rows(child), name=f"table {count}"))
    return blocks


def _children(parent, tags: tuple[str, ...]):
    """Direct children with these tags, looking through content controls (w:sdt), which forms and
    templates wrap around rows, cells and paragraphs."""
    wanted = {qn(t) for t in tags}
    for child in parent.iterchildren():
        if child.tag in wanted:
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _children(content, tags)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]


def _style(p) -> str:
    ppr = p.find(qn("w:pPr"))
    style = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return style.get(qn("w:val"), "") if style is not None else ""


def _bold(rpr) -> bool:
    if rpr is None:
        return False
    b = rpr.find(qn("w:b"))
    return b is not None and b.get(qn("w:val"), "true") not in ("0", "false", "off")


# Symbol fonts: Word's Insert Symbol puts a ✓ in as Wingdings "ü" (or a w:sym F0FC), not as U+2713.
_SYMBOL_FONTS = {
    "wingdings": {
        0xFC: "✓",
        0xFB: "✗",
        0xFE: "☑",
        0xFD: "☒",
        0xE1: "↑",
        0xE2: "↓",
        0xE9: "↑",
        0xEA: "↓",
        0x9F: "•",
        0xA7: "▪",
        0x6C: "●",
    },
    "wingdings 2": {0x50: "✓", 0x4F: "✗", 0x52: "☑", 0x54: "☒", 0x53: "☒"},
    "symbol": {0xAD: "↑", 0xAF: "↓", 0xB4: "×", 0xB7: "•"},
}


def _symbol(font: str | None, code: int) -> str | None:
    table = _SYMBOL_FONTS.get((font or "").casefold())
    return table.get(code & 0xFF) if table else None


def _run_font(rpr) -> str | None:
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    if fonts is None:
        return None
    return fonts.get(qn("w:ascii")) or fonts.get(qn("w:hAnsi")) or fonts.get(qn("w:cs"))


def _in_font(text: str, font: str | None) -> str:
    if not font or font.casefold() not in _SYMBOL_FONTS:
        return text
    return "".join(_symbol(font, ord(ch)) or ch for ch in text)


def _para(p) -> Para:
    runs: list[tuple[str, bool]] = []
    for r in p.iter(qn("w:r")):
        rpr = r.find(qn("w:rPr"))
        bold = _bold(rpr)
        font = _run_font(rpr)
        text = []
        for node in r:
            if node.tag == qn("w:t"):
                text.append(_in_font(node.text or "", font))
            elif node.tag == qn("w:sym"):
                try:
                    code = int(node.get(qn("w:char"), ""), 16)
                except ValueError:
                    continue
                text.append(_symbol(node.get(qn("w:font")), code) or "")
            elif node.tag == qn("w:tab"):
                text.append("  ")
            elif node.tag in (qn("w:br"), qn("w:cr")):
                text.append("\n")
        if text:
            runs.append(("".join(text), bold))
    ppr = p.find(qn("w:pPr"))
    listed = ppr is not None and ppr.find(qn("w:numPr")) is not None
    return Para(runs, listed)


def _fill(tc) -> str | None:
    shd = tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
    if shd is None:  # some exports shade the paragraph rather than the cell
        shd = tc.find(f"{qn('w:p')}/{qn('w:pPr')}/{qn('w:shd')}")
    if shd is None:
        return None
    fill = shd.get(qn("w:fill"))
    if fill in _NO_FILL and shd.get(qn("w:val")) == "solid":
        fill = shd.get(qn("w:color"))  # a "solid" pattern paints the pattern colour, not the fill
    return None if fill in _NO_FILL else fill.upper()


def _rows(tbl) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for tr in _children(tbl, ("w:tr",)):
        row: list[Cell] = []
        for tc in _children(tr, ("w:tc",)):
            tcpr = tc.find(qn("w:tcPr"))
            span_el = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
            span = int(span_el.get(qn("w:val"), "1")) if span_el is not None else 1
            vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
            # A vMerge "continue" cell shows the cell above: keep it empty, never repeat its text.
            continued = vmerge is not None and vmerge.get(qn("w:val"), "continue") == "continue"
            paras = [] if continued else [_para(p) for p in _children(tc, ("w:p",))]
            row.append(Cell(paras, None if continued else _fill(tc), span, continued))
            row.extend(Cell(span=0) for _ in range(span - 1))
        rows.append(row)
    return rows
