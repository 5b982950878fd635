"""PDF from the HTML report, through WeasyPrint when it is installed (the optional ``pdf`` extra).

WeasyPrint needs Pango on the machine, so it is never a hard dependency: without it the person gets
one line saying what to install.
"""

from __future__ import annotations

from report.data import ReportData
from report.render_html import render_html

INSTALL_HINT = "PDF output needs WeasyPrint: pip install 'progressbot[pdf]' (it also needs the Pango library)"


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the system libraries it needs) is missing; ``str()`` says what to install."""


def render_pdf(data: ReportData) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: installed, but Pango is missing
        raise PdfUnavailable(f"{INSTALL_HINT} ({exc.__class__.__name__}: {exc})") from None
    return HTML(string=render_html(data)).write_pdf()
