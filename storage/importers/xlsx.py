"""Read an Excel plan: each visible sheet becomes one table of cells (bold and fill kept, merges not
repeated), streamed straight from the sheet XML.

openpyxl's read-only mode streams values but hides what plans encode meaning in (hidden rows and
columns, merged cells); its normal mode loads the whole workbook into memory, which a hostile file
turns into gigabytes. So this reader walks the sheet XML itself with ``iterparse``, one row at a time,
counting rows, cells and characters against the import limits as it goes, and reads the small parts
(workbook, styles, theme) whole. Hidden sheets, rows and columns are left out and a notice says how
many.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from storage.errors import ImportFailed
from storage.importers.limits import Budget, Limits, TooLarge, check_parts, open_zip
from storage.importers.model import Block, BodyText, Cell, Notice, Para, Table
from storage.importers.ooxml import (
    first_child,
    iterparse,
    local,
    main_part,
    parse_part,
    reason,
    relationships,
)

KIND = "Excel workbook"
_NO_FILL = {"", "00000000", "FFFFFFFF", "00FFFFFF", "FFFFFF"}
# The same words as a section heading row (storage.importers.sections.HEADING), e.g. "Phase 1", "Area 2 -".
_SECTION_SHEET = re.compile(
    r"^(improvement area|area|phase|priority|theme|workstream|section|recommendation|strand|part)\s*"
    r"(\d+|[ivx]+|one|two|three|four|five|six|seven|eight|nine|ten|[a-z])\b",
    re.I,
)
_DATE_FORMAT_IDS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 30, 36, 45, 46, 47, 50, 57}
_PERCENT_FORMAT_IDS = {9, 10}
_BUILTIN_FORMATS = {1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%"}
_PAD_WIDTH = 256  # rows are padded to the sheet's width up to this many columns
EMPTY = Cell()


def read_xlsx_blocks(path: Path, limits: Limits | None = None) -> list[Block]:
    limits = limits or Limits()
    archive = open_zip(path, limits, kind=KIND)
    try:
        return _Workbook(archive, path.name, limits).blocks()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise ImportFailed(f"{path.name}: not a readable {KIND} ({reason(exc)})") from None
    except etree.XMLSyntaxError as exc:
        if "huge" in str(exc).casefold():
            raise TooLarge(
                f"{path.name}: a cell holds more than {limits.max_cell_chars:,} characters "
                f"(Excel's limit for one cell)"
            ) from None
        raise ImportFailed(f"{path.name}: not a readable {KIND} ({reason(exc)})") from None
    finally:
        archive.close()


@dataclass(frozen=True)
class _Style:
    bold: bool = False
    fill: str | None = None
    date: bool = False
    percent: bool = False
    decimals: int | None = None
    month: bool = False  # a date shown without its day ("Mar-26", "March 2026"): it names a month


@dataclass
class _SheetRef:
    name: str
    part: str
    state: str


class _Workbook:
    def __init__(self, archive: zipfile.ZipFile, filename: str, limits: Limits) -> None:
        self.archive, self.filename, self.limits = archive, filename, limits
        self.budget = Budget(filename, limits)
        self.book = main_part(archive, filename, KIND, "xl/workbook.xml")
        rels = relationships(archive, self.book, filename, KIND)
        self.parts = {kind: target for kind, target in rels.values() if target in archive.NameToInfo}
        root = parse_part(archive, self.book, filename, KIND)
        if root is None:  # pragma: no cover - main_part checked it exists
            raise ImportFailed(f"{filename}: not a readable {KIND}")
        self.date1904 = any(
            local(el.tag) == "workbookPr" and el.get("date1904") in ("1", "true") for el in root.iter()
        )
        self.sheets = _sheets(root, rels, archive)

    def blocks(self) -> list[Block]:
        visible = [s for s in self.sheets if s.state == "visible"]
        parts = [self.book, *(self.parts[k] for k in ("sharedStrings", "styles", "theme") if k in self.parts)]
        check_parts(self.archive, parts + [s.part for s in visible], self.filename, self.limits)
        theme = _theme_colours(self._part("theme"))
        self.styles = _styles(self._part("styles"), theme)
        self.strings = self._shared_strings()
        blocks: list[Block] = []
        hidden = [s.name for s in self.sheets if s.state != "visible"]
        if hidden:
            names = ", ".join(f"'{n}'" for n in hidden)
            blocks.append(Notice(f"{len(hidden)} hidden sheet(s) left out: {names}"))
        for sheet in visible:
            if _SECTION_SHEET.match(sheet.name.strip()):
                # One sheet per priority or phase ("Priority 2 - Practice"): the sheet's name is its heading.
                blocks.append(BodyText(sheet.name.strip(), True, "sheet"))
            table, notice = _SheetReader(self, sheet).read()
            if notice:
                blocks.append(Notice(notice))
            blocks.append(table)
        return blocks

    def _part(self, kind: str) -> etree._Element | None:
        return parse_part(self.archive, self.parts[kind], self.filename, KIND) if kind in self.parts else None

    def _shared_strings(self) -> list[list[tuple[str, bool]]]:
        """Each shared string as runs of (text, bold); bold None-marked runs take the cell's font."""
        if "sharedStrings" not in self.parts:
            return []
        strings: list[list[tuple[str, bool]]] = []
        for _event, si in iterparse(self.archive, self.parts["sharedStrings"], (_tag_any("si"),)):
            runs = _rich_runs(si)
            length = sum(len(t) for t, _ in runs)
            self.budget.check_cell(length, f"shared string {len(strings) + 1}")
            self.budget.add_text(length)
            strings.append(runs)
            if len(strings) > self.limits.max_filled_cells:
                raise TooLarge(f"{self.filename}: more than {self.limits.max_filled_cells:,} different texts")
            si.clear()
            while si.getprevious() is not None:
                del si.getparent()[0]
        return strings


