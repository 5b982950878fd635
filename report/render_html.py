"""The board report as one self-contained HTML page: inline CSS, charts as data: URIs, no network.

Print-ready: A4 landscape pages, the table header repeated on each printed page, RAG cells printed in
colour. Every piece of user text goes through ``html.escape``.
"""

from __future__ import annotations

import base64
from html import escape

from report.data import ActionRow, ReportData, SectionBand
from report.headline import NO_RAG, human_date
from report.wordml import text_colour_on

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


def _e(text: str | None) -> str:
    return escape(text or "", quote=True)


def _lines(text: str) -> str:
    return "<br>".join(_e(line) for line in (text or "").split("\n"))


def _rag_td(data: ReportData, label: str | None) -> str:
    key = data.key_entry(label)
    if key is None:
        # A label outside today's scheme (the key was changed since) is shown as written, unfilled.
        return f'<td class="rag">{_e(label)}</td>' if label else '<td class="rag none">Not rated</td>'
    fg = "#" + text_colour_on(key.colour)
    return f'<td class="rag" style="background:{_e(key.colour)};color:{fg}">{_e(label)}</td>'


def render_html(data: ReportData, *, charts: bool = True) -> str:
    h = data.headline
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(data.title)}: progress report as at {_e(human_date(data.as_of_date))}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    # 1. Title block.
    if data.organisation:
        out.append(f'<p class="org">{_e(data.organisation)}</p>')
    out.append(f"<h1>{_e(data.title)}</h1>")
    latest = (
        f' <span class="muted small">· latest version {_e(data.history[-1].version)}, issued '
        f"{_e(human_date(data.history[-1].date))}</span>"
        if data.history
        else ""
    )
    out.append(f'<p class="asof">Progress report as at {_e(_long(data.as_of_date))}{latest}</p>')
    out.append(f'<p class="intro">{_e(data.introduction)}</p>')

    # 2. RAG key.
    out.append('<h2 id="key">Key to RAG status</h2><table class="key"><tbody>')
    for k in data.rag_key:
        out.append(f"<tr>{_rag_td(data, k.label)}<td>{_e(k.meaning or k.label)}</td></tr>")
    out.append("</tbody></table>")

    # 3. Document history.
    out.append('<h2 id="history">Document history</h2>')
    if data.history:
        out.append(
            '<table class="history"><thead><tr><th>Date issued</th><th>Version No.</th>'
            "<th>Summary of changes</th><th>Author</th></tr></thead><tbody>"
        )
        for row in data.history:
            out.append(
                f"<tr><td>{_e(human_date(row.date))}</td><td>{_e(row.version)}</td>"
                f"<td>{_lines(row.summary)}</td><td>{_e(row.author)}</td></tr>"
            )
        out.append("</tbody></table>")
    else:
        out.append("<p>No version of this report has been published yet.</p>")

    # 4. Headline summary.
    out.append(f'<h2 id="headline">Headline summary</h2><p class="sentence">{_e(h.sentence)}</p>')
    deltas = dict(h.change.deltas) if h.change else None
    change_head = (
        f"<th>Change since version {_e(h.baseline.version)}</th>" if deltas is not None and h.baseline else ""
    )
    out.append(
        f'<table class="counts"><thead><tr><th>RAG status</th><th>Actions</th><th>% of actions</th>'
        f"{change_head}</tr></thead><tbody>"
    )
    entries = [(c.label, c.count, c.percent, True) for c in reversed(h.overall.counts)]
    entries.append((NO_RAG, h.overall.no_rag, h.overall.no_rag_percent, False))
    for label, count, pct, keyed in entries:
        first = _rag_td(data, label) if keyed else f"<td>{_e(label)}</td>"
        change = ""
        if deltas is not None:
            delta = deltas.get(label, 0)
            change = f"<td>{f'{delta:+d}' if delta else 'no change'}</td>"
        out.append(f'<tr>{first}<td class="num">{count}</td><td class="num">{pct:.1f}%</td>{change}</tr>')
    total_change = ""
    if h.change is not None:
        c = h.change
        total_change = (
            f"<td>↑ {c.improved} improved, ↓ {c.worse} worse, → {c.unchanged} unchanged, {c.new} new</td>"
        )
    out.append(
        f'<tr><th>Total</th><th class="num">{h.overall.total}</th><td class="num">100%</td>'
        f"{total_change}</tr></tbody></table>"
    )
    if h.sections:
        labels = [k.label for k in reversed(data.rag_key)]
        out.append('<h3>By section</h3><table class="sections"><thead><tr><th>Section</th>')
        for k in reversed(data.rag_key):
            out.append(
                f'<th style="background:{_e(k.colour)};color:#{text_colour_on(k.colour)}">{_e(k.label)}</th>'
            )
        out.append(f"<th>{NO_RAG}</th><th>Total</th></tr></thead><tbody>")
        for s in h.sections:
            counts = {c.label: c for c in s.breakdown.counts}
            cells = "".join(
                f'<td class="num">{_count_pct(counts[label].count, counts[label].percent)}</td>'
                for label in labels
            )
            no_rag = _count_pct(s.breakdown.no_rag, s.breakdown.no_rag_percent)
            out.append(
                f'<tr><td>{_e(s.section)}</td>{cells}<td class="num">{no_rag}</td>'
                f'<th class="num">{s.breakdown.total}</th></tr>'
            )
        out.append("</tbody></table>")
    if charts:
        from report.charts import rag_distribution_png, rag_over_time_png

        out.append('<div class="charts">')
        for alt, png in (
            ("RAG status now", rag_distribution_png(data)),
            ("RAG status over time", rag_over_time_png(data)),
        ):
            out.append(
                f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
            )
        out.append("</div>")

    # 5. Exceptions.
    out.append('<h2 id="exceptions">Exceptions</h2>')
    for kind, title, items in data.exception_groups():
        out.append(f'<h3 class="exc-{kind}">{_e(title)} ({len(items)})</h3>')
        if not items:
            out.append('<p class="none">None.</p>')
            continue
        out.append(
            f'<table class="exceptions" data-kind="{kind}"><thead><tr><th>Ref</th><th>Action</th>'
            "<th>Lead(s)</th><th>RAG</th><th>Detail</th></tr></thead><tbody>"
        )
        for item in items:
            out.append(
                f'<tr><td class="ref">{_e(item.ref)}</td><td>{_e(item.title)}</td>'
                f"<td>{_e(', '.join(item.leads))}</td>{_rag_td(data, item.rag)}<td>{_e(item.detail)}</td></tr>"
            )
        out.append("</tbody></table>")

    # 6-7. Full table.
    out.append('<h2 id="actions">Progress against the action plan</h2>')
    if data.actions:
        out.append(
            '<table class="main"><colgroup><col class="ref"><col class="action"><col class="lead">'
            '<col class="time"><col class="progress"><col class="rag"><col class="dir"></colgroup>'
            "<thead><tr><th>Ref</th><th>Action / required outcome</th><th>Lead(s)</th><th>Timescale</th>"
            "<th>Progress update</th><th>RAG</th><th>Direction</th></tr></thead><tbody>"
        )
        for row in data.table_rows():
            if isinstance(row, SectionBand):
                cls = "section" if row.depth == 0 else "section sub"
                out.append(f'<tr class="{cls}"><th colspan="7">{_e(row.title)}</th></tr>')
            else:
                out.append(_action_tr(data, row))
        out.append("</tbody></table>")
    else:
        out.append("<p>The plan has no actions yet.</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _count_pct(count: int, percent: float) -> str:
    return f"{count} ({percent:.0f}%)" if count else "–"


def _action_tr(data: ReportData, a: ActionRow) -> str:
    outcome = f'<div class="small"><b>Outcome:</b> {_lines(a.outcome)}</div>' if a.outcome else ""
    due = f'<div class="small muted">Due {_e(human_date(a.due))}</div>' if a.due else ""
    overdue = '<div class="small overdue">Overdue</div>' if a.overdue else ""
    if a.progress:
        p = a.progress
        meta = p.byline
        evidence = ""
        if p.evidence_url:
            link = _e(p.evidence_url)
            # Only web links become links: a "javascript:" URL from an imported file stays text.
            if p.evidence_url.lower().startswith(("http://", "https://")):
                link = f'<a href="{link}">{link}</a>'
            evidence = f'<div class="small muted">Evidence: {link}</div>'
        paragraphs = "".join(
            f'<p class="progress">{_e(line)}</p>' for line in p.text.split("\n") if line.strip()
        )
        progress = f'{paragraphs}<div class="small muted">{_e(meta)}</div>{evidence}'
    else:
        progress = '<span class="none">No update yet</span>'
    was = (
        f'<span class="was">was {_e(a.baseline_rag)}</span>'
        if a.direction in ("improved", "worse") and a.baseline_rag
        else ""
    )
    return (
        f'<tr data-action-id="{a.id}" data-direction="{_e(a.direction or "")}">'
        f'<td class="ref">{_e(a.ref)}</td><td>{_lines(a.title)}{outcome}</td>'
        f"<td>{'<br>'.join(_e(x) for x in a.leads) or '—'}</td>"
        f"<td>{_e(a.timescale or '—')}{due}{overdue}</td><td>{progress}</td>"
        f'{_rag_td(data, a.rag)}<td class="dir">{_e(a.arrow)}{was}</td></tr>'
    )


def _long(iso: str) -> str:
    import datetime as dt

    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"
