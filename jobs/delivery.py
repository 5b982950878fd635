"""Sending a pass's ledger messages exactly once.

- **Claims are conditional and tied to the pass.** A batch is claimed with ``UPDATE … SET
  status='sending', claimed_by=<this pass's lease holder>, claimed_at=<database clock> WHERE id IN (…)
  AND status='pending'``; only the rows that came back claimed by this pass are posted. Another pass can
  never post a message this one claimed, nor the other way round.
- **The lease is checked right before every post** (``Sender.guard``): a pass that stalled past its lease
  and was taken over stops before posting again, and gives back the claims it had not posted.
- **Retries within the pass.** A retryable failure (5xx, a timeout, a dropped connection) is retried
  after the other messages were sent, ``Sender.retries`` rounds, so a blip at the start of a pass does
  not leave a lead for the next pass. A failure that may have reached Slack is looked for in Slack before
  it is posted again. What still fails waits for a later pass with backoff (1, 2, 4 … minutes, up to an
  hour, 12 passes at most).
- **The pass stops** on a token or permission error, when Slack keeps rate limiting, or when several
  sends in a row fail (Slack is down): everything not sent stays pending with no attempt counted.
- **In-doubt recovery** (``resolve_in_doubt``) settles messages left "sending" by a pass that is dead
  (its lease expired or was released): found in Slack means sent, else pending again. A live pass's
  claims are never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from jobs.lease import Lease, LeaseLost, database_now, live_holders
from jobs.sender import Sender, SendResult, classify
from storage.models import ReminderEntry, ReminderMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_CAP = dt.timedelta(hours=1)
IN_FLIGHT_BATCH = 20
OUTAGE_AFTER = 8  # retryable failures in a row with no success: Slack is down, stop the pass
METADATA_TYPE = "progressbot_reminder"
# Where to look for a message in Slack: from a little before the earlier of its claim (the database's
# clock) and its creation (the pass's `now`, which a replay or a test may move), newest first, at most
# HISTORY_PAGES pages of 200, so a busy channel is searched back to the claim.
HISTORY_MARGIN = dt.timedelta(minutes=10)
HISTORY_PAGES = 5


class PassStopped(Exception):
    """Nothing more can be sent in this pass; ``reason`` is Slack's error or ``lease_lost``."""

    def __init__(self, reason: str, hint: str, *, needs_fixing: bool) -> None:
        super().__init__(hint)
        self.reason, self.hint, self.needs_fixing = reason, hint, needs_fixing


@dataclass
class SendStats:
    sent: int = 0
    failed: int = 0
    deferred: int = 0  # failed retryably in every round: a later pass tries again
    retried: int = 0  # sent on a retry round of this pass
    left: int = 0  # not sent because the pass stopped; still pending
    stopped: str | None = None  # why the pass stopped early
    hint: str | None = None  # what to do about it
    needs_fixing: bool = False  # a person must fix something (token, scopes) before reminders resume
    paused: int = 0  # 429s: each paused the whole pass for its Retry-After
    paused_seconds: float = 0.0
    sent_ids: list[int] = field(default_factory=list)


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, ... minutes, capped at an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def mark_sent(
    session: Session, message_id: int, ts: str | None, channel: str | None, now: dt.datetime
) -> None:
    """The message and its pending ledger rows are sent (two statements: this runs once per message)."""
    session.execute(
        update(ReminderMessage)
        .where(ReminderMessage.id == message_id)
        .values(
            status="sent",
            ts=ts,
            channel=channel,
            sent_at=now,
            last_error=None,
            next_attempt_at=None,
            attempts=ReminderMessage.attempts + 1,
        )
    )
    session.execute(
        update(ReminderEntry)
        .where(ReminderEntry.message_id == message_id, ReminderEntry.status == "pending")
        .values(status="sent", sent_at=now)
    )


def _mine(message_id: int, holder: str | None):
    claimed = ReminderMessage.claimed_by == holder if holder else ReminderMessage.claimed_by.is_(None)
    return (ReminderMessage.id == message_id) & (ReminderMessage.status == "sending") & claimed


@dataclass
class _Retry:
    message_id: int
    in_doubt: bool
    error: str | None


