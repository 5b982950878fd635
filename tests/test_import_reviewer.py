"""The reviewer's plans (tests/support/reviewer_plans.py): every field of every action, every row
accounted for, every skipped row quoted; then the pieces each kind of fault was fixed in."""

from __future__ import annotations

import json
from functools import partial

import docx
import pytest
from click.testing import CliRunner

from progressbot.cli import main
from storage.importers import read_plan
from storage.importers.headers import sub_header
from storage.importers.leads import name_and_post, split_people, without_email
from storage.importers.model import Cell
from tests.support.plan_sets import FIELDS, built, imported
from tests.support.reviewer_plans import BUILDERS, EXPECTED
from tests.support.row_account import assert_every_row_accounted

_build = partial(built, BUILDERS)


def _payload(session, tmp_path, name):
    return imported(BUILDERS, session, tmp_path, name)[1]


def test_there_are_eleven_plans_of_every_kind():
    assert len(EXPECTED) == 11
    assert {name.rsplit("-", 1)[-1] for name in EXPECTED} == {"docx", "xlsx", "csv"}


@pytest.mark.storage
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_field_of_every_action(session, tmp_path, name):
    payload = _payload(session, tmp_path, name)
    assert [tuple(a[f] for f in FIELDS) for a in payload["actions"]] == [tuple(e) for e in EXPECTED[name]]