def _tag_any(name: str) -> str:
    return f"{{*}}{name}"


def _sheets(
    root: etree._Element, rels: dict[str, tuple[str, str]], archive: zipfile.ZipFile
) -> list[_SheetRef]:
    found = []
    for el in root.iter():
        if local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if local(k) == "id"), "")
        target = rels.get(rid, ("", ""))[1]
        if target in archive.NameToInfo:
            found.append(_SheetRef(el.get("name", ""), target, el.get("state", "visible") or "visible"))
    return found


def _rich_runs(si: etree._Element) -> list[tuple[str, bool | None]]:
    """(text, bold) runs; bold is None where the run has no formatting of its own."""
    runs: list[tuple[str, bool | None]] = []
    for child in si:
        name = local(child.tag)
        if name == "t":
            runs.append((child.text or "", None))
        elif name == "r":
            rpr = next((c for c in child if local(c.tag) == "rPr"), None)
            bold = (
                None
                if rpr is None
                else any(local(c.tag) == "b" and c.get("val") not in ("0", "false") for c in rpr)
            )
            text = "".join(t.text or "" for t in child if local(t.tag) == "t")
            runs.append((text, bold))
    return runs


@dataclass
class _RowState:
    number: int = 0
    cells: dict[int, Cell] = field(default_factory=dict)


