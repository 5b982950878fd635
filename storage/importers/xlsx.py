"""Read an Excel plan: each sheet becomes one table of cells (bold and fill kept, merges not repeated)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl.styles.colors import COLOR_INDEX

from storage.errors import ImportFailed
from storage.importers.model import Block, BodyText, Cell, Para, Table

_NO_FILL = {None, "", "00000000", "FFFFFFFF", "00FFFFFF"}
# The same words as a section heading row (storage.importers.actions.HEADING), e.g. "Phase 1", "Area 2 -".
_SECTION_SHEET = re.compile(
    r"^(improvement area|area|phase|priority|theme|workstream|section|recommendation|strand|part)\s*"
    r"(\d+|[ivx]+|one|two|three|four|five|six|seven|eight|nine|ten|[a-z])\b",
    re.I,
)


def read_xlsx_blocks(path: Path) -> list[Block]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFailed(f"{path.name}: not a readable Excel workbook ({str(exc)[:120]})") from None
    except Exception as exc:  # openpyxl raises many types for a damaged part
        raise ImportFailed(f"{path.name}: not a readable Excel workbook ({str(exc)[:120]})") from None
    blocks: list[Block] = []
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        # Only the top-left cell of a merged range holds the value; the others must stay empty.
        covered = {
            (r, c): (
                rng.max_col - rng.min_col + 1 if (r, c) == (rng.min_row, rng.min_col) else 0,
                r > rng.min_row,
            )
            for rng in sheet.merged_cells.ranges
            for r in range(rng.min_row, rng.max_row + 1)
            for c in range(rng.min_col, rng.max_col + 1)
        }
        rows = []
        above: dict[int, str] = {}  # the last text in each column, to read "1.10" typed as a number
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                span, below = covered.get((cell.row, cell.column), (1, False))
                if span == 0:
                    # Merged down from the row above: same value there (like Word's vMerge), no text here.
                    cells.append(Cell(span=0, continued=below))
                    continue
                made = _cell(cell, span)
                if isinstance(cell.value, float):
                    made = _after_ref(made, cell.value, above.get(cell.column, ""), span)
                if made.text:
                    above[cell.column] = made.text
                cells.append(made)
            rows.append(cells)
        if _SECTION_SHEET.match(sheet.title.strip()):
            # One sheet per priority or phase ("Priority 2 - Practice"): the sheet's name is its heading.
            blocks.append(BodyText(sheet.title.strip(), True, "sheet"))
        blocks.append(Table(rows, name=f"sheet '{sheet.title}'"))
    return blocks


def _after_ref(made: Cell, value: float, previous: str, span: int) -> Cell:
    """Refs typed as numbers lose a trailing zero: "1.10" after "1.9" arrives as 1.1, "2.20" after
    "2.19" as 2.2. When the number is what the ref after the one above would be, write it that way."""
    match = re.fullmatch(r"(\d{1,3})\.(\d{1,2})", previous)
    if not match:
        return made
    following = int(match.group(2)) + 1
    candidate = f"{match.group(1)}.{following}"
    if following % 10 == 0 and float(candidate) == value:
        return Cell([Para([(candidate, made.bold)])], made.fill, span)
    return made


def _cell(cell, span: int) -> Cell:
    value = cell.value
    if value is None:
        text = ""
    elif hasattr(value, "strftime"):
        text = value.strftime("%d %B %Y")  # a real date: write it the way plans do
    elif isinstance(value, float):
        # Refs typed as numbers: "1.10" arrives as 1.1 and "3" as 3.0; the cell's format has the digits.
        decimals = re.search(r"0\.(0+)", cell.number_format or "")
        if decimals:
            text = f"{value:.{len(decimals.group(1))}f}"
        else:
            text = str(int(value)) if value.is_integer() else repr(value)
    else:
        text = str(value)
    bold = bool(cell.font and cell.font.b)
    fill = None
    if cell.fill is not None and cell.fill.fill_type == "solid":
        colour = cell.fill.fgColor
        rgb = colour.rgb if colour.type == "rgb" else None
        if colour.type == "indexed" and isinstance(colour.indexed, int) and colour.indexed < len(COLOR_INDEX):
            rgb = COLOR_INDEX[colour.indexed]  # older files use the 56-colour palette
        if isinstance(rgb, str) and rgb.upper() not in _NO_FILL:
            fill = rgb.upper()[-6:]
    paras = [Para([(line, bold)]) for line in text.splitlines()]
    return Cell(paras, fill, span)
