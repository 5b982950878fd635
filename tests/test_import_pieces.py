"""The importer's small parts, each on its own: column roles, the shape of unnamed columns, splitting
lead cells, pairing cells across the actions of one row, taking a RAG out of progress text, Word's
list numbers, list-plan fields and dates, and the fold's frozen context."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from storage.importers.account import Account
from storage.importers.actions import ActionReader, Context, Group, Warnings
from storage.importers.headers import (
    Columns,
    action_header,
    header_role,
    headerless_glossary,
    history_header,
    is_ref_shaped,
    with_unnamed_columns,
)
from storage.importers.leads import hard_parts, is_post, split_people
from storage.importers.listplan import labelled_fields, plan_date
from storage.importers.model import Cell, ParsedAction
from storage.importers.numbering import Numbering, format_number
from storage.importers.pairing import join_text, paired
from storage.importers.ragcells import split_progress_rag
from storage.importers.rows import UnitInfo, lead_segments, read_row, ref_column_pieces
from storage.importers.segments import parse_action_cell
from storage.importers.tables import RowItem, Unit
from storage.rag import BUILTIN_SCHEMES

BRAG = BUILTIN_SCHEMES["brag"]


def row(*texts: str) -> list[Cell]:
    return [Cell.of(t) for t in texts]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("March 2025 update", "progress"),
        ("Update (Jan 24)", "progress"),
        ("Latest position", "progress"),
        ("Comments", "progress"),
        ("Progress (RAG)", "progress_rag"),
        ("Progress/RAG", "progress_rag"),
        ("R/A/G", "rag"),
        ("Status (BRAG)", "rag"),
        ("Assigned To", "lead"),
        ("Supporting officers", None),
        ("Title", "action"),
        ("What we will do", "action"),
        ("Start date", None),
        ("Date added", None),
        ("Original target date", "timescale"),
        ("Revised target date", "timescale"),
        ("Action 12 Review the front door", None),
        ("Version 3 drafted; date for sign-off at the board is 12 February", None),
    ],
)
def test_header_roles(header, role):
    assert header_role(header) == role


def test_the_quick_role_check_answers_as_the_one_pattern_does():
    """Every rule's anchored alternatives are tried at the start only: the same answer, sooner."""
    from storage.importers.headers import _ANY_ROLE, _alternatives, _names_a_role, normalise_header

    assert _alternatives("a|(b|c)|[|]d|\\|e") == ["a", "(b|c)", "[|]d", "\\|e"]
    words = [
        "ref", "no.", "action", "key actions", "what we will do", "lead officer", "responsible", "owner",
        "timescale", "by when", "due", "target date", "start date", "date added", "rag", "r a g",
        "status (brag)", "progress", "latest position", "march 2025 update", "progress (rag)",
        "rag / progress", "update", "comments", "success measures", "how will we know", "outcome",
        "impact", "objective", "aims", "recommendation", "priority", "themes", "phase 2", "links",
        "deliver improvement step 12", "head of early help 3", "position for step 7", "a1", "red",
        "the recommendation is that leaders act", "x rag y progress z", "progress then rag",
        "evidence", "kpi", "area for improvement", "milestones", "completion date", "dates",
    ]  # fmt: skip
    keys = {normalise_header(w) for w in words} | set(words)
    keys |= {f"{a} {b}" for a in words[:25] for b in words[25:]} | {f"x {w}" for w in words}
    keys |= {"progress\nrag", "rag\nprogress", "notes\ndue"}
    for key in keys:
        assert _names_a_role(key) == bool(_ANY_ROLE.search(key)), key


def test_a_data_row_is_never_a_header():
    assert (
        action_header(
            row("Action 12 Review the front door", "Lead: Head of MASH", "Due: May 2024", "Progress update")
        )
        is None
    )
    header = action_header(
        row("Ref", "Action", "Lead", "Update (Jan 24)", "March 2024 update", "Comments", "RAG")
    )
    assert header is not None
    assert header.roles == {"ref": 0, "action": 1, "lead": 2, "progress": 4, "rag": 6}
    assert header.all("progress") == (4, 3, 5)  # the latest dated update first, comments last


def test_a_revised_date_beats_the_original():
    header = action_header(row("Action", "Lead", "Original target date", "Revised target date"))
    assert header is not None and header.all("timescale") == (3, 2)


def test_history_and_glossary_headers_are_whole_cells_only():
    assert history_header(row("Date issued", "Version No.", "Summary of changes", "Author")) == {
        "date": 0,
        "version": 1,
        "summary": 2,
        "author": 3,
    }
    assert history_header(row("1.2", "New version of the form", "Head of A", "date to be agreed")) is None
    assert headerless_glossary(
        [
            row("DCS", "Director of Children's Services"),
            row("PSW", "Principal Social Worker"),
            row("HoS", "Head of Service"),
        ]
    ) == {
        "abbreviation": 0,
        "title": 1,
    }
    assert (
        headerless_glossary([row("R", "Not on track"), row("A", "Some delay"), row("G", "On track")]) is None
    )


