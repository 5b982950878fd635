"""Pairing the cells of a row that holds several actions, and joining text carried over a page break."""

from __future__ import annotations

from storage.importers.model import Cell
from storage.importers.segments import cell_segments


def paired(cell: Cell, n: int) -> list[str]:
    """Split a cell across n actions of one row when it has exactly one paragraph per action;
    otherwise every action gets the whole cell."""
    if n > 1:
        segments = [s.text for s in cell_segments(cell)]
        if len(segments) == n:
            return segments
    return [cell.text] * n


def join_text(a: str, b: str) -> str:
    """``b`` after ``a``: on the same line when ``b`` carries on a sentence ``a`` left open."""
    if not a:
        return b
    if b[:1].islower() and not a.rstrip().endswith((".", "!", "?", ":")):
        return f"{a} {b}"
    return f"{a}\n{b}"
