"""Replies in a reminder's thread ("Amber – forum designed…") and the buttons that complete them.

Events are acknowledged at once by Bolt; the event id is recorded in ``processed_events`` in the same
transaction as the update, so a retried delivery (``X-Slack-Retry-Num``) is dropped, and if the work
fails the event id rolls back with it.
"""

from __future__ import annotations

import json
import logging
import re

from slack_bolt import Ack, App

from bot import features, governance
from bot.announce import announce_answer
from bot.services import Services
from bot.updating import (
    AskAction,
    AskRag,
    Refused,
    ReplyOutcome,
    Stored,
    choose_action,
    choose_rag,
    first_delivery,
    handle_thread_reply,
)
from bot.views.governance import answer_saved
from bot.views.messages import PICK_ACTION, PICK_RAG, ask_action_reply, ask_rag_reply, thread_confirmation

log = logging.getLogger(__name__)

DUPLICATE = object()
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
        now = services.now()

        def work(session):
            if not first_delivery(session, body.get("event_id", ""), now):
                log.info("dropped a repeated delivery of event %s", body.get("event_id"))
                return DUPLICATE
            if thread_ts and thread_ts != ts:
                reply = dict(
                    uid=uid,
                    channel=channel,
                    ts=ts,
                    thread_ts=thread_ts,
                    text=event.get("text") or "",
                    now=now,
                )
                outcome = handle_thread_reply(session, **reply)
                if outcome is None:  # not a reminder: perhaps the thread of a challenge
                    outcome = governance.answer_in_thread(session, **reply)
                return outcome
            return None

        outcome = services.transaction(work)
        if outcome is DUPLICATE:
            return
        if outcome is None:
            if not thread_ts:
                services.client.chat_postMessage(channel=channel, text=DM_HINT)
            return
        _answer(services, outcome, channel=channel, thread_ts=thread_ts, uid=uid)

    @app.action(re.compile(rf"^{PICK_RAG}:"))
    def picked_rag(ack: Ack, body: dict, action: dict) -> None:
        ack()
        value = json.loads(action["value"])

        def work() -> None:
            outcome = services.transaction(
                lambda session: choose_rag(
                    session,
                    uid=body["user"]["id"],
                    pending_id=int(value["pending"]),
                    rag=str(value["rag"]),
                    now=services.now(),
                )
            )
            _answer_click(services, outcome, body)

        services.after_ack(body, work)

    @app.action(re.compile(rf"^{PICK_ACTION}:"))
    def picked_action(ack: Ack, body: dict, action: dict) -> None:
        ack()
        value = json.loads(action["value"])

        def work() -> None:
            outcome = services.transaction(
                lambda session: choose_action(
                    session,
                    uid=body["user"]["id"],
                    pending_id=int(value["pending"]),
                    action_id=int(value["action_id"]),
                    now=services.now(),
                )
            )
            _answer_click(services, outcome, body)

        services.after_ack(body, work)


def _answer(
    services: Services, outcome: ReplyOutcome, *, channel: str, thread_ts: str, uid: str | None = None
) -> None:
    client = services.client
    if isinstance(outcome, Stored):
        if outcome.created:
            notes = governance.followup_notes(outcome)
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text="\n".join(
                    [thread_confirmation(outcome.card, outcome.rag or "", outcome.rag_colour), *notes]
                ),
            )
            services.refresh_reminder(outcome.reminder_message_id)
            governance.announce_followups(services, outcome)
            if uid:
                features.refresh_home(services, uid)  # best effort: a failure is logged, never shown
        return
    if isinstance(outcome, governance.Answered):
        if outcome.created:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=answer_saved(outcome.ref))
            announce_answer(services, outcome.challenge_id)
        return
    if isinstance(outcome, str):
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=outcome)
        return
    if isinstance(outcome, Refused):
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=outcome.message)
        return
    if isinstance(outcome, AskRag):
        reply = ask_rag_reply(outcome.pending_id, outcome.card, outcome.scheme)
    else:
        assert isinstance(outcome, AskAction)
        reply = ask_action_reply(outcome.pending_id, outcome.cards)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply.as_kwargs())


def _answer_click(services: Services, outcome: ReplyOutcome, body: dict) -> None:
    """Replace the question (and its buttons) with the answer, so a second click has nothing to hit."""
    channel = (body.get("channel") or {}).get("id") or body["user"]["id"]
    message = body.get("message") or {}
    question_ts = message.get("ts")
    thread_ts = message.get("thread_ts") or question_ts
    if isinstance(outcome, Stored):
        text = "\n".join(
            [
                thread_confirmation(outcome.card, outcome.rag or "", outcome.rag_colour),
                *governance.followup_notes(outcome),
            ]
        )
        if question_ts:
            services.client.chat_update(channel=channel, ts=question_ts, text=text, blocks=[])
        if outcome.created:
            services.refresh_reminder(outcome.reminder_message_id)
            governance.announce_followups(services, outcome)
            features.refresh_home(services, body["user"]["id"])  # best effort, see _answer
        return
    if isinstance(outcome, AskRag) and question_ts:
        reply = ask_rag_reply(outcome.pending_id, outcome.card, outcome.scheme)
        services.client.chat_update(channel=channel, ts=question_ts, **reply.as_kwargs())
        return
    if isinstance(outcome, Refused):
        services.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=outcome.message)
        return
    _answer(services, outcome, channel=channel, thread_ts=thread_ts, uid=body["user"]["id"])
