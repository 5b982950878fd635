"""Read a Word plan into blocks, walking the body in order so headings between tables are kept.

Reads the package's XML directly (streamed, part by part) rather than through python-docx, which
loads every part of the package into memory, and whose ``row.cells`` repeats the text of merged cells
once per grid column (gridSpan) and per merged row (vMerge), which would duplicate actions.
Paragraphs keep the number Word shows in front of them (its list numbering), so a plan written as
numbered paragraphs reads as it looks.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from storage.errors import ImportFailed
from storage.importers.limits import Budget, Limits, TooLarge, check_parts, open_zip
from storage.importers.model import Block, BodyText, Cell, Notice, Para, Table
from storage.importers.numbering import Numbering, Styles, w, wval
from storage.importers.ooxml import iterparse, main_part, parse_part, reason, relationships

KIND = "Word document"
_NO_FILL = {None, "", "auto", "FFFFFF", "ffffff"}
_BODY_PARENTS = {w("body"), w("sdtContent")}
# Namespaced tags, made once: the reader compares and looks up tags at every element.
_W_ASCII = w("ascii")
_W_BR = w("br")
_W_CHAR = w("char")
_W_COLOR = w("color")
_W_CR = w("cr")
_W_CS = w("cs")
_W_FILL = w("fill")
_W_FONT = w("font")
_W_GRIDSPAN = w("gridSpan")
_W_HANSI = w("hAnsi")
_W_ILVL = w("ilvl")
_W_NUMID = w("numId")
_W_NUMPR = w("numPr")
_W_P = w("p")
_W_PPR = w("pPr")
_W_PSTYLE = w("pStyle")
_W_R = w("r")
_W_RFONTS = w("rFonts")
_W_RPR = w("rPr")
_W_SDT = w("sdt")
_W_SDTCONTENT = w("sdtContent")
_W_SDTPR = w("sdtPr")
_W_SHD = w("shd")
_W_SHOWINGPLCHDR = w("showingPlcHdr")
_W_SYM = w("sym")
_W_T = w("t")
_W_TAB = w("tab")
_W_TBL = w("tbl")
_W_TC = w("tc")
_W_TCPR = w("tcPr")
_W_TR = w("tr")
_W_TXBXCONTENT = w("txbxContent")
_W_VMERGE = w("vMerge")
_W_VAL = w("val")
_W_VANISH = w("vanish")
_W_B = w("b")


def read_docx_blocks(path: Path, limits: Limits | None = None) -> list[Block]:
    limits = limits or Limits()
    archive = open_zip(path, limits, kind=KIND)
    try:
        return _read(archive, path.name, limits)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:  # damaged member, CRC mismatch
        raise ImportFailed(f"{path.name}: not a readable {KIND} ({reason(exc)})") from None
    except etree.XMLSyntaxError as exc:
        if "huge" in str(exc).casefold():
            raise TooLarge(f"{path.name}: one piece of text in the document is over 10 MB") from None
        raise ImportFailed(f"{path.name}: not a readable {KIND} ({reason(exc)})") from None
    finally:
        archive.close()


def _read(archive: zipfile.ZipFile, filename: str, limits: Limits) -> list[Block]:
    document = main_part(archive, filename, KIND, "word/document.xml")
    parts = {kind: target for kind, target in relationships(archive, document, filename, KIND).values()}
    wanted = [document] + [parts[k] for k in ("styles", "numbering") if parts.get(k) in archive.NameToInfo]
    check_parts(archive, wanted, filename, limits)
    styles = Styles(parse_part(archive, parts["styles"], filename, KIND) if "styles" in parts else None)
    numbering = Numbering(
        parse_part(archive, parts["numbering"], filename, KIND) if "numbering" in parts else None
    )
    reader = _BodyReader(styles, numbering, Budget(filename, limits))
    for _event, element in iterparse(archive, document, (_W_P, _W_TBL, _W_TR, _W_T, _W_TC)):
        reader.element(element)
    reader.finish()
    return reader.blocks


class _BodyReader:
    """Builds blocks as the top-level paragraphs and tables of the body end; counts as it goes."""

    def __init__(self, styles: Styles, numbering: Numbering, budget: Budget) -> None:
        self.styles, self.numbering, self.budget = styles, numbering, budget
        self.blocks: list[Block] = []
        self.tables = 0
        self.cell_chars = 0
        self.hidden_runs = 0

    def element(self, el: etree._Element) -> None:
        tag = el.tag
        if tag == _W_T:
            # Counted while the XML streams in, so an oversized cell is refused before the rest is read.
            length = len(el.text or "")
            self.cell_chars += length
            self.budget.check_cell(self.cell_chars, "a table cell or paragraph")
            self.budget.add_text(length)
            return
        if tag == _W_TC:
            self.cell_chars = 0
            return
        if tag == _W_TR:
            self.budget.row(f"table {self.tables + 1}")
            return
        if el.getparent() is None or el.getparent().tag not in _BODY_PARENTS or not self._top_level(el):
            return
        if tag == _W_P:
            self.cell_chars = 0
            self._paragraph(el)
        else:
            self.tables += 1
            self.blocks.append(Table(_rows(el, self), name=f"table {self.tables}"))
        _release(el)

    @staticmethod
    def _top_level(el: etree._Element) -> bool:
        """A direct child of the body, looking through content controls (w:sdt)."""
        return not any(a.tag in (_W_TC, _W_TXBXCONTENT) for a in el.iterancestors())

    def _paragraph(self, p: etree._Element) -> None:
        para = self.para(p)
        style = _style(p)
        label = self.label(p, style)
        text = para.text.strip()
        if not text:
            return
        self.blocks.append(
            BodyText(
                text,
                para.bold,
                style,
                label=label.text if label else "",
                level=label.level if label else None,
                bullet=bool(label and label.bullet),
                heading=self.styles.heading_level(style) if style else None,
            )
        )

    def label(self, p: etree._Element, style: str):
        """Word's number for a numbered paragraph; every numbered paragraph, in document order, counts."""
        ppr = _child(p, _W_PPR)
        num = _child(ppr, _W_NUMPR) if ppr is not None else None
        num_id = wval(_child(num, _W_NUMID)) if num is not None else None
        ilvl_text = wval(_child(num, _W_ILVL)) if num is not None else None
        style_num, style_ilvl = self.styles.numbering(style) if style else (None, None)
        num_id = num_id or style_num
        if not num_id or num_id == "0":
            return None
        ilvl = int(ilvl_text) if ilvl_text and ilvl_text.isdigit() else (style_ilvl or 0)
        return self.numbering.label(num_id, ilvl)

    def para(self, p: etree._Element) -> Para:
        runs: list[tuple[str, bool]] = []
        for r in p.iter(_W_R):
            if _placeholder(r):
                continue  # a content control still showing "Choose an item." says nothing
            rpr = _child(r, _W_RPR)
            if _flag(rpr, _W_VANISH):
                self.hidden_runs += 1  # hidden text: what the author chose not to show
                continue
            text = _run_text(r, _run_font(rpr))
            if text:
                runs.append((text, _flag(rpr, _W_B)))
        ppr = _child(p, _W_PPR)
        listed = ppr is not None and _child(ppr, _W_NUMPR) is not None
        return Para(runs, listed)

    def cell_para(self, p: etree._Element) -> Para:
        label = self.label(p, _style(p))  # keeps Word's list counters in step for the paragraphs after it
        para = self.para(p)
        if label and label.text and not para.text.strip():
            # A cell numbered by Word with no text of its own (a "No." column Word counts): the number.
            return Para([(label.text, False)], True)
        return para

    def finish(self) -> None:
        if self.hidden_runs:
            self.blocks.append(Notice(f"{self.hidden_runs} piece(s) of hidden text were left out"))


