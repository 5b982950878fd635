"""Two charts: RAG now, and RAG at each published version (or month end) and now. Not in Markdown."""

from __future__ import annotations

import base64
import io

from report.data import ReportData
from report.docx_parts import WordDoc
from report.sections.base import RenderOptions, ReportSection


def _pngs(data: ReportData) -> tuple[tuple[str, bytes], ...]:
    from report.charts import rag_distribution_png, rag_over_time_png

    return (
        ("RAG status now", rag_distribution_png(data)),
        ("RAG status over time", rag_over_time_png(data)),
    )


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    if not opts.charts:
        return
    from docx.shared import Cm

    p = out.doc.add_paragraph()
    p.paragraph_format.keep_together = True
    (_, now), (_, over_time) = _pngs(data)
    p.add_run().add_picture(io.BytesIO(now), width=Cm(12.5))
    p.add_run("   ")
    p.add_run().add_picture(io.BytesIO(over_time), width=Cm(12.5))


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    if not opts.charts:
        return []
    images = [
        f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
        for alt, png in _pngs(data)
    ]
    return ['<div class="charts">', *images, "</div>"]


SECTION = ReportSection("charts", docx=docx, html=html, markdown=None)