class _SheetReader:
    def __init__(self, book: _Workbook, sheet: _SheetRef) -> None:
        self.book, self.sheet = book, sheet
        self.name = f"sheet '{sheet.name}'"
        self.rows: list[tuple[int, dict[int, Cell]]] = []
        self.hidden_cols: set[int] = set()
        self.hidden_rows: list[int] = []
        self.merges: list[tuple[int, int, int, int]] = []
        self.filtered = False
        self.above: dict[int, str] = {}  # the last text in each column, to read "1.10" typed as a number
        self.style_of: dict[str, _Style] = {}  # by the cell's "s" attribute: a sheet uses a few styles
        self.next_row = 1

    def read(self) -> tuple[Table, str]:
        # No "c": cells are read from their row at the row's end; an event per cell would only cost time.
        tags = tuple(_tag_any(t) for t in ("col", "row", "mergeCell", "autoFilter"))
        for _event, el in iterparse(self.book.archive, self.sheet.part, tags):
            self._element(el)
        return self._table(), self._notice()

    def _element(self, el: etree._Element) -> None:
        name = local(el.tag)
        if name == "row":
            self._row(el)
        elif name == "col":
            if el.get("hidden") in ("1", "true"):
                low, high = int(el.get("min", "1")), int(el.get("max", "1"))
                self.hidden_cols.update(range(low, min(high, 16_384) + 1))
        elif name == "mergeCell":
            self._merge(el.get("ref", ""))
        elif name == "autoFilter":
            self.filtered = True

    def _row(self, el: etree._Element) -> None:
        number = int(el.get("r") or self.next_row)
        self.next_row = number + 1
        hidden = el.get("hidden") in ("1", "true")
        cells: dict[int, Cell] = {}
        column = 0
        # "{*}c": a c in any namespace, as local() reads tags, but matched by lxml in C (thousands of cells).
        for c in el.iterchildren("{*}c"):
            column = _column(c.get("r")) or column + 1
            made = self._cell(c, column, number)
            if made is not None:
                cells[column] = made
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
        if not cells:
            return
        self.book.budget.row(f"{self.name} row {number}")
        if hidden:
            self.hidden_rows.append(number)
            return
        self.rows.append((number, cells))

    def _style(self, c: etree._Element) -> _Style:
        index = c.get("s", "0")
        style = self.style_of.get(index)
        if style is None:
            styles = self.book.styles
            style = styles[int(index)] if index.isdigit() and int(index) < len(styles) else _Style()
            self.style_of[index] = style
        return style

    def _cell(self, c: etree._Element, column: int, row: int) -> Cell | None:
        style = self._style(c)
        kind = c.get("t", "n")
        runs = self._value(c, kind, style)
        text = runs[0][0] if len(runs) == 1 else "".join(t for t, _ in runs)
        if not text.strip():
            return Cell(fill=style.fill) if style.fill else None
        budget = self.book.budget
        if len(text) > budget.limits.max_cell_chars:  # the cell's name only for the refusal
            budget.check_cell(len(text), f"{self.name} cell {_letters(column)}{row}")
        budget.cell(len(text), "")
        made = Cell(_paras(runs, style.bold), style.fill)
        if kind == "n" and column in self.above and _DECIMAL.fullmatch(text.strip()):
            made = _after_ref(made, text.strip(), self.above[column])
        self.above[column] = made.text
        return made

    def _value(self, c: etree._Element, kind: str, style: _Style) -> list[tuple[str, bool | None]]:
        if kind == "inlineStr":
            inline = first_child(c, "is")
            return _rich_runs(inline) if inline is not None else []
        found = first_child(c, "v")
        v = None if found is None else found.text or ""
        if kind == "s":
            index = int(v) if v and v.strip().isdigit() else -1
            return self.book.strings[index] if 0 <= index < len(self.book.strings) else []
        if v is None:
            return []
        if kind == "b":
            return [("TRUE" if v.strip() == "1" else "FALSE", None)]
        if kind == "d":
            return [(_iso_date(v), None)]
        if kind in ("str", "e"):
            return [(v, None)]
        return [(_number(v, style, self.book.date1904), None)]

    def _merge(self, ref: str) -> None:
        match = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", ref.upper())
        if not match:
            return
        c1, r1 = _column(match.group(1)), int(match.group(2))
        c2, r2 = _column(match.group(3) or match.group(1)), int(match.group(4) or match.group(2))
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= 100_000:  # a whole-sheet merge is formatting, not meaning
            self.merges.append((r1, c1, r2, c2))

    def _table(self) -> Table:
        covered = _covered(self.merges, self.hidden_cols)
        width = max((max(cells) for _, cells in self.rows), default=0)
        columns = [c for c in range(1, width + 1) if c not in self.hidden_cols]
        rows: list[list[Cell]] = []
        numbers: list[int] = []
        previous = None
        for number, cells in self.rows:
            if previous is not None and number > previous + 1:
                rows.append([])  # one blank row stands for the gap: it separates tables in a sheet
                numbers.append(previous + 1)
            previous = number
            rows.append(_dense(cells, columns, covered, number, pad=len(columns) <= _PAD_WIDTH))
            numbers.append(number)
        return Table(rows, name=self.name, row_numbers=numbers, sheet=self.sheet.name)

    def _notice(self) -> str:
        parts = []
        visible_hidden_cols = sorted(self.hidden_cols & set(self._used_columns()))
        if visible_hidden_cols:
            letters = ", ".join(_letters(c) for c in visible_hidden_cols[:10])
            parts.append(f"{len(visible_hidden_cols)} hidden column(s) ({letters})")
        if self.hidden_rows:
            kind = "hidden or filtered-out row(s)" if self.filtered else "hidden row(s)"
            shown = ", ".join(str(n) for n in self.hidden_rows[:10])
            more = ", …" if len(self.hidden_rows) > 10 else ""
            parts.append(f"{len(self.hidden_rows)} {kind} ({shown}{more})")
        if not parts:
            return ""
        return f"{self.name}: {' and '.join(parts)} left out, as the author hid them"

    def _used_columns(self) -> set[int]:
        used: set[int] = set()
        for _, cells in self.rows:
            used.update(c for c, cell in cells.items() if cell.text)
        return used


