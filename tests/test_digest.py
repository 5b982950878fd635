"""The weekly digest: content, escaping, the 50-block limit, once per ISO week per channel."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from jobs.digest import run_digest
from storage.models import DigestPost, ReportVersion
from tests.support.jobs_factories import add_update, make_action, make_person, make_plan

D = dt.date
MON = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def plan_with_history(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "p")
        ann = make_person(s, "Ann", uid="UANN")
        late = make_action(s, plan, "1.1", leads=[ann], due=D(2026, 11, 2), title="Late action")
        soon = make_action(s, plan, "1.2", leads=[ann], due=D(2026, 12, 1), title="Due soon")
        quiet = make_action(s, plan, "1.3", leads=[ann], due=D(2027, 3, 1), title="Quiet action")
        done = make_action(s, plan, "1.4", leads=[ann], due=D(2026, 10, 1), title="Finished")
        add_update(s, late, MON - dt.timedelta(days=20), rag="Green")
        add_update(s, late, MON - dt.timedelta(days=2), rag="Red", text="Blocked <!channel> & stuck")
        add_update(s, soon, MON - dt.timedelta(days=3), rag="Amber")
        add_update(s, done, MON - dt.timedelta(days=30), rag="Blue")
        s.add(
            ReportVersion(
                plan_id=plan.id,
                version="1.0",
                published_at=MON - dt.timedelta(days=10),
                as_of=MON - dt.timedelta(days=10),
                snapshot={},
            )
        )
        _ = quiet
    return database


def test_digest_content_and_escaping(plan_with_history, fake_slack):
    from bot.slack_client import make_client
    from progressbot.config import Settings

    client = make_client(Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url))
    result = run_digest(plan_with_history.session_factory, client, MON, channel="C0DIGEST")
    assert result.posted
    (message,) = fake_slack.messages
    body = json.dumps(message["blocks"])
    # RAG counts with the change since last week: Red +1 (was Green), Amber +1 (new), Green -1.
    assert "*Red* 1 (+1)" in body and "*Amber* 1 (+1)" in body and "*Green* 0 (-1)" in body
    assert "Blocked &lt;!channel&gt; &amp; stuck" in body and "<!channel>" not in body
    assert "Overdue (1)" in body and "Late action" in body
    assert "Due in the next 14 days (1)" in body and "Due soon" in body
    assert "Quiet action" in body and "No update since" in body
    assert "get_report" in body
    assert len(message["blocks"]) <= 50
    assert result.chart and fake_slack.call_count("files.completeUploadExternal") == 1


def test_digest_posts_once_per_week_per_channel(plan_with_history, fake_slack):
    from bot.slack_client import make_client
    from progressbot.config import Settings

    client = make_client(Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url))
    first = run_digest(plan_with_history.session_factory, client, MON, channel="C0DIGEST", chart=False)
    again = run_digest(
        plan_with_history.session_factory,
        client,
        MON + dt.timedelta(hours=5),
        channel="C0DIGEST",
        chart=False,
    )
    other = run_digest(plan_with_history.session_factory, client, MON, channel="C0OTHER", chart=False)
    next_week = run_digest(
        plan_with_history.session_factory, client, MON + dt.timedelta(days=7), channel="C0DIGEST", chart=False
    )
    assert (first.posted, again.posted, again.already, other.posted, next_week.posted) == (
        True,
        False,
        True,
        True,
        True,
    )
    assert [m["channel"] for m in fake_slack.messages] == ["C0DIGEST", "C0OTHER", "C0DIGEST"]
    with plan_with_history.session_factory() as s:
        weeks = sorted((p.channel, p.week, p.status) for p in s.scalars(select(DigestPost)))
    assert weeks == [
        ("C0DIGEST", "2026-W48", "sent"),
        ("C0DIGEST", "2026-W49", "sent"),
        ("C0OTHER", "2026-W48", "sent"),
    ]


def quick(client):
    from jobs.sender import Pacer, Sender

    return Sender(client, pacer=Pacer(0), sleep=lambda _s: None)


def test_a_503_is_retried_within_the_run(plan_with_history, fake_slack):
    from bot.slack_client import make_client
    from progressbot.config import Settings

    client = make_client(Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url))
    fake_slack.fail_next("chat.postMessage", status=503)
    result = run_digest(
        plan_with_history.session_factory, client, MON, channel="C0DIGEST", chart=False, sender=quick(client)
    )
    assert result.posted and [c.status for c in fake_slack.calls("chat.postMessage")] == [503, 200]
    assert len(fake_slack.messages) == 1


def test_a_failed_post_is_retried_by_the_next_run(plan_with_history, fake_slack):
    from bot.slack_client import make_client
    from progressbot.config import Settings

    client = make_client(Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url))
    fake_slack.fail_next("chat.postMessage", status=503, times=3)  # the run's first try and both retries
    first = run_digest(
        plan_with_history.session_factory, client, MON, channel="C0DIGEST", chart=False, sender=quick(client)
    )
    assert not first.posted and first.stopped == "http_503" and fake_slack.messages == []
    retry = run_digest(
        plan_with_history.session_factory,
        client,
        MON + dt.timedelta(hours=1),
        channel="C0DIGEST",
        chart=False,
        sender=quick(client),
    )
    assert retry.posted and len(fake_slack.messages) == 1
    # A channel the bot is not in is refused; once invited, the next run posts it.
    next_week = MON + dt.timedelta(days=7)
    fake_slack.fail_next("chat.postMessage", error="not_in_channel")
    refused = run_digest(
        plan_with_history.session_factory, client, next_week, channel="C0DIGEST", chart=False
    )
    assert refused.error == "not_in_channel" and "/invite @progressbot" in (refused.hint or "")
    again = run_digest(plan_with_history.session_factory, client, next_week, channel="C0DIGEST", chart=False)
    assert again.posted and len(fake_slack.messages) == 2


def test_a_revoked_token_posts_nothing_and_fails_nothing_until_fixed(plan_with_history, fake_slack):
    from bot.slack_client import make_client
    from progressbot.config import Settings

    client = make_client(Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url))
    fake_slack.fail_next("chat.postMessage", error="token_revoked")
    stopped = run_digest(plan_with_history.session_factory, client, MON, channel="C0DIGEST", chart=False)
    assert (stopped.posted, stopped.stopped, stopped.needs_fixing) == (False, "token_revoked", True)
    assert "SLACK_BOT_TOKEN" in (stopped.hint or "") and fake_slack.call_count("chat.postMessage") == 1
    with plan_with_history.session_factory() as s:
        assert s.scalars(select(DigestPost.status)).one() == "pending"
    fixed = run_digest(plan_with_history.session_factory, client, MON, channel="C0DIGEST", chart=False)
    assert fixed.posted and [m["channel"] for m in fake_slack.messages] == ["C0DIGEST"]


def test_a_run_killed_after_slack_accepted_the_digest_does_not_post_it_again(plan_with_history, fake_slack):
    from bot.slack_client import make_client
    from progressbot.config import Settings

    client = make_client(Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url))

    class Killed(Exception):
        pass

    class DiesAfterPosting:
        def chat_postMessage(self, **kwargs):
            client.chat_postMessage(**kwargs)  # Slack has it ...
            raise Killed  # ... and the process dies before hearing back

    with pytest.raises(Killed):
        run_digest(
            plan_with_history.session_factory, DiesAfterPosting(), MON, channel="C0DIGEST", chart=False
        )
    for n in range(250):  # a busy channel: by now the digest is on the second page of its history
        client.chat_postMessage(channel="C0DIGEST", text=f"chatter {n}")
    again = run_digest(
        plan_with_history.session_factory,
        client,
        MON + dt.timedelta(hours=1),
        channel="C0DIGEST",
        chart=False,
    )
    assert again.already and not again.posted
    assert fake_slack.call_count("chat.postMessage") == 251  # the digest once, and the chatter
    assert fake_slack.call_count("conversations.history") == 2
    with plan_with_history.session_factory() as s:
        post = s.scalars(select(DigestPost)).one()
        assert (post.status, post.ts) == ("sent", fake_slack.messages[0]["ts"])


def test_long_lists_end_with_and_n_more_and_fit_50_blocks(database):
    from slackviews.reminders import DigestAction, PlanDigest, digest_message

    digest = PlanDigest(
        plan_id=1,
        plan="",
        plan_title="Big",
        counts={"Red": 40},
        previous_counts={},
        unrated=0,
        updates=(),
        stale=(),
        last_report=None,
        overdue=tuple(DigestAction(str(i), "x" * 200, dt.date(2026, 1, 1), "A") for i in range(40)),
        due_soon=(),
    )
    text, blocks = digest_message([digest] * 8)
    assert len(blocks) <= 50
    assert "… and 30 more" in json.dumps(blocks, ensure_ascii=False)
    assert "… and 2 more plans" in json.dumps(blocks[-1], ensure_ascii=False)
    assert "5 more" not in text


def test_dry_run_posts_nothing(plan_with_history):
    class NoClient:
        def chat_postMessage(self, **kwargs):
            raise AssertionError("dry run must not post")

    result = run_digest(plan_with_history.session_factory, NoClient(), MON, channel="C0DIGEST", dry_run=True)
    assert "Weekly progress" in json.dumps(result.blocks) and not result.posted