class Delivery:
    """One pass's sending: claim, post, record; retry rounds; stop cleanly."""

    def __init__(self, factory: sessionmaker[Session], sender: Sender, lease: Lease, now: dt.datetime):
        self.factory, self.sender, self.lease, self.now = factory, sender, lease, now
        self.stats = SendStats()
        self._unposted: list[int] = []  # claimed by this pass, not posted yet
        self._failed: dict[int, _Retry] = {}  # failed retryably this pass and not sent since
        self._failures_in_a_row = 0

    def run(self, message_ids: list[int]) -> SendStats:
        ids = list(dict.fromkeys(message_ids))
        self.lease.clock = self.sender.pacer.clock  # one monotonic clock for the pass
        self.sender.guard = self.lease.ensure_held
        holds, held = self.sender.pacer.holds, self.sender.pacer.held_seconds
        try:
            self._round(ids)
            for round_number in range(self.sender.retries):
                if not self._failed:
                    break
                self.sender.wait_before_retry(round_number)
                sent_before = self.stats.sent
                self._round(self._settle(list(self._failed.values())))
                self.stats.retried += self.stats.sent - sent_before
            self._defer(may_fail=True)
        except (PassStopped, LeaseLost) as exc:
            self._stop(exc)
            self.stats.left = max(len(ids) - self.stats.sent - self.stats.failed - self.stats.deferred, 0)
        finally:
            self.sender.guard = None
            self.stats.paused = self.sender.pacer.holds - holds
            self.stats.paused_seconds = self.sender.pacer.held_seconds - held
        return self.stats

    # ------------------------------------------------------------------ one round
    def _round(self, ids: list[int]) -> None:
        for start in range(0, len(ids), IN_FLIGHT_BATCH):
            claimed = self._claim(ids[start : start + IN_FLIGHT_BATCH])
            self._unposted = list(claimed)
            for message_id, (target, payload) in claimed.items():
                result = self.sender.post(
                    target,
                    payload.get("text", ""),
                    payload.get("blocks", []),
                    metadata={
                        "event_type": METADATA_TYPE,
                        "event_payload": {"reminder_message_id": message_id},
                    },
                )
                self._unposted.remove(message_id)
                self._record(message_id, target, result)

    def _claim(self, batch: list[int]) -> dict[int, tuple[str, dict[str, Any]]]:
        holder = self.lease.holder
        with self.factory.begin() as session:
            claimed_at = database_now(session)
            count = session.execute(
                update(ReminderMessage)
                .where(
                    ReminderMessage.id.in_(batch),
                    ReminderMessage.status == "pending",
                    ReminderMessage.via == "slack",  # email has its own sender (mail.outbox)
                )
                .values(status="sending", claimed_by=holder, claimed_at=claimed_at)
            ).rowcount
            if count < len(batch):
                log.info(
                    "%s of %s messages were no longer pending: left to whoever holds them",
                    len(batch) - count,
                    len(batch),
                )
            rows = session.execute(
                select(ReminderMessage.id, ReminderMessage.slack_user_id, ReminderMessage.payload).where(
                    ReminderMessage.id.in_(batch),
                    ReminderMessage.status == "sending",
                    ReminderMessage.claimed_by == holder,
                )
            ).all()
        # Read back by holder: exactly the rows this UPDATE claimed (this pass's earlier claims in the
        # batch were all settled before the next round), in batch order.
        if len(rows) != count:
            log.error("claimed %s messages but hold %s: posting only those this pass holds", count, len(rows))
        found = {row.id: (row.slack_user_id, dict(row.payload or {})) for row in rows}
        return {i: found[i] for i in batch if i in found}

    def _record(self, message_id: int, target: str, result: SendResult) -> None:
        if result.ok:
            self._sent(message_id, result.ts, result.channel)
            return
        if result.stop:
            self._release([message_id])  # Slack refused it outright: it was not delivered
            raise PassStopped(
                result.error or "stopped", result.hint or "", needs_fixing=result.error != "ratelimited"
            )
        if result.retryable:
            self._retry_later(message_id, target, result)
            return
        with self.factory.begin() as session:
            message = session.get(ReminderMessage, message_id)
            assert message is not None
            _fail(message, result.error)
        self._failed.pop(message_id, None)
        self.stats.failed += 1
        log.error("message %s to %s failed for good: %s", message_id, target, result.error)

    def _sent(self, message_id: int, ts: str | None, channel: str | None) -> None:
        with self.factory.begin() as session:
            mark_sent(session, message_id, ts, channel, self.now)
        self.stats.sent += 1
        self.stats.sent_ids.append(message_id)
        self._failed.pop(message_id, None)
        self._failures_in_a_row = 0

    def _retry_later(self, message_id: int, target: str, result: SendResult) -> None:
        with self.factory.begin() as session:
            values: dict[str, Any] = {"last_error": result.error}
            if not result.in_doubt:
                values.update(status="pending", claimed_by=None)  # it never reached Slack
            session.execute(
                update(ReminderMessage).where(_mine(message_id, self.lease.holder)).values(**values)
            )
        self._failed[message_id] = _Retry(message_id, result.in_doubt, result.error)
        log.warning(
            "message %s to %s failed (%s); retrying after the others", message_id, target, result.error
        )
        self._failures_in_a_row += 1
        if self._failures_in_a_row >= OUTAGE_AFTER:
            raise PassStopped(
                result.error or "unavailable",
                f"Slack failed {self._failures_in_a_row} sends in a row ({result.error}); "
                "the rest is left pending for the next pass",
                needs_fixing=False,
            )

    # ------------------------------------------------------------------ between rounds, and after
    def _settle(self, failed: list[_Retry]) -> list[int]:
        """Before posting again: a send that may have reached Slack is looked for there first."""
        again = []
        for item in failed:
            if not item.in_doubt:
                again.append(item.message_id)
                continue
            found = _look_up(self.factory, self.sender.client, item.message_id)
            if found is not None:
                self._sent(item.message_id, *found)
                continue
            with self.factory.begin() as session:
                session.execute(
                    update(ReminderMessage)
                    .where(_mine(item.message_id, self.lease.holder))
                    .values(status="pending", claimed_by=None)
                )
            item.in_doubt = False
            again.append(item.message_id)
        return again

    def _defer(self, *, may_fail: bool) -> None:
        """Leave what still failed for a later pass, with backoff; one in doubt is looked for first there."""
        for item in self._failed.values():
            with self.factory.begin() as session:
                message = session.get(ReminderMessage, item.message_id)
                mine = message is not None and message.claimed_by in (None, self.lease.holder)
                if message is None or not mine or message.status not in ("pending", "sending"):
                    continue
                message.attempts += 1
                message.last_error = item.error
                message.claimed_by = (
                    None  # still "sending" if in doubt: no live claim, so the next pass checks
                )
                if may_fail and message.attempts >= MAX_ATTEMPTS:
                    _fail(message, item.error)
                    self.stats.failed += 1
                    continue
                message.next_attempt_at = self.now + backoff(message.attempts)
            self.stats.deferred += 1
        self._failed.clear()

    def _release(self, ids: list[int]) -> None:
        """Give back claims this pass never posted: pending again, no attempt counted."""
        if not ids:
            return
        with self.factory.begin() as session:
            session.execute(
                update(ReminderMessage)
                .where(
                    ReminderMessage.id.in_(ids),
                    ReminderMessage.status == "sending",
                    ReminderMessage.claimed_by == self.lease.holder,
                )
                .values(status="pending", claimed_by=None)
            )

    def _stop(self, exc: PassStopped | LeaseLost) -> None:
        self._release(self._unposted)
        self._unposted = []
        self._defer(may_fail=False)  # a stop never fails a message for good
        if isinstance(exc, LeaseLost):
            self.stats.stopped, self.stats.hint = "lease_lost", str(exc)
        else:
            self.stats.stopped, self.stats.hint = exc.reason, exc.hint
            self.stats.needs_fixing = exc.needs_fixing
        log.error("pass stopped (%s): %s", self.stats.stopped, self.stats.hint)


