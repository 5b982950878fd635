"""Plans written by an outsider to the importer (tests/support/outsider_plans.py): every field of every
action, through the importer and through `progressbot import --dry-run --json`; every row accounted
for; what the import says about what it could not read as written. Then the pieces each kind of
mistake was fixed in, one by one."""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from progressbot.cli import main
from storage.importers import read_plan
from storage.plans import import_plan, plan_payload
from tests.support.outsider_plans import BUILDERS, EXPECTED, ROUND_TWO
from tests.support.plan_sets import NOW, built, fields, imported
from tests.support.row_account import assert_every_row_accounted

_build = partial(built, BUILDERS)
_import = partial(imported, BUILDERS)
_fields = fields


def test_there_are_a_dozen_first_round_plans_and_a_second_round():
    assert len(set(EXPECTED) - ROUND_TWO) == 12
    assert set(EXPECTED) > ROUND_TWO
    kinds = {name.rsplit("-", 1)[-1] for name in EXPECTED}
    assert kinds == {"docx", "xlsx", "csv"}


@pytest.mark.storage
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_field_of_every_action(session, tmp_path, name):
    _, payload = _import(session, tmp_path, name)
    assert _fields(payload) == [tuple(e) for e in EXPECTED[name]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_cli_dry_run_reads_the_same_and_stores_nothing(database, tmp_path, name):
    path = _build(tmp_path, name)
    runner = CliRunner()
    result = runner.invoke(main, ["--database-url", database.url, "import", str(path), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert _fields(payload) == [tuple(e) for e in EXPECTED[name]]
    assert payload["plan"]["dry_run"] is True
    shown = runner.invoke(main, ["--database-url", database.url, "plan", "show", "--plan", name])
    assert shown.exit_code != 0  # nothing was stored


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_row_has_a_role_and_every_skipped_row_is_quoted(tmp_path, name):
    assert_every_row_accounted(_build(tmp_path, name))


def test_a_footnote_row_is_skipped_with_a_warning_not_made_a_section(tmp_path):
    parsed = read_plan(_build(tmp_path, "hmicfrs-landscape-docx"))
    assert parsed.warnings == [
        "table 1 row 7 skipped: '* Target date revised at the Force Improvement Board, 12 June 2024.' "
        "is a note, not an action"
    ]
    assert [s.title for s in parsed.sections if s.title.startswith("*")] == []
    assert parsed.account.line() == "read 7 rows: 5 actions, 1 header row, 1 skipped (listed below)"


def test_action_cards_are_one_action_each_and_every_label_row_is_accounted(tmp_path):
    parsed = read_plan(_build(tmp_path, "action-cards-docx"))
    assert parsed.account.line() == "read 28 rows: 4 actions, 24 continuation rows joined, nothing skipped"
    first = parsed.actions[0]
    assert (first.where, first.success_criteria) == ("table 1 row 2", "Board attendance above 80%")


def test_a_document_control_table_is_not_an_action_card(tmp_path):
    import docx

    from tests.support.plan_builders import add_table

    d = docx.Document()
    add_table(
        d, [["Title", "SEND improvement plan"], ["Owner", "Director of Education"], ["Date", "May 2025"]]
    )
    add_table(
        d, [["Ref", "Action", "Lead", "Timescale"], ["1", "Audit the plans", "Head of QA", "June 2025"]]
    )
    d.save(str(tmp_path / "p.docx"))
    parsed = read_plan(tmp_path / "p.docx")
    assert [(a.ref, a.title) for a in parsed.actions] == [("1", "Audit the plans")]


def test_summary_rows_of_a_task_list_are_headings_and_each_is_named(tmp_path):
    parsed = read_plan(_build(tmp_path, "smartsheet-csv"))
    assert [w for w in parsed.warnings if "ref and a name only" in w] == [
        "csv row 2: '1 | Leadership and governance' gives a ref and a name only: read as a section heading "
        "over the actions below it",
        "csv row 5: '4 | Practice quality' gives a ref and a name only: read as a section heading over the "
        "actions below it",
    ]


@pytest.mark.storage
def test_within_months_of_the_inspection_counts_from_its_last_day_and_says_so(session, tmp_path):
    parsed, payload = _import(session, tmp_path, "ilacs-glossary-docx")
    assert (parsed.start_date, parsed.inspection_date) == (dt.date(2024, 10, 25), dt.date(2024, 9, 20))
    assert (
        "3: read 'within 6 months of the inspection' from 20 September 2024, the last day of the inspection"
        in (payload["warnings"])
    )


def test_a_glossary_under_a_glossary_line_needs_no_header(tmp_path):
    parsed = read_plan(_build(tmp_path, "school-improvement-docx"))
    assert [(g.abbreviation, g.title) for g in parsed.glossary][:4] == [
        ("HT", "Headteacher"),
        ("DHT", "Deputy Headteacher"),
        ("EL", "English Lead"),
        ("SENCo", "Special Educational Needs Coordinator"),
    ]
    assert parsed.account.count("glossary") == 4 and parsed.account.count("skipped") == 0


def test_the_keys_own_words_are_read_in_the_rag_column(tmp_path):
    for name in ("send-wsoa-docx", "cqc-must-do-xlsx"):
        scheme = read_plan(_build(tmp_path, name)).scheme
        assert [scheme.parse(w) for w in ("Completed", "On Track", "At Risk", "Not Started")] == [
            "Blue",
            "Green",
            "Amber",
            "Red",
        ], name


# ---------------------------------------------------------------- the pieces, kind by kind


def test_date_columns_by_any_name_and_the_dates_that_are_not_due_dates():
    from storage.importers.headers import header_role

    due = ["Milestones", "Key milestones", "Delivery date", "Implementation date", "Target Completion Date"]
    assert [header_role(h) for h in due] == ["timescale"] * len(due)
    assert [header_role(h) for h in ("Start date", "Date modified", "Review date", "Inspection date")] == [
        None
    ] * 4


def test_an_officer_column_leads_over_an_agency_column_and_two_lead_columns_both_lead():
    from storage.importers.headers import action_header
    from storage.importers.model import Cell

    def header(*names):
        return action_header([Cell.of(n) for n in names])

    agency = header("Action", "Lead agency", "Lead officer", "Target")
    assert (agency["lead"], agency.all("lead")) == (2, (2,))
    only_agency = header("Action", "Lead agency", "Target")
    assert only_agency["lead"] == 1  # an agency is the best lead a plan gives when it names no one
    both = header("Action", "Executive lead", "Operational lead", "Completion date")
    assert both.all("lead") == (1, 2)


def test_a_milestone_that_says_complete_does_not_finish_the_action():
    from storage.timescales import parse_timescale

    ref = dt.date(2024, 9, 1)
    milestones = "October 2024 – recruitment complete\nApril 2025 – no assessment older than 20 weeks"
    assert parse_timescale(milestones, reference=ref).schedule == "once"
    assert parse_timescale("October 2024 – complete\nApril 2025 – complete", reference=ref).schedule == "done"
    assert parse_timescale("Sept 2020 - complete", reference=dt.date(2020, 1, 1)).schedule == "done"


def test_within_months_of_the_inspection_without_an_inspection_date_is_warned():
    from storage.timescales import parse_timescale

    plan = dt.date(2024, 10, 25)
    read = parse_timescale("within 6 months of the inspection", reference=plan, start=plan)
    assert (read.due, read.warning) == (
        dt.date(2025, 4, 25),
        "read 'within 6 months of the inspection' from the plan's date: the plan gives no inspection date",
    )
    anchored = parse_timescale(
        "within 6 months of the inspection", reference=plan, start=plan, inspection=dt.date(2024, 9, 20)
    )
    assert anchored.due == dt.date(2025, 3, 20)
    assert parse_timescale(
        "within 6 months", reference=plan, start=plan, inspection=dt.date(2024, 9, 20)
    ).due == (dt.date(2025, 4, 25))


def test_the_plans_own_date_and_the_inspections_come_from_the_sentences_that_say_them():
    from storage.importers.plandates import inspection_date, labelled_plan_date, plan_date

    cover = [
        "Inspection: 12–14 March 2024. Report published: 22 May 2024.",
        "Version 3 – 2 September 2024",
        "Plan agreed: 2 April 2024",
    ]
    # A version's date is a revision's; the plan's own date is the one it was agreed on.
    assert (labelled_plan_date(cover), inspection_date(cover)) == (dt.date(2024, 4, 2), dt.date(2024, 3, 14))
    assert plan_date(["Inspection dates: 16–20 September 2024", "Cabinet, 12 March 2025"]) == dt.date(
        2025, 3, 12
    )
    # A sentence about the plan that says when the inspection took place dates the inspection.
    stockton = [
        "This Post Ofsted Action Plan has been developed in response to the Ofsted inspection that took place "
        "between 20 May and 24 May 2019."
    ]
    assert (labelled_plan_date(stockton), inspection_date(stockton)) == (None, dt.date(2019, 5, 24))
    # A title naming the inspection is the plan's own line, not the inspection's.
    assert inspection_date(["Post-inspection action plan, 4 March 2024"]) is None


def test_a_post_with_its_organisation_after_a_comma_is_one_lead():
    from storage.importers.leads import split_people

    def unknown(_):
        return False

    assert split_people("Head of Commissioning, ICB", unknown) == ["Head of Commissioning, ICB"]
    assert split_people("Detective Sergeant, MASH", unknown) == ["Detective Sergeant, MASH"]
    assert split_people("DCS, PSW", unknown) == ["DCS", "PSW"]
    assert split_people("Head of Early Help, Head of Safeguarding", unknown) == [
        "Head of Early Help",
        "Head of Safeguarding",
    ]


def test_a_post_followed_by_its_abbreviation_in_brackets_is_that_post_and_teaches_the_abbreviation():
    from storage.importers.finish import abbreviations_in_brackets
    from storage.importers.model import GlossaryEntry, ParsedAction

    actions = [
        ParsedAction("1", "a", "a", leads=["Designated Clinical Officer (DCO)"]),
        ParsedAction("2", "b", "b", leads=["Head of Service (Early Help)"]),
        ParsedAction("3", "c", "c", leads=["Special Educational Needs Coordinator (SENCo)"]),
    ]
    learned = abbreviations_in_brackets(actions, [])
    assert [a.leads for a in actions] == [
        ["Designated Clinical Officer"],
        ["Head of Service (Early Help)"],
        ["Special Educational Needs Coordinator"],
    ]
    assert learned == [
        GlossaryEntry("DCO", "Designated Clinical Officer", ""),
        GlossaryEntry("SENCo", "Special Educational Needs Coordinator", ""),
    ]


def test_a_lead_member_oversees_and_does_not_lead_when_an_officer_is_named():
    from storage.importers.headers import action_header
    from storage.importers.model import Cell

    columns = action_header([Cell.of(n) for n in ("Action", "Lead Member", "Lead Officer", "Deadline")])
    assert columns.all("lead") == (2,)


@pytest.mark.storage
def test_an_organisation_after_a_comma_stays_with_the_post_and_a_person_there_is_a_lead(session, tmp_path):
    """With a glossary that explains both: ICB is an organisation (where the post is), DCS a post."""
    import docx

    from tests.support.plan_builders import add_table

    d = docx.Document()
    d.add_paragraph("Plan agreed 6 January 2025")
    add_table(
        d,
        [
            ["Ref", "Action", "Lead", "Timescale"],
            ["1", "Audit the plans", "Head of Service, DCS", "June 2025"],
            ["2", "Commission a service", "Head of Commissioning, ICB", "July 2025"],
            ["3", "Agree the pathway", "Designated Nurse, ICB", "July 2025"],
        ],
    )
    d.add_paragraph("Glossary")
    add_table(
        d,
        [
            ["Abbreviation", "Meaning"],
            ["ICB", "Integrated Care Board"],
            ["DCS", "Director of Children's Services"],
        ],
    )
    d.save(str(tmp_path / "p.docx"))
    result = import_plan(session, read_plan(tmp_path / "p.docx"), plan_name="p", now=NOW)
    payload = plan_payload(session, result.plan, warnings=result.warnings)
    assert [a["leads"] for a in payload["actions"]] == [
        ["Head of Service", "Director of Children's Services"],
        ["Head of Commissioning, ICB"],
        ["Designated Nurse, ICB"],
    ]


def test_a_heading_row_at_the_top_of_a_sheet_is_a_section_not_the_sheets_description(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    first.title = "Workforce"
    second = wb.create_sheet("Practice")
    for ws, heading, action in (
        (first, "Recruitment", "Recruit ten social workers"),
        (second, "Supervision", "Audit supervision monthly"),
    ):
        ws.append(["Action", "Lead", "Target", "RAG"])
        ws.append([heading])
        ws.append([action, "Head of Service", "June 2025", "Green"])
    wb.save(tmp_path / "p.xlsx")
    parsed = read_plan(tmp_path / "p.xlsx", reference_date=dt.date(2025, 1, 1))
    assert [(a.title, a.section.title) for a in parsed.actions] == [
        ("Recruit ten social workers", "Recruitment"),
        ("Audit supervision monthly", "Supervision"),
    ]
    assert [w for w in parsed.warnings if "name only" in w] == [
        "sheet 'Workforce' row 2: 'Recruitment' gives a name only: read as a section heading over the actions "
        "below it",
        "sheet 'Practice' row 2: 'Supervision' gives a name only: read as a section heading over the actions "
        "below it",
    ]


def test_the_2019_stockton_plan_starts_with_its_period_and_knows_its_inspection():
    parsed = read_plan(Path(__file__).parent / "fixtures" / "stockton-2019-ilacs-action-plan.docx")
    assert (parsed.start_date, parsed.inspection_date) == (dt.date(2019, 7, 1), dt.date(2019, 5, 24))
