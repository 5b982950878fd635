"""Title block: organisation, plan title, "Progress report as at …" with the latest version, introduction."""

from __future__ import annotations

import datetime as dt

from report.data import ReportData
from report.docx_parts import MUTED, WordDoc
from report.headline import human_date, version_name
from report.html_parts import e
from report.sections.base import RenderOptions, ReportSection
from report.text import _md


def long_date(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


def as_at(data: ReportData, when: str) -> str:
    """ "Progress report as at …", or for a board pack, which meeting it is for and that it stops at the cut-off."""
    if data.meeting:
        return f"Board pack for {data.meeting}: progress as at {when} (the cut-off for updates)"
    return f"Progress report as at {when}"


def latest_version(data: ReportData) -> str:
    latest = data.history[-1]
    return f"latest {version_name(latest.version)}, issued {human_date(latest.date)}"


def docx(out: WordDoc, data: ReportData, opts: RenderOptions) -> None:
    from docx.shared import Pt, RGBColor

    doc = out.doc
    if data.organisation:
        r = doc.add_paragraph().add_run(data.organisation)
        r.bold = True
        r.font.size = Pt(13)
    doc.add_paragraph(data.title, style="Title")
    p = doc.add_paragraph()
    r = p.add_run(as_at(data, long_date(data.as_of_date)))
    r.font.size = Pt(12)
    if data.history:
        r = p.add_run(f"   ·   {latest_version(data)}")
        r.font.size = Pt(10)
        r.font.color.rgb = RGBColor.from_string(MUTED)
    doc.add_paragraph(data.introduction)


def html(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f'<p class="org">{e(data.organisation)}</p>'] if data.organisation else []
    latest = f' <span class="muted small">· {e(latest_version(data))}</span>' if data.history else ""
    return [
        *out,
        f"<h1>{e(data.title)}</h1>",
        f'<p class="asof">{e(as_at(data, long_date(data.as_of_date)))}{latest}</p>',
        f'<p class="intro">{e(data.introduction)}</p>',
    ]


def markdown(data: ReportData, opts: RenderOptions) -> list[str]:
    out = [f"**{_md(data.organisation)}**\n"] if data.organisation else []
    return [
        *out,
        f"# {_md(data.title)}\n",
        f"{_md(as_at(data, human_date(data.as_of_date)))}\n",
        f"{_md(data.introduction)}\n",
    ]


SECTION = ReportSection("title", docx=docx, html=html, markdown=markdown)
