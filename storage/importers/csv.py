"""Read a CSV plan: one table, no formatting (so RAG must be written as text or a symbol).

The file is read once: decoded in one go (its size is already within the limit), the delimiter chosen
from the first lines, then one pass of the csv module, counting rows and cells against the limits.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from storage.errors import ImportFailed
from storage.importers.limits import Budget, Limits, TooLarge
from storage.importers.model import Block, Cell, Para, Table

_SAMPLE_LINES = 200


def read_csv_blocks(path: Path, limits: Limits | None = None) -> list[Block]:
    limits = limits or Limits()
    text = _decode(path)
    delimiter = _delimiter(text)
    budget = Budget(path.name, limits)
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars + 1)
    rows: list[list[Cell]] = []
    try:
        for values in csv.reader(_lines(text), delimiter=delimiter):
            rows.append(_row(values, budget, f"csv row {len(rows) + 1}"))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise TooLarge(
                f"{path.name}: csv row {len(rows) + 1} holds a field of more than {limits.max_cell_chars:,} "
                f"characters (Excel's limit for one cell)"
            ) from None
        raise ImportFailed(f"{path.name}: not a readable CSV file ({exc})") from None
    finally:
        csv.field_size_limit(previous_limit)
    return [Table(rows, name="csv")]


def _lines(text: str):
    """The text's lines with their endings, one at a time: io.StringIO would hold a second, wider copy."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _decode(path: Path) -> str:

    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ImportFailed(f"{path.name}: not a text CSV file (binary content)")
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows saves CSV in cp1252
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # cp1252 leaves five bytes undefined; latin-1 reads anything


def _row(values: list[str], budget: Budget, where: str) -> list[Cell]:
    cells = []
    filled = False
    for value in values:
        value = value.strip()
        if value:
            budget.cell(len(value), where)
            filled = True
            cells.append(Cell([Para([(line, False)]) for line in value.splitlines()]))
        else:
            cells.append(_EMPTY)
    if filled:
        budget.row(where)
    return cells


_EMPTY = Cell()


def _delimiter(text: str) -> str:
    """The delimiter that gives most of the first lines the same width.

    The sniffer guesses from the first lines, which are often a title with no delimiter, and a comma
    inside a ";"-separated field fools it, so the widths decide; the sniffer only breaks ties.
    """
    sample = "\n".join(text[:262_144].splitlines()[:_SAMPLE_LINES])
    try:
        sniffed = csv.Sniffer().sniff(sample[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ","
    candidates = list(dict.fromkeys((sniffed, ",", ";", "\t")))
    scores = {}
    for delimiter in candidates:
        try:
            scores[delimiter] = _consistency(
                list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
            )
        except csv.Error:
            scores[delimiter] = (0, 0)
    return max(candidates, key=lambda d: scores[d])


def _consistency(rows: list[list[str]]) -> tuple[int, int]:
    widths = Counter(len(row) for row in rows if len(row) > 1)
    if not widths:
        return (0, 0)
    width, count = widths.most_common(1)[0]
    return (count, width)