def _release(el: etree._Element) -> None:
    """Free what has been read: the element and the siblings before it."""
    el.clear()
    parent = el.getparent()
    while el.getprevious() is not None and parent is not None:
        del parent[0]


def _style(p: etree._Element) -> str:
    ppr = _child(p, _W_PPR)
    style = _child(ppr, _W_PSTYLE) if ppr is not None else None
    return wval(style, "") or ""


def _flag(rpr: etree._Element | None, tag: str) -> bool:
    if rpr is None:
        return False
    el = _child(rpr, tag)
    return el is not None and wval(el, "true") not in ("0", "false", "off")


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


def _run_font(rpr: etree._Element | None) -> str | None:
    fonts = _child(rpr, _W_RFONTS) if rpr is not None else None
    if fonts is None:
        return None
    return fonts.get(_W_ASCII) or fonts.get(_W_HANSI) or fonts.get(_W_CS)


def _in_font(text: str, font: str | None) -> str:
    if not font or font.casefold() not in _SYMBOL_FONTS:
        return text
    return "".join(_symbol(font, ord(ch)) or ch for ch in text)


def _run_text(r: etree._Element, font: str | None) -> str:
    text: list[str] = []
    for node in r:
        tag = node.tag
        if tag == _W_T:
            text.append(_in_font(node.text or "", font))
        elif tag == _W_SYM:
            try:
                code = int(node.get(_W_CHAR, ""), 16)
            except ValueError:
                continue
            text.append(_symbol(node.get(_W_FONT), code) or "")
        elif tag == _W_TAB:
            text.append("  ")
        elif tag in (_W_BR, _W_CR):
            text.append("\n")
    return "".join(text)


