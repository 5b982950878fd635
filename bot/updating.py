"""Storing updates that arrive from Slack: the modal, thread replies to reminders, and RAG buttons.

Plain functions over a session; the listeners own the transaction and talk to Slack. Every path
stores through ``storage.updates.record_update`` with an idempotency key, so a double submit, a
repeated click or a retried event finds the first update instead of writing a second one:

- modal: ``slack-view:<view id>:<digest of the submitted values>``;
- thread reply (direct, or completed later through the buttons): ``slack-msg:<channel>:<message ts>``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from bot.permissions import UpdateRights, update_rights, viewer
from bot.queries import card, cards_for_actions, load_action
from slackviews.common import OPEN_UPDATE_MODAL, ActionCard
from slackviews.text import PROGRESS_TEXT_LIMIT, too_long_message
from slackviews.update_modal import ModalMetadata, Submission
from storage.errors import Forbidden, InvalidInput, NotFound
from storage.followups import FollowUps, after_update
from storage.models import Action, PendingReply, ProcessedEvent, ReminderEntry, ReminderMessage
from storage.proposals import check_proposed_due
from storage.rag import RagScheme, scheme_for_plan
from storage.updates import insert_update, new_update

SOURCE = "slack"
_SEPARATORS = " \t\r\n-–—:;,"


@dataclass(frozen=True)
class Stored:
    card: ActionCard  # as it is after the update
    rag: str | None
    rag_colour: str | None
    text: str
    created: bool
    rights: UpdateRights
    reminder_message_id: int | None
    proposed_due: dt.date | None = None
    # What the update set in motion (a date request, answers to challenges, a completion to sign off).
    followups: FollowUps | None = None
    action_id: int | None = None
    update_id: int | None = None
    # A thread reply that introduced a new date we could not read as one day: what it said.
    unread_date: str | None = None

    @property
    def on_behalf_of(self) -> str:
        return self.rights.on_behalf_of.display_name if self.rights.on_behalf_of else ""


def _colour(scheme: RagScheme, label: str | None) -> str | None:
    if not label:
        return None
    try:
        return scheme.state(label).colour
    except KeyError:
        return None


@dataclass(frozen=True)
class Checked:
    """An update that may be stored: checked (rights, RAG, limits, a proposed date), not yet written."""

    action: Action
    row: dict  # storage.updates.new_update
    card: ActionCard
    scheme: RagScheme
    rights: UpdateRights
    reminder_message_id: int | None
    unread_date: str | None = None  # a thread reply's new date that could not be read as one day


def check(
    session: Session,
    action: Action,
    uid: str,
    *,
    rag: str | None,
    text: str,
    now: dt.datetime,
    key: str,
    reminder_message_id: int | None,
    evidence_url: str | None = None,
    evidence_note: str | None = None,
    proposed_due: dt.date | None = None,
    date_in_text: bool = False,
) -> Checked:
    """May ``uid`` store this update (Forbidden if not), and is it valid (InvalidInput if not)?

    ``date_in_text``: a thread reply may propose a new date in words ("new date 30 June").
    """
    rights = update_rights(session, viewer(session, uid), action)
    today = now.date()
    unread = None
    if date_in_text and proposed_due is None:
        from bot.date_phrases import find_proposed_date

        found = find_proposed_date(text, today=today)
        if found is not None and found.day is None:
            unread = found.phrase
        elif found is not None:
            proposed_due = found.day
    if proposed_due is not None:
        check_proposed_due(action, proposed_due, today)
    row = new_update(
        action,
        rag=rag,
        text=text,
        source=SOURCE,
        submitted_at=now,
        author=rights.author,
        author_text="" if rights.author else f"Slack user {uid}",
        on_behalf_of=rights.on_behalf_of,
        evidence_url=evidence_url,
        evidence_note=evidence_note,
        proposed_due=proposed_due,
        idempotency_key=key,
        reminder_message_id=reminder_message_id,
    )
    return Checked(
        action,
        row,
        card(action, now.tzinfo or dt.UTC, brief=True),
        scheme_for_plan(action.plan),
        rights,
        reminder_message_id,
        unread,
    )


def write(session: Session, checked: Checked) -> Stored:
    """Store a checked update and what it sets in motion (a date request, answers to challenges, a
    completion to sign off), in the caller's transaction. A used idempotency key finds the first update
    instead, and sets nothing in motion again."""
    action = checked.action
    if checked.row["proposed_due"] is not None and object_session(action) is not session:
        # A date request is recorded against the action: attach it (no query). Otherwise the
        # follow-ups only read what the check loaded, and attaching would cost time inside the lock.
        action = session.merge(action, load=False)
    result = insert_update(
        session, checked.row, author=checked.rights.author, on_behalf_of=checked.rights.on_behalf_of
    )
    stored = result.update
    followups = after_update(session, action, stored) if result.created else None
    return Stored(
        card=checked.card,
        rag=stored.rag,
        rag_colour=_colour(checked.scheme, stored.rag),
        text=stored.text,
        created=result.created,
        rights=checked.rights,
        reminder_message_id=checked.reminder_message_id,
        proposed_due=stored.proposed_due,
        followups=followups,
        action_id=action.id,
        update_id=stored.id,
        unread_date=checked.unread_date,
    )


def _store(session: Session, action: Action, uid: str, **kwargs) -> Stored:
    """Check and write in one transaction (thread replies and their buttons)."""
    return write(session, check(session, action, uid, **kwargs))


# --- the modal ----------------------------------------------------------------------------------


def modal_card(
    session: Session, uid: str, action: Action, *, tz: dt.tzinfo
) -> tuple[ActionCard, RagScheme, UpdateRights]:
    """What the modal shows, after checking the person may update the action (Forbidden if not)."""
    rights = update_rights(session, viewer(session, uid), action)
    return card(action, tz), scheme_for_plan(action.plan), rights


def check_modal(
    session: Session,
    uid: str,
    metadata: ModalMetadata,
    submission: Submission,
    *,
    view_id: str,
    fingerprint: str,
    now: dt.datetime,
) -> Checked:
    """A submitted modal, checked in a read transaction; ``write`` stores it in a short write one."""
    action = load_action(session, metadata.action_id, with_updates=False)
    return check(
        session,
        action,
        uid,
        rag=submission.rag,
        text=submission.text,
        now=now,
        key=f"slack-view:{view_id}:{fingerprint}",
        reminder_message_id=metadata.reminder_message_id,
        evidence_url=submission.evidence_url,
        evidence_note=submission.evidence_note,
        proposed_due=submission.proposed_due,
    )


# --- events: dedup ------------------------------------------------------------------------------


def first_delivery(session: Session, event_id: str, now: dt.datetime) -> bool:
    """Record ``event_id``; False when it was already handled (a retry). Rolls back with the caller."""
    if not event_id:
        return True
    # Insert first, read nothing before: on SQLite a write as the transaction's first statement takes
    # the write lock with a fresh snapshot, and the unique key answers "seen before" either way.
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(event_id=event_id, received_at=now))
    except IntegrityError:  # the same event arrived twice at once; the other delivery handles it
        return False
    return True


# --- thread replies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedReply:
    ref: str | None
    rag: str | None
    text: str  # the progress, without the ref and RAG words


def parse_reply(message: str, scheme: RagScheme, refs: list[str]) -> ParsedReply:
    """Read an optional ref and a RAG from the first words: "3.2 Amber – forum designed".

    A single letter (R/A/G/B) only counts when something marks it as a status ("A – ...", "A:"),
    so "A forum was designed" is not read as Amber; the bot asks instead of guessing.
    """
    rest = message.strip()
    known = {r.casefold(): r for r in refs}
    ref = rag = None
    for _ in range(2):
        parts = rest.split(maxsplit=1)
        if not parts:
            break
        token, after = parts[0], (parts[1] if len(parts) > 1 else "")
        clean = token.rstrip(_SEPARATORS).lstrip("#")
        marked = clean != token.lstrip("#") or not after or after[:1] in "-–—:"
        if ref is None and clean.casefold() in known:
            ref, rest = known[clean.casefold()], after.lstrip(_SEPARATORS)
            continue
        if rag is None and clean:
            if len(clean) == 1 and clean.isalpha() and not marked:
                break
            label = scheme.parse(clean)
            if label is not None:
                rag, rest = label, after.lstrip(_SEPARATORS)
                continue
        break
    body = rest.strip()
    return ParsedReply(ref=ref, rag=rag, text=body or message.strip())


@dataclass(frozen=True)
class AskRag:
    pending_id: int
    card: ActionCard
    scheme: RagScheme


@dataclass(frozen=True)
class AskAction:
    pending_id: int
    cards: list[ActionCard]


@dataclass(frozen=True)
class Refused:
    message: str


ReplyOutcome = Stored | AskRag | AskAction | Refused


def reminder_for_thread(session: Session, channel: str, thread_ts: str) -> ReminderMessage | None:
    return session.scalar(
        select(ReminderMessage).where(ReminderMessage.ts == thread_ts, ReminderMessage.channel == channel)
    )


def reminder_action_ids(session: Session, message: ReminderMessage) -> list[int]:
    """The actions a reminder lists: its ledger entries, else the Update buttons in its payload."""
    ids = list(
        dict.fromkeys(
            session.scalars(
                select(ReminderEntry.action_id)
                .where(ReminderEntry.message_id == message.id)
                .order_by(ReminderEntry.id)
            )
        )
    )
    if ids:
        return ids
    found: list[int] = []
    _buttons(message.payload or {}, found)
    return list(dict.fromkeys(found))


def _buttons(node: object, found: list[int]) -> None:
    """Collect the action ids of every Update button in a Block Kit payload."""
    if isinstance(node, list):
        for item in node:
            _buttons(item, found)
    elif isinstance(node, dict):
        if node.get("action_id") == OPEN_UPDATE_MODAL:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                found.append(int(json.loads(node.get("value") or "{}")["action_id"]))
        for value in node.values():
            if isinstance(value, list | dict):
                _buttons(value, found)


def _message_key(channel: str, ts: str) -> str:
    return f"slack-msg:{channel}:{ts}"


def handle_thread_reply(
    session: Session, *, uid: str, channel: str, ts: str, thread_ts: str, text: str, now: dt.datetime
) -> ReplyOutcome | None:
    """None when the thread is not one of our reminders (the bot stays quiet)."""
    reminder = reminder_for_thread(session, channel, thread_ts)
    if reminder is None:
        return None
    if len(text) > PROGRESS_TEXT_LIMIT:
        return Refused(too_long_message("Your reply", len(text), PROGRESS_TEXT_LIMIT) + " Nothing was saved.")
    action_ids = reminder_action_ids(session, reminder)
    if not action_ids:
        return None
    tz = now.tzinfo or dt.UTC
    actions = {a.id: a for a in (load_action(session, i, with_updates=False) for i in action_ids)}
    any_scheme = scheme_for_plan(next(iter(actions.values())).plan)
    refs = [a.ref for a in actions.values()]
    parsed = parse_reply(text, any_scheme, refs)
    chosen = next((a for a in actions.values() if a.ref == parsed.ref), None)
    if chosen is None and len(actions) == 1:
        chosen = next(iter(actions.values()))
    try:
        if chosen is not None:
            update_rights(session, viewer(session, uid), chosen)
        elif not any(_may(session, uid, a) for a in actions.values()):
            raise Forbidden("You can only update the actions you lead.")
    except Forbidden as exc:
        return Refused(str(exc))
    if chosen is not None:
        scheme = scheme_for_plan(chosen.plan)
        parsed = parse_reply(text, scheme, refs)
        if parsed.rag is not None:
            return _store(
                session,
                chosen,
                uid,
                rag=parsed.rag,
                text=parsed.text,
                now=now,
                key=_message_key(channel, ts),
                reminder_message_id=reminder.id,
                date_in_text=True,
            )
    pending = _pending(
        session,
        uid=uid,
        channel=channel,
        ts=ts,
        thread_ts=thread_ts,
        text=text,
        action_id=(chosen or next(iter(actions.values()))).id,
        reminder_id=reminder.id,
        now=now,
    )
    if chosen is None:
        return AskAction(pending.id, cards_for_actions(session, list(actions), tz))
    return AskRag(pending.id, card(chosen, tz, brief=True), scheme_for_plan(chosen.plan))


def _may(session: Session, uid: str, action: Action) -> bool:
    try:
        update_rights(session, viewer(session, uid), action)
    except Forbidden:
        return False
    return True


def _pending(
    session: Session,
    *,
    uid: str,
    channel: str,
    ts: str,
    thread_ts: str,
    text: str,
    action_id: int,
    reminder_id: int | None,
    now: dt.datetime,
) -> PendingReply:
    existing = session.scalar(
        select(PendingReply).where(PendingReply.channel == channel, PendingReply.message_ts == ts)
    )
    if existing is not None:
        return existing
    pending = PendingReply(
        action_id=action_id,
        slack_user_id=uid,
        channel=channel,
        message_ts=ts,
        thread_ts=thread_ts,
        text=text,
        reminder_message_id=reminder_id,
        created_at=now,
    )
    session.add(pending)
    session.flush()
    return pending


def _load_pending(session: Session, pending_id: int, uid: str) -> PendingReply:
    pending = session.get(PendingReply, pending_id)
    if pending is None or pending.slack_user_id != uid:
        raise NotFound("That question has expired; please reply to the reminder again.")
    return pending


def choose_action(
    session: Session, *, uid: str, pending_id: int, action_id: int, now: dt.datetime
) -> ReplyOutcome:
    """The person said which action their reply is about."""
    pending = _load_pending(session, pending_id, uid)
    reminder = (
        session.get(ReminderMessage, pending.reminder_message_id) if pending.reminder_message_id else None
    )
    allowed = reminder_action_ids(session, reminder) if reminder is not None else [pending.action_id]
    if action_id not in allowed:
        raise InvalidInput("That action is not in this reminder.", field="action")
    action = load_action(session, action_id, with_updates=False)
    try:
        update_rights(session, viewer(session, uid), action)
    except Forbidden as exc:
        return Refused(str(exc))
    pending.action_id = action_id
    session.flush()
    scheme = scheme_for_plan(action.plan)
    parsed = parse_reply(pending.text, scheme, [action.ref])
    if parsed.rag is not None:
        return _resolve(session, pending, action, parsed.rag, parsed.text, now=now)
    return AskRag(pending.id, card(action, now.tzinfo or dt.UTC, brief=True), scheme)


def choose_rag(session: Session, *, uid: str, pending_id: int, rag: str, now: dt.datetime) -> ReplyOutcome:
    """The person picked a RAG button; a repeated click finds the update already stored."""
    pending = _load_pending(session, pending_id, uid)
    action = load_action(session, pending.action_id, with_updates=False)
    scheme = scheme_for_plan(action.plan)
    parsed = parse_reply(pending.text, scheme, [action.ref])
    return _resolve(session, pending, action, rag, parsed.text, now=now)


def _resolve(
    session: Session, pending: PendingReply, action: Action, rag: str, text: str, *, now: dt.datetime
) -> Stored:
    stored = _store(
        session,
        action,
        pending.slack_user_id,
        rag=rag,
        text=text,
        now=now,
        key=_message_key(pending.channel, pending.message_ts),
        reminder_message_id=pending.reminder_message_id,
        date_in_text=True,
    )
    if pending.resolved_at is None:
        pending.resolved_at = now
    return stored
