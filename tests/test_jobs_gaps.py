"""Known gaps in the scheduler, each pinned by a test: "<date> and Ongoing" actions, a milestone on the
due date, fortnightly and six-monthly recurrences, and the escalation flood when an old plan is imported.

Time is always passed in: each test runs passes at chosen instants over a simulated calendar."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from sqlalchemy import select

from jobs.occurrences import interval_days_for, next_recurrence
from jobs.planner import plan_reminders
from jobs.reminders import run_reminder_pass
from storage.models import Action, ReminderEntry
from storage.timescales import RECURRENCES, parse_timescale
from tests.support.jobs_factories import (
    RecordingClient,
    action_ids_in,
    add_update,
    grant,
    make_action,
    make_person,
    make_plan,
)
from tests.support.jobs_factories import (
    quick_sender as quick,
)

D = dt.date
UTC = dt.UTC
MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday, 10:00 in London


def days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)  # 10:00 or 11:00 in London
        day += dt.timedelta(days=1)


def simulate(database, first: dt.date, last: dt.date, client=None) -> RecordingClient:
    client = client or RecordingClient()
    for now in days(first, last):
        run_reminder_pass(database.session_factory, client, now, sender=quick(client))
    return client


def sent(database, action_id: int) -> list[tuple[str, int, dt.date, dt.date]]:
    """(kind, step, due date, local date sent) of every reminder sent for the action, in order."""
    with database.session_factory() as s:
        rows = s.scalars(
            select(ReminderEntry)
            .where(ReminderEntry.action_id == action_id, ReminderEntry.status == "sent")
            .order_by(ReminderEntry.sent_at, ReminderEntry.id)
        ).all()
        return [(e.kind, e.step, e.due_date, e.sent_at.date()) for e in rows]


# 1. "31 July 2020 and Ongoing" --------------------------------------------------------------------


def test_an_ongoing_action_with_a_due_date_is_reminded_before_and_on_it_then_on_the_cadence(database):
    ts = parse_timescale("31 July 2026 and Ongoing", reference=D(2026, 1, 5))
    assert ts.schedule == "ongoing" and ts.due == D(2026, 7, 31)
    with database.session_factory.begin() as s:
        plan = make_plan(s, start=D(2026, 1, 5))
        ann = make_person(s, "Ann", uid="UANN")
        action = make_action(
            s, plan, "1.1", leads=[ann], due=ts.due, schedule="ongoing", milestones=list(ts.milestones)
        )
        grant(s, "UCHAIR", "board")
        action_id = action.id
    client = simulate(database, D(2026, 6, 1), D(2026, 12, 31))
    assert sent(database, action_id) == [
        ("before", 0, D(2026, 7, 31), D(2026, 7, 17)),  # 14 days before (a Friday)
        ("before", 1, D(2026, 7, 31), D(2026, 7, 28)),  # 3 working days before
        ("due", 0, D(2026, 7, 31), D(2026, 7, 31)),  # the due day
        ("ongoing", 0, D(2026, 9, 25), D(2026, 9, 25)),  # then every 8 weeks from the due date
        ("ongoing", 0, D(2026, 11, 20), D(2026, 11, 20)),
    ]
    assert {p["channel"] for p in client.posts} == {"UANN"}  # no overdue chase, no escalation


def test_an_ongoing_action_long_past_its_date_keeps_to_the_cadence_from_that_date(database):
    ts = parse_timescale("31 July 2020 and Ongoing", reference=D(2020, 1, 6))
    with database.session_factory.begin() as s:
        plan = make_plan(s, start=D(2020, 1, 6))
        ann = make_person(s, "Ann", uid="UANN")
        action = make_action(
            s, plan, "1.1", leads=[ann], due=ts.due, schedule=ts.schedule, milestones=list(ts.milestones)
        )
        grant(s, "UCHAIR", "board")
        action_id = action.id
    client = simulate(database, D(2026, 10, 5), D(2027, 1, 15))
    # 31 Jul 2020 + 8k weeks: 18 Sep 2026 (too stale by 5 Oct), 13 Nov 2026, 8 Jan 2027. No chase.
    assert sent(database, action_id) == [
        ("ongoing", 0, D(2026, 11, 13), D(2026, 11, 13)),
        ("ongoing", 0, D(2027, 1, 8), D(2027, 1, 8)),
    ]
    assert {p["channel"] for p in client.posts} == {"UANN"}


# 2. A milestone on the due date ---------------------------------------------------------------------


def test_every_milestone_and_the_due_date_are_each_reminded_exactly_once(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        ann = make_person(s, "Ann", uid="UANN")
        # A milestone repeated, and one equal to the due date, on a plain action and on an ongoing one.
        plain = make_action(
            s,
            plan,
            "1.1",
            leads=[ann],
            due=D(2026, 7, 31),
            milestones=[D(2026, 5, 29), D(2026, 7, 31), D(2026, 5, 29)],
        )
        ongoing = make_action(
            s,
            plan,
            "1.2",
            leads=[ann],
            due=D(2026, 9, 30),
            schedule="ongoing",
            milestones=[D(2026, 6, 30), D(2026, 9, 30)],
        )
        ids = (plain.id, ongoing.id)
    simulate(database, D(2026, 5, 1), D(2026, 10, 5))
    for action_id, dates in zip(
        ids, ([D(2026, 5, 29), D(2026, 7, 31)], [D(2026, 6, 30), D(2026, 9, 30)]), strict=True
    ):
        steps = Counter(
            (due, kind, step)
            for kind, step, due, _on in sent(database, action_id)
            if kind in ("before", "due")
        )
        assert steps == {
            (due, kind, step): 1 for due in dates for kind, step in (("before", 0), ("before", 1), ("due", 0))
        }, action_id


def test_planning_never_yields_the_same_ledger_key_twice(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        ann = make_person(s, "Ann", uid="UANN")
        make_action(
            s,
            plan,
            "1.1",
            leads=[ann],
            due=D(2026, 11, 23),
            schedule="ongoing",
            milestones=[D(2026, 11, 23), D(2026, 11, 23)],
        )
        make_action(s, plan, "1.2", leads=[ann], due=D(2026, 11, 23), milestones=[D(2026, 11, 23)])
    with database.session_factory() as s:
        keys = [p.key for p in plan_reminders(s, MON)]
    assert len(keys) == len(set(keys)) == 2 and {k[3] for k in keys} == {"due"}


# 3. Fortnightly and six-monthly -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "today", "anchor", "expected"),
    [
        ("fortnightly", D(2026, 11, 23), D(2026, 11, 6), D(2026, 12, 4)),
        ("fortnightly", D(2026, 12, 4), D(2026, 11, 6), D(2026, 12, 4)),
        ("fortnightly", D(2026, 12, 5), D(2026, 11, 6), D(2026, 12, 18)),
        ("fortnightly", D(2026, 11, 21), None, D(2026, 12, 4)),  # Fridays, every other one from 7 Jan 2000
        ("six-monthly", D(2026, 1, 5), None, D(2026, 6, 30)),
        ("six-monthly", D(2026, 7, 1), None, D(2026, 12, 31)),
        ("six-monthly", D(2026, 2, 1), D(2025, 8, 15), D(2026, 2, 15)),
        ("six-monthly", D(2026, 2, 16), D(2025, 8, 15), D(2026, 8, 15)),
    ],
)
def test_fortnightly_and_six_monthly_recurrences(recurrence, today, anchor, expected):
    assert next_recurrence(recurrence, today, anchor) == expected


@pytest.mark.parametrize(
    ("today", "anchor", "expected"),
    [
        (D(2026, 11, 23), None, D(2026, 12, 31)),  # autumn term
        (D(2027, 1, 4), None, D(2027, 3, 31)),  # spring term
        (D(2027, 3, 31), None, D(2027, 3, 31)),  # the term end itself
        (D(2027, 4, 1), D(2026, 10, 15), D(2027, 7, 31)),  # term ends, whatever the anchor
    ],
)
def test_termly_actions_fall_on_school_term_ends(today, anchor, expected):
    assert next_recurrence("termly", today, anchor) == expected


def test_every_recurrence_the_importer_produces_has_its_own_interval():
    assert set(RECURRENCES) == {
        "weekly",
        "fortnightly",
        "monthly",
        "bi-monthly",
        "quarterly",
        "termly",
        "six-monthly",
        "annually",
    }
    assert {r: interval_days_for(r) for r in RECURRENCES} == {
        "weekly": 7,
        "fortnightly": 14,
        "monthly": 30,
        "bi-monthly": 60,
        "quarterly": 90,
        "termly": 120,
        "six-monthly": 180,
        "annually": 360,
    }


def test_a_fortnightly_action_is_reminded_every_fourteen_days(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        ann = make_person(s, "Ann", uid="UANN")
        action = make_action(
            s, plan, "1.1", leads=[ann], due=D(2026, 11, 6), schedule="recurring", recurrence="fortnightly"
        )
        action_id = action.id
    simulate(database, D(2026, 11, 2), D(2027, 1, 31))
    due_days = [on for kind, step, _due, on in sent(database, action_id) if step == 100]
    # Every other Friday; 1 Jan 2027 is a bank holiday, so the working day before it.
    assert due_days == [
        D(2026, 11, 6),
        D(2026, 11, 20),
        D(2026, 12, 4),
        D(2026, 12, 18),
        D(2026, 12, 31),
        D(2027, 1, 15),
        D(2027, 1, 29),
    ]


# 4. Escalation after a chase ----------------------------------------------------------------------------


@pytest.fixture
def old_plan(database):
    """The 2023 plan imported late: three actions about three years overdue, Ann leads them all."""

    def build(**policy):
        with database.session_factory.begin() as s:
            plan = make_plan(s, "stockton-2023", start=D(2023, 1, 9), policy=policy)
            ann = make_person(s, "Ann", uid="UANN")
            actions = [
                make_action(s, plan, f"1.{i}", leads=[ann], due=due)
                for i, due in enumerate((D(2023, 7, 31), D(2023, 9, 29), D(2023, 12, 29)), start=1)
            ]
            grant(s, "UCHAIR", "board")
            return [a.id for a in actions]

    return build


def board_posts(client):
    return [p for p in client.posts if p["channel"] == "UCHAIR"]


def test_an_old_plan_is_chased_on_the_first_pass_not_escalated(database, old_plan):
    ids = old_plan()
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    assert [p["channel"] for p in client.posts] == ["UANN"]  # one chase listing all three, no board
    assert sorted(action_ids_in(client.posts[0])) == sorted(ids)
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(hours=1), sender=quick(client))
    assert board_posts(client) == []


def escalations(database) -> dict[int, list[dt.date]]:
    """action id -> the dates the board was told about it (one ledger row per board member)."""
    with database.session_factory() as s:
        rows = s.scalars(
            select(ReminderEntry).where(ReminderEntry.kind == "escalation", ReminderEntry.status == "sent")
        ).all()
        out: dict[int, list[dt.date]] = {}
        for e in rows:
            out.setdefault(e.action_id, []).append(e.sent_at.date())
        return out


def test_escalation_comes_fourteen_days_after_the_first_chase_when_nobody_answers(database, old_plan):
    ids = old_plan(escalate_unanswered=0)  # the overdue rule on its own
    simulate(database, MON.date(), MON.date() + dt.timedelta(days=13))
    assert escalations(database) == {}
    simulate(database, MON.date() + dt.timedelta(days=14), MON.date() + dt.timedelta(days=30))
    assert escalations(database) == {i: [D(2026, 12, 7)] for i in ids}  # 14 days after 23 Nov, once each


def test_an_update_after_the_chase_keeps_that_action_from_the_board(database, old_plan):
    ids = old_plan(escalate_unanswered=0)
    client = simulate(database, MON.date(), MON.date() + dt.timedelta(days=2))
    with database.session_factory.begin() as s:
        add_update(s, s.get(Action, ids[0]), MON + dt.timedelta(days=2, hours=2), rag="Red")
    simulate(database, MON.date() + dt.timedelta(days=3), MON.date() + dt.timedelta(days=30), client)
    assert escalations(database) == {i: [D(2026, 12, 7)] for i in ids[1:]}
    assert len(board_posts(client)) == 1  # the two escalations arrive as one message


def test_with_defaults_two_unanswered_chases_still_escalate(database, old_plan):
    ids = old_plan()
    client = simulate(database, MON.date(), MON.date() + dt.timedelta(days=30))
    first = next(p for p in client.posts if p["channel"] == "UANN")
    assert sorted(action_ids_in(first)) == sorted(ids)
    told = escalations(database)
    # Not on import: the board hears on the pass after each action's second unanswered chase
    # (chases fall on its own weekly cycle: Fri 27 Nov for 1.2 and 1.3, Mon 30 Nov for 1.1).
    assert told == {ids[0]: [D(2026, 12, 1)], ids[1]: [D(2026, 11, 30)], ids[2]: [D(2026, 11, 30)]}
    assert "2 reminders unanswered" in json.dumps(board_posts(client)[0]["blocks"])


def test_switching_the_key_off_restores_the_literal_rule(database, old_plan):
    ids = old_plan(escalate_after_chase=False)
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    assert sorted(p["channel"] for p in client.posts) == ["UANN", "UCHAIR"]
    assert escalations(database) == {i: [MON.date()] for i in ids}
    body = json.dumps(board_posts(client)[0]["blocks"])
    assert "days past the due date" in body or "days late" in body
