"""Read a CSV plan: one table, no formatting (so RAG must be written as text or a symbol)."""

from __future__ import annotations

import csv
import io
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
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[Cell.of(value.strip()) for value in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:
        raise ImportFailed(f"{path.name}: not a readable CSV file ({exc})") from None
    return [Table(rows, name="csv")]
