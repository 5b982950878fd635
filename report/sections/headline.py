"""Headline summary: the chair's sentence, counts and % by RAG (with the change since the baseline),
and the same counts per section."""

from __future__ import annotations

from report.data import AWAITING_LABEL, Breakdown, ReportData
from report.docx_parts import BODY_PT, HEADER_FILL, LABEL_FILL, WordDoc, header_row, rag_cell, text_cell
from report.headline import NO_RAG, version_name
from report.html_parts import e, rag_td
from report.sections.base import RenderOptions, ReportSection
from report.summaries import overall
from report.text import render_markdown
from report.wordml import Cell, para, row_xml, run, table_xml, text_colour_on, twips

HEADING = "Headline summary"


def count_pct(count: int, percent: float) -> str:
    return f"{count} ({percent:.0f}%)" if count else "–"


def change_text(data: ReportData) -> str:
    c = data.headline.change
    if c is None:
        return ""
    return f"↑ {c.improved} improved, ↓ {c.worse} worse, → {c.unchanged} unchanged, {c.new} new"


def _count_entries(data: ReportData) -> list[tuple[str, int, float, bool]]:
    """(label, count, percent, is a key state) for each RAG state, best first, then "no RAG yet"."""
    o = data.headline.overall
    entries = [(c.label, c.count, c.percent, True) for c in reversed(o.counts)]
    if o.awaiting_signoff:
        entries.append((AWAITING_LABEL, o.awaiting_signoff, o.awaiting_signoff_percent, False))
    entries.append((NO_RAG, o.no_rag, o.no_rag_percent, False))
    return entries


def _delta_text(deltas: dict[str, int], label: str) -> str:
    if label == AWAITING_LABEL:
        return "–"  # the published versions do not record sign-off
    delta = deltas.get(label, 0)
    return f"{delta:+d}" if delta else "no change"


# Word.


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    from docx.shared import Pt

    doc = out.doc
    doc.add_heading(HEADING, level=1)
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    r = p.add_run(data.headline.sentence)
    r.bold = True
    r.font.size = Pt(11)
    if data.headline.retimed_text:
        p = doc.add_paragraph(data.headline.retimed_text + ".")
        p.paragraph_format.keep_with_next = True
    out.add_table(_counts_table(data))
    sections = data.headline.sections
    if len(sections) > 1 or (sections and sections[0].section and data.actions):
        doc.add_heading("By section", level=2)
        out.add_table(_sections_table(data))


def _counts_table(data: ReportData) -> str:
    h = data.headline
    change = dict(h.change.deltas) if h.change else None
    names = ["RAG status", "Actions", "% of actions"]
    if change is not None and h.baseline:
        names.append(f"Change since {version_name(h.baseline.version)}")
    widths = [twips(w) for w in (4.0, 2.4, 2.6, 8.0)][: len(names)]
    rows = [header_row(names, widths)]
    for label, count, pct, keyed in _count_entries(data):
        key = data.key_entry(label) if keyed else None
        cells = [
            rag_cell(label, key.colour) if key else text_cell(label, fill=LABEL_FILL),
            text_cell(str(count)),
            text_cell(f"{pct:.1f}%"),
        ]
        if change is not None:
            cells.append(text_cell(_delta_text(change, label)))
        rows.append(row_xml(cells, widths, cant_split=True))
    total = [text_cell("Total", bold=True), text_cell(str(h.overall.total), bold=True), text_cell("100%")]
    if change is not None:
        total.append(text_cell(change_text(data)))
    rows.append(row_xml(total, widths, cant_split=True))
    return table_xml(widths, rows, keep_together=True)


AWAITING_SHORT = "Awaiting sign-off"


def _extra_columns(data: ReportData) -> tuple[str, ...]:
    """The columns after the RAG states: awaiting sign-off (only when some are), no RAG, total."""
    awaiting = (AWAITING_SHORT,) if data.headline.overall.awaiting_signoff else ()
    return (*awaiting, NO_RAG, "Total")


