"""Which reminders are current right now: the policy applied to every open action and lead.

``plan_reminders`` reads the database but writes nothing; the reminder pass turns its answer into ledger
rows and messages. A reminder is *current* when its step is the latest one reached in the recipient's
own local date; it is *sendable* when the recipient's local time is inside the sending window on a
working day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, selectinload

from jobs.occurrences import (
    Occurrence,
    current_step,
    interval_days_for,
    latest_checkpoint,
    next_recurrence,
)
from jobs.state import ActionState, PassSnapshot, is_complete, load_snapshot
from storage.calendar import WorkCalendar, local_today, may_send_now, zone
from storage.models import Action, ActionLead, Person, Plan, ReminderEntry
from storage.policy import Policy

REMINDER_KINDS = ("before", "due", "overdue", "ongoing", "recurring")


@dataclass(frozen=True)
class PlannerConfig:
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    default_tz: str = "Europe/London"
    # Leads with an email address and no Slack link are reached by email (when email is configured).
    email: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> PlannerConfig:
        return cls(
            calendar=WorkCalendar(settings.holiday_country, settings.holiday_subdivision or None),
            default_tz=settings.timezone,
            email=bool(getattr(settings, "email_enabled", False)),
        )


@dataclass(frozen=True)
class PlannedReminder:
    action_id: int
    person_id: int  # the lead: part of the ledger key, so a deputy's cover never causes a repeat
    due_date: dt.date
    kind: str
    step: int
    recipient_person_id: int | None
    recipient_uid: str
    recipient_tz: str
    sendable: bool
    status: str | None  # the ledger row's status for this key; None when not written yet
    item: dict[str, Any]
    via: str = "slack"  # slack | email: the recipient's channel

    @property
    def key(self) -> tuple[int, int, dt.date, str, int]:
        return (self.action_id, self.person_id, self.due_date, self.kind, self.step)

    @property
    def recipient_key(self) -> str:
        """Who the message goes to: a Slack user id, or ``email:<person id>``."""
        return self.recipient_uid if self.via == "slack" else f"email:{self.recipient_person_id}"


@dataclass(frozen=True)
class Recipient:
    person: Person
    on_behalf_of: Person | None
    via: str = "slack"


def channel_for(person: Person, *, email: bool) -> str | None:
    """Slack when linked; else email, when email is on and the address has not bounced; else None."""
    if person.slack_user_id:
        return "slack"
    if email and person.email and person.email_undeliverable_at is None:
        return "email"
    return None


def resolve_recipient(
    lead: Person, now: dt.datetime, policy: Policy, default_tz: str, *, email: bool = False
) -> Recipient | None:
    """The lead, their deputy while they are away, or None (unreachable, or waiting until they are back)."""
    if _away(lead, now, default_tz):
        deputy = lead.deputy
        if policy.on_leave == "deputy" and deputy is not None and not _away(deputy, now, default_tz):
            via = channel_for(deputy, email=email)
            if via is not None:
                return Recipient(deputy, lead, via)
        return None
    via = channel_for(lead, email=email)
    if via is None:
        return None
    return Recipient(lead, None, via)


def _away(person: Person, now: dt.datetime, default_tz: str) -> bool:
    return person.away_until is not None and person.away_until >= local_today(
        now, zone(person.timezone, default_tz)
    )


def _milestones(action: Action) -> list[dt.date]:
    """The action's milestone dates, each once, sorted. A milestone on the due date is kept here:
    ``occurrences_for`` dedupes by date, so that date is reminded once whatever the schedule."""
    out: set[dt.date] = set()
    for raw in action.milestones or []:
        try:
            out.add(dt.date.fromisoformat(str(raw)[:10]))
        except ValueError:
            continue
    return sorted(out)


def occurrences_for(
    action: Action, plan: Plan, policy: Policy, today: dt.date
) -> list[tuple[Occurrence, int | None]]:
    """The due dates an action has that matter on ``today`` (with the recurrence interval if any)."""
    occs: list[tuple[Occurrence, int | None]] = []
    schedule = action.schedule or "unknown"
    if schedule == "done":
        return occs
    if schedule == "ongoing":
        due = action.due_date
        if due is not None and today <= due:
            # "31 July 2020 and Ongoing": the usual before-due and due-day reminders for the date...
            occs.append((Occurrence(due, "ongoing-due"), None))
        else:
            # ...then the monitoring cadence, counted from that date (else from the plan's start).
            anchor = due or plan.start_date or plan.reference_date or action.created_at.date()
            checkpoint = latest_checkpoint(anchor, policy.ongoing_every_weeks, today)
            if checkpoint is not None:
                occs.append((Occurrence(checkpoint, "ongoing"), None))
    elif schedule == "recurring":
        interval = interval_days_for(action.recurrence)
        occs.append(
            (Occurrence(next_recurrence(action.recurrence, today, action.due_date), "recurring"), interval)
        )
    elif action.due_date is not None:
        occs.append((Occurrence(action.due_date, "main"), None))
    # Dedupe by date: a milestone on a date the action is already reminded for (its due date, an
    # occurrence) adds nothing; any other milestone gets its own reminders. The ledger key is
    # (action, lead, date, kind, step), so two occurrences on one date would collide anyway.
    taken = {occ.due for occ, _ in occs}
    if schedule == "ongoing" and action.due_date is not None:
        taken.add(action.due_date)  # past the due date the cadence has taken over; no stray milestone
    occs.extend((Occurrence(m, "milestone"), None) for m in _milestones(action) if m not in taken)
    return occs


def _stopped(state: ActionState | None, occ: Occurrence, policy: Policy, tz: Any) -> bool:
    """An update with a RAG given after the reminder window opened stops the before-due steps."""
    if state is None or state.rag_at is None:
        return False
    opened = occ.due - dt.timedelta(days=policy.first_notice_days)
    return state.rag_at.astimezone(tz).date() >= opened


@dataclass
class _Candidate:
    action: Action
    plan: Plan
    lead: Person
    recipient: Recipient
    occ: Occurrence
    interval: int | None
    today: dt.date
    sendable: bool


def plan_reminders(
    session: Session,
    now: dt.datetime,
    *,
    config: PlannerConfig | None = None,
    snapshot: PassSnapshot | None = None,
) -> list[PlannedReminder]:
    """Every reminder current at ``now``, with its ledger status. Writes nothing."""
    config = config or PlannerConfig()
    calendar = config.calendar
    snapshot = snapshot or load_snapshot(session, now)
    plans, policies = snapshot.plans, snapshot.policies
    done_labels, states = snapshot.done_labels, snapshot.states
    actions = session.scalars(
        select(Action)
        # Withdrawn and merged actions have left the plan: no reminders.
        .where(Action.plan_id.in_(snapshot.enabled_plan_ids), Action.status == "open")
        .options(selectinload(Action.leads).selectinload(ActionLead.person).selectinload(Person.deputy))
        .order_by(Action.plan_id, Action.position)
    ).all()

    candidates: list[_Candidate] = []
    for action in actions:
        plan, policy = plans[action.plan_id], policies[action.plan_id]
        state = states.get(action.id)
        if action.schedule == "done" or is_complete(plan, done_labels, state.rag if state else None):
            continue
        for link in action.leads:
            recipient = resolve_recipient(link.person, now, policy, config.default_tz, email=config.email)
            if recipient is None:
                continue
            tz = zone(recipient.person.timezone, config.default_tz)
            today = local_today(now, tz)
            sendable = may_send_now(now, tz, calendar, policy.window)
            for occ, interval in occurrences_for(action, plan, policy, today):
                candidates.append(
                    _Candidate(action, plan, link.person, recipient, occ, interval, today, sendable)
                )

    ledger = _ledger_statuses(session, candidates)
    several_plans = len(snapshot.plans) > 1  # then each action says which plan it is in
    planned: list[PlannedReminder] = []
    for c in candidates:
        policy = policies[c.plan.id]
        state = states.get(c.action.id)
        tz = zone(c.recipient.person.timezone, config.default_tz)
        due_sent = ledger.get((c.action.id, c.lead.id, c.occ.due, "due", 0)) == "sent"
        step = current_step(
            c.occ,
            c.today,
            calendar,
            policy,
            stopped=_stopped(state, c.occ, policy, tz),
            due_step_sent=due_sent,
            interval_days=c.interval,
        )
        if step is None:
            continue
        key = (c.action.id, c.lead.id, c.occ.due, step.kind, step.step)
        planned.append(
            PlannedReminder(
                action_id=c.action.id,
                person_id=c.lead.id,
                due_date=c.occ.due,
                kind=step.kind,
                step=step.step,
                recipient_person_id=c.recipient.person.id,
                recipient_uid=c.recipient.person.slack_user_id or "",
                recipient_tz=tz.key,
                sendable=c.sendable,
                status=ledger.get(key),
                via=c.recipient.via,
                item={
                    "action_id": c.action.id,
                    "ref": c.action.ref,
                    "title": c.action.title,
                    "plan": c.plan.name,
                    "several_plans": several_plans,
                    "due": c.occ.due.isoformat(),
                    "kind": step.kind,
                    "step": step.step,
                    "family": c.occ.family,
                    "days": (c.occ.due - c.today).days,
                    "rag": state.rag if state else None,
                    "recurrence": c.action.recurrence,
                    "lead": c.lead.display_name,
                    "on_behalf_of": c.recipient.on_behalf_of.display_name
                    if c.recipient.on_behalf_of
                    else None,
                },
            )
        )
    return planned


def _ledger_statuses(session: Session, candidates: list[_Candidate]) -> dict[tuple, str]:
    """Ledger statuses for the candidates' (action, person, due date) triples, in a few queries."""
    triples = sorted({(c.action.id, c.lead.id, c.occ.due) for c in candidates})
    out: dict[tuple, str] = {}
    for start in range(0, len(triples), 400):
        chunk = triples[start : start + 400]
        rows = session.execute(
            select(
                ReminderEntry.action_id,
                ReminderEntry.person_id,
                ReminderEntry.due_date,
                ReminderEntry.kind,
                ReminderEntry.step,
                ReminderEntry.status,
            ).where(
                tuple_(ReminderEntry.action_id, ReminderEntry.person_id, ReminderEntry.due_date).in_(chunk)
            )
        )
        for action_id, person_id, due, kind, step, status in rows:
            out[(action_id, person_id, due, kind, step)] = status
    return out


def unlinked_leads(
    session: Session,
    now: dt.datetime,
    *,
    config: PlannerConfig | None = None,
    snapshot: PassSnapshot | None = None,
) -> list[Person]:
    """Leads of open actions progressbot cannot reach: no Slack link, and (with email on) no address or
    one that bounced. Admins hear about them once a week."""
    config = config or PlannerConfig()
    snapshot = snapshot or load_snapshot(session, now)
    done_labels, states = snapshot.done_labels, snapshot.states
    rows = session.execute(
        select(Action, Person)
        .join(ActionLead, ActionLead.action_id == Action.id)
        .join(Person, Person.id == ActionLead.person_id)
        .where(Person.slack_user_id.is_(None), Action.status == "open")
        .options(selectinload(Action.plan))
    ).all()
    people: dict[int, Person] = {}
    for action, person in rows:
        state = states.get(action.id)
        if action.schedule == "done" or is_complete(action.plan, done_labels, state.rag if state else None):
            continue
        if channel_for(person, email=config.email) is None:
            people[person.id] = person
    return sorted(people.values(), key=lambda p: p.display_name.lower())
