"""Escalation to the board, and the weekly "leads not linked to Slack" notice for admins.

An action whose main due date has passed escalates when it is ``escalate_overdue_days`` late with no
update since its reminder window opened, or when ``escalate_unanswered`` reminders (due day or later)
went out with no update after them. With ``escalate_after_chase`` (the default) the first rule also
needs an overdue chase to have been sent for that due date, ``escalate_overdue_days`` or more days
ago, with no update since it: importing an old plan chases its leads first instead of flooding the
board. Each board member hears once per action per due date: the ledger
key is (action, first lead, due date, "escalation", board role id).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from jobs.planner import PlannedReminder, PlannerConfig
from jobs.state import PassSnapshot, is_complete, load_snapshot
from storage.calendar import local_today, may_send_now, zone
from storage.models import Action, ActionLead, ReminderEntry, Role
from storage.policy import Policy

CHASE_KINDS = ("due", "overdue")


def board_members(session: Session) -> list[tuple[int, str]]:
    return [
        (rid, uid)
        for rid, uid in session.execute(
            select(Role.id, Role.slack_user_id).where(Role.role == "board").order_by(Role.id)
        )
    ]


def plan_escalations(
    session: Session,
    now: dt.datetime,
    *,
    config: PlannerConfig | None = None,
    snapshot: PassSnapshot | None = None,
) -> list[PlannedReminder]:
    config = config or PlannerConfig()
    board = board_members(session)
    if not board:
        return []
    tz = zone(config.default_tz)
    today = local_today(now, tz)
    snapshot = snapshot or load_snapshot(session, now)
    plans, policies = snapshot.plans, snapshot.policies
    done_labels, states = snapshot.done_labels, snapshot.states
    actions = session.scalars(
        select(Action)
        .where(
            Action.due_date.is_not(None),
            Action.due_date < today,
            Action.schedule.not_in(["done", "ongoing", "recurring"]),
            Action.plan_id.in_(snapshot.enabled_plan_ids),
            Action.status == "open",
        )
        .options(selectinload(Action.leads).selectinload(ActionLead.person))
        .order_by(Action.plan_id, Action.position)
    ).all()
    actions = [a for a in actions if a.leads]
    sent = _sent_chases(session, [a.id for a in actions])
    first_chase = _first_overdue_chases(sent)
    keys = _escalation_statuses(session, [a.id for a in actions])

    planned: list[PlannedReminder] = []
    for action in actions:
        plan, policy = plans[action.plan_id], policies[action.plan_id]
        state = states.get(action.id)
        if is_complete(plan, done_labels, state.rag if state else None):
            continue
        due = action.due_date
        assert due is not None
        late = (today - due).days
        last = state.last_update_at if state else None
        opened = due - dt.timedelta(days=policy.first_notice_days)
        reason = None
        if (
            policy.escalate_overdue_days
            and late >= policy.escalate_overdue_days
            and (last is None or last.astimezone(tz).date() < opened)
            and _chased_long_enough(first_chase.get((action.id, due)), last, today, tz, policy)
        ):
            reason = f"no update for {late} days past the due date"
        elif policy.escalate_unanswered:
            # Distinct steps, so an action with two leads (two DMs per step) doesn't count double.
            unanswered = {step for step, at in sent.get((action.id, due), []) if last is None or at > last}
            if len(unanswered) >= policy.escalate_unanswered:
                reason = f"{len(unanswered)} reminders unanswered"
        if reason is None:
            continue
        lead = action.leads[0].person
        sendable = may_send_now(now, tz, config.calendar, policy.window)
        for role_id, uid in board:
            key = (action.id, lead.id, due, "escalation", role_id)
            planned.append(
                PlannedReminder(
                    action_id=action.id,
                    person_id=lead.id,
                    due_date=due,
                    kind="escalation",
                    step=role_id,
                    recipient_person_id=None,
                    recipient_uid=uid,
                    recipient_tz=tz.key,
                    sendable=sendable,
                    status=keys.get(key),
                    item={
                        "action_id": action.id,
                        "ref": action.ref,
                        "title": action.title,
                        "plan": plan.name,
                        "several_plans": len(plans) > 1,
                        "due": due.isoformat(),
                        "kind": "escalation",
                        "days": -late,
                        "reason": reason,
                        "lead": ", ".join(link.person.display_name for link in action.leads),
                        "rag": state.rag if state else None,
                    },
                )
            )
    return planned


def _first_overdue_chases(
    sent: dict[tuple[int, dt.date], list[tuple[tuple[str, int], dt.datetime]]],
) -> dict[tuple[int, dt.date], dt.datetime]:
    """(action, due date) -> when the first overdue chase for it was sent (to any of its leads)."""
    out: dict[tuple[int, dt.date], dt.datetime] = {}
    for key, rows in sent.items():
        times = [at for (kind, _step), at in rows if kind == "overdue"]
        if times:
            out[key] = min(times)
    return out


def _chased_long_enough(
    first: dt.datetime | None, last_update: dt.datetime | None, today: dt.date, tz: dt.tzinfo, policy: Policy
) -> bool:
    """With ``escalate_after_chase``: a chase went out ``escalate_overdue_days`` or more days ago and no
    update came after it. Without it, always true (the literal "overdue N days" rule)."""
    if not policy.escalate_after_chase:
        return True
    if first is None:
        return False
    if last_update is not None and last_update >= first:
        return False
    return (today - first.astimezone(tz).date()).days >= policy.escalate_overdue_days


def _sent_chases(
    session: Session, action_ids: list[int]
) -> dict[tuple[int, dt.date], list[tuple[tuple[str, int], dt.datetime]]]:
    out: dict[tuple[int, dt.date], list[tuple[tuple[str, int], dt.datetime]]] = {}
    for start in range(0, len(action_ids), 500):
        rows = session.execute(
            select(
                ReminderEntry.action_id,
                ReminderEntry.due_date,
                ReminderEntry.kind,
                ReminderEntry.step,
                ReminderEntry.sent_at,
            ).where(
                ReminderEntry.action_id.in_(action_ids[start : start + 500]),
                ReminderEntry.kind.in_(CHASE_KINDS),
                ReminderEntry.status == "sent",
            )
        )
        for action_id, due, kind, step, sent_at in rows:
            if sent_at is not None:
                out.setdefault((action_id, due), []).append(((kind, step), sent_at))
    return out


def _escalation_statuses(session: Session, action_ids: list[int]) -> dict[tuple, str]:
    out: dict[tuple, str] = {}
    for start in range(0, len(action_ids), 500):
        rows = session.execute(
            select(
                ReminderEntry.action_id,
                ReminderEntry.person_id,
                ReminderEntry.due_date,
                ReminderEntry.kind,
                ReminderEntry.step,
                ReminderEntry.status,
            ).where(
                ReminderEntry.action_id.in_(action_ids[start : start + 500]),
                ReminderEntry.kind == "escalation",
            )
        )
        for action_id, person_id, due, kind, step, status in rows:
            out[(action_id, person_id, due, kind, step)] = status
    return out
