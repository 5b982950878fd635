"""The exactly-once ledger: planned reminders become ledger rows and grouped messages, then get sent.

1. ``sync_ledger`` (one transaction): write a pending row for every new current reminder, revive a
   skipped row that is current again, mark pending rows that are no longer current as skipped (a stale
   before-due step replaced by the overdue chase, an answered reminder, a plan switched off), and
   group each recipient's sendable pending rows into one pending ``ReminderMessage`` whose payload is
   rendered now (the Update buttons need the message id).
2. ``send_messages``: post each pending message, then mark it and its rows sent in their own small
   transaction. A failure leaves the message pending with ``next_attempt_at`` backed off; a permanent
   Slack error marks it failed.

A pass killed between 1 and 2, or half-way through 2, resumes on the next pass: sent rows are never
sent again and pending rows are picked up. (The only unavoidable window is a kill after Slack accepted
a message and before its row was marked: that message is sent again. Each message carries
``metadata.event_payload.reminder_message_id`` so such a repeat can be recognised.)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.views.reminders import escalation_message, reminder_message
from jobs.planner import PlannedReminder
from jobs.sender import Sender
from storage.models import ReminderEntry, ReminderMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_CAP = dt.timedelta(hours=1)
MESSAGE_KIND = {"escalation": "escalation"}  # every other entry kind goes in a "reminder" message
EMAIL_KIND = "email"  # by email, everything due for a lead goes in one email per pass


def message_kind(entry_kind: str, via: str = "slack") -> str:
    return EMAIL_KIND if via == "email" else MESSAGE_KIND.get(entry_kind, "reminder")


def recipient_key(message: ReminderMessage) -> str:
    """As ``PlannedReminder.recipient_key``: the Slack user id, or ``email:<person id>``."""
    return f"email:{message.person_id}" if message.via == "email" else message.slack_user_id


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, ... minutes, capped at an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def render(
    kind: str, items: list[dict[str, Any]], message_id: int | None, answered: dict[int, str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    if kind == "escalation":
        return escalation_message(items, reminder_message_id=message_id)
    return reminder_message(items, reminder_message_id=message_id, answered=answered)


def group_items(planned: list[PlannedReminder]) -> dict[tuple[str, str], list[PlannedReminder]]:
    """(recipient key, message kind) -> reminders; one Slack message (or one email) each."""
    groups: dict[tuple[str, str], list[PlannedReminder]] = {}
    for p in planned:
        groups.setdefault((p.recipient_key, message_kind(p.kind, p.via)), []).append(p)
    return groups


def unique_items(rows: list[PlannedReminder]) -> list[dict[str, Any]]:
    """One entry per action: a deputy covering two of its leads, or a milestone due alongside the final
    date, becomes one line (the extra reasons ride along in ``also``)."""
    seen: dict[int, dict[str, Any]] = {}
    for p in rows:
        item = seen.get(p.action_id)
        if item is None:
            seen[p.action_id] = dict(p.item)
            continue
        reason = {k: p.item.get(k) for k in ("kind", "due", "days", "family", "recurrence", "meeting")}
        first = {k: item.get(k) for k in reason}
        if reason != first and reason not in item.setdefault("also", []):
            item["also"].append(reason)
    return list(seen.values())


@dataclass
class SyncResult:
    message_ids: list[int] = field(default_factory=list)
    new_entries: int = 0
    skipped_entries: int = 0


def sync_ledger(
    session: Session, planned: list[PlannedReminder], now: dt.datetime, *, kinds: tuple[str, ...]
) -> SyncResult:
    """Bring the ledger in line with ``planned`` (reminders of ``kinds``); return messages to send."""
    result = SyncResult()
    current = {p.key: p for p in planned}
    entries = _new_entries(session, planned, now)
    result.new_entries = len(entries)
    existing_keys = [p.key for p in planned if p.status is not None]
    for entry in _entries_for(session, existing_keys):
        entries[_key(entry)] = entry
    for entry in session.scalars(
        select(ReminderEntry).where(ReminderEntry.status == "pending", ReminderEntry.kind.in_(kinds))
    ):
        if _key(entry) not in current:
            entry.status, entry.message_id = "skipped", None
            result.skipped_entries += 1
    session.flush()

    pending_messages = _pending_messages(session, kinds)

    sendable: list[PlannedReminder] = []
    for key, p in current.items():
        entry = entries[key]
        if entry.status == "skipped":
            entry.status = "pending"  # current again (e.g. the lead is back from leave): never sent yet
        if entry.status != "pending":
            continue
        if p.sendable:
            sendable.append(p)
        else:
            entry.message_id = None  # waits for the recipient's window; don't ride along with others
    groups = group_items(sendable)

    for (uid, kind), message in pending_messages.items():
        if (uid, kind) not in groups:
            message.status = "cancelled"  # nothing current left in it (answered, superseded, window shut)
    created: dict[tuple[str, str], ReminderMessage] = {}
    for (uid, kind), rows in groups.items():
        if (uid, kind) not in pending_messages:
            created[(uid, kind)] = _new_message(rows[0], kind, now)
    session.add_all(created.values())
    session.flush()  # one flush for every new message: their ids go into the Update buttons
    for (uid, kind), rows in groups.items():
        message = pending_messages.get((uid, kind)) or created[(uid, kind)]
        for p in rows:
            entries[p.key].message_id = message.id
        message.payload = _payload(kind, unique_items(rows), message.id, rows[0].recipient_tz)
        if message.next_attempt_at is None or message.next_attempt_at <= now:
            result.message_ids.append(message.id)
    session.flush()
    return result


def _new_entries(
    session: Session, planned: list[PlannedReminder], now: dt.datetime
) -> dict[tuple, ReminderEntry]:
    """A pending ledger row for every planned reminder not written yet."""
    entries = {
        p.key: ReminderEntry(
            action_id=p.action_id,
            person_id=p.person_id,
            due_date=p.due_date,
            kind=p.kind,
            step=p.step,
            status="pending",
            created_at=now,
        )
        for p in planned
        if p.status is None
    }
    session.add_all(entries.values())
    return entries


def _pending_messages(session: Session, kinds: tuple[str, ...]) -> dict[tuple[str, str], ReminderMessage]:
    """(recipient key, message kind) -> the pending message, for the message kinds ``kinds`` go in."""
    # Escalations go to board members in Slack; every other kind may also go by email.
    message_kinds = {message_kind(k) for k in kinds} | {EMAIL_KIND for k in kinds if k not in MESSAGE_KIND}
    rows = session.scalars(
        select(ReminderMessage).where(
            ReminderMessage.status == "pending", ReminderMessage.kind.in_(sorted(message_kinds))
        )
    )
    return {(recipient_key(m), m.kind): m for m in rows}


def _new_message(first: PlannedReminder, kind: str, now: dt.datetime) -> ReminderMessage:
    return ReminderMessage(
        person_id=first.recipient_person_id,
        slack_user_id=first.recipient_uid if first.via == "slack" else "",
        via=first.via,
        kind=kind,
        status="pending",
        attempts=0,
        created_at=now,
        payload={},
    )


def _payload(kind: str, items: list[dict[str, Any]], message_id: int, tz: str) -> dict[str, Any]:
    if kind == EMAIL_KIND:  # rendered as it is sent, with a fresh link (mail.outbox)
        return {"items": items, "tz": tz}
    text, blocks = render(kind, items, message_id)
    return {"text": text, "blocks": blocks, "items": items, "tz": tz}


def _key(entry: ReminderEntry) -> tuple:
    return (entry.action_id, entry.person_id, entry.due_date, entry.kind, entry.step)


def _entries_for(session: Session, keys: list[tuple]) -> list[ReminderEntry]:
    from sqlalchemy import tuple_

    out: list[ReminderEntry] = []
    triples = sorted({k[:3] for k in keys})
    wanted = set(keys)
    for start in range(0, len(triples), 400):
        rows = session.scalars(
            select(ReminderEntry).where(
                tuple_(ReminderEntry.action_id, ReminderEntry.person_id, ReminderEntry.due_date).in_(
                    triples[start : start + 400]
                )
            )
        )
        out.extend(e for e in rows if _key(e) in wanted)
    return out


@dataclass
class SendStats:
    sent: int = 0
    failed: int = 0
    deferred: int = 0


IN_FLIGHT_BATCH = 20
METADATA_TYPE = "progressbot_reminder"


def _mark(session: Session, message_id: int, ts: str | None, channel: str | None, now: dt.datetime) -> None:
    message = session.get(ReminderMessage, message_id)
    assert message is not None
    message.status, message.ts, message.channel = "sent", ts, channel
    message.sent_at, message.last_error, message.next_attempt_at = now, None, None
    message.attempts += 1
    for entry in message.entries:
        if entry.status == "pending":
            entry.status, entry.sent_at = "sent", now


def send_messages(
    factory: sessionmaker[Session],
    sender: Sender,
    message_ids: list[int],
    now: dt.datetime,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> SendStats:
    """Post each pending message and record the outcome in its own transaction.

    Messages are flagged "sending" a batch at a time before they are posted, so a process killed
    mid-batch leaves evidence: the next pass asks Slack (``resolve_in_doubt``) instead of guessing.
    """
    stats = SendStats()
    # Read every payload up front: the single-runner guard means nothing else changes these rows now.
    outbox: dict[int, tuple[str, dict[str, Any]]] = {}
    with factory() as session:
        for start in range(0, len(message_ids), 500):
            for message in session.scalars(
                select(ReminderMessage).where(
                    ReminderMessage.id.in_(message_ids[start : start + 500]),
                    ReminderMessage.status == "pending",
                    ReminderMessage.via == "slack",
                )
            ):
                outbox[message.id] = (message.slack_user_id, dict(message.payload or {}))
    ids = [i for i in message_ids if i in outbox]  # sent or cancelled already: never post twice
    done = 0
    for start in range(0, len(ids), IN_FLIGHT_BATCH):
        batch = ids[start : start + IN_FLIGHT_BATCH]
        with factory.begin() as session:
            session.execute(
                update(ReminderMessage)
                .where(ReminderMessage.id.in_(batch))
                .values(status="sending", last_error=None)
            )
        for message_id in batch:
            channel, payload = outbox[message_id]
            result = sender.post(
                channel,
                payload.get("text", ""),
                payload.get("blocks", []),
                metadata={"event_type": METADATA_TYPE, "event_payload": {"reminder_message_id": message_id}},
            )
            with factory.begin() as session:
                if result.ok:
                    _mark(session, message_id, result.ts, result.channel, now)
                    stats.sent += 1
                else:
                    _record_failure(session, message_id, result.error, result.retryable, now, stats, channel)
            done += 1
            if on_progress is not None:
                on_progress(done)
    return stats


def _record_failure(
    session: Session,
    message_id: int,
    error: str | None,
    retryable: bool,
    now: dt.datetime,
    stats: SendStats,
    channel: str,
) -> None:
    message = session.get(ReminderMessage, message_id)
    assert message is not None
    message.attempts += 1
    message.last_error = error
    if retryable and message.attempts < MAX_ATTEMPTS:
        message.status, message.next_attempt_at = "pending", now + backoff(message.attempts)
        stats.deferred += 1
        return
    message.status = "failed"
    for entry in message.entries:
        if entry.status == "pending":
            entry.status = "failed"
    stats.failed += 1
    log.error("reminder message %s to %s failed for good: %s", message_id, channel, error)


def resolve_in_doubt(factory: sessionmaker[Session], client: Any, now: dt.datetime) -> tuple[int, int]:
    """Settle messages a killed pass left "sending": (found in Slack and marked sent, put back to pending).

    Each reminder carries its id in message metadata, so the DM's recent history says whether Slack
    accepted it. If Slack can't be asked, the message goes back to pending: a rare repeat beats a loss.
    """
    with factory() as session:
        doubtful = [
            (m.id, m.slack_user_id, m.created_at)
            for m in session.scalars(
                select(ReminderMessage).where(
                    ReminderMessage.status == "sending", ReminderMessage.via == "slack"
                )
            )
        ]
    confirmed = requeued = 0
    for message_id, uid, created_at in doubtful:
        found = _find_delivered(client, uid, message_id, created_at)
        with factory.begin() as session:
            if found is not None:
                _mark(session, message_id, found[0], found[1], now)
                confirmed += 1
            else:
                message = session.get(ReminderMessage, message_id)
                assert message is not None
                message.status = "pending"
                requeued += 1
    if doubtful:
        log.warning("in-doubt reminder messages: %s already delivered, %s requeued", confirmed, requeued)
    return confirmed, requeued


def _find_delivered(client: Any, uid: str, message_id: int, since: dt.datetime) -> tuple[str, str] | None:
    from slack_sdk.errors import SlackApiError, SlackClientError

    try:
        channel = client.conversations_open(users=uid)["channel"]["id"]
        history = client.conversations_history(
            channel=channel, oldest=f"{since.timestamp() - 60:.6f}", limit=200, include_all_metadata=True
        )
    except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
        log.warning("cannot check whether reminder %s reached %s: %s", message_id, uid, exc)
        return None
    for message in history.get("messages") or []:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == METADATA_TYPE and payload.get("reminder_message_id") == message_id:
            return message["ts"], channel
    return None