def _sections_table(data: ReportData) -> str:
    labels = [k.label for k in reversed(data.rag_key)]
    names = ["Section", *labels, *_extra_columns(data)]
    first = 26.7 - 2.0 * (len(names) - 1)
    widths = [twips(first)] + [twips(2.0)] * (len(names) - 1)
    header = [Cell([para(run("Section", bold=True, colour="FFFFFF", size=BODY_PT))], fill=HEADER_FILL)]
    for k in reversed(data.rag_key):
        header.append(
            Cell(
                [
                    para(
                        run(k.label, bold=True, colour=text_colour_on(k.colour), size=BODY_PT), align="center"
                    )
                ],
                fill=k.colour,
            )
        )
    for name in _extra_columns(data):
        header.append(
            Cell(
                [para(run(name, bold=True, colour="FFFFFF", size=BODY_PT), align="center")], fill=HEADER_FILL
            )
        )
    rows = [row_xml(header, widths, header=True, cant_split=True)]
    for s in data.headline.sections:
        rows.append(
            row_xml(
                [text_cell(s.section), *_count_cells(s.breakdown, labels, _extra_columns(data))],
                widths,
                cant_split=True,
            )
        )
    return table_xml(widths, rows, keep_together=len(rows) <= 15)


def _count_cells(b: Breakdown, labels: list[str], extra: tuple[str, ...]) -> list[Cell]:
    cells = []
    for label in labels:
        c = next(c for c in b.counts if c.label == label)
        cells.append(Cell([para(run(count_pct(c.count, c.percent), size=BODY_PT), align="center")]))
    if AWAITING_SHORT in extra:
        text = count_pct(b.awaiting_signoff, b.awaiting_signoff_percent)
        cells.append(Cell([para(run(text, size=BODY_PT), align="center")]))
    cells.append(Cell([para(run(count_pct(b.no_rag, b.no_rag_percent), size=BODY_PT), align="center")]))
    cells.append(Cell([para(run(str(b.total), bold=True, size=BODY_PT), align="center")]))
    return cells


# HTML.


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f'<h2 id="headline">{HEADING}</h2><p class="sentence">{e(data.headline.sentence)}</p>']
    if data.headline.retimed_text:
        out.append(f'<p class="retimed">{e(data.headline.retimed_text)}.</p>')
    out += _counts_html(data)
    if data.headline.sections:
        out += _sections_html(data)
    return out


def _counts_html(data: ReportData) -> list[str]:
    h = data.headline
    deltas = dict(h.change.deltas) if h.change else None
    change_head = (
        f"<th>Change since {e(version_name(h.baseline.version))}</th>"
        if deltas is not None and h.baseline
        else ""
    )
    out = [
        f'<table class="counts"><thead><tr><th>RAG status</th><th>Actions</th><th>% of actions</th>'
        f"{change_head}</tr></thead><tbody>"
    ]
    for label, count, pct, keyed in _count_entries(data):
        first = rag_td(data, label) if keyed else f"<td>{e(label)}</td>"
        change = f"<td>{_delta_text(deltas, label)}</td>" if deltas is not None else ""
        out.append(f'<tr>{first}<td class="num">{count}</td><td class="num">{pct:.1f}%</td>{change}</tr>')
    total_change = f"<td>{change_text(data)}</td>" if h.change is not None else ""
    out.append(
        f'<tr><th>Total</th><th class="num">{h.overall.total}</th><td class="num">100%</td>'
        f"{total_change}</tr></tbody></table>"
    )
    return out


def _sections_html(data: ReportData) -> list[str]:
    labels = [k.label for k in reversed(data.rag_key)]
    out = ['<h3>By section</h3><table class="sections"><thead><tr><th>Section</th>']
    out += [
        f'<th style="background:{e(k.colour)};color:#{text_colour_on(k.colour)}">{e(k.label)}</th>'
        for k in reversed(data.rag_key)
    ]
    out += [f"<th>{name}</th>" for name in _extra_columns(data)]
    out.append("</tr></thead><tbody>")
    for s in data.headline.sections:
        counts = {c.label: c for c in s.breakdown.counts}
        cells = "".join(
            f'<td class="num">{count_pct(counts[label].count, counts[label].percent)}</td>'
            for label in labels
        )
        if AWAITING_SHORT in _extra_columns(data):
            awaiting = count_pct(s.breakdown.awaiting_signoff, s.breakdown.awaiting_signoff_percent)
            cells += f'<td class="num">{awaiting}</td>'
        no_rag = count_pct(s.breakdown.no_rag, s.breakdown.no_rag_percent)
        out.append(
            f'<tr><td>{e(s.section)}</td>{cells}<td class="num">{no_rag}</td>'
            f'<th class="num">{s.breakdown.total}</th></tr>'
        )
    out.append("</tbody></table>")
    return out


# Markdown: the same counts as the `summary` command's Markdown, without its title line.


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    return [f"## {HEADING}\n", render_markdown(overall(data)).split("\n", 2)[2]]


SECTION = ReportSection("headline", docx=docx, html=html, markdown=markdown)
