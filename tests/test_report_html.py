"""The HTML report, parsed with html.parser: self-contained, escaped, the same content as the DOCX."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from report.compile import compile_report
from report.render_html import render_html
from report.render_json import render_json
from report.render_md import render_md
from tests.support.report_factories import BOARD_AS_OF, board_scenario, make_plan

pytestmark = pytest.mark.storage


class Page(HTMLParser):
    """Collects tables (rows of (cell text, attributes)), image sources, links to resources and headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.images: list[str] = []
        self.external: list[str] = []
        self.headings: list[str] = []
        self.scripts = 0
        self._cell: list[str] | None = None
        self._cell_attrs: dict = {}
        self._row: list | None = None
        self._row_attrs: dict = {}
        self._heading: list[str] | None = None
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"attrs": a, "rows": []})
        elif tag == "tr":
            self._row, self._row_attrs = [], a
        elif tag in ("td", "th"):
            self._cell, self._cell_attrs = [], a
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "script":
            self.scripts += 1
        elif tag == "style":
            self._in_style = True
        elif tag in ("h1", "h2", "h3"):
            self._heading = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        if tag in ("link", "script", "iframe") or (tag == "img" and not a.get("src", "").startswith("data:")):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(("".join(self._cell), self._cell_attrs))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append((self._row, self._row_attrs))
            self._row = None
        elif tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        if self._cell is not None:
            self._cell.append(data)
        if self._heading is not None:
            self._heading.append(data)


@pytest.fixture
def board(session):
    plan = board_scenario(session)
    data = compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF)
    page = Page()
    html = render_html(data)
    page.feed(html)
    page.close()
    return data, page, html


def test_html_is_self_contained_and_print_ready(board):
    _, page, html = board
    assert page.external == []
    assert page.scripts == 0
    assert len(page.images) == 2 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert "@page { size: A4 landscape" in page.style
    assert "thead { display: table-header-group; }" in page.style
    assert "http" not in html.replace("https://example.org/standards?a=1&amp;b=2", "")


def test_user_text_is_escaped(board):
    _, page, html = board
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; delayed &amp; no chair." in html
    assert page.headings[0] == "Post Ofsted <ILACS> Action Plan"


def test_main_table_matches_the_data(board):
    data, page, _ = board
    main = next(t for t in page.tables if t["attrs"].get("class") == "main")
    rows = main["rows"]
    assert [c[0] for c in rows[0][0]] == [
        "Ref",
        "Action / required outcome",
        "Lead(s)",
        "Timescale",
        "Progress update",
        "RAG",
        "Direction",
    ]
    bands = [r[0][0][0] for r in rows if "section" in r[1].get("class", "")]
    assert bands == ["1 Improve timeliness", "2 Practice & supervision"]
    actions = {r[0][0][0]: r for r in rows if "data-action-id" in r[1]}
    assert list(actions) == ["1.1", "1.2", "2.1", "2.2"]
    red_cells, red_attrs = actions["1.2"]
    assert red_attrs["data-direction"] == "worse"
    assert red_cells[5][0] == "Red"
    assert "background:#FF0000" in red_cells[5][1]["style"]
    assert red_cells[6][0] == "↓was Green"
    assert red_cells[2][0] == "Assistant Director\nService Manager Fieldwork"
    assert red_cells[3][0] == "February 2026Due 28 Feb 2026Overdue"
    assert actions["2.2"][0][5][0] == "Not rated"
    for a in data.actions:
        cells = actions[a.ref][0]
        assert cells[1][0].startswith(a.title)
        assert cells[5][0] == (a.rag or "Not rated")


def test_history_and_exceptions(board):
    _, page, _ = board
    history = next(t for t in page.tables if t["attrs"].get("class") == "history")
    assert [[c[0] for c in r[0]] for r in history["rows"]] == [
        ["Date issued", "Version No.", "Summary of changes", "Author"],
        ["10 Feb 2020", "5.0", "Review at CSMG", "Martin Gray"],
        ["1 Feb 2026", "6.0", "Baseline", "Board Secretary"],
    ]
    exceptions = {
        t["attrs"]["data-kind"]: [r[0][0][0] for r in t["rows"][1:]]
        for t in page.tables
        if t["attrs"].get("class") == "exceptions"
    }
    assert exceptions == {"red": ["1.2"], "overdue": ["1.2"], "stale": ["2.2"]}
    assert "Contradictions (0)" in page.headings


def test_json_and_markdown_carry_the_same_content(board):
    data, _, _ = board
    parsed = json.loads(render_json(data))
    assert parsed["schema"] == 1
    assert [a["ref"] for a in parsed["actions"]] == ["1.1", "1.2", "2.1", "2.2"]
    assert [a["direction"] for a in parsed["actions"]] == ["unchanged", "worse", "unchanged", None]
    assert parsed["headline"]["sentence"] == data.headline.sentence
    assert [h["version"] for h in parsed["history"]] == ["5.0", "6.0"]
    md = render_md(data)
    assert data.headline.sentence in md
    assert "| 1 Feb 2026 | 6\\.0 |" not in md  # versions are not over-escaped
    assert "| 1 Feb 2026 | 6.0 | Baseline | Board Secretary |" in md
    assert "- **1.2** [Red] ↓ Introduce a \\<legal gateway\\> panel" in md
    assert "### Red (1)" in md


def test_same_data_gives_the_same_html(session, now):
    plan = board_scenario(session)
    first = render_html(compile_report(session, plan, as_of=BOARD_AS_OF, now=now))
    second = render_html(compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF))
    assert first == second


def test_empty_plan_html(session, now):
    plan = make_plan(session, name="empty")
    page = Page()
    page.feed(render_html(compile_report(session, plan, as_of=now, now=now)))
    assert "Progress against the action plan" in page.headings
    assert not any(t["attrs"].get("class") == "main" for t in page.tables)


def test_only_web_evidence_links_become_links(session, now):
    from tests.support.report_factories import add_action, add_update

    plan = make_plan(session, name="links")
    a = add_action(session, plan, "1")
    b = add_action(session, plan, "2")
    add_update(session, a, "Green", "x", at=now, evidence="javascript:alert(1)")
    add_update(session, b, "Green", "x", at=now, evidence="https://example.org/ok")
    html = render_html(compile_report(session, plan, as_of=now, now=now), charts=False)
    assert 'href="javascript' not in html
    assert "Evidence: javascript:alert(1)" in html
    assert '<a href="https://example.org/ok">' in html


def test_a_rag_colour_that_is_not_plain_hex_never_reaches_a_style_attribute():
    from types import SimpleNamespace

    from report.data import RagKeyEntry
    from report.html_parts import rag_td

    def data(colour):
        entry = RagKeyEntry("Red", colour, "Off track", False, 0)
        return SimpleNamespace(key_entry=lambda label: entry if label == "Red" else None)

    assert rag_td(data("#C00000"), "Red") == (
        '<td class="rag" style="background:#C00000;color:#FFFFFF">Red</td>'
    )
    hostile = rag_td(data("red;background:url(https://evil.example/x)"), "Red")
    assert hostile == '<td class="rag">Red</td>'
