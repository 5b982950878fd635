"""Read a CSV plan: one table, no formatting (so RAG must be written as text or a symbol)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from storage.errors import ImportFailed
from storage.importers.model import Block, Cell, Table


def read_csv_blocks(path: Path) -> list[Block]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows saves CSV in cp1252
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise ImportFailed(f"{path.name}: not a text file")
    if "\x00" in text:
        raise ImportFailed(f"{path.name}: not a text CSV file (binary content)")
    try:
        sniffed = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ","
    try:
        parsed = {
            d: list(csv.reader(io.StringIO(text, newline=""), delimiter=d)) for d in (sniffed, ",", ";", "\t")
        }
    except csv.Error as exc:
        raise ImportFailed(f"{path.name}: not a readable CSV file ({exc})") from None
    # The sniffer guesses from the first lines, which are often a title with no delimiter, and a comma
    # inside a ";"-separated field fools it: take the delimiter that gives most rows the same width.
    best = max(parsed, key=lambda d: _consistency(parsed[d]))
    rows = [[Cell.of(value.strip()) for value in row] for row in parsed[best]]
    return [Table(rows, name="csv")]


def _consistency(rows: list[list[str]]) -> tuple[int, int]:
    widths = Counter(len(row) for row in rows if len(row) > 1)
    if not widths:
        return (0, 0)
    width, count = widths.most_common(1)[0]
    return (count, width)
