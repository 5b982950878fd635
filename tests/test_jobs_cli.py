"""``progressbot remind``, ``digest``, ``policy show|set`` through click's CliRunner."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from progressbot.cli import main
from storage.models import DigestPost, Plan, ReminderEntry
from tests.support.jobs_factories import make_action, make_person, make_plan


@pytest.fixture
def seeded(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "council")
        ann = make_person(s, "Ann", uid="UANN")
        make_action(s, plan, "1.1", leads=[ann], due=dt.date(2026, 11, 23), title="Fix <the> forum")
        make_action(s, plan, "1.2", leads=[ann], due=dt.date(2026, 12, 7))
    return database


def run(database, *args, env=None):
    env = {"SLACK_BOT_TOKEN": "", "PROGRESSBOT_DIGEST_CHANNEL": "", **(env or {})}
    return CliRunner().invoke(main, ["--database-url", database.url, *args], env=env, catch_exceptions=False)


def test_remind_dry_run_prints_and_records_nothing(seeded):
    result = run(seeded, "remind", "--now", "2026-11-23T10:00", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "--- to UANN (reminder) ---" in result.output
    assert "Fix &lt;the&gt; forum" in result.output and "Due today" in result.output
    assert "Due in 14 days" in result.output
    assert "1 message(s) would be sent" in result.output
    with seeded.session_factory() as s:
        assert s.scalars(select(ReminderEntry)).all() == []


def test_remind_sends_once_through_the_fake_slack(seeded, fake_slack):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    first = run(seeded, "remind", "--now", "2026-11-23T10:00", env=env)
    second = run(seeded, "remind", "--now", "2026-11-23T10:15", env=env)
    assert "sent=1" in first.output and "sent=0" in second.output
    assert [m["channel"] for m in fake_slack.messages] == ["DUANN"]


def test_remind_needs_a_token_unless_dry_run(seeded):
    result = CliRunner().invoke(main, ["--database-url", seeded.url, "remind"], env={"SLACK_BOT_TOKEN": ""})
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN" in result.output


def test_bad_now_is_a_one_line_error(seeded):
    result = CliRunner().invoke(
        main, ["--database-url", seeded.url, "remind", "--now", "monday", "--dry-run"]
    )
    assert result.exit_code == 2 and "--now must be an ISO date-time" in result.output


def test_digest_dry_run_and_once_a_week(seeded, fake_slack):
    dry = run(seeded, "digest", "--now", "2026-11-23T09:00", "--dry-run", "--channel", "C1")
    assert "Weekly progress" in dry.output and fake_slack.messages == []
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.url,
        "PROGRESSBOT_DIGEST_CHANNEL": "C1",
    }
    first = run(seeded, "digest", "--now", "2026-11-23T09:00", env=env)
    second = run(seeded, "digest", "--now", "2026-11-23T11:00", env=env)
    assert "posted to C1" in first.output and "already posted" in second.output
    assert [m["channel"] for m in fake_slack.messages] == ["C1"]


def test_digest_json_never_posts_it_prints_the_json_only(seeded, fake_slack):
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.url,
        "PROGRESSBOT_DIGEST_CHANNEL": "C1",
    }
    result = run(seeded, "digest", "--now", "2026-11-23T09:00", "--json", env=env)
    assert result.exit_code == 0
    payload = json.loads(result.stdout)  # stdout is the JSON and nothing else
    assert payload["channel"] == "C1" and payload["week"] == "2026-W48" and payload["already_posted"] is False
    assert any(b.get("type") == "header" for b in payload["blocks"])
    assert "posts nothing" in result.stderr
    assert fake_slack.messages == [] and fake_slack.call_count() == 0
    with seeded.session_factory() as s:
        assert s.scalars(select(DigestPost)).all() == []


def test_digest_with_a_revoked_token_is_one_line_and_exit_2(seeded, fake_slack):
    fake_slack.invalid_auth(True)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.url,
        "PROGRESSBOT_DIGEST_CHANNEL": "C1",
    }
    result = run(seeded, "digest", "--now", "2026-11-23T09:00", env=env)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr


def test_digest_without_a_channel_is_refused(seeded):
    result = CliRunner().invoke(
        main, ["--database-url", seeded.url, "digest", "--dry-run"], env={"PROGRESSBOT_DIGEST_CHANNEL": ""}
    )
    assert result.exit_code == 2 and "PROGRESSBOT_DIGEST_CHANNEL" in result.output


def test_policy_show_and_set(seeded):
    shown = run(seeded, "policy", "show")
    assert "before_days" in shown.output and "14" in shown.output and "default" in shown.output
    changed = run(seeded, "policy", "set", "before-days", "21,14")
    assert changed.exit_code == 0 and "before_days = 21,14 (plan)" in changed.output
    run(seeded, "policy", "set", "--plan", "council", "on_leave", "wait")
    with seeded.session_factory() as s:
        assert s.scalars(select(Plan)).one().policy == {"before_days": [21, 14], "on_leave": "wait"}
    reset = run(seeded, "policy", "set", "before_days", "default")
    assert "before_days = 14 (default)" in reset.output


def test_policy_show_documents_escalate_after_chase_and_set_turns_it_off(seeded):
    shown = run(seeded, "policy", "show")
    line = next(ln for ln in shown.output.splitlines() if ln.split()[:1] == ["escalate_after_chase"])
    assert "true" in line and "default" in line and "first overdue chase" in line
    changed = run(seeded, "policy", "set", "escalate-after-chase", "off")
    assert changed.exit_code == 0 and "escalate_after_chase = false (plan)" in changed.output


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("send_from", "07:00", "between 08:00 and 18:00"),
        ("nonsense", "1", "unknown policy key"),
        ("overdue_every_days", "weekly", "whole number"),
        ("on_leave", "ignore", "on_leave must be one of"),
    ],
)
def test_policy_set_refuses_bad_values(seeded, key, value, message):
    result = CliRunner().invoke(main, ["--database-url", seeded.url, "policy", "set", key, value])
    assert result.exit_code == 2 and message in result.output


def test_policy_for_an_unknown_plan(seeded):
    result = CliRunner().invoke(main, ["--database-url", seeded.url, "policy", "show", "--plan", "nope"])
    assert result.exit_code == 2 and "no plan called 'nope'" in result.output and "council" in result.output


def test_worker_builds_the_scheduler_and_starts_it(seeded, monkeypatch):
    from apscheduler.schedulers.background import BackgroundScheduler

    from progressbot.lifecycle import StopSignal

    started = []

    def fake_start(self, *args, **kwargs):
        started.append(sorted(job.id for job in self.get_jobs()))

    monkeypatch.setattr(BackgroundScheduler, "start", fake_start)
    monkeypatch.setattr(StopSignal, "wait", lambda self: "SIGTERM")  # stopped as soon as it started
    result = run(seeded, "worker", env={"SLACK_BOT_TOKEN": "xoxb-test"})
    assert result.exit_code == 0, result.output
    assert started == [
        ["digest-catch-up", "outbox-drain", "reminder-catch-up", "reminder-pass", "weekly-digest"]
    ]
    assert "stopped" in result.output


def test_worker_refuses_a_bad_digest_schedule(seeded):
    result = CliRunner().invoke(
        main,
        ["--database-url", seeded.url, "worker"],
        env={"SLACK_BOT_TOKEN": "xoxb-test", "PROGRESSBOT_DIGEST_SCHEDULE": "soon"},
    )
    assert result.exit_code == 2 and "PROGRESSBOT_DIGEST_SCHEDULE" in result.output