def _covered(
    merges: list[tuple[int, int, int, int]], hidden: set[int]
) -> dict[tuple[int, int], tuple[int, bool]]:
    """(row, column) -> (span, merged from above) for every cell of a merged range."""
    covered: dict[tuple[int, int], tuple[int, bool]] = {}
    for r1, c1, r2, c2 in merges:
        span = sum(1 for c in range(c1, c2 + 1) if c not in hidden)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                covered[(r, c)] = (span if (r, c) == (r1, c1) else 0, r > r1)
    return covered


def _dense(
    cells: dict[int, Cell],
    columns: list[int],
    covered: dict[tuple[int, int], tuple[int, bool]],
    number: int,
    *,
    pad: bool,
) -> list[Cell]:
    last = max(cells)
    row: list[Cell] = []
    for column in columns:
        if not pad and column > last:
            break
        cell = cells.get(column, EMPTY)
        merged = covered.get((number, column))
        if merged is not None:
            span, below = merged
            # Only the top-left cell of a merged range holds the value; the others stay empty.
            cell = Cell(cell.paras, cell.fill, span) if span else Cell(span=0, continued=below)
        row.append(cell)
    return row


def _paras(runs: list[tuple[str, bool | None]], bold: bool) -> list[Para]:
    paras: list[Para] = [Para([])]
    for text, run_bold in runs:
        if "\n" not in text and "\r" not in text:  # most cells: one line
            if text:
                paras[-1].runs.append((text, bold if run_bold is None else run_bold))
            continue
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for index, line in enumerate(lines):
            if index:
                paras.append(Para([]))
            if line:
                paras[-1].runs.append((line, bold if run_bold is None else run_bold))
    return [p for p in paras if p.runs] or []


def _after_ref(made: Cell, text: str, previous: str) -> Cell:
    """Refs typed as numbers lose a trailing zero: "1.10" after "1.9" arrives as 1.1, "2.20" after
    "2.19" as 2.2. When the number is what the ref after the one above would be, write it that way."""
    match = re.fullmatch(r"(\d{1,3})\.(\d{1,2})", previous)
    if not match:
        return made
    following = int(match.group(2)) + 1
    candidate = f"{match.group(1)}.{following}"
    if following % 10 == 0 and float(candidate) == float(text):
        return Cell([Para([(candidate, made.bold)])], made.fill, made.span)
    return made


_LETTERS = re.compile(r"[A-Za-z]+")
_DECIMAL = re.compile(r"\d+\.\d+")
_COLUMN_OF: dict[str, int] = {}  # "AB" -> 28, for the column letters seen so far (at most three letters)


def _column(ref: str | None) -> int:
    # Every cell names its column ("AB12"): the letters recur on every row, so their number is kept.
    head = ref.rstrip("0123456789") if ref else ""
    known = _COLUMN_OF.get(head)
    if known is not None:
        return known
    letters = _LETTERS.match(ref or "")
    if not letters:
        return 0
    n = 0
    for ch in letters.group(0).upper():
        n = n * 26 + ord(ch) - 64
    if head == letters.group(0) and len(head) <= 3:  # only plain "letters then digits" refs are kept
        _COLUMN_OF[head] = n
    return n


def _letters(column: int) -> str:
    out = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        out = chr(65 + rem) + out
    return out


def _iso_date(text: str) -> str:
    try:
        return dt.datetime.fromisoformat(text.strip().rstrip("Z")).strftime("%d %B %Y")
    except ValueError:
        return text


def _number(text: str, style: _Style, date1904: bool) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    if style.date and 0 < value < 2_958_466:
        base = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        shown = "%B %Y" if style.month else "%d %B %Y"  # a real date, written as the sheet shows it
        return (base + dt.timedelta(days=value)).strftime(shown)
    if style.percent:
        return f"{value * 100:.{style.decimals or 0}f}%"
    if style.decimals is not None:
        return f"{value:.{style.decimals}f}"
    if value.is_integer() and "e" not in text.lower() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if "." in text or "e" in text.lower() else text


# ---------------------------------------------------------------- styles


