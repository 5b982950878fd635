"""A whole plan year, day by day: the reminder pass runs five times a day against a simulated calendar.

Every sent ledger row is checked against the exact dates the policy gives, per action and per lead,
through both DST changeovers, Easter, other time zones, milestones, "Ongoing", "Every Q", completed
actions and updates that stop the chasing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jobs.reminders import run_reminder_pass
from storage.models import Action, ReminderEntry, ReminderMessage
from tests.support.jobs_factories import RecordingClient, add_update, make_action, make_person, make_plan

pytestmark = pytest.mark.slow  # hundreds of real passes against a SQLite file
D = dt.date
UTC = dt.UTC
PASS_TIMES = [dt.time(3, 45), dt.time(8, 30), dt.time(12, 0), dt.time(15, 0), dt.time(19, 0)]

# ref -> expected sent rows: (due date, kind, step, local date sent)
EXPECTED = {
    # Due Fri 29 May; 3 working days before skips the Spring bank holiday (Mon 25 May); chased
    # weekly until a Blue update on 15 June.
    "A1": [
        (D(2026, 5, 29), "before", 0, D(2026, 5, 15)),
        (D(2026, 5, 29), "before", 1, D(2026, 5, 26)),
        (D(2026, 5, 29), "due", 0, D(2026, 5, 29)),
        (D(2026, 5, 29), "overdue", 1, D(2026, 6, 5)),
        (D(2026, 5, 29), "overdue", 2, D(2026, 6, 12)),
    ],
    # Due on Easter Monday: the due-day reminder would be Thu 2 April (Good Friday is not a working
    # day), but an Amber update on 25 March stops the before-due reminders; the chase still comes.
    "A2": [(D(2026, 4, 6), "before", 0, D(2026, 3, 23)), (D(2026, 4, 6), "overdue", 1, D(2026, 4, 13))],
    # Due the day after the clocks go forward, and the day after they go back.
    "A3": [
        (D(2026, 3, 30), "before", 0, D(2026, 3, 16)),
        (D(2026, 3, 30), "before", 1, D(2026, 3, 25)),
        (D(2026, 3, 30), "due", 0, D(2026, 3, 30)),
    ],
    "A3b": [
        (D(2026, 10, 26), "before", 0, D(2026, 10, 12)),
        (D(2026, 10, 26), "before", 1, D(2026, 10, 21)),
        (D(2026, 10, 26), "due", 0, D(2026, 10, 26)),
    ],
    # A lead in New York.
    "A4": [
        (D(2026, 10, 28), "before", 0, D(2026, 10, 14)),
        (D(2026, 10, 28), "before", 1, D(2026, 10, 23)),
        (D(2026, 10, 28), "due", 0, D(2026, 10, 28)),
    ],
    # A lead in Kolkata, with two milestones before the final due date.
    "A5": [
        (D(2026, 7, 15), "before", 0, D(2026, 7, 1)),
        (D(2026, 7, 15), "before", 1, D(2026, 7, 10)),
        (D(2026, 7, 15), "due", 0, D(2026, 7, 15)),
        (D(2026, 8, 14), "before", 0, D(2026, 7, 31)),
        (D(2026, 8, 14), "before", 1, D(2026, 8, 11)),
        (D(2026, 8, 14), "due", 0, D(2026, 8, 14)),
        (D(2026, 9, 30), "before", 0, D(2026, 9, 16)),
        (D(2026, 9, 30), "before", 1, D(2026, 9, 25)),
        (D(2026, 9, 30), "due", 0, D(2026, 9, 30)),
    ],
    # Ongoing: every 8 weeks from the plan's start (Mon 5 January).
    "A6": [
        (d, "ongoing", 0, d)
        for d in (
            D(2026, 3, 2),
            D(2026, 4, 27),
            D(2026, 6, 22),
            D(2026, 8, 17),
            D(2026, 10, 12),
            D(2026, 12, 7),
        )
    ],
    # Every quarter: before each quarter end. In December, 3 working days before Thu 31st skips
    # Christmas and the substitute Boxing Day (Mon 28th): Thu 24th.
    "A7": [
        row
        for due, b0, b1 in (
            (D(2026, 3, 31), D(2026, 3, 17), D(2026, 3, 26)),
            (D(2026, 6, 30), D(2026, 6, 16), D(2026, 6, 25)),
            (D(2026, 9, 30), D(2026, 9, 16), D(2026, 9, 25)),
            (D(2026, 12, 31), D(2026, 12, 17), D(2026, 12, 24)),
        )
        for row in ((due, "recurring", 0, b0), (due, "recurring", 1, b1), (due, "recurring", 100, due))
    ],
    "A8": [],  # completed before it fell due
    "A9": [],  # marked done in the plan
    "A10": [],  # its lead is not linked to Slack
}
UPDATES = [  # (when, ref, RAG)
    (dt.datetime(2026, 1, 10, 10, tzinfo=UTC), "A8", "Blue"),
    (dt.datetime(2026, 3, 25, 7, tzinfo=UTC), "A2", "Amber"),
    (dt.datetime(2026, 3, 31, 10, tzinfo=UTC), "A3", "Blue"),
    (dt.datetime(2026, 4, 14, 10, tzinfo=UTC), "A2", "Blue"),
    (dt.datetime(2026, 6, 15, 7, tzinfo=UTC), "A1", "Blue"),
    (dt.datetime(2026, 10, 1, 2, tzinfo=UTC), "A5", "Blue"),
    (dt.datetime(2026, 10, 27, 10, tzinfo=UTC), "A3b", "Blue"),
    (dt.datetime(2026, 10, 29, 16, tzinfo=UTC), "A4", "Blue"),
]
ZONES = {
    "UALICE": "Europe/London",
    "UBOB": "Europe/London",
    "UCAROL": "America/New_York",
    "UDEV": "Asia/Kolkata",
    "UEVE": "Europe/London",
}


@pytest.fixture
def year(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "year", start=D(2026, 1, 5))
        alice = make_person(s, "Alice", uid="UALICE")
        bob = make_person(s, "Bob", uid="UBOB", tz="Europe/London")
        carol = make_person(s, "Carol", uid="UCAROL", tz="America/New_York")
        dev = make_person(s, "Dev", uid="UDEV", tz="Asia/Kolkata")
        eve = make_person(s, "Eve", uid="UEVE")
        frank = make_person(s, "Frank", uid="UFRANK")
        gina = make_person(s, "Gina")
        refs = {
            "A1": make_action(s, plan, "A1", leads=[alice], due=D(2026, 5, 29)),
            "A2": make_action(s, plan, "A2", leads=[alice], due=D(2026, 4, 6)),
            "A3": make_action(s, plan, "A3", leads=[bob], due=D(2026, 3, 30)),
            "A3b": make_action(s, plan, "A3b", leads=[bob], due=D(2026, 10, 26)),
            "A4": make_action(s, plan, "A4", leads=[carol], due=D(2026, 10, 28)),
            "A5": make_action(
                s, plan, "A5", leads=[dev], due=D(2026, 9, 30), milestones=[D(2026, 7, 15), D(2026, 8, 14)]
            ),
            "A6": make_action(s, plan, "A6", leads=[eve], schedule="ongoing"),
            "A7": make_action(s, plan, "A7", leads=[eve], schedule="recurring", recurrence="quarterly"),
            "A8": make_action(s, plan, "A8", leads=[frank], due=D(2026, 6, 10)),
            "A9": make_action(s, plan, "A9", leads=[frank], due=D(2026, 6, 10), schedule="done"),
            "A10": make_action(s, plan, "A10", leads=[gina], due=D(2026, 6, 10)),
        }
        ids = {ref: a.id for ref, a in refs.items()}
    client = RecordingClient()
    pending_updates = sorted(UPDATES)
    day = D(2026, 1, 5)
    while day <= D(2026, 12, 31):
        for t in PASS_TIMES:
            now = dt.datetime.combine(day, t, tzinfo=UTC)
            while pending_updates and pending_updates[0][0] <= now:
                at, ref, rag = pending_updates.pop(0)
                with database.session_factory.begin() as s:
                    add_update(s, s.get(Action, ids[ref]), at, rag=rag)
            run_reminder_pass(database.session_factory, client, now, rate=0)
        day += dt.timedelta(days=1)
    return database, ids, client


def test_a_plan_year_day_by_day_sends_exactly_the_policy_reminders(year):
    database, ids, client = year
    by_id = {v: k for k, v in ids.items()}
    with database.session_factory() as s:
        rows = s.execute(
            select(ReminderEntry, ReminderMessage)
            .join(ReminderMessage, ReminderMessage.id == ReminderEntry.message_id)
            .where(ReminderEntry.status == "sent")
        ).all()
        got: dict[str, list] = {ref: [] for ref in EXPECTED}
        for entry, message in rows:
            sent_local = message.sent_at.astimezone(ZoneInfo(ZONES[message.slack_user_id]))
            assert dt.time(9) <= sent_local.time() < dt.time(18), (by_id[entry.action_id], sent_local)
            assert sent_local.weekday() < 5
            got[by_id[entry.action_id]].append((entry.due_date, entry.kind, entry.step, sent_local.date()))
    for ref, expected in EXPECTED.items():
        assert sorted(got[ref]) == sorted(expected), ref

    # Counted per lead: one message per lead per pass (each lists all their due actions).
    per_lead = Counter(post["channel"] for post in client.posts)
    assert per_lead == {"UALICE": 7, "UBOB": 6, "UCAROL": 3, "UDEV": 9, "UEVE": 18}
    # Never two messages to one lead at the same pass (each post carries all their due actions).
    with database.session_factory() as s:
        sends = Counter((m.slack_user_id, m.sent_at) for m in s.scalars(select(ReminderMessage)))
    assert max(sends.values()) == 1
