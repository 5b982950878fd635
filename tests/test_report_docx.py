"""The Word board paper, opened with python-docx: layout, rows, cells and fills per action."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from report.compile import compile_report
from report.render_docx import SECTION_FILL, render_docx
from tests.support.report_factories import BOARD_AS_OF, FIVE_STATE, add_action, board_scenario, make_plan

pytestmark = pytest.mark.storage


def texts(tr) -> list[str]:
    return ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.findall(qn("w:tc"))]


def fill(tc) -> str | None:
    shd = tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
    return shd.get(qn("w:fill")) if shd is not None else None


def find_table(doc, first_header: str, second: str | None = None):
    for table in doc.tables:
        head = texts(table._tbl.tr_lst[0])
        if head and head[0] == first_header and (second is None or head[1] == second):
            return table._tbl
    raise AssertionError(f"no table starting with {first_header!r}")


@pytest.fixture
def board_docx(session):
    plan = board_scenario(session)
    data = compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF)
    return data, Document(io.BytesIO(render_docx(data)))


def test_page_is_landscape_a4(board_docx):
    _, doc = board_docx
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert round(section.page_width.cm, 1) == 29.7
    assert round(section.page_height.cm, 1) == 21.0


def test_title_block_and_headline(board_docx):
    data, doc = board_docx
    paragraphs = [p.text for p in doc.paragraphs]
    assert "Stockton & District Council" in paragraphs
    assert "Post Ofsted <ILACS> Action Plan" in paragraphs
    assert any(p.startswith("Progress report as at 10 March 2026") for p in paragraphs)
    assert data.headline.sentence in paragraphs
    assert data.introduction in paragraphs
    assert data.introduction == (
        "This report sets out progress against the action plan as at 10 March 2026, from the updates given by "
        "action leads up to that date. The direction of travel compares each action's RAG status with "
        "version 6.0, issued on 1 Feb 2026."
    )
    assert data.headline.sentence == (
        "Of 4 actions, 1 is Blue, 1 Green, 1 Red and 1 has no RAG yet; 1 has worsened since version 6.0 "
        "(1 Feb 2026), and 1 is overdue."
    )
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == ["Key to RAG status", "Document history", "Headline summary", "By section"]
    assert headings[-1] == "Progress against the action plan"


def test_rag_key_cells_are_shaded_with_the_scheme_colours(board_docx):
    _, doc = board_docx
    key = doc.tables[0]._tbl
    rows = [(texts(tr)[0], fill(tr.findall(qn("w:tc"))[0])) for tr in key.tr_lst]
    assert rows == [("Red", "FF0000"), ("Amber", "FFC000"), ("Green", "00B050"), ("Blue", "0070C0")]


def test_document_history_lists_imported_and_published_versions(board_docx):
    _, doc = board_docx
    history = find_table(doc, "Date issued")
    assert [texts(tr) for tr in history.tr_lst] == [
        ["Date issued", "Version No.", "Summary of changes", "Author"],
        ["10 Feb 2020", "5.0", "Review at CSMG", "Martin Gray"],
        ["1 Feb 2026", "6.0", "Baseline", "Board Secretary"],
    ]


def test_main_table_rows_cells_and_fills(board_docx):
    _, doc = board_docx
    main = find_table(doc, "Ref", "Action / required outcome")
    header = main.tr_lst[0]
    assert header.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None  # repeated on every page
    rows = main.tr_lst[1:]
    assert len(rows) == 2 + 4  # two section bands, four actions

    band = rows[0].findall(qn("w:tc"))
    assert len(band) == 1 and texts(rows[0]) == ["1 Improve timeliness"]
    assert band[0].find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}").get(qn("w:val")) == "7"
    assert fill(band[0]) == SECTION_FILL
    assert texts(rows[3]) == ["2 Practice & supervision"]

    by_ref = {texts(tr)[0]: tr for tr in rows if len(tr.findall(qn("w:tc"))) == 7}
    assert list(by_ref) == ["1.1", "1.2", "2.1", "2.2"]
    expected = {  # ref: (RAG text, fill, direction cell)
        "1.1": ("Green", "00B050", "→"),
        "1.2": ("Red", "FF0000", "↓was Green"),
        "2.1": ("Blue", "0070C0", "→"),
        "2.2": ("Not rated", None, ""),
    }
    for ref, (label, colour, direction) in expected.items():
        cells = texts(by_ref[ref])
        tcs = by_ref[ref].findall(qn("w:tc"))
        assert cells[5] == label, ref
        assert fill(tcs[5]) == colour, ref
        assert cells[6] == direction, ref

    red = texts(by_ref["1.2"])
    assert red[1] == "Introduce a <legal gateway> panel"
    assert red[2] == "Assistant DirectorService Manager Fieldwork"  # one lead per line
    assert red[3] == "February 2026Due 28 Feb 2026Overdue"
    assert (
        red[4]
        == "Panel <script>alert(1)</script> delayed & no chair.2 Mar 2026 · Clerk on behalf of Assistant Director"
    )
    assert texts(by_ref["1.1"])[4] == "Draft circulated.3 Mar 2026 · Service Manager Quality"
    assert texts(by_ref["2.1"])[4].endswith(
        "Evidence: https://example.org/standards?a=1&b=2Signed off by Board Chair, 20 Jan 2026"
    )
    assert texts(by_ref["2.2"])[3] == "Ongoing"
    assert texts(by_ref["2.2"])[4] == "No update yet"


def test_exceptions_tables(board_docx):
    _, doc = board_docx
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "Red (1)" in headings
    assert "Overdue (past due and not complete) (1)" in headings
    assert "No update since version 6.0 (1)" in headings
    assert "Contradictions (0)" in headings
    detail_tables = [t._tbl for t in doc.tables if texts(t._tbl.tr_lst[0])[-1:] == ["Detail"]]
    assert [texts(t.tr_lst[1])[0] for t in detail_tables] == ["1.2", "1.2", "2.2"]
    assert texts(detail_tables[1].tr_lst[1])[4] == "Due 28 Feb 2026, 10 days ago"


def test_charts_are_embedded_as_png(board_docx):
    _, doc = board_docx
    assert len(doc.inline_shapes) == 2
    images = [p for p in doc.part.package.parts if p.content_type == "image/png"]
    assert len(images) == 2
    assert all(p.blob.startswith(b"\x89PNG") for p in images)


def test_same_data_gives_the_same_file(session):
    plan = board_scenario(session)
    data = compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF)
    assert render_docx(data) == render_docx(data)


def test_five_state_plan_and_empty_plan_render(session, now):
    plan = make_plan(session, name="five", scheme=FIVE_STATE)
    add_action(session, plan, "A")
    doc = Document(io.BytesIO(render_docx(compile_report(session, plan, as_of=now, now=now))))
    assert [texts(tr)[0] for tr in doc.tables[0]._tbl.tr_lst] == [s[0] for s in FIVE_STATE]

    empty = make_plan(session, name="empty")
    doc = Document(io.BytesIO(render_docx(compile_report(session, empty, as_of=now, now=now))))
    assert "The plan has no actions yet." in [p.text for p in doc.paragraphs]


def test_headline_tables_give_counts_and_percentages(board_docx):
    _, doc = board_docx
    counts = find_table(doc, "RAG status")
    assert [texts(tr) for tr in counts.tr_lst] == [
        ["RAG status", "Actions", "% of actions", "Change since version 6.0"],
        ["Blue", "1", "25.0%", "no change"],
        ["Green", "1", "25.0%", "-1"],
        ["Amber", "0", "0.0%", "no change"],
        ["Red", "1", "25.0%", "+1"],
        ["No RAG yet", "1", "25.0%", "no change"],
        ["Total", "4", "100%", "↑ 0 improved, ↓ 1 worse, → 2 unchanged, 0 new"],
    ]
    sections = find_table(doc, "Section")
    assert [texts(tr) for tr in sections.tr_lst] == [
        ["Section", "Blue", "Green", "Amber", "Red", "No RAG yet", "Total"],
        ["1 Improve timeliness", "–", "1 (50%)", "–", "1 (50%)", "–", "2"],
        ["2 Practice & supervision", "1 (50%)", "–", "–", "–", "1 (50%)", "2"],
    ]
