"""The worker's 15-minute cadence across the DST changeovers: each lead is reached at their own 09:00,
once, on the right day (never skipped, never doubled)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from jobs.reminders import run_reminder_pass
from jobs.sender import Pacer, Sender
from storage.models import ReminderMessage
from tests.support.jobs_factories import RecordingClient, make_action, make_person, make_plan

pytestmark = pytest.mark.slow  # hundreds of real passes against a SQLite file
UTC = dt.UTC


@pytest.mark.parametrize(
    ("tz", "due", "expected_utc"),
    [
        # London: clocks go forward Sun 29 March; Monday's 09:00 BST is 08:00 UTC.
        ("Europe/London", dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),
        # Clocks go back Sun 25 October; Monday's 09:00 GMT is 09:00 UTC.
        ("Europe/London", dt.date(2026, 10, 26), dt.datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),
        # New York changes a week later than London (Sun 1 November): 09:00 EST = 14:00 UTC.
        ("America/New_York", dt.date(2026, 11, 2), dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
        # In the week between, New York is still on EDT: 09:00 = 13:00 UTC.
        ("America/New_York", dt.date(2026, 10, 27), dt.datetime(2026, 10, 27, 13, 0, tzinfo=UTC)),
        # Kolkata: no DST, a half-hour offset: 09:00 IST = 03:30 UTC.
        ("Asia/Kolkata", dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 3, 30, tzinfo=UTC)),
    ],
)
def test_due_day_reminder_at_local_nine_once_across_the_changeover(database, tz, due, expected_utc):
    with database.session_factory.begin() as s:
        plan = make_plan(s, policy={"before_days": [], "before_working_days": [], "overdue_every_days": 0})
        make_action(s, plan, "1.1", leads=[make_person(s, "Lead", uid="ULEAD", tz=tz)], due=due)
    client = RecordingClient()
    sender = Sender(client, pacer=Pacer(0))
    now = dt.datetime.combine(due - dt.timedelta(days=1), dt.time(0), tzinfo=UTC)  # from the Sunday
    while now < dt.datetime.combine(due + dt.timedelta(days=1), dt.time(0), tzinfo=UTC):
        run_reminder_pass(database.session_factory, client, now, sender=sender)
        now += dt.timedelta(minutes=15)
    assert len(client.posts) == 1
    with database.session_factory() as s:
        (message,) = s.scalars(select(ReminderMessage)).all()
    assert message.sent_at == expected_utc
