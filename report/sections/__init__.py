"""The board paper's sections, in the order the board reads them.

Every output format walks this one list: ``render_docx``, ``render_html`` and ``render_md`` only set
up the document around it. To add a section, write a module here with its Word, HTML and Markdown
renderers (see ``base.ReportSection``) and put its ``SECTION`` in ``SECTIONS`` where it belongs.
"""

from __future__ import annotations

from report.sections import action_table, charts, exceptions, headline, history, rag_key, title
from report.sections.base import RenderOptions, ReportSection

SECTIONS: tuple[ReportSection, ...] = (
    title.SECTION,
    rag_key.SECTION,
    history.SECTION,
    headline.SECTION,
    charts.SECTION,
    exceptions.SECTION,
    action_table.SECTION,
)

__all__ = ["SECTIONS", "RenderOptions", "ReportSection"]
