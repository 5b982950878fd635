"""The exactly-once ledger: planned reminders become ledger rows and grouped messages, then get sent.

1. ``sync_ledger`` (one transaction): write a pending row for every new current reminder, revive a
   skipped row that is current again, mark pending rows that are no longer current as skipped (a stale
   before-due step replaced by the overdue chase, an answered reminder, a plan switched off), and
   group each recipient's sendable pending rows into one pending ``ReminderMessage`` whose payload is
   rendered now (the Update buttons need the message id).
2. ``jobs.delivery.deliver`` (Slack) or ``mail.outbox`` (email): claim, send and mark each message.

A pass killed between 1 and 2, or half-way through 2, resumes on the next pass: sent rows are never
sent again and pending rows are picked up; a Slack message left "sending" is looked for in Slack first.
A message a pass or the web process has claimed ("sending") is in flight: its rows are left as they are.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.planner import PlannedReminder
from slackviews.reminders import escalation_message, reminder_message
from storage.models import ReminderEntry, ReminderMessage

log = logging.getLogger(__name__)

MESSAGE_KIND = {"escalation": "escalation"}  # every other entry kind goes in a "reminder" message
EMAIL_KIND = "email"  # by email, everything due for a lead goes in one email per pass


def message_kind(entry_kind: str, via: str = "slack") -> str:
    return EMAIL_KIND if via == "email" else MESSAGE_KIND.get(entry_kind, "reminder")


def recipient_key(message: ReminderMessage) -> str:
    """As ``PlannedReminder.recipient_key``: the Slack user id, or ``email:<person id>``."""
    return f"email:{message.person_id}" if message.via == "email" else message.slack_user_id


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
    # Messages a pass (or the web process) has claimed are in flight: their rows are left as they are.
    in_flight = set(session.scalars(select(ReminderMessage.id).where(ReminderMessage.status == "sending")))
    for entry in session.scalars(
        select(ReminderEntry).where(ReminderEntry.status == "pending", ReminderEntry.kind.in_(kinds))
    ):
        if _key(entry) not in current and entry.message_id not in in_flight:
            entry.status, entry.message_id = "skipped", None
            result.skipped_entries += 1
    session.flush()

    pending_messages = _pending_messages(session, kinds)

    groups = group_items(_sendable(current, entries, in_flight))

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


def _sendable(
    current: dict[tuple, PlannedReminder], entries: dict[tuple, ReminderEntry], in_flight: set[int]
) -> list[PlannedReminder]:
    """The current reminders whose rows are pending and whose recipient may be sent to now."""
    sendable: list[PlannedReminder] = []
    for key, p in current.items():
        entry = entries[key]
        if entry.message_id is not None and entry.message_id in in_flight:
            continue  # being sent by whoever claimed it: never regroup it into a second message
        if entry.status == "skipped":
            entry.status = "pending"  # current again (e.g. the lead is back from leave): never sent yet
        if entry.status != "pending":
            continue
        if p.sendable:
            sendable.append(p)
        else:
            entry.message_id = None  # waits for the recipient's window; don't ride along with others
    return sendable


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