def test_an_unnamed_column_takes_its_role_from_its_cells():
    header = Columns({"action": 1, "lead": 2}, header=("", "Action", "Lead", ""))
    rows = [
        row("Leadership", "", "", ""),
        row("A", "Do a", "Head of A", "Green"),
        row("B", "Do b", "Head of B", ""),
        row("1", "Do c", "Head of C", "Red"),
    ]
    rows[2][3] = Cell(fill="FFC000")
    found = with_unnamed_columns(header, rows, lambda c: BRAG.parse(c.text) is not None or bool(c.fill))
    assert found.roles == {"action": 1, "lead": 2, "ref": 0, "rag": 3}
    assert [is_ref_shaped(t) for t in ("A", "2a", "1.10", "iv", "Action 4", "Leadership")] == [
        True,
        True,
        True,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("cell", "people"),
    [
        (
            "Head of Service – Children in Care / Designated Nurse (Looked After Children)",
            ["Head of Service – Children in Care", "Designated Nurse (Looked After Children)"],
        ),
        (
            "HR Business Partner and Workforce Development Manager",
            ["HR Business Partner", "Workforce Development Manager"],
        ),
        ("Head of Early Help and Prevention", ["Head of Early Help and Prevention"]),
        ("Service Manager Quality, Practice and Review", ["Service Manager Quality, Practice and Review"]),
        ("Assistant Director, Children's Social Care", ["Assistant Director, Children's Social Care"]),
        ("DCS & PSW", ["DCS", "PSW"]),
        ("Director of Education; Head of Inclusion", ["Director of Education", "Head of Inclusion"]),
    ],
)
def test_splitting_lead_cells(cell, people):
    assert split_people(cell, lambda _: False) == people


def test_leads_parts_and_notes():
    assert hard_parts("A / B; C\nD") == ["A", "B", "C", "D"]
    assert is_post("Workforce Development Manager") and is_post("DCS") and not is_post("Prevention")
    segments, notes = lead_segments(
        Cell.of("Head of Safeguarding / Issues to come to GABB by exception when the board meets."),
        "table 1 row 2",
    )
    assert segments == ["Head of Safeguarding"]
    assert notes == [
        "table 1 row 2: 'Issues to come to GABB by exception when the board meets' in the lead column reads as a "
        "note, not a lead; left out"
    ]


def test_pairing_cells_across_the_actions_of_a_row():
    assert paired(Cell.of("May 24\nJune 24"), 2) == ["May 24", "June 24"]
    assert paired(Cell.of("Ongoing"), 2) == ["Ongoing", "Ongoing"]
    assert join_text("Audit the plans", "and report them") == "Audit the plans and report them"
    assert join_text("Audit the plans.", "Report them") == "Audit the plans.\nReport them"


def test_ref_column_pieces():
    parsed = parse_action_cell(
        Cell.of("Action 12: Review the thresholds\nwith partners\nDetail"), refs_in_use=True
    )
    pieces = ref_column_pieces(parsed, "12", ["12"])
    assert [(p.ref, p.text, p.extras) for p in pieces] == [
        ("12", "Review the thresholds with partners\nDetail", [])
    ]
    parsed = parse_action_cell(Cell.of("Audit plans\nTrain staff"), refs_in_use=True)
    assert [(p.ref, p.text) for p in ref_column_pieces(parsed, "1.1", ["1.1", "1.2"])] == [
        ("1.1", "Audit plans"),
        ("1.2", "Train staff"),
    ]


@pytest.mark.parametrize(
    ("text", "combined", "found"),
    [
        (
            "Forum designed, first session booked (RAG: Amber)",
            False,
            ("Amber", "Forum designed, first session booked"),
        ),
        ("Green – published at the conference", True, ("Green", "Published at the conference")),
        ("Green – published at the conference", False, (None, "Green – published at the conference")),
        ("Green spaces strategy agreed", True, (None, "Green spaces strategy agreed")),
        ("Two in post; third advert out - Amber", True, ("Amber", "Two in post; third advert out")),
        ("RAG status: red. Tender delayed", False, ("Red", "Tender delayed")),
    ],
)
def test_taking_the_rag_out_of_progress_text(text, combined, found):
    assert split_progress_rag(text, BRAG, combined=combined) == found


def _numbering(xml: str) -> Numbering:
    return Numbering(
        etree.fromstring(
            f'<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">{xml}</w:numbering>'
        )
    )


