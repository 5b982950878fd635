"""Email waiting to be sent: ``reminder_messages`` rows with ``via = "email"``, rendered as they are sent.

Every email (reminder, form confirmation, new link) is a pending row first, written in the same
transaction as whatever it reports, so nothing is emailed that did not commit and nothing committed is
left unsent. Sending:

1. **claim**: ``pending`` -> ``sending`` in one conditional UPDATE; only the process whose UPDATE changed
   the row sends it, so the web process (sending a confirmation straight after its commit) and the
   worker's pass (sending whatever is still pending) never both send one email;
2. **render** with a fresh form link (tokens are never stored) to the address on record *now*;
3. **record**: sent; or back to pending with a backoff (4xx, connection); or failed, with the lead
   marked "email undeliverable" (5xx); or back to pending, untouched, when our own settings are at fault.

A process killed between the SMTP server's "250" and the record leaves the row ``sending``: after
``CLAIM_TIMEOUT`` on the database's clock (``claimed_at``, never a pass's business ``now``, which
``--now`` may move) it goes back to pending and is sent again. Unlike Slack, SMTP can't be asked what it
already accepted, so a rare repeat is the price of never losing one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mail.links import Links, form_url
from mail.render import (
    EmailAction,
    PlanSection,
    Recipient,
    confirmation_email,
    new_link_email,
    reminder_email,
)
from mail.smtp import Mailer, MailResult, SmtpConfig
from progressbot.config import check_mail_from
from storage.clock import database_now
from storage.models import Action, Person, Plan, ReminderMessage, Update
from storage.plans import plan_title
from storage.rag import scheme_for_plan

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_CAP = dt.timedelta(hours=1)
CLAIM_TIMEOUT = dt.timedelta(minutes=10)  # far longer than an SMTP timeout; then a claim is dead


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, ... minutes, capped at an hour (as for Slack)."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


class NotSendable(Exception):
    """The message can't be rendered any more (no address, plan gone); it fails without a send."""


@dataclass
class EmailChannel:
    """What sending email needs: the SMTP connection, the sender, and the links."""

    mailer: Mailer
    sender: str  # PROGRESSBOT_MAIL_FROM
    links: Links
    public_url: str
    tz: dt.tzinfo = dt.UTC

    @classmethod
    def from_settings(cls, settings: Any, *, mailer: Mailer | None = None) -> EmailChannel:
        return cls(
            mailer=mailer or Mailer(SmtpConfig.parse(settings.smtp_url)),
            sender=settings.mail_from,
            links=Links(settings.secret_key, days=settings.link_days),
            public_url=settings.public_url,
            tz=settings.tz,
        )

    # --- rendering ------------------------------------------------------------------------------

    def _section(
        self, person: Person, plan: Plan, now: dt.datetime, actions: list[EmailAction]
    ) -> PlanSection:
        assert person.email
        token = self.links.make(person.id, plan.id, person.email, now)
        expires = (now + dt.timedelta(days=self.links.days)).astimezone(self.tz).date()
        return PlanSection(plan_title(plan), form_url(self.public_url, token), expires, actions)

    def render(self, session: Session, message: ReminderMessage, now: dt.datetime):
        person = session.get(Person, message.person_id) if message.person_id else None
        if person is None or not person.email:
            raise NotSendable("the lead has no email address on record")
        sender = check_mail_from(self.sender)
        to = Recipient(person.display_name, person.email)
        payload = message.payload or {}
        if message.kind == "confirmation":
            plan = _plan(session, payload.get("plan_id"))
            section = self._section(
                person, plan, now, _saved_actions(session, payload.get("update_ids") or [])
            )
            return person.email, confirmation_email(sender, to, section, now)
        if message.kind == "new_link":
            plan = _plan(session, payload.get("plan_id"))
            return person.email, new_link_email(sender, to, self._section(person, plan, now, []), now)
        items = payload.get("items") or []
        sections = [
            self._section(person, plan, now, actions) for plan, actions in _due_actions(session, items)
        ]
        notices = board_notices(items)
        if not sections and not notices:
            raise NotSendable("none of the actions in this reminder exist any more")
        return person.email, reminder_email(sender, to, sections, now, notices=notices)

    # --- sending --------------------------------------------------------------------------------

    def deliver(self, factory: sessionmaker[Session], message_id: int, now: dt.datetime) -> MailResult | None:
        """Claim, render, send and record one email; None when another process has it (or it is done)."""
        if not claim(factory, message_id, now):
            return None
        try:
            with factory() as session:
                message = session.get(ReminderMessage, message_id)
                assert message is not None
                address, email = self.render(session, message, now)
        except NotSendable as exc:
            result = MailResult("bounced", str(exc))
            with factory.begin() as session:
                record(session, message_id, result, now, mark_lead=False)
            return result
        result = self.mailer.send(email, sender=email["From"].addresses[0].addr_spec, recipient=address)
        with factory.begin() as session:
            record(session, message_id, result, now)
        return result


