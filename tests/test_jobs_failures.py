"""What a pass does when Slack says no: a token or permission error stops it at once with nothing
marked failed, Slack rate limiting pauses the whole pass (and stops it if it persists), and Slack being
down stops it after a few sends. Through `progressbot remind` and the fake Slack Web API."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.slack_client import make_client
from jobs.reminders import run_reminder_pass
from jobs.sender import Pacer, Sender
from progressbot.cli import main
from progressbot.config import Settings
from storage.models import ReminderEntry, ReminderMessage
from tests.support.jobs_factories import grant, make_action, make_person, make_plan

MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
NAMES = ("Ann", "Ben", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon")


@pytest.fixture
def ten_leads(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "council", policy={"escalate_after_chase": False})
        for name in NAMES:
            make_action(
                s, plan, f"{name}.1", leads=[make_person(s, name, uid=f"U{name.upper()}")], due=MON.date()
            )
        # An escalation rides the same rules: 1.9 is 17 days late, and the chair is on the board.
        make_action(s, plan, "1.9", leads=[make_person(s, "Kim", uid="UKIM")], due=dt.date(2026, 11, 6))
        grant(s, "UCHAIR", "board")
    return database


def remind(database, fake_slack, *args: str):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url, "PROGRESSBOT_DIGEST_CHANNEL": ""}
    return CliRunner().invoke(
        main,
        ["--database-url", database.url, "remind", "--rate", "1000", *args],
        env=env,
        catch_exceptions=False,
    )


def ledger(database) -> Counter:
    with database.session_factory() as s:
        messages = Counter((m.status, m.attempts) for m in s.scalars(select(ReminderMessage)))
        entries = Counter(e.status for e in s.scalars(select(ReminderEntry)))
    return messages + Counter({f"entry:{k}": v for k, v in entries.items()})


def test_a_revoked_token_stops_the_pass_leaves_everything_pending_and_exits_2(ten_leads, fake_slack):
    fake_slack.invalid_auth(True)
    result = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:00")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line]
    assert errors == [
        "progressbot: error: Slack refused SLACK_BOT_TOKEN (invalid_auth): set it to the app's current Bot "
        "User OAuth Token (xoxb-…), from Install App in the app's settings, and run again"
    ]
    assert "stopped=invalid_auth left=12" in result.stdout and "failed=0" in result.stdout
    assert fake_slack.call_count("chat.postMessage") == 1  # stopped at once, not once per message
    assert ledger(ten_leads) == Counter({("pending", 0): 12, "entry:pending": 12})
    # The token is fixed: the next pass sends everything, each once.
    fake_slack.invalid_auth(False)
    fixed = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:15")
    assert fixed.exit_code == 0 and "sent=12" in fixed.stdout
    assert Counter(m["channel"] for m in fake_slack.messages) == Counter(
        [f"DU{n.upper()}" for n in NAMES] + ["DUKIM", "DUCHAIR"]
    )


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("token_revoked", "Slack refused SLACK_BOT_TOKEN (token_revoked)"),
        ("account_inactive", "Slack refused SLACK_BOT_TOKEN (account_inactive)"),
        ("missing_scope", "missing the scope"),
        ("no_permission", "a workspace admin has to allow"),
    ],
)
def test_every_token_or_permission_error_stops_the_pass_with_what_to_fix(ten_leads, fake_slack, error, says):
    fake_slack.fail_next("chat.postMessage", error=error)
    result = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:00")
    assert result.exit_code == 2 and says in result.stderr and len(result.stderr.splitlines()) == 1
    assert ledger(ten_leads)[("failed", 0)] == 0 and ledger(ten_leads)[("pending", 0)] == 12


def test_slack_rate_limiting_that_persists_stops_the_pass_after_four_requests_and_exits_3(
    ten_leads, fake_slack
):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0, times=1000)
    result = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:00")
    assert result.exit_code == 3
    assert result.stderr.startswith("progressbot: Slack kept rate limiting")
    assert fake_slack.call_count("chat.postMessage") == 4  # one request and three paused retries, in all
    assert ledger(ten_leads) == Counter({("pending", 0): 12, "entry:pending": 12})
    fake_slack.reset()
    later = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:15")
    assert later.exit_code == 0 and len(fake_slack.messages) == 12


def test_a_429_pauses_the_whole_pass_for_its_retry_after_then_pacing_resumes(ten_leads, fake_slack):
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # a fake clock: the pauses are recorded, not slept
        slept.append(seconds)
        clock[0] += seconds

    client = make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url))
    sender = Sender(client, pacer=Pacer(2.0, clock=lambda: clock[0], sleep=sleep), sleep=sleep)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7, times=2)
    result = run_reminder_pass(ten_leads.session_factory, client, MON, sender=sender)
    assert result.sent == 12 and result.stopped is None
    # Two 7 s pauses for the first message; the next one waits its slot after the pause, then 0.5 s each.
    assert slept == [7.0, 7.0] + [0.5] * 11
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429, 429] + [200] * 12


def test_a_retry_after_too_long_to_wait_stops_the_pass_instead_of_holding_it(ten_leads, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=3600)
    slept: list[float] = []
    client = make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url))
    sender = Sender(client, pacer=Pacer(0, sleep=slept.append), sleep=slept.append)
    result = run_reminder_pass(ten_leads.session_factory, client, MON, sender=sender)
    assert (result.sent, result.stopped, result.left) == (0, "ratelimited", 12) and slept == []


def test_slack_down_stops_the_pass_after_eight_failed_sends_and_exits_3(ten_leads, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=503, times=1000)
    result = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:00")
    assert result.exit_code == 3 and "Slack failed 8 sends in a row (http_503)" in result.stderr
    assert fake_slack.call_count("chat.postMessage") == 8
    assert "deferred=8" in result.stdout and "left=4" in result.stdout
    # Slack is back: the next pass looks for the eight (a 503 may hide a delivery), then sends all, once.
    fake_slack.reset()
    later = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:15")
    assert later.exit_code == 0 and "sent=12" in later.stdout
    assert fake_slack.call_count("conversations.history") == 8
    assert sorted(Counter(m["channel"] for m in fake_slack.messages).values()) == [1] * 12


def test_a_permanent_error_for_one_lead_fails_that_message_only_and_exits_0(ten_leads, fake_slack):
    fake_slack.fail_next("chat.postMessage", error="user_not_found")
    result = remind(ten_leads, fake_slack, "--now", "2026-11-23T10:00")
    assert result.exit_code == 0 and "sent=11" in result.stdout and "failed=1" in result.stdout


def test_an_unlinked_leads_notice_that_failed_is_sent_by_a_later_pass(database, fake_slack):
    """It used to be queued once a week and, if Slack failed it, never picked up again."""
    with database.session_factory.begin() as s:
        make_action(s, make_plan(s), "1.1", leads=[make_person(s, "Nobody Linked")], due=dt.date(2026, 12, 7))
        grant(s, "UADMIN", "admin")
    fake_slack.fail_next("chat.postMessage", status=503, times=3)  # the first try and both retry rounds
    client = make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url))
    sender = Sender(client, pacer=Pacer(0), sleep=lambda _s: None)
    first = run_reminder_pass(database.session_factory, client, MON, sender=sender)
    assert (first.sent, first.deferred) == (0, 1) and fake_slack.messages == []
    later = run_reminder_pass(database.session_factory, client, MON + dt.timedelta(minutes=15), sender=sender)
    assert later.sent == 1 and [m["channel"] for m in fake_slack.messages] == ["DUADMIN"]
    again = run_reminder_pass(database.session_factory, client, MON + dt.timedelta(hours=2), sender=sender)
    assert again.sent == 0 and len(fake_slack.messages) == 1


def _in_doubt(database, client) -> int:
    """A reminder a dead pass left "sending" after Slack accepted it (so it is in Ann's DM)."""
    with database.session_factory.begin() as s:
        make_action(s, make_plan(s), "1.1", leads=[make_person(s, "Ann", uid="UANN")], due=MON.date())
    run_reminder_pass(database.session_factory, client, MON, sender=Sender(client, pacer=Pacer(0)))
    with database.session_factory.begin() as s:
        message = s.scalars(select(ReminderMessage)).one()
        message.status, message.ts, message.claimed_by = "sending", None, None
        for entry in message.entries:  # killed before anything was marked
            entry.status, entry.sent_at = "pending", None
        return message.id


def test_a_token_error_while_checking_an_in_doubt_message_leaves_it_in_doubt(database, fake_slack):
    client = make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url))
    message_id = _in_doubt(database, client)
    fake_slack.invalid_auth(True)
    stopped = run_reminder_pass(database.session_factory, client, MON + dt.timedelta(minutes=15))
    assert (stopped.stopped, stopped.needs_fixing) == ("invalid_auth", True)
    with database.session_factory() as s:
        assert s.get(ReminderMessage, message_id).status == "sending"  # not guessed at: still in doubt
    fake_slack.invalid_auth(False)
    fixed = run_reminder_pass(database.session_factory, client, MON + dt.timedelta(minutes=30))
    assert fixed.stopped is None and len(fake_slack.messages) == 1  # found in the DM: not sent again
    with database.session_factory() as s:
        assert s.get(ReminderMessage, message_id).ts == fake_slack.messages[0]["ts"]


def test_without_im_history_an_in_doubt_message_is_sent_again_rather_than_lost(database, fake_slack, caplog):
    client = make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url))
    _in_doubt(database, client)
    fake_slack.fail_next("conversations.history", error="missing_scope")
    result = run_reminder_pass(database.session_factory, client, MON + dt.timedelta(minutes=15))
    assert result.sent == 1 and len(fake_slack.messages) == 2
    assert "add the im:history scope" in caplog.text