def _fill(tc: etree._Element) -> str | None:
    shd = _first_at(tc, _W_TCPR, _W_SHD)
    if shd is None:  # some exports shade the paragraph rather than the cell
        shd = _first_at(tc, _W_P, _W_PPR, _W_SHD)
    if shd is None:
        return None
    fill = shd.get(_W_FILL)
    if fill in _NO_FILL and shd.get(_W_VAL) == "solid":
        fill = shd.get(_W_COLOR)  # a "solid" pattern paints the pattern colour, not the fill
    return None if fill in _NO_FILL else fill.upper()


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """``el.find(tag)`` for one namespaced tag: the first child with it. ElementPath's ``find`` costs a few
    microseconds a call, and a paragraph asks several times."""
    for child in el:
        if child.tag == tag:
            return child
    return None


def _first_at(el: etree._Element, tag: str, *deeper: str) -> etree._Element | None:
    """``el.find("tag/deeper/…")``: the first match in document order, under any of the children."""
    for child in el:
        if child.tag == tag:
            found = _first_at(child, *deeper) if deeper else child
            if found is not None:
                return found
    return None


def _placeholder(r: etree._Element) -> bool:
    """The run is the placeholder text of a content control nobody has filled in."""
    for sdt in r.iterancestors(_W_SDT):
        pr = _child(sdt, _W_SDTPR)
        if pr is not None and _child(pr, _W_SHOWINGPLCHDR) is not None:
            return True
    return False


def _children(parent: etree._Element, tag: str):
    """Direct children with this tag, looking through content controls (w:sdt), which forms and
    templates wrap around rows, cells and paragraphs."""
    for child in parent.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag == _W_SDT:
            content = _child(child, _W_SDTCONTENT)
            if content is not None:
                yield from _children(content, tag)


def _rows(tbl: etree._Element, reader: _BodyReader) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for tr in _children(tbl, _W_TR):
        row: list[Cell] = []
        for tc in _children(tr, _W_TC):
            tcpr = _child(tc, _W_TCPR)
            span_el = _child(tcpr, _W_GRIDSPAN) if tcpr is not None else None
            span_text = wval(span_el, "1") or "1"
            span = max(1, min(int(span_text), 64)) if span_text.isdigit() else 1
            vmerge = _child(tcpr, _W_VMERGE) if tcpr is not None else None
            # A vMerge "continue" cell shows the cell above: keep it empty, never repeat its text.
            continued = vmerge is not None and wval(vmerge, "continue") == "continue"
            paras = [] if continued else [reader.cell_para(p) for p in _children(tc, _W_P)]
            row.append(Cell(paras, None if continued else _fill(tc), span, continued))
            row.extend(Cell(span=0) for _ in range(span - 1))
        rows.append(row)
    return rows
