"""The full table, in plan order: section bands, then each action with its outcome, leads, timescale,
latest progress, RAG cell and direction of travel."""

from __future__ import annotations

from report.data import CLOSED_BAND, ActionRow, ReportData, SectionBand
from report.docx_parts import (
    ALERT,
    BODY_PT,
    LABEL_FILL,
    MUTED,
    SECTION_FILL,
    SMALL_PT,
    SUBSECTION_FILL,
    WordDoc,
    header_row,
    rag_cell,
    text_cell,
)
from report.headline import human_date
from report.html_parts import e, lines, rag_td
from report.sections.base import RenderOptions, ReportSection
from report.summaries import by_section
from report.text import _item_md, _md
from report.wordml import Cell, para, row_xml, run, table_xml, twips

HEADING = "Progress against the action plan"
NO_ACTIONS = "The plan has no actions yet."
# (name, Word width in cm, HTML <col> class). The Word widths make the 26.7 cm between 1.5 cm margins
# on landscape A4; the HTML widths are in the stylesheet.
COLUMNS = (
    ("Ref", 1.4, "ref"),
    ("Action / required outcome", 6.8, "action"),
    ("Lead(s)", 3.4, "lead"),
    ("Timescale", 2.8, "time"),
    ("Progress update", 8.6, "progress"),
    ("RAG", 2.0, "rag"),
    ("Direction", 1.7, "dir"),
)

# Word.


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    out.doc.add_heading(HEADING, level=1)
    if data.actions:
        out.add_table(_docx_table(data))
    else:
        out.doc.add_paragraph(NO_ACTIONS)


def _docx_table(data: ReportData) -> str:
    widths = [twips(w) for _, w, _ in COLUMNS]
    rows = [header_row([name for name, _, _ in COLUMNS], widths)]
    for row in data.table_rows():
        if isinstance(row, SectionBand):
            rows.append(_docx_band(row, widths))
        else:
            rows.append(row_xml(_action_cells(data, row), widths))
    return table_xml(widths, rows)


def _docx_band(band: SectionBand, widths: list[int]) -> str:
    top = band.depth == 0
    cell = Cell(
        [para(run(band.title, bold=True, size=10 if top else BODY_PT), keep_next=True)],
        fill=SECTION_FILL if top else SUBSECTION_FILL,
        span=len(COLUMNS),
    )
    return row_xml([cell], widths, cant_split=True)


def _action_cells(data: ReportData, a: ActionRow) -> list[Cell]:
    action = [para(run(a.title, size=BODY_PT))]
    if a.outcome:
        action.append(
            para(run("Outcome: ", bold=True, size=SMALL_PT), run(a.outcome, size=SMALL_PT), before=60)
        )
    timescale = [para(run(a.timescale or "—", size=BODY_PT))]
    if a.timescale_note:
        timescale.append(para(run(a.timescale_note, colour=MUTED, size=SMALL_PT), before=40))
    elif a.due:
        timescale.append(para(run(f"Due {human_date(a.due)}", colour=MUTED, size=SMALL_PT), before=40))
    if a.overdue:
        timescale.append(para(run("Overdue", bold=True, colour=ALERT, size=SMALL_PT)))
    if a.status != "open":
        return _closed_cells(a, action, timescale)
    key = data.key_entry(a.rag)
    direction = [
        para(run(a.arrow or "", bold=True, size=14 if a.direction != "new" else BODY_PT), align="center")
    ]
    if a.direction in ("improved", "worse") and a.baseline_rag:
        direction.append(para(run(f"was {a.baseline_rag}", colour=MUTED, size=7), align="center"))
    return [
        text_cell(a.ref, bold=True),
        Cell(action),
        text_cell("\n".join(a.leads) or "—"),
        Cell(timescale),
        Cell(_progress_paras(a)),
        rag_cell(a.rag, key.colour if key else None),
        Cell(direction, valign="center"),
    ]


def _closed_cells(a: ActionRow, action: list[str], timescale: list[str]) -> list[Cell]:
    """A withdrawn or merged action: why and when, instead of progress, RAG and direction."""
    return [
        text_cell(a.ref, bold=True),
        Cell(action),
        text_cell("\n".join(a.leads) or "—"),
        Cell(timescale),
        Cell([para(run(closed_text(a), size=BODY_PT))]),
        Cell(
            [para(run(closed_label(a), bold=True, colour=MUTED, size=BODY_PT), align="center")],
            fill=LABEL_FILL,
            valign="center",
        ),
        Cell([para()]),
    ]


def closed_label(a: ActionRow) -> str:
    return "Merged" if a.status == "merged" else "Withdrawn"


def closed_text(a: ActionRow) -> str:
    what = f"Merged into {a.merged_into}" if a.status == "merged" else "Withdrawn"
    when = f" on {human_date(a.closed_date)}" if a.closed_date else ""
    return f"{what}{when}: {a.closed_reason}" if a.closed_reason else f"{what}{when}"


def status_notes(a: ActionRow) -> list[tuple[str, bool]]:
    """(text, alert) lines under the progress: sign-off and open challenges."""
    notes = []
    if a.completion == "awaiting":
        notes.append(("Complete, awaiting sign-off", True))
    elif a.completion == "signed_off" and a.signed_off_by:
        when = f", {human_date(a.signed_off_date)}" if a.signed_off_date else ""
        notes.append((f"Signed off by {a.signed_off_by}{when}", False))
    for c in a.challenges:
        notes.append((f"Challenged by {c.by} on {human_date(c.date)}: {c.question}", True))
    return notes


