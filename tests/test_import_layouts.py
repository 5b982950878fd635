"""Plans in layouts unlike the samples (tests/support/layout_plans.py): every field of every action, the
account of every row, and the warnings that name what was left out."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from storage.importers import read_plan
from tests.support import holdout_plans
from tests.support.layout_plans import BUILDERS, EXPECTED
from tests.support.plan_sets import FIELDS, imported

assert holdout_plans  # its plans register in BUILDERS and EXPECTED


pytestmark = pytest.mark.storage

_import = partial(imported, BUILDERS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_field_of_every_action(session, tmp_path, name):
    _, payload = _import(session, tmp_path, name)
    got = [tuple(a[f] for f in FIELDS) for a in payload["actions"]]
    assert got == [tuple(e) for e in EXPECTED[name]]


def test_hidden_rows_columns_and_sheets_are_left_out_and_named(session, tmp_path):
    parsed, payload = _import(session, tmp_path, "hidden-excel-xlsx")
    assert payload["warnings"] == [
        "1 hidden sheet(s) left out: 'Old plan'",
        "sheet 'Plan 2025': 1 hidden column(s) (D) and 1 hidden row(s) (6) left out, as the author hid them",
    ]
    assert not any("Withdrawn" in a["title"] or "old action" in a["title"] for a in payload["actions"])
    assert parsed.account.line() == "read 8 rows: 4 actions, 2 headings, 2 header rows, nothing skipped"


def test_a_list_plan_keeps_its_sections_text_and_leaves_the_cabinet_recommendations(session, tmp_path):
    parsed, payload = _import(session, tmp_path, "list-plan-docx")
    assert payload["warnings"] == [
        "the document numbers the actions under 'Recommendation 2 – for improvement within 3 months' 4–5; "
        "they are stored as 2.1–2.2",
        "the due dates of 7 action(s) come from their recommendation's urgency ('immediate', 'within 3 months', "
        "'within 6 months'), counted from 12 March 2025, the plan's date",
        "3 action(s) name no lead in the plan and are imported with none: 1.2, 2.2, 3.2",
    ]
    assert not any("Endorse" in a["title"] or "Cabinet" in a["title"] for a in payload["actions"])
    assert payload["plan"]["sections"][0] == {
        "kind": "recommendation",
        "ref": "1",
        "title": "Recommendation 1 – for immediate improvement",
        "description": "Improve the timeliness and quality of strategy discussions so that children at risk are "
        "protected.\n\nOutcome:\n• Strategy discussions are held promptly and include all agencies.\n\n"
        "How we will know:\n• Monthly audits show 95% of strategy discussions within timescale.",
    }
    first = payload["actions"][0]
    assert first["outcome"] == "Strategy discussions are held promptly and include all agencies."
    assert "Success criteria: Monthly audits show 95%" in first["description"]
    assert (payload["plan"]["start_date"], payload["plan"]["reference_date"]) == ("2025-03-12", "2025-03-12")
    assert parsed.account.line() == "read 22 paragraphs: 7 actions, 15 headings, nothing skipped"


def test_older_dated_updates_become_earlier_updates(session, tmp_path):
    from sqlalchemy import select

    from storage.models import Action, Update

    _import(session, tmp_path, "dated-updates-xlsx")
    rows = session.execute(
        select(Action.ref, Update.submitted_at, Update.text)
        .join(Update, Update.action_id == Action.id)
        .where(Action.ref == "1.1")
        .order_by(Update.submitted_at)
    ).all()
    ref, at, text = rows[0]
    assert (ref, at.date().isoformat(), text) == (
        "1.1",
        "2024-01-31",
        "Draft written",
    )
    assert rows[-1].text == "Policy approved by Cabinet"


def test_task_states_are_not_rags_and_say_so(session, tmp_path):
    _, payload = _import(session, tmp_path, "sharepoint-list-csv")
    assert payload["warnings"][:2] == [
        "csv row 2: unknown RAG 'In progress' (the plan's scheme is Red, Amber, Green, Blue); left empty",
        "csv row 3: unknown RAG 'Not started' (the plan's scheme is Red, Amber, Green, Blue); left empty",
    ]


def test_hidden_word_text_is_left_out_with_a_count(tmp_path):
    import docx

    from tests.support.plan_builders import add_table

    d = docx.Document()
    table = add_table(
        d, [["Ref", "Action", "Lead", "Timescale"], ["1", "Audit the plans", "Head of QA", "May 2025"]]
    )
    hidden = table.cell(1, 1).paragraphs[0].add_run(" and the old draft nobody should see")
    hidden.font.hidden = True
    d.save(str(tmp_path / "p.docx"))
    parsed = read_plan(tmp_path / "p.docx", reference_date=dt.date(2025, 1, 1))
    assert parsed.actions[0].title == "Audit the plans"
    assert parsed.warnings == ["1 piece(s) of hidden text were left out"]
