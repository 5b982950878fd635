"""Read a plan file (Word, Excel or CSV) into a ``ParsedPlan``; nothing here touches the database.

``read_plan`` raises ``ImportFailed`` with the file name and the reason for every file it cannot
use: missing, empty, an unknown extension, a damaged document, or no action table in it; and
``TooLarge`` (an ``ImportFailed``) for a file past the import limits (``limits.py``), before it is
read in full.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from storage.errors import ImportFailed
from storage.importers.limits import Limits, TooLarge, check_file_size
from storage.importers.model import ParsedAction, ParsedPlan, ParsedSection

__all__ = ["SUPPORTED", "Limits", "ParsedAction", "ParsedPlan", "ParsedSection", "TooLarge", "read_plan"]

SUPPORTED = (".docx", ".xlsx", ".xlsm", ".csv")


def read_plan(
    path: Path, *, reference_date: dt.date | None = None, limits: Limits | None = None
) -> ParsedPlan:
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path}: no such file")
    if path.is_dir():
        raise ImportFailed(f"{path}: is a directory, not a plan file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ImportFailed(
            f"{path.name}: unknown file type '{suffix or '(none)'}'; expected one of {', '.join(SUPPORTED)}"
        )
    limits = limits or Limits()
    if check_file_size(path, limits) == 0:
        raise ImportFailed(f"{path.name}: the file is empty")
    if suffix == ".docx":
        from storage.importers.docx import read_docx_blocks as read_blocks
    elif suffix == ".csv":
        from storage.importers.csv import read_csv_blocks as read_blocks
    else:
        from storage.importers.xlsx import read_xlsx_blocks as read_blocks
    from storage.importers.parse import parse_blocks

    try:
        blocks = read_blocks(path, limits)
    except OSError as exc:  # unreadable (permissions, a vanished network share)
        raise ImportFailed(f"{path.name}: cannot read the file ({exc.strerror or exc})") from None
    parsed = parse_blocks(blocks, filename=path.name, reference_date=reference_date)
    if not parsed.actions and parsed.action_tables:
        raise ImportFailed(f"{path.name}: the action table has a header row but no actions under it")
    if not parsed.actions:
        raise ImportFailed(
            f"{path.name}: no action table found (looked for a header row with an Action column and a "
            f"Lead, Timescale, Progress or RAG column, and for recommendation headings over numbered actions)"
        )
    return parsed