def _progress_paras(a: ActionRow) -> list[str]:
    notes = [
        para(run(text, bold=alert, colour=ALERT if alert else MUTED, size=SMALL_PT), before=40)
        for text, alert in status_notes(a)
    ]
    return _progress_body(a) + notes


def _progress_body(a: ActionRow) -> list[str]:
    if not a.progress:
        return [para(run("No update yet", italic=True, colour=MUTED, size=BODY_PT))]
    progress = [
        para(run(line, size=BODY_PT), after=40) for line in a.progress.text.split("\n") if line.strip()
    ]
    progress.append(para(run(a.progress.byline, colour=MUTED, size=SMALL_PT)))
    if a.progress.evidence_url:
        progress.append(para(run(f"Evidence: {a.progress.evidence_url}", colour=MUTED, size=SMALL_PT)))
    if a.progress.evidence_note:
        progress.append(para(run(f"Evidence: {a.progress.evidence_note}", colour=MUTED, size=SMALL_PT)))
    return progress


# HTML.


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f'<h2 id="actions">{HEADING}</h2>']
    if not data.actions:
        return [*out, f"<p>{NO_ACTIONS}</p>"]
    cols = "".join(f'<col class="{cls}">' for _, _, cls in COLUMNS)
    head = "".join(f"<th>{name}</th>" for name, _, _ in COLUMNS)
    out.append(f'<table class="main"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>')
    for row in data.table_rows():
        if isinstance(row, SectionBand):
            cls = "section" if row.depth == 0 else "section sub"
            out.append(f'<tr class="{cls}"><th colspan="{len(COLUMNS)}">{e(row.title)}</th></tr>')
        else:
            out.append(_action_tr(data, row))
    out.append("</tbody></table>")
    return out


def _action_tr(data: ReportData, a: ActionRow) -> str:
    outcome = f'<div class="small"><b>Outcome:</b> {lines(a.outcome)}</div>' if a.outcome else ""
    if a.timescale_note:
        due = f'<div class="small muted revised">{e(a.timescale_note)}</div>'
    else:
        due = f'<div class="small muted">Due {e(human_date(a.due))}</div>' if a.due else ""
    overdue = '<div class="small overdue">Overdue</div>' if a.overdue else ""
    if a.status != "open":
        return (
            f'<tr class="closed" data-action-id="{a.id}" data-status="{e(a.status)}">'
            f'<td class="ref">{e(a.ref)}</td><td>{lines(a.title)}{outcome}</td>'
            f"<td>{'<br>'.join(e(x) for x in a.leads) or '—'}</td>"
            f"<td>{e(a.timescale or '—')}{due}</td><td>{e(closed_text(a))}</td>"
            f'<td class="rag closed">{e(closed_label(a))}</td><td class="dir"></td></tr>'
        )
    notes = "".join(
        f'<div class="small {"alert" if alert else "muted"}">{e(text)}</div>'
        for text, alert in status_notes(a)
    )
    marks = " challenged" if a.challenged else ""
    if a.completion == "awaiting":
        marks += " awaiting-signoff"
    was = (
        f'<span class="was">was {e(a.baseline_rag)}</span>'
        if a.direction in ("improved", "worse") and a.baseline_rag
        else ""
    )
    return (
        f'<tr class="action{marks}" data-action-id="{a.id}" data-direction="{e(a.direction or "")}">'
        f'<td class="ref">{e(a.ref)}</td><td>{lines(a.title)}{outcome}</td>'
        f"<td>{'<br>'.join(e(x) for x in a.leads) or '—'}</td>"
        f"<td>{e(a.timescale or '—')}{due}{overdue}</td><td>{_progress_html(a)}{notes}</td>"
        f'{rag_td(data, a.rag)}<td class="dir">{e(a.arrow)}{was}</td></tr>'
    )


def _progress_html(a: ActionRow) -> str:
    p = a.progress
    if not p:
        return '<span class="none">No update yet</span>'
    evidence = ""
    if p.evidence_url:
        link = e(p.evidence_url)
        # Only web links become links: a "javascript:" URL from an imported file stays text.
        if p.evidence_url.lower().startswith(("http://", "https://")):
            link = f'<a href="{link}">{link}</a>'
        evidence = f'<div class="small muted">Evidence: {link}</div>'
    if p.evidence_note:
        evidence += f'<div class="small muted">Evidence: {e(p.evidence_note)}</div>'
    paragraphs = "".join(f'<p class="progress">{e(line)}</p>' for line in p.text.split("\n") if line.strip())
    return f'{paragraphs}<div class="small muted">{e(p.byline)}</div>{evidence}'


# Markdown: a list per section rather than a table, for email and chat.


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f"## {HEADING}\n"]
    if not data.actions:
        out.append(f"{NO_ACTIONS}\n")
    for group in by_section(data).groups:
        out.append(f"### {_md(group.name)}\n")
        out += [_item_md(item) for item in group.actions]
        out.append("")
    if data.closed:
        out.append(f"### {CLOSED_BAND}\n")
        out += [f"- **{_md(a.ref)}** {_md(a.title)} · {_md(closed_text(a))}" for a in data.closed]
        out.append("")
    return out


CSS = """
.main td .alert{color:#C00000;font-weight:bold}
.main tr.closed td{color:#595959}
.main td.rag.closed{background:#F2F2F2;color:#595959}
"""

SECTION = ReportSection("actions", docx=docx, html=html, markdown=markdown, css=CSS)