def _fail(message: ReminderMessage, error: str | None) -> None:
    message.status, message.last_error, message.claimed_by = "failed", error, None
    for entry in message.entries:
        if entry.status == "pending":
            entry.status = "failed"


def deliver(
    factory: sessionmaker[Session], sender: Sender, lease: Lease, message_ids: list[int], now: dt.datetime
) -> SendStats:
    """Post each message once, under ``lease``; see the module docstring."""
    return Delivery(factory, sender, lease, now).run(message_ids)


# ---------------------------------------------------------------------- in-doubt recovery


def resolve_in_doubt(
    factory: sessionmaker[Session], client: Any, now: dt.datetime, *, kinds: tuple[str, ...]
) -> tuple[int, int]:
    """Settle messages of ``kinds`` a dead pass left "sending": (found in Slack and marked sent, pending again).

    A message claimed by a live pass (its holder's lease is current by the database's clock) is left
    alone. If Slack can't be asked, the message goes back to pending: a rare repeat beats a loss. A token
    error stops this (``PassStopped``) and leaves the messages in doubt for the next pass to check.
    """
    with factory() as session:
        sending = session.execute(
            select(ReminderMessage.id, ReminderMessage.claimed_by).where(
                ReminderMessage.status == "sending",
                ReminderMessage.kind.in_(kinds),
                ReminderMessage.via == "slack",
            )
        ).all()
        live = live_holders(session) if sending else set()
        doubtful = [(i, holder) for i, holder in sending if holder is None or holder not in live]
    confirmed = requeued = 0
    for message_id, holder in doubtful:
        found = _look_up(factory, client, message_id)
        with factory.begin() as session:
            message = session.scalars(select(ReminderMessage).where(_mine(message_id, holder))).first()
            if message is None:
                continue  # settled meanwhile
            if found is not None:
                mark_sent(session, message_id, found[0], found[1], now)
                confirmed += 1
            else:
                message.status, message.claimed_by = "pending", None
                requeued += 1
    if doubtful:
        log.warning("in-doubt messages: %s already delivered, %s pending again", confirmed, requeued)
    return confirmed, requeued