def email_channel(settings: Any) -> EmailChannel | None:
    """The email channel when every email setting is there; else None (leads outside Slack wait)."""
    return EmailChannel.from_settings(settings) if settings.email_enabled else None


def _plan(session: Session, plan_id: Any) -> Plan:
    plan = session.get(Plan, int(plan_id)) if plan_id is not None else None
    if plan is None:
        raise NotSendable("the plan no longer exists")
    return plan


def _colour(plan: Plan, label: str | None) -> str | None:
    if not label:
        return None
    try:
        return scheme_for_plan(plan).state(label).colour
    except KeyError:
        return None


def _saved_actions(session: Session, update_ids: list[int]) -> list[EmailAction]:
    rows = session.execute(
        select(Update, Action).join(Action, Action.id == Update.action_id).where(Update.id.in_(update_ids))
    ).all()
    out = []
    for upd, action in sorted(rows, key=lambda r: (r[1].position, r[1].id)):
        out.append(
            EmailAction(
                ref=action.ref,
                title=action.title,
                rag=upd.rag,
                rag_colour=_colour(action.plan, upd.rag),
                text=upd.text,
                evidence_url=upd.evidence_url,
                proposed_due=upd.proposed_due,
            )
        )
    return out


def _is_board(item: dict[str, Any]) -> bool:
    return str(item.get("kind") or "").startswith("board_")


def _why(item: dict[str, Any]) -> str:
    """Why the action is listed, in plain words (a board round's stage, or the reminder's step)."""
    from slackviews.board import long_date
    from slackviews.reminders import describe_item

    reasons = []
    for part in [item, *item.get("also", [])]:
        if _is_board(part):
            info = part.get("meeting") or {}
            if info.get("cutoff"):
                reasons.append(f"For {info.get('label', 'the board')}: update by {long_date(info['cutoff'])}")
        else:
            reasons.append(describe_item(part))
    return "; ".join(dict.fromkeys(reasons))


def board_notices(items: list[dict[str, Any]]) -> list[str]:
    """One line per board meeting whose call, chase, move or cancellation this email carries."""
    from slackviews.board import long_date

    notices: dict[int, str] = {}
    for item in items:
        if not _is_board(item):
            continue
        info, kind = item.get("meeting") or {}, item.get("kind")
        label = f"{info.get('label', 'The board')} ({info.get('plan_title', '')})".replace(" ()", "")
        if kind == "board_cancelled":
            text = f"{label} has been cancelled, so no updates are needed for it."
        elif kind == "board_moved":
            text = f"{label} has moved to {long_date(info['date'])}. Updates are now due by {long_date(info['cutoff'])}."
        elif kind == "board_chase":
            text = f"A reminder: updates for {label} are due by the end of {long_date(info['cutoff'])}."
        else:
            text = (
                f"{label} meets on {long_date(info['date'])}. Please update your actions by the end of "
                f"{long_date(info['cutoff'])}, so the board pack includes them."
            )
        notices.setdefault(int(info.get("id") or 0), text)
    return list(notices.values())


def _listed(item: dict[str, Any]) -> bool:
    """Board items already answered, or of a cancelled meeting, are not asked for again."""
    return not (_is_board(item) and (item.get("answered") or item.get("kind") == "board_cancelled"))


