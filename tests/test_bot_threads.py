"""Replies in a reminder's thread, through the running app: with a RAG, without, retried, ambiguous."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import PendingReply, ProcessedEvent
from tests.support.bot_harness import JO, R1, R2, SAM


def _thread_posts(slack_app, thread_ts):
    return [c for c in slack_app.fake.calls("chat.postMessage") if c.params.get("thread_ts") == thread_ts]


def test_reply_with_rag_is_stored_confirmed_in_thread_and_reminder_refreshed(slack_app):
    text = "Amber – forum designed, first session booked for January"
    assert slack_app.dm(JO, text, ts="1700000100.000001", thread_ts=R2) == 200
    [confirmation] = slack_app.fake.wait_for("chat.postMessage")
    assert confirmation.params["thread_ts"] == R2 and confirmation.params["channel"] == "DU0JO"
    assert "Amber" in confirmation.params["text"] and "3.2" in confirmation.params["text"]
    [update] = slack_app.updates()
    assert update.rag == "Amber"
    assert update.text == "forum designed, first session booked for January"
    assert update.reminder_message_id == slack_app.ids[R2]
    assert update.idempotency_key == "slack-msg:DU0JO:1700000100.000001"
    [edit] = slack_app.fake.wait_for("chat.update")
    assert edit.params["ts"] == R2 and "Updated: Amber" in json.dumps(edit.params["blocks"])


def test_rag_from_emoji_letter_and_slack_names(slack_app):
    cases = [
        ("🟢 all on track", "Green"),
        ("R: blocked by funding", "Red"),
        (":large_blue_circle: finished", "Blue"),
    ]
    for n, (text, _) in enumerate(cases):
        slack_app.dm(JO, text, ts=f"1700000200.00000{n}", thread_ts=R2)
        slack_app.fake.wait_for("chat.postMessage", n + 1)
    assert [u.rag for u in slack_app.updates()] == [rag for _, rag in cases]


def test_reply_without_rag_asks_with_buttons_then_stores_once(slack_app):
    slack_app.dm(
        JO, "A forum was designed and the first session is booked", ts="1700000300.000001", thread_ts=R2
    )
    [question] = slack_app.fake.wait_for("chat.postMessage")
    assert question.params["thread_ts"] == R2
    buttons = next(b for b in question.params["blocks"] if b["type"] == "actions")["elements"]
    assert [json.loads(b["value"])["rag"] for b in buttons] == ["Red", "Amber", "Green", "Blue"]
    assert slack_app.updates() == []
    with slack_app.database.session_factory() as session:
        [pending] = session.scalars(select(PendingReply)).all()
        assert pending.resolved_at is None

    amber = buttons[1]
    for _ in range(2):  # a repeated click
        assert (
            slack_app.click(
                JO,
                amber["action_id"],
                amber["value"],
                channel="DU0JO",
                message_ts=question.response["ts"],
                thread_ts=R2,
            )
            == 200
        )
    slack_app.fake.wait_for("chat.update", 2)
    [update] = slack_app.updates()
    assert update.rag == "Amber" and update.text == "A forum was designed and the first session is booked"
    question_edits = [
        c for c in slack_app.fake.calls("chat.update") if c.params["ts"] == question.response["ts"]
    ]
    assert question_edits and "Amber" in question_edits[0].params["text"]
    with slack_app.database.session_factory() as session:
        assert session.scalars(select(PendingReply)).one().resolved_at is not None


def test_reply_to_a_reminder_with_several_actions_asks_which(slack_app):
    slack_app.dm(JO, "Green – all done bar the paperwork", ts="1700000400.000001", thread_ts=R1)
    [question] = slack_app.fake.wait_for("chat.postMessage")
    buttons = next(b for b in question.params["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"].split()[0] for b in buttons] == ["3.2", "3.3"]
    slack_app.click(
        JO,
        buttons[1]["action_id"],
        buttons[1]["value"],
        channel="DU0JO",
        message_ts=question.response["ts"],
        thread_ts=R1,
    )
    slack_app.fake.wait_for("chat.update")
    [update] = slack_app.updates()
    assert update.action_id == slack_app.ids["3.3"] and update.rag == "Green"


def test_reply_naming_the_ref_needs_no_question(slack_app):
    slack_app.dm(JO, "3.3 Red: contractor pulled out", ts="1700000500.000001", thread_ts=R1)
    slack_app.fake.wait_for("chat.postMessage")
    [update] = slack_app.updates()
    assert (update.action_id, update.rag, update.text) == (
        slack_app.ids["3.3"],
        "Red",
        "contractor pulled out",
    )


def test_retried_event_is_stored_once(slack_app):
    for retry in (None, 1, 2):
        assert (
            slack_app.dm(
                JO, "Green – done", ts="1700000600.000001", thread_ts=R2, event_id="Ev0RETRY", retry_num=retry
            )
            == 200
        )
    slack_app.fake.wait_for("chat.postMessage")
    slack_app.command("help", JO)  # a later request: any duplicate work would have been queued before it
    assert len(slack_app.updates()) == 1
    assert len(_thread_posts(slack_app, R2)) == 1
    with slack_app.database.session_factory() as session:
        assert session.get(ProcessedEvent, "Ev0RETRY") is not None


def test_same_message_redelivered_with_a_new_event_id_is_still_stored_once(slack_app):
    for event_id in ("Ev0A", "Ev0B"):
        slack_app.dm(JO, "Green – done", ts="1700000700.000001", thread_ts=R2, event_id=event_id)
    slack_app.fake.wait_for("chat.postMessage")
    slack_app.command("help", JO)
    assert len(slack_app.updates()) == 1


def test_over_long_reply_is_refused_naming_the_limit(slack_app):
    slack_app.dm(JO, "Amber " + "x" * 3000, ts="1700000800.000001", thread_ts=R2)
    [answer] = slack_app.fake.wait_for("chat.postMessage")
    assert "3,000" in answer.params["text"] and answer.params["thread_ts"] == R2
    assert slack_app.updates() == []


def test_someone_else_replying_in_the_thread_stores_nothing(slack_app):
    # Sam cannot post in Jo's DM in real Slack; a forged channel must still store nothing for Sam.
    slack_app.dm(SAM, "Green – done", ts="1700000900.000001", thread_ts=R2, channel="DU0JO")
    [refusal] = slack_app.fake.wait_for("chat.postMessage")
    assert "only update the actions you lead" in refusal.params["text"]
    assert slack_app.updates() == []


def test_replies_outside_reminder_threads_are_not_updates(slack_app):
    slack_app.dm(JO, "Green – unrelated thread", ts="1700001000.000001", thread_ts="1600000000.000001")
    slack_app.dm(JO, "hello bot", ts="1700001000.000002", thread_ts=None)
    [hint] = slack_app.fake.wait_for("chat.postMessage")
    assert "reply in the thread of a reminder" in hint.params["text"]
    assert slack_app.updates() == []
