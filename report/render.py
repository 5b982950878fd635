"""One entry point for every output format: ``render(data, fmt) -> bytes``."""

from __future__ import annotations

from report.data import ReportData

FORMATS = ("docx", "html", "pdf", "json", "md")


def render(data: ReportData, fmt: str) -> bytes:
    if fmt == "docx":
        from report.render_docx import render_docx

        return render_docx(data)
    if fmt == "html":
        from report.render_html import render_html

        return render_html(data).encode("utf-8")
    if fmt == "pdf":
        from report.render_pdf import render_pdf

        return render_pdf(data)
    if fmt == "json":
        from report.render_json import render_json

        return render_json(data).encode("utf-8")
    if fmt == "md":
        from report.render_md import render_md

        return render_md(data).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
