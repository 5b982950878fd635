"""Replies in a reminder's thread ("Amber – forum designed…") and the buttons that complete them.

Each listener stores and owes its answer (``bot.answers``, sent by the outbox) in one transaction and
returns; the acknowledgement goes after the commit. The event id is recorded in
``processed_events`` in the same transaction, so a retried delivery (``X-Slack-Retry-Num``) is dropped,
and if the work fails the event id rolls back with it and a retry is handled afresh. A reply in the
thread of a challenge (``bot.governance``) is the lead's answer to it.

Slack sends message text with ``&``, ``<`` and ``>`` as entities: the reply is stored as the person
typed it (``unescape``), and escaped again wherever it is shown.
"""

from __future__ import annotations

import json
import logging
import re

from slack_bolt import Ack, App

from bot import governance
from bot.answers import owe_click_answer, owe_dm_hint, owe_thread_answer
from bot.services import Services
from bot.updating import choose_action, choose_rag, first_delivery, handle_thread_reply
from slackviews.messages import PICK_ACTION, PICK_RAG
from slackviews.text import unescape

log = logging.getLogger(__name__)

DM_HINT = (
    "Hello! To update an action, reply in the thread of a reminder (e.g. _Amber – forum designed_) "
    "or use `/progress update REF`. `/progress help` lists everything."
)


def register(app: App, services: Services) -> None:
    @app.event("message")
    def on_message(event: dict, body: dict) -> None:
        if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
            return  # edits, joins, our own messages
        uid, channel, ts = event.get("user"), event["channel"], event["ts"]
        thread_ts = event.get("thread_ts")
        text = unescape(event.get("text") or "")
        now = services.now()

        def work(session) -> None:
            if not first_delivery(session, body.get("event_id", ""), now):
                log.info("dropped a repeated delivery of event %s", body.get("event_id"))
                return
            if not thread_ts:
                owe_dm_hint(session, channel, DM_HINT)
                return
            if thread_ts == ts:
                return
            reply = {
                "uid": uid,
                "channel": channel,
                "ts": ts,
                "thread_ts": thread_ts,
                "text": text,
                "now": now,
            }
            outcome = handle_thread_reply(session, **reply)
            if outcome is None:  # not a reminder: perhaps the thread of a challenge
                outcome = governance.answer_in_thread(session, **reply)
            if outcome is not None:  # None: a thread that is not ours, the bot stays quiet
                owe_thread_answer(
                    session,
                    outcome,
                    channel=channel,
                    thread_ts=thread_ts,
                    uid=uid,
                    home_delay=services.home_refresh_delay,
                )

        services.transaction(work)
        services.owed()

    def answer_click(ack: Ack, body: dict, choose) -> None:
        """A RAG or action button: ``choose(session, uid, now)`` stores (or asks again); then ack."""
        uid, now = body["user"]["id"], services.now()

        def work(session) -> None:
            outcome = choose(session, uid, now)
            owe_click_answer(
                session, outcome, uid=uid, home_delay=services.home_refresh_delay, **_where(body)
            )

        services.transaction(work)
        services.owed()
        ack()

    @app.action(re.compile(rf"^{PICK_RAG}:"))
    def picked_rag(ack: Ack, body: dict, action: dict) -> None:
        value = json.loads(action["value"])
        answer_click(
            ack,
            body,
            lambda session, uid, now: choose_rag(
                session, uid=uid, pending_id=int(value["pending"]), rag=str(value["rag"]), now=now
            ),
        )

    @app.action(re.compile(rf"^{PICK_ACTION}:"))
    def picked_action(ack: Ack, body: dict, action: dict) -> None:
        value = _picked_value(action)
        answer_click(
            ack,
            body,
            lambda session, uid, now: choose_action(
                session, uid=uid, pending_id=int(value["pending"]), action_id=int(value["action_id"]), now=now
            ),
        )


def _picked_value(action: dict) -> dict:
    """A button's value, or the chosen option of the select menu shown for long reminders."""
    option = action.get("selected_option")
    raw = option.get("value") if isinstance(option, dict) else action.get("value")
    return json.loads(raw or "{}")


def _where(body: dict) -> dict:
    """Where the question was: its channel, its ts, and the thread it belongs to."""
    message = body.get("message") or {}
    question_ts = message.get("ts")
    return {
        "channel": (body.get("channel") or {}).get("id") or body["user"]["id"],
        "question_ts": question_ts,
        "thread_ts": message.get("thread_ts") or question_ts,
    }
