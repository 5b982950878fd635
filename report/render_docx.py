"""The board paper as a Word document: landscape A4, the layout committee papers already use.

This module sets up the page, styles, footer and file properties; the content is ``report.sections``,
in order: title block, RAG key, document history, headline summary, charts, exceptions, then the full
action table in plan order with section bands, a header row repeated on every page, RAG cells filled
with the scheme's colour and a direction-of-travel column.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from report.data import ReportData
from report.docx_parts import FONT, HEADER_FILL, SECTION_FILL, WordDoc
from report.headline import human_date
from report.sections import SECTIONS, RenderOptions

__all__ = ["SECTION_FILL", "render_docx"]

# A fixed instant for the zip entries, so the same report gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def render_docx(data: ReportData, *, charts: bool = True) -> bytes:
    from docx import Document

    doc = Document()
    _page_setup(doc)
    _styles(doc)
    out, opts = WordDoc(doc), RenderOptions(charts=charts)
    for section in SECTIONS:
        section.docx(out, data, opts)
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


def _page_setup(doc) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.5))
    section.top_margin = section.bottom_margin = Cm(1.5)
    section.header_distance = section.footer_distance = Cm(0.8)


def _styles(doc) -> None:
    from docx.shared import Pt, RGBColor

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