def _due_actions(session: Session, items: list[dict[str, Any]]) -> list[tuple[Plan, list[EmailAction]]]:
    """The reminder's items grouped by plan, in the order they were planned."""
    items = [i for i in items if _listed(i)]
    ids = [int(i["action_id"]) for i in items if i.get("action_id") is not None]
    actions = {a.id: a for a in session.scalars(select(Action).where(Action.id.in_(ids)))}
    grouped: dict[int, tuple[Plan, list[EmailAction]]] = {}
    for item in items:
        action = actions.get(int(item.get("action_id") or 0))
        if action is None:
            continue
        why = _why(item)
        plan = action.plan
        grouped.setdefault(plan.id, (plan, []))[1].append(
            EmailAction(
                ref=action.ref,
                title=action.title,
                why=why,
                rag=item.get("rag"),
                rag_colour=_colour(plan, item.get("rag")),
            )
        )
    return list(grouped.values())


def claim(factory: sessionmaker[Session], message_id: int, now: dt.datetime) -> bool:
    with factory.begin() as session:
        changed = session.execute(
            update(ReminderMessage)
            .where(
                ReminderMessage.id == message_id,
                ReminderMessage.via == "email",
                ReminderMessage.status == "pending",
            )
            .values(
                status="sending",
                claimed_at=database_now(session),
                next_attempt_at=now + CLAIM_TIMEOUT,
                last_error=None,
            )
        ).rowcount
    return changed == 1


def record(
    session: Session, message_id: int, result: MailResult, now: dt.datetime, *, mark_lead: bool = True
) -> None:
    message = session.get(ReminderMessage, message_id)
    assert message is not None
    if result.outcome == "config":
        # Our settings are wrong, not the lead's address: wait for an operator, count nothing against it.
        message.status, message.next_attempt_at, message.last_error = (
            "pending",
            now + backoff(1),
            result.error,
        )
        log.error("email %s not sent, check the SMTP settings: %s", message_id, result.error)
        return
    message.attempts += 1
    message.last_error = result.error
    if result.ok:
        message.status, message.sent_at, message.next_attempt_at = "sent", now, None
        for entry in message.entries:
            if entry.status == "pending":
                entry.status, entry.sent_at = "sent", now
        return
    if result.outcome == "retry" and message.attempts < MAX_ATTEMPTS:
        message.status, message.next_attempt_at = "pending", now + backoff(message.attempts)
        log.warning("email %s deferred (attempt %s): %s", message_id, message.attempts, result.error)
        return
    message.status, message.next_attempt_at = "failed", None
    for entry in message.entries:
        if entry.status == "pending":
            entry.status = "failed"
    if result.outcome == "bounced" and mark_lead and message.person_id is not None:
        person = session.get(Person, message.person_id)
        if person is not None and person.email_undeliverable_at is None:
            person.email_undeliverable_at, person.email_error = now, result.error
    log.error("email %s to person %s failed for good: %s", message_id, message.person_id, result.error)


def due_email_ids(session: Session, now: dt.datetime, *, kinds: tuple[str, ...] | None = None) -> list[int]:
    """Pending emails whose backoff has passed, oldest first (the pass sends these)."""
    query = select(ReminderMessage.id).where(
        ReminderMessage.via == "email",
        ReminderMessage.status == "pending",
        (ReminderMessage.next_attempt_at.is_(None)) | (ReminderMessage.next_attempt_at <= now),
    )
    if kinds is not None:
        query = query.where(ReminderMessage.kind.in_(kinds))
    return list(session.scalars(query.order_by(ReminderMessage.id)))


def requeue_dead_claims(factory: sessionmaker[Session], now: dt.datetime) -> int:
    """Emails left ``sending`` longer than ``CLAIM_TIMEOUT`` ago, by the database's clock: the process
    that claimed them stopped, so they are pending again. (A claim made before ``claimed_at`` existed
    falls back to its ``next_attempt_at`` against ``now``.)"""
    with factory.begin() as session:
        dead_since = database_now(session) - CLAIM_TIMEOUT
        return session.execute(
            update(ReminderMessage)
            .where(
                ReminderMessage.via == "email",
                ReminderMessage.status == "sending",
                (ReminderMessage.claimed_at <= dead_since)
                | (ReminderMessage.claimed_at.is_(None) & (ReminderMessage.next_attempt_at <= now)),
            )
            .values(status="pending", next_attempt_at=now, last_error="requeued: the sending process stopped")
        ).rowcount
