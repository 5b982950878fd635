"""More plans nobody here has seen, built in the same styles but laid out differently: lettered refs and
real Excel dates, full-width phase rows with a key below the plan, vMerge leads and a glossary written
three ways, and CSV exports with a BOM or cp1252 and ";" between fields."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.importers import read_plan
from storage.importers.headers import header_role
from storage.importers.leads import looks_like_lead, split_known_head
from storage.plans import import_plan, plan_payload
from tests.support.plan_builders import (
    inline_suffix_refs_docx,
    lettered_refs_xlsx,
    number_refs_xlsx,
    responsible_officer_docx,
    semicolon_csv,
    sheet_per_priority_xlsx,
    spanned_phase_docx,
    stacked_refs_docx,
    wingdings_symbols_docx,
)

pytestmark = pytest.mark.storage

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def _import(session, path):
    result = import_plan(session, read_plan(path), plan_name=None, now=NOW)
    return plan_payload(session, result.plan, warnings=result.warnings)


def _check(payload, expected):
    assert [a["ref"] for a in payload["actions"]] == [e[0] for e in expected]
    for action, (ref, title, leads, due, rag) in zip(payload["actions"], expected, strict=True):
        assert action["title"].startswith(title), ref
        assert action["leads"] == leads, ref
        assert action["due"] == due, ref
        assert action["rag"] == rag, ref


def test_xlsx_lettered_refs_excel_dates_and_letter_rag(session, tmp_path):
    payload = _import(session, lettered_refs_xlsx(tmp_path / "eastbrook.xlsx"))
    _check(
        payload,
        [
            ("A1", "Review MASH thresholds with partners", ["DCS"], "2025-03-31", "Amber"),
            ("A2", "Introduce daily MASH huddles", ["Head of Front Door"], "2025-01-15", "Green"),
            ("B1", "Agree a placement sufficiency strategy", ["DCS"], "2025-06-30", "Red"),
            (
                "B2",
                "Refresh care plans for all children",
                ["Head of Children in Care"],
                "2025-09-01",
                "Green",
            ),
        ],
    )
    assert [a["section"] for a in payload["actions"]] == ["Section A: Front Door"] * 2 + [
        "Section B: Children in Care"
    ] * 2
    assert payload["plan"]["title"].startswith("Eastbrook Council")
    assert payload["warnings"] == [
        "sheet 'Improvement Plan' row 10: lead 'DCS and all partner agencies' read as DCS; 'all partner "
        "agencies' reads as a note, not a lead",
        "lead 'DCS' is an abbreviation the plan does not explain; kept as written",
    ]


def test_docx_spanned_phase_rows_numbered_refs_and_key_below(session, tmp_path):
    payload = _import(session, spanned_phase_docx(tmp_path / "southmoor.docx"))
    assert payload["plan"]["rag_scheme"]["name"] == "five-state"
    meanings = {s["label"]: s["meaning"] for s in payload["plan"]["rag_scheme"]["states"]}
    assert meanings["Not started or behind"] == "Not started / behind schedule"
    _check(
        payload,
        [
            ("1", "Stabilise the social work workforce", ["Head of Service"], "2024-06-30", "On track"),
            ("2", "Clear the backlog of assessments", ["Service Manager"], "2024-05-31", "Delayed"),
            (
                "3",
                "Launch the new practice model",
                ["Principal Social Worker"],
                "2024-09-30",
                "Not started or behind",
            ),
            ("4", "Publish the QA framework", ["Head of Quality Assurance"], "2024-04-30", "Completed"),
            ("5", "Roll out the audit tool early", ["Head of Quality Assurance"], "2024-10-31", "Ahead"),
        ],
    )
    assert [s["title"] for s in payload["plan"]["sections"]] == ["PHASE 1 – Stabilise", "PHASE 2 – Improve"]
    assert [a["section"] for a in payload["actions"]] == ["PHASE 1 – Stabilise"] * 2 + [
        "PHASE 2 – Improve"
    ] * 3
    assert payload["warnings"] == []


def test_docx_responsible_officer_vmerge_leads_and_glossary_spellings(session, tmp_path):
    payload = _import(session, responsible_officer_docx(tmp_path / "lakeside.docx"))
    # "DM CIN", "DMCIN" and "DM (CIN)" are one person; the merged lead cell leads 3.2a, 3.2b and 3.2c;
    # "HoS" names two people, so it is flagged rather than guessed.
    _check(
        payload,
        [
            ("3.1", "Improve the quality of supervision", ["Sam Patel"], "2023-12-31", "Green"),
            ("3.2a", "Review caseloads weekly", ["Sam Patel"], None, "Amber"),
            ("3.2b", "Report caseloads to the board", ["Sam Patel"], "2024-01-31", "Amber"),
            ("3.2c", "Cap caseloads at 20", ["Sam Patel"], "2024-03-31", "Red"),
            ("3.3", "Publish a practice standards guide", ["Sam Patel"], None, "Blue"),
        ],
    )
    by_ref = {a["ref"]: a for a in payload["actions"]}
    assert by_ref["3.2c"]["leads_as_written"] == ["DMCIN"]  # the ambiguous HoS is not linked
    assert by_ref["3.2a"]["schedule"] == "recurring"
    assert by_ref["3.3"]["schedule"] == "done"
    assert by_ref["3.1"]["progress"] == "Audit shows progress"
    assert by_ref["3.1"]["section"] == "Priority 3: Manageable caseloads"
    assert payload["warnings"] == [
        "lead 'HoS' could be Chris Lee or Robin Fox: not linked; say who with `progressbot leads link`",
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_csv_semicolons_bom_or_cp1252_and_lowercase_rag(session, tmp_path, encoding):
    payload = _import(session, semicolon_csv(tmp_path / "participation.csv", encoding=encoding))
    _check(
        payload,
        [
            (
                "1.1",
                "Refresh the children’s participation strategy",
                ["Head of Participation"],
                "2025-03-31",
                "Green",
            ),
            ("1.2", "Hold termly ‘Big Voice’ events", ["Head of Participation"], None, "Amber"),
            (
                "1.3",
                "Train staff in direct work; include foster carers",
                ["Principal Social Worker"],
                "2024-12-31",
                "Amber",
            ),
        ],
    )
    assert payload["actions"][0]["title"] == "Refresh the children’s participation strategy, with children"
    assert payload["actions"][0]["progress"] == "Drafted – out for consultation"
    termly = next(a for a in payload["actions"] if a["ref"] == "1.2")
    assert (termly["schedule"], termly["timescale"]) == ("recurring", "Termly")
    assert not [w for w in payload["warnings"] if "Termly" in w]
    assert payload["plan"]["reference_date"].startswith("2024")


def test_docx_bold_suffix_refs_page_break_and_glossary_lead_with_partners(session, tmp_path):
    payload = _import(session, inline_suffix_refs_docx(tmp_path / "hillford.docx"))
    _check(
        payload,
        [
            ("3.1", "Refresh the neglect strategy", ["Pat Jones"], "2024-07-31", "Green"),
            (
                "3.2a",
                "Train staff on the neglect toolkit and audit its use",
                ["Pat Jones"],
                "2024-09-30",
                "Amber",
            ),
            ("3.2b", "Report toolkit use to the board", ["Head of Safeguarding"], None, "Red"),
            # the bracket names the glossary's DCS; "(Education)" names another post, so that lead stays whole
            ("3.3", "Publish the toolkit", ["Pat Jones"], "2024-10-31", "Green"),
            (
                "3.4",
                "Offer toolkit training to schools",
                ["Head of Safeguarding (Education)"],
                "2024-11-30",
                "Amber",
            ),
        ],
    )
    by_ref = {a["ref"]: a for a in payload["actions"]}
    assert by_ref["3.2a"]["progress"] == "Booked\nAudit tool ready"
    assert by_ref["3.2b"]["schedule"] == "recurring"
    assert payload["warnings"] == [
        "table 1 row 3: lead 'DCS & partners' read as DCS; 'partners' reads as a note, not a lead",
    ]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("Date for completion", "timescale"),
        ("Completed by", "timescale"),
        ("Timeline", "timescale"),
        ("Status Update", "progress"),
        ("How will we know?", "success"),
        ("Action Owner", "lead"),
        ("Responsible Officer", "lead"),
        ("Target Date", "timescale"),
        ("Update/Commentary", "progress"),
        ("No.", "ref"),
        ("Status", "rag"),
        ("RAG STATUS", "rag"),
        ("Actions to be taken", "action"),
    ],
)
def test_more_header_synonyms(header, role):
    assert header_role(header) == role


def test_split_known_head():
    alone = {"DCS", "Head of Exploitation", "Police"}.__contains__
    assert split_known_head("DCS and key partner agencies And partnerships", alone) == (
        ["DCS"],
        "key partner agencies And partnerships",
    )
    assert split_known_head("Head of Exploitation & Head of Safeguarding", alone) == (
        ["Head of Exploitation", "Head of Safeguarding"],
        "",
    )
    assert split_known_head("DCS, Police and partners", alone) == (["DCS", "Police"], "partners")
    # the first part must lead elsewhere on its own: a title with commas stays whole
    assert split_known_head("Service Manager Quality, Practice and Review", alone) is None
    assert looks_like_lead("Head of Safeguarding") and not looks_like_lead("all partner agencies")


def test_xlsx_number_refs_keep_their_tens_and_plain_section_rows(session, tmp_path):
    payload = _import(session, number_refs_xlsx(tmp_path / "numbers.xlsx"))
    expected = [
        (f"1.{i}", f"Early help step {i}", ["Head of Early Help"], "2025-05-31", "Green")
        for i in range(1, 12)
    ]
    _check(
        payload,
        [*expected, ("2.1", "Review every care plan", ["Head of Children in Care"], "2025-06-30", "Amber")],
    )
    assert [s["title"] for s in payload["plan"]["sections"]] == [
        "Early Help and Front Door",
        "Children in care",
    ]
    assert payload["actions"][-1]["section"] == "Children in care"
    assert not any("duplicate" in w or "no action text" in w for w in payload["warnings"])


def test_docx_stacked_refs_in_one_row_and_bold_section_lines(session, tmp_path):
    payload = _import(session, stacked_refs_docx(tmp_path / "greendale.docx"))
    _check(
        payload,
        [
            ("1.1", "Audit child in need plans", ["Head of Service"], "2024-07-31", "Green"),
            ("1.2", "Train staff in SMART planning", ["PSW"], "2024-08-31", "Amber"),
            ("1.3", "Review supervision", ["Head of Service"], "2024-09-30", "Red"),
            ("2.1", "Relaunch the children in care council", ["Participation Lead"], "2024-10-31", "Amber"),
        ],
    )
    assert [a["section"] for a in payload["actions"]] == ["Improving practice"] * 3 + [
        "Listening to children"
    ]
    assert payload["warnings"] == ["lead 'PSW' is an abbreviation the plan does not explain; kept as written"]


def test_xlsx_one_sheet_per_priority(session, tmp_path):
    payload = _import(session, sheet_per_priority_xlsx(tmp_path / "priorities.xlsx"))
    _check(
        payload,
        [
            ("1.1", "Recruit six permanent social workers", ["Head of Service"], "2025-05-31", "Green"),
            ("1.2", "Cut agency use to 10%", ["Sam Patel"], "2025-12-31", "Red"),
            ("2.1", "Audit 20 cases a month", ["Head of Service"], None, "Amber"),
        ],
    )
    assert [a["section"] for a in payload["actions"]] == ["Priority 1 - Workforce"] * 2 + [
        "Priority 2 - Practice"
    ]
    assert payload["actions"][2]["schedule"] == "recurring"


def test_docx_five_state_symbols_typed_in_wingdings_and_symbol_fonts(session, tmp_path):
    payload = _import(session, wingdings_symbols_docx(tmp_path / "kingsmead.docx"))
    assert payload["plan"]["rag_scheme"]["name"] == "five-state"
    _check(
        payload,
        [
            ("1", "Publish the practice standards", ["Principal Social Worker"], "2024-05-31", "Completed"),
            ("2", "Recruit an IRO manager", ["Head of Safeguarding"], "2024-07-31", "Delayed"),
            ("3", "Refresh the PLO tracker", ["Head of Legal"], "2024-06-30", "Ahead"),
            ("4", "Start the family network meetings", ["Head of Early Help"], "2024-09-30", "On track"),
        ],
    )
    assert payload["warnings"] == []
