"""Against the fake Slack Web API: a 429 pauses the whole pass for its Retry-After, a 5xx is retried
in the same pass after the other messages (then left for the next pass), and a rate limit is respected."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.slack_client import make_client
from jobs.reminders import run_reminder_pass
from jobs.sender import Pacer, Sender
from progressbot.config import Settings
from storage.models import ReminderMessage
from tests.support.jobs_factories import make_action, make_person, make_plan

MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def three_leads(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        for name in ("Ann", "Ben", "Cat"):
            make_action(
                s,
                plan,
                f"{name}.1",
                leads=[make_person(s, name, uid=f"U{name.upper()}")],
                due=dt.date(2026, 11, 23),
            )


def client_for(fake_slack):
    return make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url))


def statuses(database):
    with database.session_factory() as s:
        return sorted((m.slack_user_id, m.status) for m in s.scalars(select(ReminderMessage)))


def test_429_is_waited_out_and_each_lead_gets_one_message(database, three_leads, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)
    client = client_for(fake_slack)
    result = run_reminder_pass(
        database.session_factory, client, MON, sender=Sender(client, pacer=Pacer(0), sleep=lambda _s: None)
    )
    assert result.sent == 3
    calls = fake_slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200, 200, 200]
    assert sorted(m["channel"] for m in fake_slack.messages) == ["DUANN", "DUBEN", "DUCAT"]


def test_5xx_at_the_start_of_a_pass_is_retried_in_the_same_pass_after_the_others(database, fake_slack):
    # The issue: three 503s in a row at the start of a pass left that lead pending until a later pass.
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        for name in ("Ann", "Ben", "Cat", "Dan", "Eve"):
            make_action(
                s, plan, f"{name}.1", leads=[make_person(s, name, uid=f"U{name.upper()}")], due=MON.date()
            )
    fake_slack.fail_next("chat.postMessage", status=503, times=3)
    client = client_for(fake_slack)
    waits: list[float] = []
    sender = Sender(client, pacer=Pacer(0), retries=2, backoff=0.5, sleep=waits.append)
    first = run_reminder_pass(database.session_factory, client, MON, sender=sender)
    assert (first.sent, first.deferred, first.failed, first.stopped) == (5, 0, 0, None)
    posts = fake_slack.calls("chat.postMessage")
    # Ann's first try failed, then Ben's; the other leads were not held up; then one wait and the retry.
    assert [(c.params["channel"], c.status) for c in posts] == [
        ("UANN", 503),
        ("UBEN", 503),
        ("UCAT", 503),
        ("UDAN", 200),
        ("UEVE", 200),
        ("UANN", 200),
        ("UBEN", 200),
        ("UCAT", 200),
    ]
    assert waits == [0.5]
    # A 503 may have been accepted before the edge failed: each was looked for in the DM first.
    assert fake_slack.call_count("conversations.history") == 3
    assert sorted(m["channel"] for m in fake_slack.messages) == ["DUANN", "DUBEN", "DUCAT", "DUDAN", "DUEVE"]
    assert {s for _, s in statuses(database)} == {"sent"}
    assert (
        run_reminder_pass(
            database.session_factory, client, MON + dt.timedelta(minutes=15), sender=sender
        ).sent
        == 0
    )


def test_a_500_after_slack_accepted_the_message_is_found_in_the_dm_not_posted_again(
    database, three_leads, fake_slack
):
    fake_slack.fail_next("chat.postMessage", status=500, accepted=True)  # Ann's is posted; the answer is lost
    client = client_for(fake_slack)
    sender = Sender(client, pacer=Pacer(0), retries=2, backoff=0.5, sleep=lambda _s: None)
    result = run_reminder_pass(database.session_factory, client, MON, sender=sender)
    assert (result.sent, result.deferred) == (3, 0)
    assert sorted(m["channel"] for m in fake_slack.messages) == ["DUANN", "DUBEN", "DUCAT"]
    assert fake_slack.call_count("chat.postMessage") == 3
    with database.session_factory() as s:
        ann = s.scalars(select(ReminderMessage).where(ReminderMessage.slack_user_id == "UANN")).one()
        assert (ann.status, ann.ts) == ("sent", fake_slack.messages_to("DUANN")[0]["ts"])


def test_a_5xx_that_outlasts_the_passs_retries_waits_for_the_next_pass(database, fake_slack):
    with database.session_factory.begin() as s:
        make_action(s, make_plan(s), "1.1", leads=[make_person(s, "Ann", uid="UANN")], due=MON.date())
    fake_slack.fail_next("chat.postMessage", status=500, times=3)  # the first try and both retry rounds
    client = client_for(fake_slack)
    waits: list[float] = []
    sender = Sender(client, pacer=Pacer(0), retries=2, backoff=0.5, sleep=waits.append)
    first = run_reminder_pass(database.session_factory, client, MON, sender=sender)
    assert (first.sent, first.deferred, first.stopped) == (0, 1, None)
    assert waits == [0.5, 1.0]
    with database.session_factory() as s:
        message = s.scalars(select(ReminderMessage)).one()
        # It may have reached Slack before the 500: no live claim, so the next pass looks for it first.
        assert (message.status, message.claimed_by, message.attempts) == ("sending", None, 1)
        assert message.next_attempt_at == MON + dt.timedelta(minutes=1)
    second = run_reminder_pass(
        database.session_factory, client, MON + dt.timedelta(minutes=15), sender=sender
    )
    assert second.sent == 1
    assert [m["channel"] for m in fake_slack.messages] == ["DUANN"]
    assert statuses(database) == [("UANN", "sent")]


def test_the_sender_paces_itself_evenly_at_the_configured_rate(database, three_leads, fake_slack):
    client = client_for(fake_slack)
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # a fake clock: the pacer's waits are recorded, not slept
        slept.append(seconds)
        clock[0] += seconds

    sender = Sender(client, pacer=Pacer(2.0, clock=lambda: clock[0], sleep=sleep), sleep=sleep)
    run_reminder_pass(database.session_factory, client, MON, sender=sender)
    assert slept == [0.5, 0.5]  # 2 messages/s: each post waits half a second after the previous one
    assert fake_slack.call_count("chat.postMessage") == 3


def test_the_pacer_catches_up_one_slow_send_but_never_bursts_more():
    from jobs.sender import Pacer

    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer(10.0, clock=lambda: clock[0], sleep=sleep)
    pacer.wait()  # slot 0.0
    clock[0] = 0.35  # that send took 0.35 s (slots 0.1-0.3 are gone)
    pacer.wait()  # takes the slot one interval back (0.25): no wait
    pacer.wait()  # next slot 0.35: no wait
    pacer.wait()  # 0.45: waits 0.1
    assert slept == pytest.approx([0.1])
