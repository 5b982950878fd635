"""Round four (tests/support/round4_plans.py): plans written before the importer's code was read. Every
field of every action, through the importer and through `progressbot import --dry-run --json`; every
row accounted for and every skipped row quoted; then the pieces each kind of fault was fixed in."""

from __future__ import annotations

import json
from functools import partial

import pytest
from click.testing import CliRunner

from progressbot.cli import main
from storage.importers import read_plan
from storage.importers.headers import header_role
from storage.importers.rows import one_language_date
from storage.plans import import_plan, plan_payload
from tests.support.plan_sets import NOW, built, fields
from tests.support.round4_plans import BUILDERS, EXPECTED
from tests.support.row_account import assert_every_row_accounted

_build = partial(built, BUILDERS)
_fields = fields


def test_there_are_eleven_plans_of_every_kind():
    assert len(EXPECTED) == 11
    assert {name.rsplit("-", 1)[-1] for name in EXPECTED} == {"docx", "xlsx", "csv"}


@pytest.mark.storage
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_field_of_every_action(session, tmp_path, name):
    parsed = read_plan(_build(tmp_path, name))
    result = import_plan(session, parsed, plan_name=name, now=NOW)
    payload = plan_payload(session, result.plan, warnings=result.warnings)
    assert _fields(payload) == [tuple(e) for e in EXPECTED[name]]


@pytest.mark.parametrize(
    "name", ["planner-export-csv", "welsh-bilingual-docx", "gantt-months-xlsx", "priority-action-paras-docx"]
)
def test_the_cli_dry_run_reads_the_same(database, tmp_path, name):
    result = CliRunner().invoke(
        main, ["--database-url", database.url, "import", str(_build(tmp_path, name)), "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert _fields(json.loads(result.stdout)) == [tuple(e) for e in EXPECTED[name]]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n != "priority-action-paras-docx"))
def test_every_row_has_a_role_and_every_skipped_row_is_quoted(tmp_path, name):
    assert_every_row_accounted(_build(tmp_path, name))


def test_a_totals_row_labelled_in_any_column_is_skipped_and_quoted(tmp_path):
    parsed = read_plan(_build(tmp_path, "lscp-closed-sheet-xlsx"))
    assert (
        "sheet 'Action plan' row 12 skipped: 'Total open actions | 4 | 1 green, 1 amber, 1 red, 1 not rated' "
        "is a total, not an action"
    ) in parsed.warnings
    assert not any("not rated" in (a.progress or "") for a in parsed.actions)


def test_headers_by_other_names_and_in_two_languages():
    assert header_role("Cam gweithredu / Action") == "action"
    assert header_role("Cyf / Ref") == "ref"
    assert header_role("Swyddog arweiniol\nLead officer") == "lead"
    assert header_role("Code") == "ref"
    assert header_role("Traffic Light") == "rag"
    assert header_role("Latest Note") == "progress"
    assert header_role("Bucket Name") == "recommendation"
    assert header_role("Latest Note Date") is None  # when a note was written says nothing of the due date
    assert header_role("Due Date") == "timescale"


def test_a_date_in_two_languages_is_one_date():
    assert one_language_date("Medi 2025 / September 2025") == "September 2025"
    assert one_language_date("Gorffennaf 2025 / July 2025") == "July 2025"
    # two dates, or a date and a state, are not the same date twice
    assert one_language_date("March 2021 / November 2020") == "March 2021 / November 2020"
    assert one_language_date("31 July 2020 / Ongoing") == "31 July 2020 / Ongoing"


def test_task_states_and_percentages_are_no_progress_text_and_machine_keys_no_refs(tmp_path):
    planner = read_plan(_build(tmp_path, "planner-export-csv"))
    assert [a.ref for a in planner.actions] == ["1.1", "1.2", "1.3", "2.1", "2.2"]
    assert all(not a.progress for a in planner.actions)
    assert [a.rag for a in planner.actions] == ["Blue", None, None, "Blue", None]
    assert [s.title for s in planner.sections] == ["Workforce", "Practice standards"]
    system = read_plan(_build(tmp_path, "performance-system-csv"))
    assert not any("%" in (a.progress or "") for a in system.actions)


def test_lettered_actions_under_a_numbered_heading_take_its_number(tmp_path):
    parsed = read_plan(_build(tmp_path, "send-phases-lettered-docx"))
    assert [a.ref for a in parsed.actions] == ["1a", "1b", "1c", "2a", "2b"]
    assert not any("numbered them" in w for w in parsed.warnings)


def test_a_gantt_chart_is_due_at_the_end_of_the_last_month_marked(tmp_path):
    parsed = read_plan(_build(tmp_path, "gantt-months-xlsx"))
    assert [a.timescale for a in parsed.actions] == [
        "September 2025",
        "December 2025",
        "March 2026",
        "July 2025",
        "",
    ]
    assert parsed.account.line() == "read 10 rows: 5 actions, 2 headings, 3 header rows, nothing skipped"


def test_action_paragraphs_keep_the_plans_own_numbers_and_read_their_labelled_lines(tmp_path):
    parsed = read_plan(_build(tmp_path, "priority-action-paras-docx"))
    assert parsed.account.line() == (
        "read 27 paragraphs: 5 actions, 20 continuation rows joined, 2 headings, nothing skipped"
    )
    assert parsed.warnings == [
        "paragraph 32: the plan ends at 'Governance'; the 2 paragraph(s) from there on are not part of it"
    ]
    fourth = parsed.actions[3]
    assert (fourth.ref, fourth.leads, fourth.timescale, fourth.rag, fourth.progress) == (
        "4",
        ["Principal Social Worker"],
        "December 2025",
        "Red",
        "Trainer left; course to be re-procured",
    )


def test_a_column_merged_down_over_its_actions_groups_them(tmp_path):
    parsed = read_plan(_build(tmp_path, "cqc-fill-key-docx"))
    assert [s.title for s in parsed.sections] == [
        "Assessing needs",
        "Supporting people to live healthier lives",
        "Safeguarding",
    ]


def test_a_months_update_is_no_gantt_mark_and_a_total_needs_a_totals_label():
    from storage.importers.headers import action_header
    from storage.importers.model import Cell
    from storage.importers.rows import TOTAL_LABEL, Cells, _timeline

    header = [Cell.of(t) for t in ["Action", "Lead", "April 2025", "May 2025", "June 2025", "RAG"]]
    columns = action_header(header)
    assert columns.all("timeline") == (2, 3, 4)
    marked = [Cell.of("Audit"), Cell.of("HoS"), Cell.of("x"), Cell(fill="4472C4"), Cell(), Cell.of("Green")]
    assert _timeline(Cells(marked, columns)) == ["May 2025"]
    update = Cell.of("Audit tool agreed with partners")
    assert _timeline(Cells([Cell.of("Audit"), Cell.of("HoS"), update, Cell(), Cell(), Cell()], columns)) == []
    for label in ("Total", "Totals", "Total open actions", "Grand total", "Number of actions"):
        assert TOTAL_LABEL.match(label), label
    for title in ("Total reward strategy refresh", "Totally rethink the front door"):
        assert not TOTAL_LABEL.match(title), title