def _styles(root: etree._Element | None, theme: list[str]) -> list[_Style]:
    if root is None:
        return []
    formats = {
        int(el.get("numFmtId", "0")): el.get("formatCode", "")
        for el in root.iter(_tag_any("numFmt"))
        if el.get("numFmtId", "").isdigit()
    }
    fonts = [_font_bold(el) for el in _section(root, "fonts", "font")]
    fills = [_fill_colour(el, theme) for el in _section(root, "fills", "fill")]
    styles = []
    for xf in _section(root, "cellXfs", "xf"):
        fmt_id = int(xf.get("numFmtId", "0")) if xf.get("numFmtId", "0").isdigit() else 0
        code = formats.get(fmt_id, _BUILTIN_FORMATS.get(fmt_id, ""))
        font = int(xf.get("fontId", "0")) if xf.get("fontId", "0").isdigit() else 0
        fill = int(xf.get("fillId", "0")) if xf.get("fillId", "0").isdigit() else 0
        decimals = re.search(r"0\.(0+)", code) if code else None
        styles.append(
            _Style(
                bold=fonts[font] if font < len(fonts) else False,
                fill=fills[fill] if fill < len(fills) else None,
                date=fmt_id in _DATE_FORMAT_IDS or _is_date_code(code),
                percent=fmt_id in _PERCENT_FORMAT_IDS or code.endswith("%"),
                decimals=len(decimals.group(1)) if decimals else None,
                month=fmt_id == 17 or _is_month_code(code),
            )
        )
    return styles


def _section(root: etree._Element, section: str, item: str) -> list[etree._Element]:
    parent = next((el for el in root if local(el.tag) == section), None)
    return [el for el in parent if local(el.tag) == item] if parent is not None else []


def _font_bold(font: etree._Element) -> bool:
    return any(local(c.tag) == "b" and c.get("val") not in ("0", "false") for c in font)


def _is_date_code(code: str) -> bool:
    if not code:
        return False
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.split(";")[0])
    return bool(re.search(r"[dy]|m{3,}", plain, re.I)) or bool(re.search(r"d.*m|m.*y", plain, re.I))


def _is_month_code(code: str) -> bool:
    """ "mmm-yy", "mmmm yyyy": a date format that shows the month and year but no day."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code.split(";")[0]).casefold()
    return "m" in plain and "y" in plain and "d" not in plain and "h" not in plain and "s" not in plain


def _fill_colour(fill: etree._Element, theme: list[str]) -> str | None:
    pattern = next((c for c in fill if local(c.tag) == "patternFill"), None)
    if pattern is None or pattern.get("patternType") != "solid":
        return None
    colour = next((c for c in pattern if local(c.tag) == "fgColor"), None)
    if colour is None:
        return None
    rgb = _colour(colour, theme)
    return None if rgb is None or rgb.upper() in _NO_FILL else rgb.upper()[-6:]


def _colour(colour: etree._Element, theme: list[str]) -> str | None:
    if colour.get("rgb"):
        return colour.get("rgb")
    if colour.get("indexed", "").isdigit():
        from openpyxl.styles.colors import COLOR_INDEX  # the 56-colour palette older files use

        index = int(colour.get("indexed", "0"))
        return COLOR_INDEX[index] if index < len(COLOR_INDEX) and index < 64 else None
    if colour.get("theme", "").isdigit():
        index = int(colour.get("theme", "0"))
        if index < len(theme):
            return _tinted(theme[index], float(colour.get("tint", "0") or 0))
    return None


def _theme_colours(root: etree._Element | None) -> list[str]:
    """Excel's theme colour indexes: 0 lt1, 1 dk1, 2 lt2, 3 dk2, then accent1-6, hlink, folHlink."""
    if root is None:
        return []
    scheme = next((el for el in root.iter() if local(el.tag) == "clrScheme"), None)
    if scheme is None:
        return []
    by_name = {}
    for slot in scheme:
        value = next((c.get("val") or c.get("lastClr") for c in slot), None)
        if value:
            by_name[local(slot.tag)] = value.upper()
    order = ["lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6"]
    return [by_name.get(name, "000000") for name in order]


def _tinted(rgb: str, tint: float) -> str:
    """Excel's tint: lighten (tint > 0) or darken (tint < 0) in HLS."""
    if not tint or not re.fullmatch(r"[0-9A-Fa-f]{6}", rgb):
        return rgb
    r, g, b = (int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, lightness, s = colorsys.rgb_to_hls(r, g, b)
    lightness = lightness * (1 + tint) if tint < 0 else lightness * (1 - tint) + tint
    r, g, b = colorsys.hls_to_rgb(h, max(0.0, min(1.0, lightness)), s)
    return "".join(f"{round(x * 255):02X}" for x in (r, g, b))