def history_since(
    client: Any, channel: str, *times: dt.datetime | None, metadata: bool = False
) -> list[dict]:
    """The channel's messages since a little before the earliest of ``times``, newest first."""
    known = [t for t in times if t is not None]
    kwargs: dict[str, Any] = {"channel": channel, "limit": 200}
    if known:
        kwargs["oldest"] = f"{(min(known) - HISTORY_MARGIN).timestamp():.6f}"
    if metadata:
        kwargs["include_all_metadata"] = True
    messages: list[dict] = []
    for _ in range(HISTORY_PAGES):
        page = client.conversations_history(**kwargs)
        messages.extend(page.get("messages") or [])
        cursor = ((page.get("response_metadata") or {}).get("next_cursor")) if page.get("has_more") else None
        if not cursor:
            break
        kwargs["cursor"] = cursor
    return messages


def _look_up(factory: sessionmaker[Session], client: Any, message_id: int) -> tuple[str, str] | None:
    with factory() as session:
        message = session.get(ReminderMessage, message_id)
        assert message is not None
        target, kind, times = message.slack_user_id, message.kind, (message.claimed_at, message.created_at)
    return find_delivered(client, target, message_id, *times, is_channel=kind == "digest")


def find_delivered(
    client: Any, target: str, message_id: int, *times: dt.datetime | None, is_channel: bool = False
) -> tuple[str, str] | None:
    """(ts, channel) of the message carrying ``message_id`` in its metadata, or None if not found (or
    Slack can't say)."""
    try:
        channel = target if is_channel else client.conversations_open(users=target)["channel"]["id"]
        history = history_since(client, channel, *times, metadata=True)
    except SlackApiError as exc:
        result = classify(exc)
        if result.error == "missing_scope":
            # Without im:history the check can't be made; re-sending beats losing the reminder.
            needed = (getattr(exc.response, "data", None) or {}).get("needed") or "im:history"
            log.warning(
                "cannot check whether message %s reached %s: add the %s scope", message_id, target, needed
            )
            return None
        if result.stop and result.error != "ratelimited":
            raise PassStopped(result.error or "stopped", result.hint or "", needs_fixing=True) from None
        log.warning("cannot check whether message %s reached %s: %s", message_id, target, result.error)
        return None
    except (SlackClientError, OSError, KeyError) as exc:
        log.warning("cannot check whether message %s reached %s: %s", message_id, target, exc)
        return None
    for message in history:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == METADATA_TYPE and payload.get("reminder_message_id") == message_id:
            return message["ts"], channel
    return None
