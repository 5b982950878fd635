"""The board report as one self-contained HTML page: inline CSS, charts as data: URIs, no network.

Print-ready: A4 landscape pages, the table header repeated on each printed page, RAG cells printed in
colour. Every piece of user text goes through ``html.escape``. This module writes the page around the
content; the content is ``report.sections``, in order.
"""

from __future__ import annotations

from report.data import ReportData
from report.headline import human_date
from report.html_parts import e
from report.sections import SECTIONS, RenderOptions

CSS = """
@page { size: A4 landscape; margin: 15mm; }
* { box-sizing: border-box; }
body { font-family: Arial, "Helvetica Neue", Helvetica, sans-serif; font-size: 10pt; color: #1a1a1a;
       margin: 0 auto; max-width: 1400px; padding: 16px; }
h1 { font-size: 20pt; color: #1F3864; margin: 0 0 4px; }
h2 { font-size: 14pt; color: #1F3864; margin: 22px 0 6px; break-after: avoid; }
h3 { font-size: 11pt; color: #1F3864; margin: 14px 0 4px; break-after: avoid; }
.org { font-weight: bold; font-size: 13pt; margin: 0; }
.asof { font-size: 12pt; margin: 2px 0 12px; }
.muted { color: #595959; }
.small { font-size: 8pt; }
.sentence { font-weight: bold; font-size: 11pt; }
table { border-collapse: collapse; margin: 4px 0 10px; }
th, td { border: 1px solid #808080; padding: 3px 6px; vertical-align: top; text-align: left; }
thead th { background: #1F3864; color: #fff; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.main { width: 100%; table-layout: fixed; }
table.main col.ref { width: 5%; } table.main col.action { width: 25%; } table.main col.lead { width: 13%; }
table.main col.time { width: 10.5%; } table.main col.progress { width: 32%; } table.main col.rag { width: 8%; }
table.main col.dir { width: 6.5%; }
table.exceptions, table.sections { width: 100%; table-layout: fixed; }
table.exceptions th:nth-child(1) { width: 5%; } table.exceptions th:nth-child(2) { width: 42%; }
table.exceptions th:nth-child(3) { width: 18%; } table.exceptions th:nth-child(4) { width: 8%; }
table.sections th:first-child { width: 55%; }
tr.section th { background: #D9E2F3; color: #1a1a1a; font-size: 10.5pt; }
tr.section.sub th { background: #EDF2F9; font-size: 10pt; }
td.rag { text-align: center; font-weight: bold; vertical-align: middle; }
td.dir { text-align: center; font-size: 15pt; vertical-align: middle; }
td.dir .was { display: block; font-size: 7pt; color: #595959; }
td.num { text-align: right; }
.overdue { color: #C00000; font-weight: bold; }
.ref { font-weight: bold; }
.charts img { width: 48%; max-width: 640px; margin-right: 1%; }
.none { font-style: italic; color: #595959; }
p.progress { margin: 0 0 4px; }
@media print {
  body { max-width: none; padding: 0; }
  td.rag, th, tr.section th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_html(data: ReportData, *, charts: bool = True) -> str:
    opts = RenderOptions(charts=charts)
    css = CSS + "".join(section.css for section in SECTIONS)
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(data.title)}: progress report as at {e(human_date(data.as_of_date))}</title>",
        f"<style>{css}</style></head><body>",
    ]
    for section in SECTIONS:
        out += section.html(data, opts)
    out.append("</body></html>\n")
    return "\n".join(out)
