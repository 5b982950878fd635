"""The reminder pass: plan, write the ledger, send; plus re-rendering a reminder once it is answered.

``run_reminder_pass(session_factory, client, now)`` is what the worker's job, ``progressbot remind`` and
the tests call. It is idempotent: run it twice at the same ``now`` and the second run sends nothing.
``now`` is the business moment the pass plans for; which pass may send is decided by the lease, on
the database's clock (``jobs.lease``), and each message is claimed before it is posted
(``jobs.delivery``), so overlapping passes never send a reminder twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from jobs.board import plan_board_round
from jobs.board_pass import (
    UNREACHED_KIND,
    PublicationStats,
    admin_notes_to_retry,
    board_previews,
    queue_unreached_notes,
    run_publication,
)
from jobs.delivery import PassStopped, SendStats, deliver, resolve_in_doubt
from jobs.digest import iso_week
from jobs.escalation import plan_escalations
from jobs.lease import LeaseLost, single_runner
from jobs.ledger import group_items, render, sync_ledger, unique_items
from jobs.planner import REMINDER_KINDS, PlannerConfig, plan_reminders, unlinked_leads
from jobs.sender import Pacer, Sender
from jobs.state import PassSnapshot, load_snapshot
from mail.outbox import EmailChannel, due_email_ids, requeue_dead_claims
from slackviews.reminders import unlinked_message
from storage.calendar import local_today, may_send_now, zone
from storage.meetings import BOARD_KINDS
from storage.models import DigestPost, ReminderMessage, Role, Update
from storage.policy import Policy

log = logging.getLogger(__name__)

LOCK_NAME = "progressbot-sender"
# The Slack messages a reminder pass sends (the digest has its own pass and lease).
PASS_KINDS = ("reminder", "escalation", "unlinked", UNREACHED_KIND)
EMAIL_OUTAGE_AFTER = 3  # emails in a row the SMTP server would not take: stop emailing for this pass


@dataclass
class PassResult:
    ran: bool = True  # False when another worker held the guard
    planned: int = 0
    new_entries: int = 0
    skipped_entries: int = 0
    messages: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    left: int = 0  # not sent because the pass stopped early; still pending
    paused: int = 0  # Slack's 429s; each paused the whole pass for its Retry-After
    paused_seconds: float = 0.0
    stopped: str | None = None  # why the pass stopped early (Slack's error, or "lease_lost")
    hint: str | None = None  # what to do about it, in one line
    needs_fixing: bool = False  # a token or permission problem: nothing is sent until someone fixes it
    previews: list[dict[str, Any]] = field(default_factory=list)  # dry run: what would be sent
    board: PublicationStats = field(default_factory=PublicationStats)  # board packs (jobs.board_pass)
    emails: int = 0  # of ``sent``, how many went by email

    def summary(self) -> str:
        if not self.ran:
            return "skipped: another pass holds the lease and is sending"
        packs = (
            f" packs_published={self.board.published} packs_sent={self.board.sent}"
            if self.board.published or self.board.sent or self.board.deferred or self.board.failed
            else ""
        )
        line = (
            f"planned={self.planned} new={self.new_entries} superseded={self.skipped_entries} "
            f"messages={self.messages} sent={self.sent} deferred={self.deferred} failed={self.failed} "
            f"emails={self.emails}{packs}"
        )
        if self.paused:
            line += f" rate_limited={self.paused} ({self.paused_seconds:.0f} s paused)"
        if self.stopped:
            line += f" stopped={self.stopped} left={self.left}"
        return line

    def take(self, stats: SendStats) -> None:
        self.sent, self.deferred, self.failed, self.left = (
            stats.sent,
            stats.deferred,
            stats.failed,
            stats.left,
        )
        self.stopped, self.hint, self.needs_fixing = stats.stopped, stats.hint, stats.needs_fixing
        self.paused, self.paused_seconds = stats.paused, stats.paused_seconds

    def stop_with(self, stop: PassStopped | LeaseLost) -> None:
        if isinstance(stop, LeaseLost):
            self.stopped, self.hint = "lease_lost", str(stop)
        else:
            self.stopped, self.hint, self.needs_fixing = stop.reason, stop.hint, stop.needs_fixing


def run_reminder_pass(
    session_factory: sessionmaker[Session],
    client: Any,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    config: PlannerConfig | None = None,
    rate: float = 1.0,
    sender: Sender | None = None,
    email: EmailChannel | None = None,
) -> PassResult:
    """One pass: reminders, escalations and the weekly unlinked-leads notice, each sent at most once.

    With ``email`` (and ``config.email``), leads outside Slack get the same reminders by email, and
    emails the web process could not send (form confirmations, new links) are sent too."""
    config = config or PlannerConfig()
    if dry_run:
        return preview(session_factory, now, config=config)
    sender = sender or Sender(client, pacer=Pacer(rate))
    result = PassResult()
    with single_runner(session_factory, LOCK_NAME) as lease:
        if lease is None:
            log.info("reminder pass at %s: %s", now.isoformat(), PassResult(ran=False).summary())
            return PassResult(ran=False)
        try:
            resolve_in_doubt(session_factory, sender.client, now, kinds=PASS_KINDS)
        except PassStopped as stop:
            result.stop_with(stop)
            log.error("reminder pass at %s stopped: %s", now.isoformat(), stop.hint)
            return result
        with session_factory.begin() as session:
            # The ledger writes in between touch neither plans nor updates, so one snapshot serves all three.
            snapshot = load_snapshot(session, now)
            # The board round's calls and chases first: a lead's due-date reminders merge into them.
            board = plan_board_round(session, now, config=config, snapshot=snapshot)
            planned = board.planned + plan_reminders(session, now, config=config, snapshot=snapshot)
            sync = sync_ledger(session, planned, now, kinds=REMINDER_KINDS + BOARD_KINDS)
            escalations = plan_escalations(session, now, config=config, snapshot=snapshot)
            esc = sync_ledger(session, escalations, now, kinds=("escalation",))
            unlinked_ids = _queue_unlinked_notice(session, now, config, snapshot)
            unlinked_ids += admin_notes_to_retry(session, now) + queue_unreached_notes(
                session, now, board, config
            )
        result.planned = len(planned) + len(escalations)
        result.new_entries = sync.new_entries + esc.new_entries
        result.skipped_entries = sync.skipped_entries + esc.skipped_entries
        ids = sync.message_ids + esc.message_ids + unlinked_ids
        result.messages = len(ids)
        result.take(deliver(session_factory, sender, lease, ids, now))
        try:
            if email is not None and result.stopped != "lease_lost":
                # Email needs nothing from Slack: leads outside Slack are emailed whatever Slack said.
                _send_email(session_factory, email, lease, now, result)
            if not result.stopped:
                result.board = run_publication(session_factory, sender, lease, now, board, config)
        except (PassStopped, LeaseLost) as stop:
            result.stop_with(stop)
    if result.stopped:
        log.error("reminder pass at %s: %s (%s)", now.isoformat(), result.summary(), result.hint)
    else:
        log.info("reminder pass at %s: %s", now.isoformat(), result.summary())
    return result


def _send_email(
    factory: sessionmaker[Session], email: EmailChannel, lease: Any, now: dt.datetime, result: PassResult
) -> None:
    """Every email due now: this pass's reminders and anything the web process left pending.

    Emailing stops for the pass on a fault in our settings, or after ``EMAIL_OUTAGE_AFTER`` messages in a
    row could not get through (the server is down): the rest stay pending, with no attempt counted."""
    requeue_dead_claims(factory, now)
    with factory() as session:
        ids = due_email_ids(session, now)
    in_a_row = 0
    for done, message_id in enumerate(ids, start=1):
        lease.ensure_held()  # a pass that lost its lease stops before it sends again
        outcome = email.deliver(factory, message_id, now)
        if outcome is None:
            continue  # the web process is sending it
        in_a_row = in_a_row + 1 if outcome.outcome == "retry" else 0
        if outcome.ok:
            result.sent += 1
            result.emails += 1
        elif outcome.outcome == "retry":
            result.deferred += 1
        elif outcome.outcome != "config":
            result.failed += 1
        if outcome.outcome == "config" or in_a_row >= EMAIL_OUTAGE_AFTER:
            log.error("email stopped for this pass, %s left pending: %s", len(ids) - done, outcome.error)
            return


def preview(
    session_factory: sessionmaker[Session], now: dt.datetime, *, config: PlannerConfig | None = None
) -> PassResult:
    """What a pass would send at ``now``, rendered, without writing anything."""
    config = config or PlannerConfig()
    result = PassResult()
    with session_factory() as session:
        snapshot = load_snapshot(session, now)
        board = plan_board_round(session, now, config=config, snapshot=snapshot)
        planned = (
            board.planned
            + plan_reminders(session, now, config=config, snapshot=snapshot)
            + plan_escalations(session, now, config=config, snapshot=snapshot)
        )
        due = [p for p in planned if p.sendable and p.status in (None, "pending", "skipped")]
        result.planned = len(planned)
        for (uid, kind), rows in group_items(due).items():
            items = unique_items(rows)
            text, blocks = render(kind, items, None)
            result.previews.append({"to": uid, "kind": kind, "text": text, "blocks": blocks, "items": items})
        result.previews += board_previews(session, now, board, config)
        people = unlinked_leads(session, now, config=config, snapshot=snapshot)
        if people and _unlinked_due(session, now, config):
            text, blocks = unlinked_message(*_unreachable(people))
            week = iso_week(local_today(now, zone(config.default_tz)))
            told = set(session.scalars(select(DigestPost.channel).where(DigestPost.week == week)))
            for uid in _admins(session):
                if f"unlinked:{uid}"[:64] in told:
                    continue
                result.previews.append(
                    {"to": uid, "kind": "unlinked", "text": text, "blocks": blocks, "items": []}
                )
        session.rollback()
    result.messages = len(result.previews)
    return result


def _unreachable(people: list) -> tuple[list[str], list[str]]:
    """(not linked, email undeliverable with the server's answer) for the admins' weekly notice."""
    bounced = [p for p in people if p.email_undeliverable_at is not None and not p.slack_user_id]
    others = [p.display_name for p in people if p not in bounced]
    return others, [f"{p.display_name} ({(p.email_error or 'refused')[:120]})" for p in bounced]


def _admins(session: Session) -> list[str]:
    return list(session.scalars(select(Role.slack_user_id).where(Role.role == "admin").order_by(Role.id)))


def _unlinked_due(session: Session, now: dt.datetime, config: PlannerConfig) -> bool:
    tz = zone(config.default_tz)
    return may_send_now(now, tz, config.calendar, Policy().window)


def _queue_unlinked_notice(
    session: Session, now: dt.datetime, config: PlannerConfig, snapshot: PassSnapshot | None = None
) -> list[int]:
    """At most one message a week per admin listing unlinked leads; the DigestPost key enforces the week.

    (A notice that failed to send is listed again by ``jobs.board_pass.admin_notes_to_retry``.)"""
    if not _unlinked_due(session, now, config):
        return []
    people = unlinked_leads(session, now, config=config, snapshot=snapshot)
    if not people:
        return []
    admins = _admins(session)
    if not admins:
        log.warning("%s leads are not linked to Slack and no admin is set to be told", len(people))
        return []
    week = iso_week(local_today(now, zone(config.default_tz)))
    text, blocks = unlinked_message(*_unreachable(people))
    ids = []
    for uid in admins:
        try:
            with session.begin_nested():
                session.add(
                    DigestPost(
                        channel=f"unlinked:{uid}"[:64],
                        week=week,
                        status="sent",
                        created_at=now,
                        posted_at=now,
                    )
                )
        except IntegrityError:
            continue  # already told this week
        message = ReminderMessage(
            slack_user_id=uid,
            kind="unlinked",
            status="pending",
            attempts=0,
            created_at=now,
            payload={"text": text, "blocks": blocks, "items": [], "names": [p.display_name for p in people]},
        )
        session.add(message)
        session.flush()
        ids.append(message.id)
    return ids


@dataclass(frozen=True)
class ReminderRefresh:
    """A sent reminder as it should read now (``render_refresh``), to be posted with ``chat.update``."""

    message_id: int
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    answered: dict[int, str]


def render_refresh(session: Session, reminder_message_id: int) -> ReminderRefresh | None:
    """A sent reminder re-rendered so actions answered since it went out show "Updated: <RAG>"."""
    message = session.get(ReminderMessage, reminder_message_id)
    if message is None or message.status != "sent" or not message.ts or not message.channel:
        return None
    items = (message.payload or {}).get("items") or []
    action_ids = [int(i["action_id"]) for i in items]
    if not action_ids:
        return None
    answered: dict[int, str] = {}
    rows = session.execute(
        select(Update.action_id, Update.rag, Update.submitted_at, Update.reminder_message_id)
        .where(Update.action_id.in_(action_ids))
        .order_by(Update.submitted_at, Update.id)
    )
    for action_id, rag, submitted_at, answers in rows:
        if answers == reminder_message_id or (
            message.sent_at is not None and submitted_at >= message.sent_at
        ):
            answered[action_id] = rag or "no RAG given"
    text, blocks = render(message.kind, items, message.id, answered)
    return ReminderRefresh(message.id, message.channel, message.ts, text, blocks, answered)


def record_refresh(session: Session, refresh: ReminderRefresh) -> None:
    """Keep the rendered payload after Slack accepted the edit (a later render starts from it)."""
    message = session.get(ReminderMessage, refresh.message_id)
    if message is None:
        return
    message.payload = {
        **(message.payload or {}),
        "text": refresh.text,
        "blocks": refresh.blocks,
        "answered": {str(k): v for k, v in refresh.answered.items()},
    }


def refresh_reminder_message(session: Session, client: Any, reminder_message_id: int) -> None:
    """Re-render a sent reminder and edit it in Slack (one session; the Slack app splits the two steps
    so no transaction stays open during the call)."""
    refresh = render_refresh(session, reminder_message_id)
    if refresh is None:
        return
    client.chat_update(channel=refresh.channel, ts=refresh.ts, text=refresh.text, blocks=refresh.blocks)
    record_refresh(session, refresh)
