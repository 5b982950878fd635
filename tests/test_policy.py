"""The policy's pure rules: steps before a due date, the current step on a given day, recurrences."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.occurrences import (
    Occurrence,
    before_steps,
    current_step,
    latest_checkpoint,
    next_recurrence,
)
from storage.calendar import WorkCalendar
from storage.errors import InvalidInput
from storage.policy import Policy, set_policy_value
from tests.support.jobs_factories import make_plan

D = dt.date
CAL = WorkCalendar()
P = Policy()


def steps(due, family="main", **kw):
    return [(s.send_on, s.kind, s.step) for s in before_steps(due, CAL, Policy(**kw), family)]


def test_steps_for_a_plain_due_date():
    assert steps(D(2026, 11, 27)) == [
        (D(2026, 11, 13), "before", 0),
        (D(2026, 11, 24), "before", 1),
        (D(2026, 11, 27), "due", 0),
    ]


def test_a_due_date_at_the_weekend_is_reminded_the_working_day_before():
    assert steps(D(2026, 11, 29))[-1] == (D(2026, 11, 27), "due", 0)
    # 14 days before a Sunday is a Sunday: moved back to the Friday.
    assert steps(D(2026, 11, 29))[0] == (D(2026, 11, 13), "before", 0)


def test_due_on_easter_monday():
    assert steps(D(2026, 4, 6)) == [
        (D(2026, 3, 23), "before", 0),
        (D(2026, 3, 31), "before", 1),
        (D(2026, 4, 2), "due", 0),
    ]


# (today, stopped, due step sent) -> (kind, step) or None, for an action due Fri 27 Nov 2026
CASES = [
    (D(2026, 11, 12), False, False, None),
    (D(2026, 11, 13), False, False, ("before", 0)),
    (D(2026, 11, 23), False, False, ("before", 0)),
    (D(2026, 11, 24), False, False, ("before", 1)),
    (D(2026, 11, 27), False, False, ("due", 0)),
    (D(2026, 11, 27), True, False, None),
    (D(2026, 11, 30), False, True, None),  # due reminder went; chase starts a week after
    (D(2026, 11, 30), False, False, ("overdue", 0)),  # downtime: the chase replaces the stale due reminder
    (D(2026, 11, 30), True, False, None),  # stopped early: no early chase either
    (D(2026, 12, 4), True, True, ("overdue", 1)),
    (D(2026, 12, 10), True, True, ("overdue", 1)),
    (D(2026, 12, 11), True, True, ("overdue", 2)),
    (D(2027, 11, 26), True, True, ("overdue", 52)),
]


@pytest.mark.parametrize(("today", "stopped", "sent", "expected"), CASES)
def test_current_step_table(today, stopped, sent, expected):
    step = current_step(
        Occurrence(D(2026, 11, 27), "main"), today, CAL, P, stopped=stopped, due_step_sent=sent
    )
    assert (None if step is None else (step.kind, step.step)) == expected


def test_milestones_and_recurrences_are_not_chased():
    for family in ("milestone", "recurring"):
        assert (
            current_step(
                Occurrence(D(2026, 11, 27), family),
                D(2026, 12, 10),
                CAL,
                P,
                stopped=False,
                due_step_sent=False,
                interval_days=90,
            )
            is None
        )


def test_chasing_can_be_switched_off():
    off = Policy(overdue_every_days=0)
    assert (
        current_step(
            Occurrence(D(2026, 11, 27), "main"), D(2026, 12, 10), CAL, off, stopped=False, due_step_sent=True
        )
        is None
    )


@pytest.mark.parametrize(
    ("recurrence", "today", "anchor", "expected"),
    [
        ("quarterly", D(2026, 1, 5), None, D(2026, 3, 31)),
        ("quarterly", D(2026, 3, 31), None, D(2026, 3, 31)),
        ("quarterly", D(2026, 4, 1), None, D(2026, 6, 30)),
        ("monthly", D(2026, 2, 3), None, D(2026, 2, 28)),
        ("bi-monthly", D(2026, 3, 1), None, D(2026, 4, 30)),
        ("annually", D(2026, 1, 5), None, D(2026, 12, 31)),
        ("quarterly", D(2026, 1, 5), D(2025, 11, 15), D(2026, 2, 15)),
        ("weekly", D(2026, 11, 23), None, D(2026, 11, 27)),
    ],
)
def test_next_recurrence(recurrence, today, anchor, expected):
    assert next_recurrence(recurrence, today, anchor) == expected


def test_a_monthly_return_gets_no_fourteen_day_reminder():
    got = [(s.send_on, s.step) for s in before_steps(D(2026, 2, 27), CAL, P, "recurring", 30)]
    assert got == [(D(2026, 2, 24), 1), (D(2026, 2, 27), 100)]


def test_ongoing_checkpoints_every_eight_weeks_from_the_anchor():
    assert latest_checkpoint(D(2026, 1, 5), 8, D(2026, 3, 1)) is None
    assert latest_checkpoint(D(2026, 1, 5), 8, D(2026, 3, 2)) == D(2026, 3, 2)
    assert latest_checkpoint(D(2026, 1, 5), 8, D(2026, 4, 26)) == D(2026, 3, 2)
    assert latest_checkpoint(D(2026, 1, 5), 8, D(2026, 4, 27)) == D(2026, 4, 27)


def test_plan_overrides_merge_over_defaults(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, policy={"before_days": [21, 7], "overdue_every_days": "14", "bogus": 1})
        policy = Policy.for_plan(plan)
        assert policy.before_days == (21, 7) and policy.overdue_every_days == 14
        assert policy.before_working_days == (3,) and policy.first_notice_days == 21
        set_policy_value(s, plan, "send_from", "10:30")
        assert Policy.for_plan(plan).window.start == dt.time(10, 30)
        with pytest.raises(InvalidInput):
            set_policy_value(s, plan, "send_until", "10:00")  # before send_from
        with pytest.raises(InvalidInput):
            set_policy_value(s, plan, "ongoing_every_weeks", "0")