def test_word_list_numbers_restart_continue_and_nest():
    lvl = (
        '<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
    )
    numbering = _numbering(
        '<w:abstractNum w:abstractNumId="1">'
        + lvl.format(i=0, fmt="decimal", text="%1.")
        + lvl.format(i=1, fmt="decimal", text="%1.%2")
        + lvl.format(i=2, fmt="lowerLetter", text="(%3)")
        + '</w:abstractNum><w:abstractNum w:abstractNumId="2">'
        + lvl.format(i=0, fmt="bullet", text="•")
        + '</w:abstractNum><w:num w:numId="5"><w:abstractNumId w:val="1"/></w:num>'
        '<w:num w:numId="6"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
        '<w:num w:numId="7"><w:abstractNumId w:val="2"/></w:num>'
    )
    labels = [
        numbering.label(n, i)
        for n, i in [("5", 0), ("5", 1), ("5", 1), ("5", 2), ("5", 0), ("5", 1), ("6", 0), ("5", 0), ("7", 0)]
    ]
    assert [(label.text, label.bullet) for label in labels] == [
        ("1.", False),
        ("1.1", False),
        ("1.2", False),
        ("(a)", False),
        ("2.", False),
        ("2.1", False),
        ("1.", False),  # instance 6 restarts the list
        ("2.", False),  # instance 5 continues it
        ("", True),
    ]
    assert [format_number(n, f) for n, f in [(4, "upperRoman"), (28, "lowerLetter"), (3, "decimalZero")]] == [
        "IV",
        "ab",
        "03",
    ]


def test_list_plan_fields_and_dates():
    assert labelled_fields("Audit the plans (Lead: Head of QA; Timescale: June 2025).") == (
        "Audit the plans.",
        "Head of QA",
        "June 2025",
    )
    assert labelled_fields("Lead officer: Principal Social Worker, Timescale - Monthly") == (
        "",
        "Principal Social Worker",
        "Monthly",
    )
    assert labelled_fields("Train staff in direct work.") == ("Train staff in direct work.", "", "")
    assert plan_date(["Report of the Director, 2 May 2025", "Date of meeting: 12/06/2025"]) == dt.date(
        2025, 6, 12
    )
    assert plan_date(["Published 3rd March 2025"]) == dt.date(2025, 3, 3)
    assert plan_date(["No dates here"]) is None


def test_the_fold_carries_a_frozen_context():
    reader = ActionReader(BRAG, [], Warnings(), Account())
    columns = action_header(row("Outcome", "Action", "Lead", "Timescale", "RAG"))
    assert columns is not None
    unit = Unit(
        "action",
        columns,
        [RowItem(row("Better plans", "Audit plans", "Head of QA", "May 2025", "Green"), "t row 2")],
    )
    info = UnitInfo.of(unit, BRAG)
    ctx = Context()
    after = reader.fold(ctx, read_row(unit.items[0], info))
    assert ctx == Context()  # the context is never changed, only replaced
    assert after.outcome == "Better plans" and [a.ref for a in after.last_row] == [None]
    with pytest.raises(AttributeError):
        after.outcome = "x"  # type: ignore[misc]
    continuation = RowItem(row("", "and report them", "", "", ""), "t row 3")
    reader.fold(after, read_row(continuation, info))
    assert reader.actions[0].text == "Audit plans and report them"
    assert reader.account.roles == {"t row 2": "action", "t row 3": "continuation"}


def test_a_group_grows_for_the_newest_context_and_never_for_the_ones_before():
    first, second, third = (ParsedAction(ref=r, title=r, text=r) for r in ("1", "2", "3"))
    empty = Group()
    one = empty.plus([first])
    two = one.plus([second])
    branch = one.plus([third])  # an older context grown again: its own copy, the others unchanged
    assert list(empty) == [] and not empty
    assert list(one) == [first] and one[-1] is first and len(one) == 1
    assert list(two) == [first, second] and two[-1] is second
    assert list(branch) == [first, third] and branch[-1] is third
    assert list(two) == [first, second]
    with pytest.raises(IndexError):
        empty[-1]


def test_a_header_cell_spanning_a_number_and_a_text_column():
    header_row = [Cell.of("Action", bold=True), Cell(span=0), Cell.of("Lead"), Cell.of("Timescale")]
    header_row[0].span = 2
    columns = action_header(header_row)
    assert columns is not None and columns.roles == {"action": 0, "lead": 2, "timescale": 3}
    rows = [
        row("1.1", "Audit the plans", "Head of QA", "May 2025"),
        row("1.2", "Train the staff", "PSW", "June 2025"),
    ]
    found = with_unnamed_columns(columns, rows, lambda c: False)
    assert found.roles == {"action": 1, "ref": 0, "lead": 2, "timescale": 3}
