"""The report in Markdown, for email or chat: the same sections as the Word paper, as lists."""

from __future__ import annotations

from report.data import ReportData
from report.sections import SECTIONS, RenderOptions


def render_md(data: ReportData) -> str:
    opts = RenderOptions(charts=False)
    out: list[str] = []
    for section in SECTIONS:
        if section.markdown is not None:
            out += section.markdown(data, opts)
    return "\n".join(out).rstrip() + "\n"
