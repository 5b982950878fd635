"""Re-importing a plan never quietly undoes a change made with progressbot, and records its own changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.authority import cli_actor
from storage.changes import Edit, add_action, set_action
from storage.closing import close_action
from storage.importers import read_plan
from storage.models import Action, PlanChange
from storage.people import find_person
from storage.plans import get_action, get_plan, import_plan

pytestmark = pytest.mark.storage

PLAN_FILE = Path(__file__).parent / "fixtures" / "stockton-2019-ilacs-action-plan.docx"
T0 = dt.datetime(2020, 2, 14, 9, tzinfo=dt.UTC)
QUALITY = "Service Manager Quality, Practice and Review"


@pytest.fixture
def imported(session):
    import_plan(session, read_plan(PLAN_FILE), plan_name="ilacs", now=T0)
    session.flush()
    return get_plan(session, "ilacs")


def _changes(session, action, source=None):
    query = select(PlanChange).where(PlanChange.action_id == action.id).order_by(PlanChange.id)
    if source:
        query = query.where(PlanChange.source == source)
    return list(session.scalars(query))


def test_the_first_import_records_no_events(session, imported):
    assert session.scalars(select(PlanChange)).all() == []


def test_reimport_keeps_changes_made_on_purpose_and_says_why(session, imported):
    operator = cli_actor(session, None)
    a15 = get_action(session, imported, "1.5")
    set_action(session, a15, Edit(leads=[find_person(session, QUALITY)], due=dt.date(2020, 3, 31)),
               actor=operator, reason="Fieldwork manager left", now=T0 + dt.timedelta(days=10))  # fmt: skip
    a11 = get_action(session, imported, "1.1")
    set_action(session, a11, Edit(title="Quality assurance framework"), actor=operator, reason="Shorter",
               now=T0 + dt.timedelta(days=10))  # fmt: skip
    close_action(session, get_action(session, imported, "2.1"), as_="merged", into=get_action(session, imported, "1.3"),
                 reason="Same panel", actor=operator, now=T0 + dt.timedelta(days=10))  # fmt: skip
    added, _ = add_action(session, imported, ref="7.1", title="Recruit social workers", leads=[find_person(session, QUALITY)],
                          timescale="March 2020", section="1", reason="Board", actor=operator,
                          now=T0 + dt.timedelta(days=10))  # fmt: skip

    result = import_plan(session, read_plan(PLAN_FILE), plan_name="ilacs", now=T0 + dt.timedelta(days=20))
    kept = "\n".join(result.kept)
    assert (
        "1.5: kept its due date 31 Mar 2020 (changed by cli on 24 Feb 2020: Fieldwork manager left); the file says 'July 2019' (31 Jul 2019)"
        in kept
    )
    assert (
        f"1.5: kept its lead(s) {QUALITY} (changed by cli on 24 Feb 2020: Fieldwork manager left); the file says Service Manager Fieldwork"
        in kept
    )
    assert (
        "1.1: kept its title “Quality assurance framework” (changed by cli on 24 Feb 2020: Shorter)" in kept
    )
    assert "2.1: kept merged (the file still lists it)" in kept
    assert result.changes()["kept"] == result.kept
    session.refresh(a15)
    assert a15.due_date == dt.date(2020, 3, 31) and [lead.person.display_name for lead in a15.leads] == [
        QUALITY
    ]
    assert a11.title == "Quality assurance framework"
    assert session.scalar(select(Action.status).where(Action.ref == "2.1")) == "merged"
    assert session.get(Action, added.id).ref == "7.1"  # not in the file, still in the plan
    assert [c for c in session.scalars(select(PlanChange).where(PlanChange.source == "import"))] == []


def test_what_a_reimport_changes_is_recorded_as_events(session, imported):
    parsed = read_plan(PLAN_FILE)
    item = next(a for a in parsed.actions if a.ref == "1.1")
    item.timescale = "March 2020"
    item.title = "Develop a QA framework"
    parsed.actions.append(type(item)(ref="8.1", title="A new action in the file", text="A new action in the file",
                                     section=item.section, leads=list(item.leads), timescale="June 2020"))  # fmt: skip
    later = T0 + dt.timedelta(days=30)
    import_plan(session, parsed, plan_name="ilacs", now=later)
    a11 = get_action(session, imported, "1.1")
    changes = [(c.kind, c.field, c.old_value, c.new_value) for c in _changes(session, a11, "import")]
    assert ("set", "title", "Develop a quality assurance framework to support a whole systems approach",
            "Develop a QA framework") in changes  # fmt: skip
    assert ("set", "timescale", "November 2019", "March 2020") in changes
    assert ("set", "due", "2019-11-30", "2020-03-31") in changes
    for change in _changes(session, a11, "import"):
        assert (change.by_text, change.at, change.reason) == (
            "import: stockton-2019-ilacs-action-plan.docx",
            later,
            "re-import of stockton-2019-ilacs-action-plan.docx",
        )
    [added] = _changes(session, get_action(session, imported, "8.1"))
    assert added.kind == "add" and added.new_value["title"] == "A new action in the file"
