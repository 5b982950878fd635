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
    for _event, element in iterparse(archive, document, (w("p"), w("tbl"), w("tr"), w("t"), w("tc"))):
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
        if tag == w("t"):
            # Counted while the XML streams in, so an oversized cell is refused before the rest is read.
            length = len(el.text or "")
            self.cell_chars += length
            self.budget.check_cell(self.cell_chars, "a table cell or paragraph")
            self.budget.add_text(length)
            return
        if tag == w("tc"):
            self.cell_chars = 0
            return
        if tag == w("tr"):
            self.budget.row(f"table {self.tables + 1}")
            return
        if el.getparent() is None or el.getparent().tag not in _BODY_PARENTS or not self._top_level(el):
            return
        if tag == w("p"):
            self.cell_chars = 0
            self._paragraph(el)
        else:
            self.tables += 1
            self.blocks.append(Table(_rows(el, self), name=f"table {self.tables}"))
        _release(el)

    @staticmethod
    def _top_level(el: etree._Element) -> bool:
        """A direct child of the body, looking through content controls (w:sdt)."""
        return not any(a.tag in (w("tc"), w("txbxContent")) for a in el.iterancestors())

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
        ppr = _child(p, w("pPr"))
        num = _child(ppr, w("numPr")) if ppr is not None else None
        num_id = wval(_child(num, w("numId"))) if num is not None else None
        ilvl_text = wval(_child(num, w("ilvl"))) if num is not None else None
        style_num, style_ilvl = self.styles.numbering(style) if style else (None, None)
        num_id = num_id or style_num
        if not num_id or num_id == "0":
            return None
        ilvl = int(ilvl_text) if ilvl_text and ilvl_text.isdigit() else (style_ilvl or 0)
        return self.numbering.label(num_id, ilvl)

    def para(self, p: etree._Element) -> Para:
        runs: list[tuple[str, bool]] = []
        for r in p.iter(w("r")):
            if _placeholder(r):
                continue  # a content control still showing "Choose an item." says nothing
            rpr = _child(r, w("rPr"))
            if _flag(rpr, "vanish"):
                self.hidden_runs += 1  # hidden text: what the author chose not to show
                continue
            text = _run_text(r, _run_font(rpr))
            if text:
                runs.append((text, _flag(rpr, "b")))
        ppr = _child(p, w("pPr"))
        listed = ppr is not None and _child(ppr, w("numPr")) is not None
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
    ppr = _child(p, w("pPr"))
    style = _child(ppr, w("pStyle")) if ppr is not None else None
    return wval(style, "") or ""


def _flag(rpr: etree._Element | None, name: str) -> bool:
    if rpr is None:
        return False
    el = _child(rpr, w(name))
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
    fonts = _child(rpr, w("rFonts")) if rpr is not None else None
    if fonts is None:
        return None
    return fonts.get(w("ascii")) or fonts.get(w("hAnsi")) or fonts.get(w("cs"))


def _in_font(text: str, font: str | None) -> str:
    if not font or font.casefold() not in _SYMBOL_FONTS:
        return text
    return "".join(_symbol(font, ord(ch)) or ch for ch in text)


def _run_text(r: etree._Element, font: str | None) -> str:
    text: list[str] = []
    for node in r:
        tag = node.tag
        if tag == w("t"):
            text.append(_in_font(node.text or "", font))
        elif tag == w("sym"):
            try:
                code = int(node.get(w("char"), ""), 16)
            except ValueError:
                continue
            text.append(_symbol(node.get(w("font")), code) or "")
        elif tag == w("tab"):
            text.append("  ")
        elif tag in (w("br"), w("cr")):
            text.append("\n")
    return "".join(text)


def _fill(tc: etree._Element) -> str | None:
    shd = _first_at(tc, w("tcPr"), w("shd"))
    if shd is None:  # some exports shade the paragraph rather than the cell
        shd = _first_at(tc, w("p"), w("pPr"), w("shd"))
    if shd is None:
        return None
    fill = shd.get(w("fill"))
    if fill in _NO_FILL and shd.get(w("val")) == "solid":
        fill = shd.get(w("color"))  # a "solid" pattern paints the pattern colour, not the fill
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
    for sdt in r.iterancestors(w("sdt")):
        pr = _child(sdt, w("sdtPr"))
        if pr is not None and _child(pr, w("showingPlcHdr")) is not None:
            return True
    return False


def _children(parent: etree._Element, tag: str):
    """Direct children with this tag, looking through content controls (w:sdt), which forms and
    templates wrap around rows, cells and paragraphs."""
    for child in parent.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag == w("sdt"):
            content = _child(child, w("sdtContent"))
            if content is not None:
                yield from _children(content, tag)


def _rows(tbl: etree._Element, reader: _BodyReader) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for tr in _children(tbl, w("tr")):
        row: list[Cell] = []
        for tc in _children(tr, w("tc")):
            tcpr = _child(tc, w("tcPr"))
            span_el = _child(tcpr, w("gridSpan")) if tcpr is not None else None
            span_text = wval(span_el, "1") or "1"
            span = max(1, min(int(span_text), 64)) if span_text.isdigit() else 1
            vmerge = _child(tcpr, w("vMerge")) if tcpr is not None else None
            # A vMerge "continue" cell shows the cell above: keep it empty, never repeat its text.
            continued = vmerge is not None and wval(vmerge, "continue") == "continue"
            paras = [] if continued else [reader.cell_para(p) for p in _children(tc, w("p"))]
            row.append(Cell(paras, None if continued else _fill(tc), span, continued))
            row.extend(Cell(span=0) for _ in range(span - 1))
        rows.append(row)
    return rows
