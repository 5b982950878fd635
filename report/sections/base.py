"""What a report section is: one part of the board paper, with a renderer for each output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from report.data import ReportData

if TYPE_CHECKING:
    from report.docx_parts import WordDoc


@dataclass(frozen=True)
class RenderOptions:
    """Choices the caller makes about the whole paper; each section reads what it needs."""

    charts: bool = True


# Word: adds paragraphs and tables to the document, in order.
DocxRenderer = Callable[["WordDoc", ReportData, RenderOptions], None]
# HTML and Markdown: the section's lines; the page joins every section's lines with newlines.
TextRenderer = Callable[[ReportData, RenderOptions], list[str]]


@dataclass(frozen=True)
class ReportSection:
    """A section of the paper. ``markdown`` is None for a section the Markdown leaves out (charts).

    ``css`` is appended to the HTML page's stylesheet, for classes only this section uses.
    """

    name: str
    docx: DocxRenderer
    html: TextRenderer
    markdown: TextRenderer | None = None
    css: str = ""
