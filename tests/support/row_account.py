"""The importer's account of a plan, checked without the importer: every non-empty row is counted
straight from the file, and every row the importer skipped must be quoted in a warning."""

from __future__ import annotations

import csv
from pathlib import Path

from storage.importers import read_plan


def non_empty_rows(path: Path) -> int:
    """Every table row (Word), sheet row (Excel) or line (CSV, split at its own separator) with text."""
    if path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        return sum(1 for t in document.tables for r in t.rows if any(c.text.strip() for c in r.cells))
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path)
        return sum(
            1
            for ws in book.worksheets
            for row in ws.iter_rows(values_only=True)
            if any(v is not None and str(v).strip() for v in row)
        )
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    rows = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    return sum(1 for row in rows if any(c.strip() for c in row))


def assert_every_row_accounted(path: Path) -> None:
    parsed = read_plan(path)
    assert parsed.account.rows == non_empty_rows(path)
    for where, text in parsed.account.skipped:
        assert any(where in w and text[:40] in w for w in parsed.warnings), (where, text)
