"""The board paper as a Word document: landscape A4, the layout committee papers already use.

Order: title block, RAG key, document history, headline summary (with charts), exceptions, then the
full action table in plan order with section bands, a header row repeated on every page, RAG cells
filled with the scheme's colour and a direction-of-travel column.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence

from report.data import ActionRow, Breakdown, ReportData, SectionBand
from report.headline import NO_RAG, human_date
from report.wordml import Cell, para, row_xml, run, table_xml, text_colour_on, twips

FONT = "Arial"
HEADER_FILL = "1F3864"
SECTION_FILL = "D9E2F3"
SUBSECTION_FILL = "EDF2F9"
LABEL_FILL = "F2F2F2"
MUTED = "595959"
ALERT = "C00000"
BODY_PT = 9
SMALL_PT = 8

# Main table columns (cm): together the 26.7 cm between 1.5 cm margins on landscape A4.
MAIN_COLUMNS = (
    ("Ref", 1.4),
    ("Action / required outcome", 6.8),
    ("Lead(s)", 3.4),
    ("Timescale", 2.8),
    ("Progress update", 8.6),
    ("RAG", 2.0),
    ("Direction", 1.7),
)
EXCEPTION_COLUMNS = (("Ref", 1.4), ("Action", 9.0), ("Lead(s)", 4.0), ("RAG", 2.0), ("Detail", 10.3))
# A fixed instant for the zip entries, so the same report gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def render_docx(data: ReportData, *, charts: bool = True) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import parse_xml
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.5))
    section.top_margin = section.bottom_margin = Cm(1.5)
    section.header_distance = section.footer_distance = Cm(0.8)

    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    _set_east_asian_font(normal, FONT)
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor.from_string(HEADER_FILL)
        _set_east_asian_font(style, FONT)
        style.paragraph_format.space_before = Pt(10 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(4)
    _drop_title_border(styles["Title"])

    body = doc.element.body

    def add_table(xml: str) -> None:
        body.sectPr.addprevious(parse_xml(xml))
        # Word needs a paragraph between two tables or it merges them.
        doc.add_paragraph().paragraph_format.space_after = Pt(2)

    # 1. Title block.
    if data.organisation:
        p = doc.add_paragraph()
        r = p.add_run(data.organisation)
        r.bold = True
        r.font.size = Pt(13)
    doc.add_paragraph(data.title, style="Title")
    p = doc.add_paragraph()
    r = p.add_run(f"Progress report as at {_long_date(data.as_of_date)}")
    r.font.size = Pt(12)
    if data.history:
        latest = data.history[-1]
        r = p.add_run(f"   ·   latest version {latest.version}, issued {human_date(latest.date)}")
        r.font.size = Pt(10)
        r.font.color.rgb = RGBColor.from_string(MUTED)

    doc.add_paragraph(data.introduction)

    # 2. RAG key.
    doc.add_heading("Key to RAG status", level=1)
    widths = [twips(3.2), twips(14.0)]
    rows = [
        row_xml(
            [
                Cell(
                    [
                        para(
                            run(k.label, bold=True, colour=text_colour_on(k.colour), size=BODY_PT),
                            align="center",
                        )
                    ],
                    fill=k.colour,
                    valign="center",
                ),
                Cell([para(run(k.meaning or k.label, size=BODY_PT))], valign="center"),
            ],
            widths,
        )
        for k in data.rag_key
    ]
    add_table(table_xml(widths, rows, keep_together=True))

    # 3. Document history.
    doc.add_heading("Document history", level=1)
    if data.history:
        widths = [twips(2.6), twips(2.2), twips(13.5), twips(8.4)]
        rows = [_header_row(("Date issued", "Version No.", "Summary of changes", "Author"), widths)]
        rows += [
            row_xml(
                [
                    _text_cell(human_date(h.date)),
                    _text_cell(h.version),
                    _text_cell(h.summary),
                    _text_cell(h.author),
                ],
                widths,
            )
            for h in data.history
        ]
        add_table(table_xml(widths, rows, keep_together=len(rows) <= 12))
    else:
        doc.add_paragraph("No version of this report has been published yet.")

    # 4. Headline summary.
    doc.add_heading("Headline summary", level=1)
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    r = p.add_run(data.headline.sentence)
    r.bold = True
    r.font.size = Pt(11)
    add_table(_counts_table(data))
    if len(data.headline.sections) > 1 or (
        data.headline.sections and data.headline.sections[0].section and data.actions
    ):
        doc.add_heading("By section", level=2)
        add_table(_sections_table(data))
    if charts:
        from report.charts import rag_distribution_png, rag_over_time_png

        p = doc.add_paragraph()
        p.paragraph_format.keep_together = True
        p.add_run().add_picture(io.BytesIO(rag_distribution_png(data)), width=Cm(12.5))
        p.add_run("   ")
        p.add_run().add_picture(io.BytesIO(rag_over_time_png(data)), width=Cm(12.5))

    # 5. Exceptions.
    doc.add_heading("Exceptions", level=1)
    for _kind, heading, items in data.exception_groups():
        doc.add_heading(f"{heading} ({len(items)})", level=2)
        if not items:
            doc.add_paragraph("None.")
            continue
        widths = [twips(w) for _, w in EXCEPTION_COLUMNS]
        rows = [_header_row([name for name, _ in EXCEPTION_COLUMNS], widths)]
        for item in items:
            key = data.key_entry(item.rag)
            rows.append(
                row_xml(
                    [
                        _text_cell(item.ref, bold=True),
                        _text_cell(item.title),
                        _text_cell(", ".join(item.leads)),
                        _rag_cell(item.rag, key.colour if key else None),
                        _text_cell(item.detail),
                    ],
                    widths,
                    cant_split=True,
                )
            )
        add_table(table_xml(widths, rows))

    # 6-7. The full table, in plan order.
    doc.add_heading("Progress against the action plan", level=1)
    if data.actions:
        add_table(_main_table(data))
    else:
        doc.add_paragraph("The plan has no actions yet.")

    _footer(doc, data)
    props = doc.core_properties
    props.title = f"{data.title}: progress report as at {human_date(data.as_of_date)}"
    props.author = props.last_modified_by = "progressbot"
    stamp = dt.datetime.fromisoformat(data.as_of).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    props.created = props.modified = stamp
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _stable_zip(buf.getvalue())


def _long_date(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def _text_cell(text: str, *, bold: bool = False, size: float = BODY_PT, fill: str | None = None) -> Cell:
    paragraphs = [para(run(line, bold=bold, size=size)) for line in (text or "").split("\n")] or [para()]
    return Cell(paragraphs, fill=fill)


def _rag_cell(label: str | None, colour: str | None) -> Cell:
    if not label:
        return Cell(
            [para(run("Not rated", italic=True, colour=MUTED, size=SMALL_PT), align="center")],
            valign="center",
        )
    fill = colour or "FFFFFF"
    return Cell(
        [para(run(label, bold=True, colour=text_colour_on(fill), size=BODY_PT), align="center")],
        fill=fill,
        valign="center",
    )


def _header_row(names: Sequence[str], widths: Sequence[int]) -> str:
    cells = [
        Cell([para(run(name, bold=True, colour="FFFFFF", size=BODY_PT))], fill=HEADER_FILL, valign="center")
        for name in names
    ]
    return row_xml(cells, widths, header=True, cant_split=True)


def _counts_table(data: ReportData) -> str:
    h = data.headline
    change = dict(h.change.deltas) if h.change else None
    names = ["RAG status", "Actions", "% of actions"]
    if change is not None and h.baseline:
        names.append(f"Change since version {h.baseline.version}")
    widths = [twips(w) for w in (4.0, 2.4, 2.6, 8.0)][: len(names)]
    rows = [_header_row(names, widths)]
    entries = [(c.label, c.count, c.percent, data.key_entry(c.label)) for c in reversed(h.overall.counts)]
    entries.append((NO_RAG, h.overall.no_rag, h.overall.no_rag_percent, None))
    for label, count, pct, key in entries:
        cells = [
            _rag_cell(label, key.colour) if key else _text_cell(label, fill=LABEL_FILL),
            _text_cell(str(count)),
            _text_cell(f"{pct:.1f}%"),
        ]
        if change is not None:
            delta = change.get(label, 0)
            cells.append(_text_cell(f"{delta:+d}" if delta else "no change"))
        rows.append(row_xml(cells, widths, cant_split=True))
    total = [_text_cell("Total", bold=True), _text_cell(str(h.overall.total), bold=True), _text_cell("100%")]
    if change is not None:
        total.append(_text_cell(_change_text(data)))
    rows.append(row_xml(total, widths, cant_split=True))
    return table_xml(widths, rows, keep_together=True)


def _change_text(data: ReportData) -> str:
    c = data.headline.change
    if c is None:
        return ""
    return f"↑ {c.improved} improved, ↓ {c.worse} worse, → {c.unchanged} unchanged, {c.new} new"


def _sections_table(data: ReportData) -> str:
    labels = [k.label for k in reversed(data.rag_key)]
    names = ["Section", *labels, NO_RAG, "Total"]
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
    for name in (NO_RAG, "Total"):
        header.append(
            Cell(
                [para(run(name, bold=True, colour="FFFFFF", size=BODY_PT), align="center")], fill=HEADER_FILL
            )
        )
    rows = [row_xml(header, widths, header=True, cant_split=True)]
    for s in data.headline.sections:
        rows.append(
            row_xml([_text_cell(s.section), *_count_cells(s.breakdown, labels)], widths, cant_split=True)
        )
    return table_xml(widths, rows, keep_together=len(rows) <= 15)


def _count_cells(b: Breakdown, labels: Sequence[str]) -> list[Cell]:
    cells = []
    for label in labels:
        c = next(c for c in b.counts if c.label == label)
        cells.append(Cell([para(run(_count_pct(c.count, c.percent), size=BODY_PT), align="center")]))
    cells.append(Cell([para(run(_count_pct(b.no_rag, b.no_rag_percent), size=BODY_PT), align="center")]))
    cells.append(Cell([para(run(str(b.total), bold=True, size=BODY_PT), align="center")]))
    return cells


def _count_pct(count: int, percent: float) -> str:
    return f"{count} ({percent:.0f}%)" if count else "–"


def _main_table(data: ReportData) -> str:
    widths = [twips(w) for _, w in MAIN_COLUMNS]
    span = len(MAIN_COLUMNS)
    rows = [_header_row([name for name, _ in MAIN_COLUMNS], widths)]
    for row in data.table_rows():
        if isinstance(row, SectionBand):
            top = row.depth == 0
            rows.append(
                row_xml(
                    [
                        Cell(
                            [para(run(row.title, bold=True, size=10 if top else BODY_PT), keep_next=True)],
                            fill=SECTION_FILL if top else SUBSECTION_FILL,
                            span=span,
                        )
                    ],
                    widths,
                    cant_split=True,
                )
            )
        else:
            rows.append(row_xml(_action_cells(data, row), widths))
    return table_xml(widths, rows)


def _action_cells(data: ReportData, a: ActionRow) -> list[Cell]:
    action = [para(run(a.title, size=BODY_PT))]
    if a.outcome:
        action.append(
            para(run("Outcome: ", bold=True, size=SMALL_PT), run(a.outcome, size=SMALL_PT), before=60)
        )
    timescale = [para(run(a.timescale or "—", size=BODY_PT))]
    if a.due:
        timescale.append(para(run(f"Due {human_date(a.due)}", colour=MUTED, size=SMALL_PT), before=40))
    if a.overdue:
        timescale.append(para(run("Overdue", bold=True, colour=ALERT, size=SMALL_PT)))
    if a.progress:
        progress = [
            para(run(line, size=BODY_PT), after=40) for line in a.progress.text.split("\n") if line.strip()
        ]
        progress.append(para(run(a.progress.byline, colour=MUTED, size=SMALL_PT)))
        if a.progress.evidence_url:
            progress.append(para(run(f"Evidence: {a.progress.evidence_url}", colour=MUTED, size=SMALL_PT)))
    else:
        progress = [para(run("No update yet", italic=True, colour=MUTED, size=BODY_PT))]
    key = data.key_entry(a.rag)
    direction = [
        para(run(a.arrow or "", bold=True, size=14 if a.direction != "new" else BODY_PT), align="center")
    ]
    if a.direction in ("improved", "worse") and a.baseline_rag:
        direction.append(para(run(f"was {a.baseline_rag}", colour=MUTED, size=7), align="center"))
    return [
        _text_cell(a.ref, bold=True),
        Cell(action),
        _text_cell("\n".join(a.leads) or "—"),
        Cell(timescale),
        Cell(progress),
        _rag_cell(a.rag, key.colour if key else None),
        Cell(direction, valign="center"),
    ]


def _footer(doc, data: ReportData) -> None:
    from docx.oxml import parse_xml
    from docx.shared import Pt

    footer = doc.sections[0].footer
    p = footer.paragraphs[0]
    text = f"{data.title} — progress report as at {human_date(data.as_of_date)}    Page "
    r = p.add_run(text)
    r.font.size = Pt(7)
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    for instr, tail in (("PAGE", " of "), ("NUMPAGES", "")):
        p._p.append(
            parse_xml(
                f'<w:fldSimple {ns} w:instr="{instr}"><w:r><w:rPr><w:sz w:val="14"/></w:rPr>'
                f"<w:t>1</w:t></w:r></w:fldSimple>"
            )
        )
        if tail:
            r = p.add_run(tail)
            r.font.size = Pt(7)


def _set_east_asian_font(style, name: str) -> None:
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
    if fonts is None:
        fonts = rpr.makeelement("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts", {})
        rpr.insert(0, fonts)
    for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{attr}", name)
    for attr in ("asciiTheme", "hAnsiTheme", "cstheme", "eastAsiaTheme"):
        fonts.attrib.pop(f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{attr}", None)


def _drop_title_border(style) -> None:
    ppr = style.element.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pPr")
    if ppr is None:
        return
    border = ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr")
    if border is not None:
        ppr.remove(border)


def _stable_zip(blob: bytes) -> bytes:
    """Rewrite the package with fixed entry times, so equal reports are equal files."""
    source = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
