"""The planner and the ledger inside one session: runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jobs.ledger import sync_ledger
from jobs.planner import REMINDER_KINDS, plan_reminders, unlinked_leads
from storage.models import ReminderEntry, ReminderMessage
from tests.support.jobs_factories import add_update, make_action, make_person, make_plan

pytestmark = pytest.mark.storage
D = dt.date
MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def test_plan_then_sync_groups_per_lead_and_is_idempotent(session):
    plan = make_plan(session)
    ann, ben = make_person(session, "Ann", uid="UANN1"), make_person(session, "Ben", uid="UBEN1")
    a1 = make_action(session, plan, "1", leads=[ann, ben], due=D(2026, 11, 23))
    make_action(session, plan, "2", leads=[ann], due=D(2026, 12, 7))
    planned = plan_reminders(session, MON)
    assert sorted((p.recipient_uid, p.kind) for p in planned) == [
        ("UANN1", "before"),
        ("UANN1", "due"),
        ("UBEN1", "due"),
    ]
    assert all(p.sendable and p.status is None for p in planned)
    first = sync_ledger(session, planned, MON, kinds=REMINDER_KINDS)
    assert first.new_entries == 3 and len(first.message_ids) == 2
    again = sync_ledger(session, plan_reminders(session, MON), MON, kinds=REMINDER_KINDS)
    assert again.new_entries == 0 and sorted(again.message_ids) == sorted(first.message_ids)
    messages = session.scalars(select(ReminderMessage).where(ReminderMessage.id.in_(first.message_ids))).all()
    assert sorted(len(m.payload["items"]) for m in messages) == [1, 2]
    # An answer before sending cancels what is no longer current.
    add_update(session, a1, MON + dt.timedelta(minutes=1), rag="Blue")
    third = sync_ledger(
        session,
        plan_reminders(session, MON + dt.timedelta(minutes=2)),
        MON + dt.timedelta(minutes=2),
        kinds=REMINDER_KINDS,
    )
    assert third.skipped_entries == 2
    statuses = {m.slack_user_id: m.status for m in messages}
    assert statuses == {"UANN1": "pending", "UBEN1": "cancelled"}


def test_the_ledger_key_is_unique_in_the_database(session):
    plan = make_plan(session)
    ann = make_person(session, "Ann", uid="UANN2")
    action = make_action(session, plan, "1", leads=[ann], due=D(2026, 11, 23))
    session.add(
        ReminderEntry(action_id=action.id, person_id=ann.id, due_date=D(2026, 11, 23), kind="due", step=0)
    )
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            ReminderEntry(action_id=action.id, person_id=ann.id, due_date=D(2026, 11, 23), kind="due", step=0)
        )
        session.flush()


def test_a_new_timescale_restarts_the_reminders(session):
    plan = make_plan(session)
    ann = make_person(session, "Ann", uid="UANN3")
    action = make_action(session, plan, "1", leads=[ann], due=D(2026, 11, 9))
    (chase,) = plan_reminders(session, MON)
    assert (chase.kind, chase.step) == ("overdue", 2)
    action.due_date = D(2026, 12, 7)  # the board agreed a new date
    session.flush()
    (fresh,) = plan_reminders(session, MON)
    assert (fresh.kind, fresh.due_date) == ("before", D(2026, 12, 7))


def test_unlinked_leads_of_open_actions(session):
    plan = make_plan(session)
    ghost, done_ghost = make_person(session, "Ghost"), make_person(session, "Done Ghost")
    make_action(session, plan, "1", leads=[ghost], due=D(2026, 12, 7))
    finished = make_action(session, plan, "2", leads=[done_ghost], due=D(2026, 12, 7))
    add_update(session, finished, MON - dt.timedelta(days=1), rag="Blue")
    assert [p.display_name for p in unlinked_leads(session, MON)] == ["Ghost"]


def test_planning_uses_a_constant_number_of_queries(session):
    from sqlalchemy import event

    def count_for(n: int) -> int:
        plan = make_plan(session)
        for i in range(n):
            lead = make_person(session, f"Lead {n}-{i}", uid=f"UQ{n}X{i}")
            make_action(session, plan, f"{i}", leads=[lead], due=D(2026, 11, 23))
        statements: list[str] = []
        conn = session.connection()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(conn, "before_cursor_execute", listener)
        try:
            plan_reminders(session, MON)
        finally:
            event.remove(conn, "before_cursor_execute", listener)
        return len(statements)

    assert count_for(3) == count_for(30)
