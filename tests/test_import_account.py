"""The account of every row: each non-empty row is an action, a continuation, a heading, a header, a
key, glossary or history row, or skipped with a warning that quotes it; nothing else, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from progressbot.cli import main
from storage.importers import read_plan
from storage.importers.account import ROLES, Account
from storage.importers.model import Cell, Para, Table
from storage.importers.parse import parse_blocks
from tests.support.layout_plans import BUILDERS

FIXTURES = Path(__file__).parent / "fixtures"
WORDS = [
    "Action",
    "Actions",
    "Lead",
    "Timescale",
    "RAG",
    "Ref",
    "Progress",
    "Version",
    "Date",
    "Abbreviation",
    "Title",
    "Name",
    "Key",
    "Outcome",
    "1.1",
    "2",
    "A",
    "Amber",
    "G",
    "✓",
    "-",
    "Develop the plan",
    "Head of Service",
    "May 23",
    "Ongoing",
    "Phase 2",
    "Improvement Area One",
    "version 3 agreed; date set",
    "Action 12 Review",
    "",
    "",
]
cell = st.builds(
    lambda t, bold, fill, span: Cell([Para([(t, bold)])] if t else [], fill, span),
    st.sampled_from(WORDS),
    st.booleans(),
    st.sampled_from([None, None, "FF0000", "00B050", "0070C0"]),
    st.sampled_from([1, 1, 1, 2]),
)
rows = st.lists(st.lists(cell, min_size=1, max_size=6), max_size=12)
header = st.sampled_from(
    [
        [],
        ["Ref", "Action", "Lead", "Timescale", "Progress", "RAG"],
        ["", "Action", "Lead", "Due"],
        ["Date", "Version", "Summary", "Author"],
        ["Abbreviation", "Title", "Name"],
    ]
)
table = st.builds(lambda h, r: Table(([[Cell.of(x) for x in h]] if h else []) + r), header, rows)


def _filled(tables: list[Table]) -> int:
    return sum(1 for t in tables for row in t.rows if any(c.text for c in row))


@settings(max_examples=150, deadline=None)
@given(st.lists(table, min_size=1, max_size=4))
def test_the_account_adds_up_to_the_non_empty_rows(tables):
    for number, t in enumerate(tables, start=1):
        t.name = f"table {number}"
    plan = parse_blocks(tables, filename="x.csv", reference_date=None)
    account = plan.account
    assert account.rows == _filled(tables)
    assert sum(account.count(role) for role in ROLES) == account.rows
    assert account.actions == len(plan.actions)
    assert account.actions >= account.count("action")
    for where, text in account.skipped:  # every skipped row is named in a warning that quotes it
        assert any(w.startswith(f"{where} skipped: '{text}") for w in plan.warnings), (where, plan.warnings)


def test_the_account_line_and_counts():
    account = Account()
    for where, role in [("r1", "header"), ("r2", "action"), ("r3", "action"), ("r4", "continuation")]:
        account.record(where, role)
    account.record("r5", "skipped", "Issues to come to GABB by exception.")
    account.actions = 3
    account.record("r4", "heading")  # a role is revised: the last word counts
    assert account.line() == (
        "read 5 rows: 2 action rows (3 actions), 1 heading, 1 header row, 1 skipped (listed below)"
    )
    assert account.as_dict()["skipped_rows"] == [
        {"where": "r5", "text": "Issues to come to GABB by exception."}
    ]


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "stockton-2023-improvement-plan-shaded.docx",
            "read 52 rows: 26 action rows (38 actions), 7 continuation rows joined, 6 headings, 13 header rows, "
            "nothing skipped",
        ),
        (
            "stockton-2019-ilacs-action-plan.docx",
            "read 38 rows: 16 actions, 5 continuation rows joined, 8 header rows, 3 key rows, 6 history rows, "
            "nothing skipped",
        ),
    ],
)
def test_the_sample_plans_account_for_every_row(name, line):
    assert read_plan(FIXTURES / name).account.line() == line


def test_rows_in_no_table_are_skipped_and_quoted(tmp_path):
    parsed = read_plan(BUILDERS["table-per-recommendation-docx"](tmp_path / "p.docx"))
    assert parsed.account.skipped == [
        ("table 3 row 1", "Signed | Date"),
        ("table 3 row 2", "Jo Smith, Director of Children's Services | 14 March 2024"),
    ]
    assert "table 3 row 1 skipped: 'Signed | Date' is in no table of the plan" in parsed.warnings


def test_a_row_before_the_first_action_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "Ref,Action,Lead,Timescale\n,Issues to come to GABB by exception.,,\n1,Do the thing,Head of A,May 2025\n",
        encoding="utf-8",
    )
    parsed = read_plan(path)
    assert [a.ref for a in parsed.actions] == ["1"]
    assert parsed.account.skipped == [("csv row 2", "Issues to come to GABB by exception.")]
    assert parsed.warnings[0] == (
        "csv row 2 skipped: 'Issues to come to GABB by exception.' comes before the first action"
    )


def run(database, *args):
    return CliRunner().invoke(main, ["--database-url", database.url, *map(str, args)])


def test_import_prints_the_account_and_lists_skipped_rows(database, tmp_path):
    path = BUILDERS["table-per-recommendation-docx"](tmp_path / "oakham.docx")
    result = run(database, "import", path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index("read 9 rows: 3 actions, 2 headings, 2 header rows, 2 skipped (listed below)")
    assert lines[at + 1 : at + 3] == [
        "  - table 3 row 1: 'Signed | Date'",
        "  - table 3 row 2: 'Jo Smith, Director of Children's Services | 14 March 2024'",
    ]
    assert "skipped: 'Signed | Date' is in no table" not in result.stdout  # listed once, under the account
    as_json = json.loads(run(database, "import", path, "--dry-run", "--json").stdout)
    assert as_json["plan"]["account"]["skipped"] == 2
    assert as_json["plan"]["account"]["rows"] == 9
    assert as_json["plan"]["account"]["line"].startswith("read 9 rows: 3 actions")
