"""What a stored update (or a question about one) owes Slack, rendered now and owed through the outbox.

Each function runs inside the listener's transaction, right after the update was stored: the messages
are rendered from what was stored and written as outbox rows (``bot.outbox.owe``), so they are sent
once the acknowledgement has gone, and still sent if the process dies first.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import governance
from bot.outbox import announcement, owe, slack_call
from bot.updating import AskAction, AskRag, Refused, ReplyOutcome, Stored
from slackviews.governance import answer_saved
from slackviews.messages import (
    Reply,
    ask_action_reply,
    ask_rag_reply,
    confirmation_reply,
    thread_confirmation,
)
from slackviews.text import escape


def modal_confirmation(stored: Stored) -> Reply:
    return confirmation_reply(
        stored.card,
        rag=stored.rag,
        rag_colour=stored.rag_colour,
        text=stored.text,
        proposed_due=stored.proposed_due,
        on_behalf_of=stored.on_behalf_of,
        notes=governance.followup_notes(stored),
    )


def _announcements(stored: Stored) -> list[tuple[str, dict]]:
    return [announcement(name, ids) for name, ids in governance.followup_announcements(stored)]


def owe_modal_confirmation(session: Session, stored: Stored, uid: str, *, home_delay: float) -> Reply:
    """The confirmation (shown in the modal by the caller, and DMed), the board's notices, the reminder
    edit, the Home tab."""
    reply = modal_confirmation(stored)
    if stored.created:  # a repeated submission was confirmed the first time
        owe(
            session,
            [slack_call("chat_postMessage", channel=uid, **reply.as_kwargs()), *_announcements(stored)],
            reminder_message_id=stored.reminder_message_id,
            home_of=uid,
            home_delay=home_delay,
        )
    return reply


def _stored_text(stored: Stored) -> str:
    """A thread's confirmation, with what the update set in motion."""
    return "\n".join(
        [
            thread_confirmation(stored.card, stored.rag or "", stored.rag_colour),
            *governance.followup_notes(stored),
        ]
    )


def _question(outcome: AskRag | AskAction) -> Reply:
    if isinstance(outcome, AskRag):
        return ask_rag_reply(outcome.pending_id, outcome.card, outcome.scheme)
    return ask_action_reply(outcome.pending_id, outcome.cards)


def owe_thread_answer(
    session: Session,
    outcome: ReplyOutcome,
    *,
    channel: str,
    thread_ts: str,
    uid: str | None,
    home_delay: float,
) -> None:
    """The answer to a reply in a reminder's thread: saved, refused, or a question with buttons."""
    if isinstance(outcome, Stored):
        if not outcome.created:
            return
        call = slack_call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, text=_stored_text(outcome)
        )
        owe(
            session,
            [call, *_announcements(outcome)],
            reminder_message_id=outcome.reminder_message_id,
            home_of=uid,
            home_delay=home_delay,
        )
        return
    if isinstance(outcome, governance.Answered):  # an answer in the thread of a challenge
        if outcome.created:
            call = slack_call(
                "chat_postMessage", channel=channel, thread_ts=thread_ts, text=answer_saved(outcome.ref)
            )
            owe(session, [call, announcement("answer", [outcome.challenge_id])])
        return
    if isinstance(outcome, str):  # a sentence from governance, already escaped
        owe(session, [slack_call("chat_postMessage", channel=channel, thread_ts=thread_ts, text=outcome)])
        return
    if isinstance(outcome, Refused):
        call = slack_call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, text=escape(outcome.message)
        )
    else:
        call = slack_call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, **_question(outcome).as_kwargs()
        )
    owe(session, [call])


def owe_dm_hint(session: Session, channel: str, text: str) -> None:
    owe(session, [slack_call("chat_postMessage", channel=channel, text=text)])


def owe_click_answer(
    session: Session,
    outcome: ReplyOutcome,
    *,
    uid: str,
    channel: str,
    question_ts: str | None,
    thread_ts: str | None,
    home_delay: float,
) -> None:
    """A RAG or action button was picked: the question (and its buttons) is replaced by the answer."""
    if isinstance(outcome, Stored):
        text = thread_confirmation(outcome.card, outcome.rag or "", outcome.rag_colour)
        post = {
            "method": "chat_postMessage",
            "args": {"channel": channel, "thread_ts": thread_ts, "text": text},
        }
        calls = (
            [slack_call("chat_update", fallback=post, channel=channel, ts=question_ts, text=text, blocks=[])]
            if question_ts
            else [slack_call("chat_postMessage", **post["args"])]
        )
        created = outcome.created
        owe(
            session,
            calls + (_announcements(outcome) if created else []),
            reminder_message_id=outcome.reminder_message_id if created else None,
            home_of=uid if created else None,
            home_delay=home_delay,
        )
        return
    if isinstance(outcome, AskRag) and question_ts:
        call = slack_call("chat_update", channel=channel, ts=question_ts, **_question(outcome).as_kwargs())
        owe(session, [call])
        return
    owe_thread_answer(
        session,
        outcome,
        channel=channel,
        thread_ts=thread_ts or question_ts or "",
        uid=uid,
        home_delay=home_delay,
    )
