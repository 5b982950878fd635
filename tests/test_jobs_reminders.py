"""The reminder pass end to end on a fresh SQLite file: idempotency, interruption, grouping, leave,
downtime, escalation, the unlinked-leads notice, refreshing an answered reminder, dry runs."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from jobs.reminders import refresh_reminder_message, run_reminder_pass
from jobs.sender import Pacer, Sender
from storage.models import Action, ReminderEntry, ReminderMessage
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


def entries(database, **where):
    with database.session_factory() as s:
        stmt = select(ReminderEntry)
        for k, v in where.items():
            stmt = stmt.where(getattr(ReminderEntry, k) == v)
        return s.scalars(stmt.order_by(ReminderEntry.id)).all()


@pytest.fixture
def team(database):
    """Five linked leads, each with an action due today (Mon 23 Nov), and Ann with two more."""
    with database.session_factory.begin() as s:
        plan = make_plan(s, "p")
        people = [
            make_person(s, name, uid=f"U{name.upper()}") for name in ("Ann", "Ben", "Cat", "Dan", "Eli")
        ]
        actions = [
            make_action(s, plan, f"{i}.1", leads=[p], due=D(2026, 11, 23)) for i, p in enumerate(people)
        ]
        make_action(s, plan, "0.2", leads=[people[0]], due=D(2026, 11, 23))
        make_action(s, plan, "0.3", leads=[people[0]], due=D(2026, 12, 7))  # 14 days ahead
        ids = {"plan": plan.id, "people": [p.id for p in people], "actions": [a.id for a in actions]}
    return ids


def test_one_message_per_lead_listing_all_their_due_actions(database, team):
    client = RecordingClient()
    result = run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    assert result.sent == 5
    ann = [p for p in client.posts if p["channel"] == "UANN"]
    assert len(ann) == 1 and len(action_ids_in(ann[0])) == 3
    with database.session_factory() as s:
        message = s.scalars(select(ReminderMessage).where(ReminderMessage.slack_user_id == "UANN")).one()
        assert message.status == "sent" and message.ts and message.channel == "DUANN"
    values = [json.loads(b["accessory"]["value"]) for b in ann[0]["blocks"] if "accessory" in b]
    assert {v["reminder_message_id"] for v in values} == {message.id}
    assert all(
        b["accessory"]["action_id"] == "open_update_modal" for b in ann[0]["blocks"] if "accessory" in b
    )
    kinds = sorted((e.kind, e.step) for e in entries(database, person_id=team["people"][0]))
    assert kinds == [("before", 0), ("due", 0), ("due", 0)]


def test_the_same_pass_twice_sends_nothing_more(database, team):
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    again = run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    later = run_reminder_pass(
        database.session_factory, client, MON + dt.timedelta(hours=3), sender=quick(client)
    )
    assert (again.sent, later.sent) == (0, 0)
    assert len(client.posts) == 5
    assert len(entries(database)) == 7


def test_a_pass_killed_mid_way_resumes_with_no_duplicates_and_no_losses(database, team):
    dying = RecordingClient(fail_after=2)
    with pytest.raises(RuntimeError):
        run_reminder_pass(database.session_factory, dying, MON, sender=quick(dying))
    assert len(dying.posts) == 2
    resumed = RecordingClient()
    result = run_reminder_pass(
        database.session_factory, resumed, MON + dt.timedelta(minutes=15), sender=quick(resumed)
    )
    assert result.sent == 3
    channels = [p["channel"] for p in dying.posts + resumed.posts]
    assert sorted(channels) == ["UANN", "UBEN", "UCAT", "UDAN", "UELI"]
    assert all(e.status == "sent" for e in entries(database))


def test_a_pass_killed_after_slack_accepted_a_message_does_not_send_it_again(database, team):
    dying = RecordingClient(die_after_accepting=2)
    with pytest.raises(RuntimeError):
        run_reminder_pass(database.session_factory, dying, MON, sender=quick(dying))
    assert len(dying.posts) == 3  # the third reached Slack, but its row was never marked sent
    with database.session_factory() as s:
        assert sorted(m.status for m in s.scalars(select(ReminderMessage))) == ["sending"] * 3 + ["sent"] * 2
    resumed = RecordingClient(history=dying.history)  # same workspace after the restart
    result = run_reminder_pass(
        database.session_factory, resumed, MON + dt.timedelta(minutes=15), sender=quick(resumed)
    )
    assert result.sent == 2
    channels = [p["channel"] for p in dying.posts + resumed.posts]
    assert sorted(channels) == ["UANN", "UBEN", "UCAT", "UDAN", "UELI"]
    with database.session_factory() as s:
        third = s.scalars(
            select(ReminderMessage).where(ReminderMessage.slack_user_id == dying.posts[2]["channel"])
        )
        assert third.one().ts == dying.history[2]["ts"]
    assert all(e.status == "sent" for e in entries(database))


def test_after_downtime_the_overdue_chase_replaces_the_stale_due_reminder(database, team):
    # Nothing ran on Monday; on Wednesday the due-day reminder is stale: the chase goes instead.
    client = RecordingClient()
    wed = MON + dt.timedelta(days=2)
    run_reminder_pass(database.session_factory, client, wed, sender=quick(client))
    rows = entries(database, action_id=team["actions"][1])
    assert [(e.kind, e.step, e.status) for e in rows] == [("overdue", 0, "sent")]
    # The weekly chase follows a week after the due date, once.
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(days=7), sender=quick(client))
    run_reminder_pass(
        database.session_factory, client, MON + dt.timedelta(days=7, hours=2), sender=quick(client)
    )
    rows = entries(database, action_id=team["actions"][1])
    assert [(e.kind, e.step, e.status) for e in rows] == [("overdue", 0, "sent"), ("overdue", 1, "sent")]


def test_a_failed_due_reminder_is_superseded_not_sent_late(database, team):
    class Down(RecordingClient):
        def chat_postMessage(self, **kwargs):
            raise OSError("connection refused")

    down = Down()
    result = run_reminder_pass(database.session_factory, down, MON, sender=quick(down))
    assert result.deferred == 5 and result.sent == 0
    assert {e.status for e in entries(database)} == {"pending"}
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(days=1), sender=quick(client))
    rows = entries(database, action_id=team["actions"][1])
    assert [(e.kind, e.status) for e in rows] == [("due", "skipped"), ("overdue", "sent")]
    assert len([p for p in client.posts if p["channel"] == "UBEN"]) == 1


def test_a_failed_send_is_retried_after_backoff_by_the_next_pass(database, team):
    class Flaky(RecordingClient):
        fails = 1

        def chat_postMessage(self, **kwargs):
            if kwargs["channel"] == "UBEN" and self.fails:
                self.fails -= 1
                raise OSError("reset by peer")
            return super().chat_postMessage(**kwargs)

    client = Flaky()
    sender = Sender(client, pacer=Pacer(0), retries=0, sleep=lambda _s: None)
    first = run_reminder_pass(database.session_factory, client, MON, sender=sender)
    assert (first.sent, first.deferred) == (4, 1)
    too_soon = run_reminder_pass(
        database.session_factory, client, MON + dt.timedelta(seconds=30), sender=sender
    )
    assert too_soon.sent == 0
    retry = run_reminder_pass(database.session_factory, client, MON + dt.timedelta(minutes=15), sender=sender)
    assert retry.sent == 1
    assert sorted(p["channel"] for p in client.posts) == ["UANN", "UBEN", "UCAT", "UDAN", "UELI"]


def test_a_permanent_slack_error_fails_the_message_without_retrying(database, team):
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import SlackResponse

    class Gone(RecordingClient):
        def chat_postMessage(self, **kwargs):
            if kwargs["channel"] == "UCAT":
                response = SlackResponse(
                    client=None,
                    http_verb="POST",
                    api_url="",
                    req_args={},
                    data={"ok": False, "error": "user_not_found"},
                    headers={},
                    status_code=200,
                )
                raise SlackApiError("user_not_found", response)
            return super().chat_postMessage(**kwargs)

    client = Gone()
    result = run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    assert (result.sent, result.failed) == (4, 1)
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(hours=1), sender=quick(client))
    assert len(client.posts) == 4
    assert [e.status for e in entries(database, action_id=team["actions"][2])] == ["failed"]


def test_an_update_with_a_rag_stops_the_remaining_before_due_reminders(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        ann = make_person(s, "Ann", uid="UANN")
        action = make_action(s, plan, "1.1", leads=[ann], due=D(2026, 12, 7))
        action_id = action.id
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))  # 14 days before
    with database.session_factory.begin() as s:
        add_update(s, s.get(Action, action_id), MON + dt.timedelta(days=1), rag="Green")
    for days in range(1, 14):
        run_reminder_pass(
            database.session_factory, client, MON + dt.timedelta(days=days), sender=quick(client)
        )
    assert [(e.kind, e.step) for e in entries(database)] == [("before", 0)]
    # Not complete, so the chase starts a week after the due date.
    run_reminder_pass(
        database.session_factory, client, dt.datetime(2026, 12, 14, 10, tzinfo=UTC), sender=quick(client)
    )
    assert [(e.kind, e.step) for e in entries(database)] == [("before", 0), ("overdue", 1)]


def test_a_lead_on_leave_is_covered_by_their_deputy_or_waited_for(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        deputy = make_person(s, "Dee", uid="UDEE")
        away = make_person(s, "Ann", uid="UANN", away_until=D(2026, 11, 27), deputy=deputy)
        alone = make_person(s, "Bo", uid="UBO", away_until=D(2026, 11, 27))
        make_action(s, plan, "1.1", leads=[away], due=D(2026, 11, 23))
        make_action(s, plan, "2.1", leads=[alone], due=D(2026, 12, 7))
        alone_id = alone.id
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    assert [p["channel"] for p in client.posts] == ["UDEE"]
    assert "covering for Ann" in client.posts[0]["text"]
    # Both are back on Monday 30th: Bo gets the reminder that waited for him (once), Ann the weekly chase.
    back = dt.datetime(2026, 11, 30, 10, tzinfo=UTC)
    run_reminder_pass(database.session_factory, client, back, sender=quick(client))
    run_reminder_pass(database.session_factory, client, back + dt.timedelta(hours=1), sender=quick(client))
    assert sorted(p["channel"] for p in client.posts[1:]) == ["UANN", "UBO"]
    assert [(e.kind, e.step) for e in entries(database, person_id=alone_id)] == [("before", 0)]


def test_escalation_reaches_each_board_member_once_per_action_and_due_date(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, policy={"escalate_after_chase": False})  # the literal rule: no chase needed
        ann = make_person(s, "Ann", uid="UANN")
        make_action(s, plan, "1.1", leads=[ann], due=D(2026, 11, 6), title="Launch the <!channel> forum")
        grant(s, "UCHAIR", "board")
        grant(s, "UVICE", "board")
    client = RecordingClient()
    for day in range(0, 10):
        run_reminder_pass(
            database.session_factory, client, MON + dt.timedelta(days=day), sender=quick(client)
        )
    board = [p for p in client.posts if p["channel"] in ("UCHAIR", "UVICE")]
    assert sorted(p["channel"] for p in board) == ["UCHAIR", "UVICE"]
    body = json.dumps(board[0]["blocks"])
    assert (
        "Ann" in body and "17 days late" in body and "&lt;!channel&gt;" in body and "<!channel>" not in body
    )


def test_two_unanswered_reminders_escalate(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        ann, bo = make_person(s, "Ann", uid="UANN"), make_person(s, "Bo", uid="UBO")
        make_action(s, plan, "1.1", leads=[ann, bo], due=D(2026, 11, 23))  # two leads: two DMs per step
        grant(s, "UCHAIR", "board")
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))  # due day
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(days=1), sender=quick(client))
    assert sorted(p["channel"] for p in client.posts) == ["UANN", "UBO"]  # one step unanswered: not yet
    run_reminder_pass(
        database.session_factory, client, MON + dt.timedelta(days=7), sender=quick(client)
    )  # chase 1
    assert len(client.posts) == 4
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(days=8), sender=quick(client))
    assert [p["channel"] for p in client.posts[4:]] == ["UCHAIR"]
    assert "2 reminders unanswered" in json.dumps(client.posts[-1]["blocks"])


def test_admins_hear_about_unlinked_leads_at_most_once_a_week(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        make_action(s, plan, "1.1", leads=[make_person(s, "Nobody Linked")], due=D(2026, 12, 7))
        grant(s, "UADMIN", "admin")
    client = RecordingClient()
    for hours in (0, 2, 24, 48):
        run_reminder_pass(
            database.session_factory, client, MON + dt.timedelta(hours=hours), sender=quick(client)
        )
    assert [p["channel"] for p in client.posts] == ["UADMIN"]
    assert "Nobody Linked" in json.dumps(client.posts[0]["blocks"])
    run_reminder_pass(database.session_factory, client, MON + dt.timedelta(days=7), sender=quick(client))
    assert [p["channel"] for p in client.posts] == ["UADMIN", "UADMIN"]


def test_refresh_shows_updated_rag_on_the_answered_action(database, team):
    client = RecordingClient()
    run_reminder_pass(database.session_factory, client, MON, sender=quick(client))
    with database.session_factory.begin() as s:
        message = s.scalars(select(ReminderMessage).where(ReminderMessage.slack_user_id == "UANN")).one()
        add_update(
            s,
            s.get(Action, team["actions"][0]),
            MON + dt.timedelta(minutes=5),
            rag="Amber",
            reminder_message_id=message.id,
        )
        refresh_reminder_message(s, client, message.id)
    (update,) = client.updates
    assert update["channel"] == "DUANN" and update["ts"] == message.ts
    answered = [b for b in update["blocks"] if b.get("block_id") == f"action-{team['actions'][0]}"]
    assert "Updated: Amber" in answered[0]["text"]["text"] and "accessory" not in answered[0]
    assert len(action_ids_in(update)) == 2  # the other two still have their buttons


def test_dry_run_writes_nothing(database, team):
    client = RecordingClient()
    result = run_reminder_pass(database.session_factory, client, MON, dry_run=True)
    assert sorted(p["to"] for p in result.previews) == ["UANN", "UBEN", "UCAT", "UDAN", "UELI"]
    assert client.posts == []
    with database.session_factory() as s:
        assert s.scalar(select(func.count(ReminderEntry.id))) == 0


def test_nothing_is_sent_outside_the_window_or_on_a_bank_holiday(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        make_action(s, plan, "1.1", leads=[make_person(s, "Ann", uid="UANN")], due=D(2026, 12, 31))
    client = RecordingClient()
    for when in (
        dt.datetime(2026, 12, 31, 7, 59, tzinfo=UTC),
        dt.datetime(2026, 12, 31, 18, 0, tzinfo=UTC),
        dt.datetime(2027, 1, 1, 10, tzinfo=UTC),
        dt.datetime(2027, 1, 2, 10, tzinfo=UTC),
    ):
        run_reminder_pass(database.session_factory, client, when, sender=quick(client))
    assert client.posts == []
    run_reminder_pass(
        database.session_factory, client, dt.datetime(2026, 12, 31, 9, 0, tzinfo=UTC), sender=quick(client)
    )
    assert len(client.posts) == 1