@pytest.mark.parametrize("name", ["priority-sheets-xlsx", "multilevel-list-docx", "tracker-export-csv"])
def test_the_cli_dry_run_reads_the_same(database, tmp_path, name):
    result = CliRunner().invoke(
        main, ["--database-url", database.url, "import", str(_build(tmp_path, name)), "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [tuple(a[f] for f in FIELDS) for a in payload["actions"]] == [tuple(e) for e in EXPECTED[name]]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n != "multilevel-list-docx"))
def test_every_row_has_a_role_and_every_skipped_row_is_quoted(tmp_path, name):
    assert_every_row_accounted(_build(tmp_path, name))


def test_every_paragraph_of_the_multilevel_list_plan_is_accounted(tmp_path):
    parsed = read_plan(_build(tmp_path, "multilevel-list-docx"))
    # 3 area headings, 5 actions, 5 "Lead: … Timescale: …" lines and 2 bullets joined to their actions
    assert parsed.account.line().startswith("read 15 paragraphs: 5 actions, 7 continuation")
    assert [s.title for s in parsed.sections] == [
        "The quality of strategy discussions",
        "Management oversight of children in need",
        "Accommodation for care leavers",
    ]
    assert [s.ref for s in parsed.sections] == ["1", "2", "3"]


def test_totals_and_footnote_rows_are_skipped_and_named(tmp_path):
    parsed = read_plan(_build(tmp_path, "youth-justice-landscape-docx"))
    assert parsed.warnings == [
        "table 2 row 6 skipped: '* denotes an action carried forward from the 2024–25 plan' is a note, not "
        "an action",
        "table 2 row 7 skipped: 'Total: 6 actions – 3 green, 2 amber, 1 red' is a total, not an action",
    ]
    assert "Total" not in " ".join(s.title for s in parsed.sections)
    csv_plan = read_plan(_build(tmp_path, "tracker-export-csv"))
    assert csv_plan.account.line() == "read 7 rows: 5 actions, 1 header row, 1 skipped (listed below)"


@pytest.mark.storage
def test_a_lead_with_their_post_is_the_person_with_that_role(session, tmp_path):
    from storage.models import Person

    payload = _payload(session, tmp_path, "peer-challenge-merged-docx")
    okafor = session.query(Person).filter_by(display_name="Sarah Okafor").one()
    assert (okafor.name, okafor.role_title) == ("Sarah Okafor", "Director of Finance")
    first = payload["actions"][0]
    assert first["leads_as_written"] == ["Sarah Okafor (Director of Finance)"]
    assert session.query(Person).filter(Person.display_name.like("%Okafor%")).count() == 1


@pytest.mark.storage
def test_an_address_in_a_lead_cell_is_named_in_a_warning_never_stored_unasked(session, tmp_path):
    from storage.models import Person

    payload = _payload(session, tmp_path, "tracker-export-csv")
    assert session.query(Person).filter(Person.email.is_not(None)).count() == 0
    assert (
        "lead 'Priya Shah <priya.shah@eastvale.gov.uk>': read as Priya Shah; to email them, "
        '`progressbot leads link "Priya Shah" --email priya.shah@eastvale.gov.uk`' in payload["warnings"]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sarah Okafor (Director of Finance)", ("Sarah Okafor", "Director of Finance")),
        ("Head of Early Help – Tom Reilly", ("Tom Reilly", "Head of Early Help")),
        ("Tom Reilly - Head of Early Help", ("Tom Reilly", "Head of Early Help")),
        ("Service Manager, MASH – Aisha Begum", ("Aisha Begum", "Service Manager, MASH")),
        ("Dr Helen Marsh (Clinical Lead)", ("Dr Helen Marsh", "Clinical Lead")),
        ("Police – DI Smith", None),  # an agency and an officer
        ("Health – Named Nurse", None),
        ("Head of Service – Children in Care", None),  # a post and its service
        ("Head of Service (Early Help)", None),
        ("Designated Nurse (Looked After Children)", None),
    ],
)
def test_name_and_post(text, expected):
    assert name_and_post(text) == expected


def test_without_email():
    assert without_email("Priya Shah <priya.shah@x.gov.uk>") == ("Priya Shah", "priya.shah@x.gov.uk")
    assert without_email("Mark Jones (mark.jones@x.gov.uk)") == ("Mark Jones", "mark.jones@x.gov.uk")
    assert without_email("m.jones@x.gov.uk") == ("m.jones@x.gov.uk", "m.jones@x.gov.uk")
    assert without_email("Head of Service") == ("Head of Service", None)


def test_a_team_after_a_comma_stays_with_its_post():
    known = {"Missing Children Coordinator"}.__contains__
    assert split_people("Missing Children Coordinator and Team Manager, Exploitation", known) == [
        "Missing Children Coordinator",
        "Team Manager, Exploitation",
    ]
    assert split_people("Head of Service, Pat Jones", lambda p: p == "Pat Jones") == [
        "Head of Service",
        "Pat Jones",
    ]


def test_the_lower_half_of_a_two_row_header():
    def row(*texts, spans=None):
        cells = [Cell.of(t) for t in texts]
        for i, span in (spans or {}).items():
            cells[i].span = span
        return cells

    top = row("Ref", "Action", "Lead", "Timescale", "", "Progress", "", "RAG", spans={3: 2, 4: 0, 5: 2, 6: 0})
    low = row("", "", "", "Start", "End", "Previous update", "Progress this quarter", "")
    columns = sub_header(top, low)
    assert columns is not None
    assert (columns.roles["timescale"], columns.roles["progress"]) == (4, 6)
    # A data row under the header is not its lower half, nor is a row under unmerged header cells.
    assert sub_header(top, row("1.1", "Do it", "Head of X", "", "", "", "", "Green")) is None
    assert sub_header(row("Ref", "Action", "Lead", "Due"), row("", "", "", "Start")) is None


def test_a_month_shown_as_mmm_yy_is_the_month(tmp_path):
    parsed = read_plan(_build(tmp_path, "housing-mmm-yy-xlsx"))
    assert [a.timescale for a in parsed.actions][:4] == [
        "March 2026",
        "Immediate",
        "September 2025",
        "30 June 2025",
    ]


def test_a_report_with_numbered_headings_and_paragraphs_is_no_plan(tmp_path):
    """ "1. Purpose" over "1.1 This report…" is a report's own numbering, not recommendations and actions."""
    from tests.support.reviewer_plans import _list_para, _multilevel_list

    d = docx.Document()
    d.add_heading("Report to Cabinet", 0)
    num = _multilevel_list(d)
    for heading, paras in (
        ("Purpose of the report", ["This report sets out the inspection findings.", "It asks for views."]),
        ("Background", ["The inspection took place in May.", "Inspectors met 40 staff."]),
    ):
        _list_para(d.add_heading(heading, 2), num, 0)
        for text in paras:
            _list_para(d.add_paragraph(text), num, 1)
    d.save(str(tmp_path / "report.docx"))
    from storage.errors import ProgressbotError

    with pytest.raises(ProgressbotError, match="no action table found"):
        read_plan(tmp_path / "report.docx")
