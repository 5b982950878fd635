"""Plans nobody here has seen, built in the styles councils use: ref columns, glossaries, symbol keys,
fills only, merged cells, Excel and CSV."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.importers import read_plan
from storage.plans import import_plan, plan_payload
from tests.support.plan_builders import (
    fill_plan_xlsx,
    merged_plan_docx,
    phase_plan_docx,
    text_plan_csv,
    two_sheet_xlsx,
)

pytestmark = pytest.mark.storage

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def _import(session, path):
    result = import_plan(session, read_plan(path), plan_name=None, now=NOW)
    return plan_payload(session, result.plan, warnings=result.warnings)


def _rows(payload):
    return [(a["ref"], a["title"], a["leads"], a["due"], a["rag"]) for a in payload["actions"]]


def test_phase_plan_with_glossary_symbols_and_duplicate_refs(session, tmp_path):
    payload = _import(session, phase_plan_docx(tmp_path / "phase-plan.docx"))
    assert payload["plan"]["rag_scheme"]["name"] == "five-state"
    assert payload["plan"]["title"] == "Children's Services Improvement Plan"
    assert payload["plan"]["organisation"] == "Anytown Council"
    meanings = {s["label"]: s["meaning"] for s in payload["plan"]["rag_scheme"]["states"]}
    assert meanings["Ahead"] == "Ahead of schedule"
    assert _rows(payload) == [
        ("1.1", "Recruit permanent team managers", ["Sam Patel"], "2024-03-31", "On track"),
        ("1.2", "Launch the practice model", ["Sam Patel", "Alex Khan", "Pat Jones"], None, "Completed"),
        ("1.2 (2)", "Refresh the supervision policy", [], "2024-06-30", "Not started or behind"),
        ("1.3", "Audit all child protection plans", ["Alex Khan", "Pat Jones"], "2024-09-30", "Delayed"),
        ("2.1", "Embed the quality assurance framework", ["Sam Patel"], "2024-06-30", "Ahead"),
        ("2.2", "Publish the sufficiency strategy", ["Jo Bloggs"], "2024-11-30", None),
    ]
    by_ref = {a["ref"]: a for a in payload["actions"]}
    assert by_ref["1.1"]["description"] == "Recruit permanent team managers. Reduce agency use."
    assert by_ref["1.2"]["schedule"] == "recurring" and by_ref["1.2"]["recurrence"] == "quarterly"
    assert by_ref["1.3"]["progress"] == "Half done\nAudit tool agreed with partners"
    assert [a["section"] for a in payload["actions"]] == ["Phase 1: Stabilise"] * 4 + ["Phase 2: Embed"] * 2
    assert payload["warnings"] == [
        "table 3 row 4: unknown RAG 'Banana' (the plan's scheme is Not started or behind, Delayed, On track, "
        "Ahead, Completed); left empty",
        "table 2 row 5: duplicate ref 1.2: this one is stored as '1.2 (2)'",
        "lead 'HoS' could be Chris Lee or Robin Fox: not linked; say who with `progressbot leads link`",
    ]


def test_merged_cells_inline_letter_refs_text_and_fill_rag(session, tmp_path):
    payload = _import(session, merged_plan_docx(tmp_path / "merged.docx"))
    assert _rows(payload) == [
        ("A", "Weekly front door audits", ["Head of Early Help"], None, "Green"),
        ("B", "Publish a threshold document", ["Head of Early Help"], "2022-07-31", "Red"),
        ("C", "Train all staff", ["Principal Social Worker"], "2022-04-01", "Amber"),
    ]
    # The spanned heading row is a section, not three copies of its text; vMerge gives B its lead
    # without a guess warning.
    assert [s["title"] for s in payload["plan"]["sections"]] == [
        "Theme 1: Leadership",
        "Leaders know the front door",
    ]
    assert payload["actions"][0]["schedule"] == "recurring"
    assert payload["warnings"] == []


def test_xlsx_plan_with_fill_only_rag(session, tmp_path):
    payload = _import(session, fill_plan_xlsx(tmp_path / "westvale.xlsx"))
    assert _rows(payload) == [
        ("1", "Stabilise the workforce", ["Head of Service"], "2024-04-30", "Red"),
        ("2", "Launch a recruitment campaign", ["Head of Service"], "2024-05-31", "Amber"),
        ("3", "Create an academy", ["Principal Social Worker"], "2024-06-30", "Green"),
        ("4", "Review pay", ["HR Business Partner"], None, "Blue"),
        ("5", "Agree the budget", ["Finance Lead"], "2024-09-30", None),
    ]
    assert payload["actions"][3]["schedule"] == "done"
    assert payload["plan"]["sections"] == [{"kind": "area", "ref": "1", "title": "Area 1 - Workforce"}]
    assert payload["warnings"] == []


def test_csv_plan_with_text_rag(session, tmp_path):
    payload = _import(session, text_plan_csv(tmp_path / "exploitation.csv"))
    assert _rows(payload) == [
        (
            "1",
            "Improve return home interviews so every child is seen",
            ["Head of Exploitation"],
            "2024-12-31",
            "Amber",
        ),
        # "&" only splits leads that are all known people: neither is yet, so it stays one lead
        (
            "2",
            "Refresh the missing protocol",
            ["Head of Exploitation", "Head of Safeguarding"],
            "2024-10-31",
            "Green",
        ),
        ("3", "Publish the annual report", ["Business Manager"], None, "Blue"),
        ("3 (2)", "Publish the summary", ["Business Manager"], None, "Red"),
    ]
    assert payload["warnings"][0] == "csv row 5: duplicate ref 3: this one is stored as '3 (2)'"


def test_csv_semicolons_and_cp1252(session, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_bytes(
        "No.;Action;Lead officer;Timescale;RAG\n1;Review caf\xe9 contract;Head of Estates;March 2025;R\n".encode(
            "cp1252"
        )
    )
    payload = _import(session, path)
    assert _rows(payload) == [("1", "Review café contract", ["Head of Estates"], "2025-03-31", "Red")]


def test_glossary_splits_comma_leads_only_when_all_are_known(tmp_path):
    parsed = read_plan(phase_plan_docx(tmp_path / "p.docx"))
    assert parsed.actions[3].leads == ["OD", "DCS"]
    assert [g.abbreviation for g in parsed.glossary] == ["DM (CIN)", "OD", "DCS", "HoS", "HoS"]


def test_xlsx_key_below_actions_and_glossary_sheet(session, tmp_path):
    payload = _import(session, two_sheet_xlsx(tmp_path / "two-sheets.xlsx"))
    assert _rows(payload) == [
        ("1", "Refresh the threshold document", ["Mo Ahmed", "Lee Chan"], "2025-06-30", "Amber"),
        ("2", "Run a multi-agency audit", ["Mo Ahmed", "Lee Chan"], "2025-09-30", "Red"),
        # "&" splits here because both sides are in the glossary
        # no date anywhere in the workbook: "Immediate" is read against the import day (and warned)
        ("3", "Set up the board", ["Pat Jones", "Lee Chan"], "2026-11-23", "Blue"),
    ]
    assert payload["warnings"] == [
        "the document gives no date: short timescales ('May 23', 'within 3 months') are read against today; "
        "pass --reference-date to fix that"
    ]
    states = {s["label"]: (s["meaning"], s["is_complete"]) for s in payload["plan"]["rag_scheme"]["states"]}
    assert states == {
        "Red": ("Not on track", False),
        "Amber": ("Some delay, recoverable", False),
        "Green": ("On track", False),
        "Blue": ("Completed and evidenced", True),
    }


@pytest.mark.parametrize(
    ("rows", "scheme", "expected"),
    [
        # the 2019 Stockton key: colour cells empty, matched by meaning
        (
            [
                ("", "This action is achieved"),
                ("", "The action is on track to achieve"),
                ("", "The action is not yet on track"),
            ],
            "rag",
            {
                "Green": ("This action is achieved", True),
                "Amber": ("The action is on track to achieve", False),
                "Red": ("The action is not yet on track", False),
            },
        ),
        (
            [("", "Complete"), ("", "On track"), ("", "At risk of delay"), ("", "Off track")],
            "brag",
            {
                "Blue": ("Complete", True),
                "Green": ("On track", False),
                "Amber": ("At risk of delay", False),
                "Red": ("Off track", False),
            },
        ),
        (
            [
                ("✓", "Done"),
                ("X", "Not started or behind"),
                ("-", "On track"),
                ("↓", "Delayed"),
                ("↑", "Ahead"),
            ],
            "five-state",
            {"Completed": ("Done", True), "On track": ("On track", False)},
        ),
        (
            [("Red", "Significant concerns"), ("Amber", "Some concerns"), ("Green", "On track")],
            "rag",
            {"Red": ("Significant concerns", False), "Green": ("On track", False)},
        ),
    ],
)
def test_scheme_from_key(rows, scheme, expected):
    from storage.importers.model import Cell
    from storage.importers.ragkey import scheme_from_key

    result, notes = scheme_from_key([[Cell.of(a), Cell.of(b)] for a, b in rows])
    assert result.name == scheme and notes == []
    for label, (meaning, complete) in expected.items():
        assert (result.state(label).meaning, result.state(label).is_complete) == (meaning, complete)


def test_scheme_from_key_by_fill(tmp_path):
    from storage.importers.model import Cell
    from storage.importers.ragkey import scheme_from_key

    rows = [
        [Cell(fill="00B050"), Cell.of("Delivered")],
        [Cell(fill="FFC000"), Cell.of("Slipping")],
        [Cell(fill="C00000"), Cell.of("Stuck")],
    ]
    result, _ = scheme_from_key(rows)
    assert result.name == "rag"
    assert [result.state(x).meaning for x in ("Red", "Amber", "Green")] == ["Stuck", "Slipping", "Delivered"]
    assert result.is_complete("Green")


def test_plain_dotted_refs_in_the_action_cell(session, tmp_path):
    import docx

    from tests.support.plan_builders import add_table

    doc = docx.Document()
    doc.add_paragraph("Eastport City Council Improvement Plan, May 2024")
    add_table(
        doc,
        [
            ["Actions", "Lead Officer", "Deadline", "RAG rating"],
            ["1.1 Review the front door\nTriage in one place", "Head of MASH", "Jun 24", "Green"],
            ["1.2 Recruit two social workers", "Head of MASH", "Sep 24", "Amber"],
            ["Interim cover in place", "", "", ""],
            ["2.1 Publish the strategy", "Head of Strategy", "Dec 24", "Red"],
        ],
    )
    doc.save(str(tmp_path / "eastport.docx"))
    payload = _import(session, tmp_path / "eastport.docx")
    assert _rows(payload) == [
        ("1.1", "Review the front door", ["Head of MASH"], "2024-06-30", "Green"),
        ("1.2", "Recruit two social workers", ["Head of MASH"], "2024-09-30", "Amber"),
        ("2.1", "Publish the strategy", ["Head of Strategy"], "2024-12-31", "Red"),
    ]
    assert payload["actions"][1]["description"] == "Recruit two social workers\nInterim cover in place"


def test_unknown_rag_values_warn_once_each(tmp_path):
    path = tmp_path / "status.csv"
    path.write_text(
        "Ref,Action,Lead,Deadline,Status\n1,Do a,Head of A,May 2025,In progress\n"
        "2,Do b,Head of A,May 2025,In progress\n3,Do c,Head of A,May 2025,In progress\n"
        "4,Do d,Head of A,May 2025,Complete\n",
        encoding="utf-8",
    )
    parsed = read_plan(path)
    assert [a.rag for a in parsed.actions] == [None, None, None, "Blue"]
    assert [w for w in parsed.warnings if "RAG" in w] == [
        "csv row 2 and 2 more row(s): unknown RAG 'In progress' (the plan's scheme is Red, Amber, Green, Blue); "
        "left empty"
    ]


def test_solid_pattern_shading_and_indexed_excel_colours(tmp_path):
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill
    from openpyxl.styles.colors import Color

    from tests.support.plan_builders import add_table

    doc = docx.Document()
    table = add_table(doc, [["Action", "Lead", "RAG"], ["Fix the roof", "Head of Estates", ""]])
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "solid")
    shd.set(qn("w:color"), "FF0000")
    shd.set(qn("w:fill"), "auto")
    table.cell(1, 2)._tc.get_or_add_tcPr().append(shd)
    doc.save(str(tmp_path / "solid.docx"))
    assert read_plan(tmp_path / "solid.docx").actions[0].rag == "Red"

    wb = Workbook()
    ws = wb.active
    ws.append(["Action", "Lead", "RAG"])
    ws.append(["Fix the roof", "Head of Estates", None])
    ws["C2"].fill = PatternFill("solid", fgColor=Color(indexed=17))  # palette green 008000
    wb.save(tmp_path / "indexed.xlsx")
    assert read_plan(tmp_path / "indexed.xlsx").actions[0].rag == "Green"


def test_xlsx_numeric_refs_vertical_merges_and_status_words(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Lead Officer", "By when", "Status"])
    ws.append([1.1, "Map the front door", "Head of MASH", "Jan 2025", "On track"])
    ws.append([1.1, "Train the call handlers", None, "Feb 2025", "Off track"])
    ws.append([3.0, "Audit referrals", "Head of QA", "Mar 2025", "At risk"])
    ws["A3"].number_format = "0.00"
    ws.merge_cells("C2:C3")
    wb.save(tmp_path / "numbers.xlsx")
    parsed = read_plan(tmp_path / "numbers.xlsx", reference_date=dt.date(2025, 1, 1))
    assert [(a.ref, a.leads, a.rag) for a in parsed.actions] == [
        ("1.1", ["Head of MASH"], "Green"),
        ("1.10", ["Head of MASH"], "Red"),  # formatted 0.00 in the sheet; the merged lead cell covers it
        ("3", ["Head of QA"], "Amber"),
    ]
    assert parsed.warnings == []


def test_content_controls_around_rows_and_cells_are_read(tmp_path):
    import copy

    import docx
    from docx.oxml import OxmlElement

    from tests.support.plan_builders import add_table

    doc = docx.Document()
    table = add_table(
        doc,
        [
            ["Action", "Lead", "Timescale"],
            ["Fix the roof", "Head of Estates", "May 2025"],
            ["Paint the hall", "Head of Estates", "June 2025"],
        ],
    )
    # wrap the last row, and the first cell of the middle row, in content controls
    for element in (table.rows[2]._tr, table.rows[1]._tr.tc_lst[0]):
        sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
        sdt.append(content)
        element.addprevious(sdt)
        content.append(copy.deepcopy(element))
        element.getparent().remove(element)
    doc.save(str(tmp_path / "sdt.docx"))
    parsed = read_plan(tmp_path / "sdt.docx")
    assert [(a.title, a.timescale) for a in parsed.actions] == [
        ("Fix the roof", "May 2025"),
        ("Paint the hall", "June 2025"),
    ]


def test_word_heading_styles_between_tables_are_sections(tmp_path):
    import docx

    from tests.support.plan_builders import add_table

    doc = docx.Document()
    doc.add_heading("Safer Futures Plan 2025", 0)
    header = ["Action", "Lead", "Timescale"]
    doc.add_heading("Our children", 1)
    add_table(doc, [header, ["Cut waiting times", "Head of CAMHS", "June 2025"]])
    doc.add_heading("Our workforce", 1)
    doc.add_paragraph("Making Stockfield a great place to work")
    add_table(doc, [header, ["Recruit ten social workers", "HR Manager", "Sep 2025"]])
    doc.add_heading("Glossary", 1)
    add_table(doc, [["Abbreviation", "Title"], ["CAMHS", "Child and Adolescent Mental Health Services"]])
    doc.save(str(tmp_path / "styles.docx"))
    parsed = read_plan(tmp_path / "styles.docx")
    assert [(s.title, s.ref, s.description) for s in parsed.sections] == [
        ("Our children", "1", ""),
        ("Our workforce", "2", "Making Stockfield a great place to work"),
    ]
    assert [(a.ref, a.section.title) for a in parsed.actions] == [
        ("1.1", "Our children"),
        ("2.1", "Our workforce"),
    ]


def test_ilacs_style_plan_with_coloured_key_and_glossary(session, tmp_path):
    from tests.support.plan_builders import ilacs_style_docx

    payload = _import(session, ilacs_style_docx(tmp_path / "riverton.docx"))
    assert _rows(payload) == [
        ("1.1", "Audit supervision", ["Ann Lee", "Raj Shah"], "2021-12-31", "Blue"),
        ("1.2", "Train managers", ["Raj Shah"], "2022-03-31", "Amber"),
        ("2.1", "Commission a new service", ["Kim Ode"], "2022-04-30", "Red"),
    ]
    states = {s["label"]: s["meaning"] for s in payload["plan"]["rag_scheme"]["states"]}
    assert states == {
        "Blue": "Completed",
        "Green": "On track",
        "Amber": "Some slippage",
        "Red": "Not on track",
    }
    by_ref = {a["ref"]: a for a in payload["actions"]}
    assert by_ref["1.1"]["outcome"] == "Better plans."
    # the continuation row's outcome and progress belong to 1.2; its cell text "00B050" is no RAG
    assert by_ref["1.2"]["outcome"] == "Managers confident."
    assert by_ref["1.2"]["progress"] == "Survey in May"
    assert payload["plan"]["title"] == "Post Ofsted Action Plan"
    assert payload["plan"]["start_date"] == "2021-09-01"
    assert [s["ref"] for s in payload["plan"]["sections"]] == ["1", "2"]
    assert payload["warnings"] == [
        "table 3 row 2: unknown RAG '00B050' (the plan's scheme is Red, Amber, Green, Blue); left empty"
    ]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Action", "action"),
        ("ACTION", "action"),
        ("Action/ Required Outcomes", "action"),
        ("Actions", "action"),
        ("Key actions", "action"),
        ("Lead", "lead"),
        ("Lead Officer", "lead"),
        ("LEAD", "lead"),
        ("Responsible officer", "lead"),
        ("Action owner", "lead"),
        ("Lead Officer(s)", "lead"),
        ("Timescale", "timescale"),
        ("TIMESCALE", "timescale"),
        ("Deadline", "timescale"),
        ("Target date", "timescale"),
        ("By when", "timescale"),
        ("Action due date", "timescale"),
        ("Progress Update", "progress"),
        ("Progress", "progress"),
        ("Update", "progress"),
        ("Commentary", "progress"),
        ("RAG", "rag"),
        ("RAG rating", "rag"),
        ("RAG STATUS", "rag"),
        ("Status", "rag"),
        ("Current RAG", "rag"),
        ("Ref", "ref"),
        ("No.", "ref"),
        ("#", "ref"),
        ("Success criteria", "success"),
        ("Outcome", "outcome"),
        ("Objective", "objective"),
        ("Recommendation", "recommendation"),
        ("Links to Strategy", "links"),
        ("Notes on the weather", None),
    ],
)
def test_header_synonyms(header, role):
    from storage.importers.headers import header_role

    assert header_role(header) == role


def test_rag_column_beats_a_status_column(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(
        "Action,Lead,Status,RAG\nFix the roof,Head of Estates,In progress,Amber\n", encoding="utf-8"
    )
    parsed = read_plan(path)
    assert parsed.actions[0].rag == "Amber" and parsed.warnings[-1].startswith("the document gives no date")


def test_placeholders_in_the_rag_column_are_not_warned_about(tmp_path):
    path = tmp_path / "na.csv"
    path.write_text(
        "Ref,Action,Lead,Timescale,RAG\n1,Do a,Head of A,May 2025,n/a\n2,Do b,Head of A,May 2025,-\n"
        "3,Do c,Head of A,May 2025,TBC\n",
        encoding="utf-8",
    )
    parsed = read_plan(path)
    assert [a.rag for a in parsed.actions] == [None, None, None]
    assert not any("RAG" in w for w in parsed.warnings)


def test_lead_titles_broken_over_lines_stay_one_lead():
    from storage.importers.leads import join_broken_lines

    assert join_broken_lines(["Head of", "Children's Services"]) == ["Head of Children's Services"]
    assert join_broken_lines(["Service Manager Quality,", "Practice and Review"]) == [
        "Service Manager Quality, Practice and Review"
    ]
    assert join_broken_lines(["Jane Smith", "Jane Smith"]) == ["Jane Smith", "Jane Smith"]
    assert join_broken_lines(["Assistant Director", "of Children's Social Care"]) == [
        "Assistant Director of Children's Social Care"
    ]


def test_recommendation_number_inside_its_text_and_merged_down(tmp_path):
    import docx

    from tests.support.plan_builders import add_table

    doc = docx.Document()
    table = add_table(
        doc,
        [
            ["Recommendation", "Action", "Lead", "Timescale"],
            ["1. Improve supervision.", "Audit supervision files", "Head of QA", "May 2025"],
            ["", "Train team managers", "Head of QA", "June 2025"],
            [
                "2) Improve return interviews.",
                "Commission a new service",
                "Head of Commissioning",
                "July 2025",
            ],
        ],
    )
    table.cell(1, 0).merge(table.cell(2, 0))  # one recommendation over two actions (vMerge)
    doc.save(str(tmp_path / "recs.docx"))
    parsed = read_plan(tmp_path / "recs.docx", reference_date=dt.date(2025, 1, 1))
    assert [(s.ref, s.title) for s in parsed.sections] == [
        ("1", "1. Improve supervision."),
        ("2", "2) Improve return interviews."),
    ]
    assert [(a.ref, a.section.ref) for a in parsed.actions] == [("1.1", "1"), ("1.2", "1"), ("2.1", "2")]


@pytest.mark.parametrize(
    "runs",
    [
        [("1.1 Action", True), (" Develop the framework", False)],
        [("1.1", True), (" ", False), ("Action", True), (" Develop the framework", False)],
        [("1.1", True), (" Action Develop the framework", False)],
        [("1.1 ", True), ("Action: Develop the framework", False)],
    ],
)
def test_bold_ref_run_shapes(runs):
    from storage.importers.model import Cell, Para
    from storage.importers.segments import parse_action_cell

    parsed = parse_action_cell(Cell([Para(runs)]), refs_in_use=False)
    assert [(p.ref, p.text) for p in parsed.pieces] == [("1.1", "Develop the framework")]


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("Improvement Area One : Our People", "1"),
        ("Improvement Area Four : Our Partnerships", "4"),
        ("Phase 2: Embed", "2"),
        ("Phase II", "2"),
        ("Recommendation 4", "4"),
        ("Part B - Delivery", "B"),
        ("2. Our practice", "2"),
        ("Theme: Leadership", "7"),
    ],
)
def test_section_numbers(title, number):
    from storage.importers.actions import section_number

    assert section_number(title, 7) == number
