"""Escaping and the RAG cell every section's HTML renderer shares."""

from __future__ import annotations

import re
from html import escape

from report.data import ReportData
from report.wordml import text_colour_on

_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def e(text: str | None) -> str:
    return escape(text or "", quote=True)


def lines(text: str) -> str:
    return "<br>".join(e(line) for line in (text or "").split("\n"))


def rag_td(data: ReportData, label: str | None) -> str:
    key = data.key_entry(label)
    if key is None:
        # A label outside today's scheme (the key was changed since) is shown as written, unfilled.
        return f'<td class="rag">{e(label)}</td>' if label else '<td class="rag none">Not rated</td>'
    if not _HEX.fullmatch(key.colour or ""):
        # Only a plain "#RRGGBB" goes into a style attribute: anything else could carry CSS (a url()).
        return f'<td class="rag">{e(label)}</td>'
    fg = "#" + text_colour_on(key.colour)
    return f'<td class="rag" style="background:{key.colour};color:{fg}">{e(label)}</td>'
