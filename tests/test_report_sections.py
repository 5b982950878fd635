"""The report's one list of sections: every format follows it, a new entry appears in every format,
and the same data gives the same bytes in every format."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document

import report.render_docx
import report.render_html
import report.render_md
from progressbot.demo import run_demo
from report.compile import compile_report
from report.render import render
from report.render_docx import render_docx
from report.render_html import render_html
from report.render_md import render_md
from report.sections import SECTIONS, RenderOptions, ReportSection
from tests.support.report_factories import BOARD_AS_OF, board_scenario

pytestmark = pytest.mark.storage

BOARD_ORDER = [
    "Key to RAG status",
    "Document history",
    "Headline summary",
    "Exceptions",
    "Progress against the action plan",
]


@pytest.fixture
def board(session):
    plan = board_scenario(session)
    return session, plan, compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF)


def test_the_sections_in_board_order():
    assert [s.name for s in SECTIONS] == [
        "title",
        "key",
        "history",
        "headline",
        "charts",
        "exceptions",
        "actions",
    ]
    # Charts are pictures: the Markdown leaves them out, and only them.
    assert [s.name for s in SECTIONS if s.markdown is None] == ["charts"]


def test_every_format_gives_the_sections_in_the_same_order(board):
    _, _, data = board
    doc = Document(io.BytesIO(render_docx(data, charts=False)))
    word = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    html = re.findall(r"<h2[^>]*>([^<]+)</h2>", render_html(data, charts=False))
    md = re.findall(r"^## (.+)$", render_md(data), flags=re.MULTILINE)
    assert word == html == md == BOARD_ORDER


def test_a_new_section_is_one_entry_with_its_renderers(board, monkeypatch):
    _, _, data = board

    def docx(out, data, opts):
        out.doc.add_heading("Open challenges", level=1)
        out.doc.add_paragraph(f"{len(data.actions)} actions checked")

    def html(data, opts):
        return ['<h2 id="challenges">Open challenges</h2>', f'<p class="chk">{len(data.actions)} checked</p>']

    def markdown(data, opts):
        return ["## Open challenges\n", f"{len(data.actions)} checked\n"]

    extra = ReportSection("challenges", docx=docx, html=html, markdown=markdown, css=".chk { color: red; }")
    sections = (*SECTIONS[:5], extra, *SECTIONS[5:])
    for module in (report.render_docx, report.render_html, report.render_md):
        monkeypatch.setattr(module, "SECTIONS", sections)
    expected = [*BOARD_ORDER[:3], "Open challenges", *BOARD_ORDER[3:]]

    doc = Document(io.BytesIO(render_docx(data, charts=False)))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == expected
    assert "4 actions checked" in [p.text for p in doc.paragraphs]
    page = render_html(data, charts=False)
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", page) == expected
    assert '<p class="chk">4 checked</p>' in page
    assert ".chk { color: red; }" in page.split("</style>")[0]
    md = render_md(data)
    assert re.findall(r"^## (.+)$", md, flags=re.MULTILINE) == expected
    assert "\n4 checked\n" in md


def test_charts_option_reaches_only_the_charts_section(board):
    _, _, data = board
    with_charts, without = render_html(data), render_html(data, charts=False)
    assert with_charts.count("data:image/png;base64,") == 2
    assert "data:image/png" not in without
    # Everything else is the same page.
    assert re.sub(r'\n<div class="charts">.*?</div>', "", with_charts, flags=re.DOTALL) == without
    charts = next(s for s in SECTIONS if s.name == "charts")
    assert charts.html(data, RenderOptions(charts=False)) == []


@pytest.mark.parametrize("fmt", ["docx", "html", "md", "json"])
def test_same_data_compiled_twice_gives_the_same_bytes(board, fmt):
    session, plan, data = board
    again = compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF)
    assert data is not again
    assert render(data, fmt) == render(again, fmt)


def test_two_demo_runs_in_fresh_databases_give_byte_identical_word_and_html(tmp_path):
    first, second = run_demo(tmp_path / "one"), run_demo(tmp_path / "two")
    assert first.database != second.database
    assert first.docx.read_bytes() == second.docx.read_bytes()
    assert first.html.read_bytes() == second.html.read_bytes()
