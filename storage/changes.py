"""Changing a live plan: every change is an append-only ``PlanChange`` event (who, when, why, from, to).

The action's columns (leads, title, section, timescale, due date, status) are the current plan the
events add up to. Each function here changes the columns and writes the events in the caller's
transaction, so the two never disagree; ``revisions``/``original_due`` read the due-date history back.

Kinds of event: ``add`` (an action added), ``set`` (a field changed by an admin or by a re-import),
``retime`` (a revised date agreed by the board), ``withdraw``/``merge`` (the action leaves the plan),
``reopen`` (it comes back), ``complete`` (an admin closed it as complete; the completion itself is an
update and a sign-off).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.authority import Actor, require_admin
from storage.errors import InvalidInput, NotFound
from storage.models import Action, ActionLead, Person, Plan, PlanChange, Section

REASON_LIMIT = 2000
TITLE_LIMIT = 2000
REF_LIMIT = 40
OPEN = "open"
WITHDRAWN = "withdrawn"
MERGED = "merged"
CLOSE_AS = ("complete", WITHDRAWN, MERGED)
LEFT_THE_PLAN = (WITHDRAWN, MERGED)
# Fields a re-import must not quietly undo once someone changed them on purpose.
GOVERNED = ("leads", "title", "section", "timescale", "due", "status")


def check_reason(reason: str | None, *, required: bool = True) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise InvalidInput("say why (--reason): the audit trail records it", field="reason")
    if len(text) > REASON_LIMIT:
        raise InvalidInput(f"the reason is {len(text):,} characters; the limit is {REASON_LIMIT:,}", "reason")
    return text


def record(
    session: Session,
    action: Action,
    *,
    kind: str,
    field_name: str | None,
    old: Any,
    new: Any,
    reason: str,
    stamp: dict[str, Any],
    at: dt.datetime,
    proposal_id: int | None = None,
) -> PlanChange:
    change = PlanChange(
        plan_id=action.plan_id,
        action_id=action.id,
        kind=kind,
        field=field_name,
        old_value=old,
        new_value=new,
        reason=reason,
        proposal_id=proposal_id,
        at=at,
        **stamp,
    )
    session.add(change)
    return change


# --- values as the events store them ------------------------------------------------------------


def leads_value(action: Action) -> list[dict[str, Any]]:
    return [
        {"id": lead.person_id, "name": lead.person.display_name if lead.person else lead.lead_text}
        for lead in sorted(action.leads, key=lambda lead: lead.position)
    ]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _section_value(section: Section | None) -> dict[str, Any] | None:
    return {"id": section.id, "title": section.title, "ref": section.ref} if section else None


# --- the due date -------------------------------------------------------------------------------


def _milestones_for(action: Action, new_due: dt.date) -> list[str]:
    """Milestones before the new final date stay; the final deadline becomes the new date."""
    if not action.milestones:
        return []
    kept = sorted({m for m in action.milestones if str(m)[:10] < new_due.isoformat()})
    return [*kept, new_due.isoformat()]


def apply_due(
    session: Session,
    action: Action,
    new_due: dt.date,
    *,
    stamp: dict[str, Any],
    reason: str,
    at: dt.datetime,
    kind: str = "set",
    proposal_id: int | None = None,
) -> PlanChange | None:
    """Move the due date (reminders, chasing and overdue counts follow it); None when unchanged."""
    old = action.due_date
    if old == new_due:
        return None
    action.due_date = new_due
    action.milestones = _milestones_for(action, new_due)
    if action.schedule in ("unknown", "done"):
        action.schedule = "once"
    action.updated_at = at
    return record(
        session,
        action,
        kind=kind,
        field_name="due",
        old=_iso(old),
        new=new_due.isoformat(),
        reason=reason,
        stamp=stamp,
        at=at,
        proposal_id=proposal_id,
    )


# --- set ----------------------------------------------------------------------------------------


@dataclass
class Edit:
    """What ``action set`` (or the Slack edit modal) asks to change; None leaves a field alone."""

    leads: list[Person] | None = None
    timescale: str | None = None
    due: dt.date | None = None
    title: str | None = None
    section: str | Section | None = None  # a section of the plan, or its ref or title


@dataclass
class EditResult:
    changes: list[PlanChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def find_section(session: Session, plan: Plan, name: str) -> Section:
    """A section of the plan by ref or title (case and punctuation ignored); never created silently."""
    wanted = _norm(name)
    sections = list(session.scalars(select(Section).where(Section.plan_id == plan.id)))
    for section in sections:
        if wanted in (
            _norm(section.ref or ""),
            _norm(section.title),
            _norm(f"{section.ref} {section.title}"),
        ):
            return section
    known = "; ".join(f"{s.ref} {s.title}".strip() for s in sections[:15]) or "the plan has no sections"
    raise NotFound(f"no section '{name}' in plan '{plan.name}' ({known})")


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", (text or "").casefold()).strip()


def set_action(
    session: Session, action: Action, edit: Edit, *, actor: Actor, reason: str, now: dt.datetime
) -> EditResult:
    """Change leads, title, section, timescale or due date, each change an event with the reason."""
    require_admin(actor, "change the plan")
    reason = check_reason(reason)
    if edit.timescale is not None and edit.due is not None:
        raise InvalidInput("give a new timescale or a new due date, not both", field="due")
    result = EditResult()
    stamp = actor.stamp()
    if edit.leads is not None:
        _change_leads(session, action, edit.leads, stamp=stamp, reason=reason, now=now, result=result)
    if edit.title is not None:
        _change_title(session, action, edit.title, stamp=stamp, reason=reason, now=now, result=result)
    if edit.section is not None:
        section = (
            edit.section
            if isinstance(edit.section, Section)
            else find_section(session, action.plan, edit.section)
        )
        if section.id != action.section_id:
            old = _section_value(action.section)
            action.section = section
            result.changes.append(
                _event(session, action, "section", old, _section_value(section), stamp, reason, now)
            )
    if edit.timescale is not None:
        _change_timescale(session, action, edit.timescale, stamp=stamp, reason=reason, now=now, result=result)
    if edit.due is not None:
        change = apply_due(session, action, edit.due, stamp=stamp, reason=reason, at=now)
        if change is not None:
            result.changes.append(change)
    if not result.changes:
        raise InvalidInput(f"nothing to change: {action.ref} already has those values", field="reason")
    action.updated_at = now
    session.flush()
    return result


def _event(session, action, field_name, old, new, stamp, reason, now) -> PlanChange:
    return record(
        session,
        action,
        kind="set",
        field_name=field_name,
        old=old,
        new=new,
        reason=reason,
        stamp=stamp,
        at=now,
    )


def _change_leads(session, action, people, *, stamp, reason, now, result) -> None:
    if not people:
        raise InvalidInput("an action needs at least one lead", field="leads")
    unique: list[Person] = []
    for person in people:
        if all(person.id != p.id for p in unique):
            unique.append(person)
    old = leads_value(action)
    if [item["id"] for item in old] == [p.id for p in unique]:
        return
    action.leads.clear()
    session.flush()
    for position, person in enumerate(unique):
        action.leads.append(
            ActionLead(person=person, position=position, lead_text=person.display_name[:300], kind="lead")
        )
    session.flush()
    result.changes.append(_event(session, action, "leads", old, leads_value(action), stamp, reason, now))


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("the title cannot be empty", field="title")
    if len(title) > TITLE_LIMIT:
        raise InvalidInput(f"the title is {len(title):,} characters; the limit is {TITLE_LIMIT:,}", "title")
    return title


def _change_title(session, action, title, *, stamp, reason, now, result) -> None:
    title = _clean_title(title)
    if title == action.title:
        return
    old, action.title = action.title, title
    result.changes.append(_event(session, action, "title", old, title, stamp, reason, now))


def _parse(plan: Plan, text: str, now: dt.datetime):
    from storage.timescales import parse_timescale

    text = text.strip()
    if len(text) > 500:
        raise InvalidInput("a timescale has at most 500 characters", field="timescale")
    today = now.date()
    return parse_timescale(text, reference=plan.reference_date or today, start=plan.start_date or today)


def _apply_timescale(action: Action, text: str, parsed) -> None:
    action.timescale = text.strip()
    action.schedule = parsed.schedule
    action.recurrence = parsed.recurrence
    action.milestones = [d.isoformat() for d in parsed.milestones]
    action.due_date = parsed.due


def _change_timescale(session, action, text, *, stamp, reason, now, result) -> None:
    parsed = _parse(action.plan, text, now)
    if parsed.warning:
        result.warnings.append(f"{action.ref}: {parsed.warning}")
    old_text, old_due = action.timescale, action.due_date
    _apply_timescale(action, text, parsed)
    if action.timescale != old_text:
        result.changes.append(
            _event(session, action, "timescale", old_text, action.timescale, stamp, reason, now)
        )
    if action.due_date != old_due:
        result.changes.append(
            _event(session, action, "due", _iso(old_due), _iso(action.due_date), stamp, reason, now)
        )


# --- add ----------------------------------------------------------------------------------------


def add_action(
    session: Session,
    plan: Plan,
    *,
    ref: str,
    title: str,
    leads: list[Person],
    timescale: str,
    section: str | None,
    reason: str,
    actor: Actor,
    now: dt.datetime,
) -> tuple[Action, list[str]]:
    """A new action (after a board meeting, say), placed after the last action of its section."""
    require_admin(actor, "add actions to the plan")
    reason = check_reason(reason, required=False) or "added to the plan"
    ref = ref.strip()
    if not ref or len(ref) > REF_LIMIT:
        raise InvalidInput(f"a ref has 1 to {REF_LIMIT} characters", field="ref")
    if session.scalar(select(Action.id).where(Action.plan_id == plan.id, Action.ref == ref)) is not None:
        raise InvalidInput(f"plan '{plan.name}' already has an action {ref}", field="ref")
    if not leads:
        raise InvalidInput("an action needs at least one lead (--lead)", field="leads")
    title = _clean_title(title)
    parsed = _parse(plan, timescale, now)
    warnings = [f"{ref}: {parsed.warning}"] if parsed.warning else []
    chosen = find_section(session, plan, section) if section else None
    position = _position_after(session, plan, chosen)
    action = Action(plan=plan, ref=ref, title=title, position=position, created_at=now, updated_at=now)
    action.section = chosen
    _apply_timescale(action, timescale, parsed)
    for index, person in enumerate(dict.fromkeys(leads)):
        action.leads.append(
            ActionLead(person=person, position=index, lead_text=person.display_name[:300], kind="lead")
        )
    session.add(action)
    session.flush()
    record(
        session,
        action,
        kind="add",
        field_name=None,
        old=None,
        new=snapshot(action),
        reason=reason,
        stamp=actor.stamp(),
        at=now,
    )
    session.flush()
    return action, warnings


def snapshot(action: Action) -> dict[str, Any]:
    return {
        "ref": action.ref,
        "title": action.title,
        "leads": leads_value(action),
        "timescale": action.timescale,
        "due": _iso(action.due_date),
        "section": _section_value(action.section),
    }


def _position_after(session: Session, plan: Plan, section: Section | None) -> int:
    """Right after the section's last action (the rest shift down one), else at the end."""
    last = None
    if section is not None:
        last = session.scalar(
            select(func.max(Action.position)).where(
                Action.plan_id == plan.id, Action.section_id == section.id
            )
        )
    if last is None:
        end = session.scalar(select(func.max(Action.position)).where(Action.plan_id == plan.id))
        return 0 if end is None else end + 1
    session.execute(
        update(Action)
        .where(Action.plan_id == plan.id, Action.position > last)
        .values(position=Action.position + 1)
        .execution_options(synchronize_session="fetch")
    )
    return last + 1


# --- leaving the plan, and coming back ----------------------------------------------------------


def withdraw_or_merge(
    session: Session,
    action: Action,
    *,
    status: str,
    into: Action | None,
    reason: str,
    actor: Actor,
    now: dt.datetime,
) -> PlanChange:
    """Withdrawn or merged: no more reminders, out of counts and percentages, its own report band."""
    require_admin(actor, "close actions")
    reason = check_reason(reason)
    if action.status != OPEN:
        raise InvalidInput(f"{action.ref} is already {action.status}", field="status")
    if status == MERGED:
        _check_merge_target(action, into)
    elif into is not None:
        raise InvalidInput("--into is only for --as merged", field="into")
    action.status = status
    action.merged_into_id = into.id if into is not None and status == MERGED else None
    action.updated_at = now
    new = {"status": status, "into": into.ref if into is not None and status == MERGED else None}
    change = record(
        session,
        action,
        kind="withdraw" if status == WITHDRAWN else "merge",
        field_name="status",
        old=OPEN,
        new=new,
        reason=reason,
        stamp=actor.stamp(),
        at=now,
    )
    session.flush()
    return change


def _check_merge_target(action: Action, into: Action | None) -> None:
    if into is None:
        raise InvalidInput("say which action it merges into (--into REF)", field="into")
    if into.id == action.id:
        raise InvalidInput(f"{action.ref} cannot merge into itself", field="into")
    if into.plan_id != action.plan_id:
        raise InvalidInput("an action can only merge into an action of the same plan", field="into")
    if into.status != OPEN:
        raise InvalidInput(f"{into.ref} is {into.status}; merge into an open action", field="into")


def reopen(session: Session, action: Action, *, reason: str, actor: Actor, now: dt.datetime) -> PlanChange:
    require_admin(actor, "reopen actions")
    reason = check_reason(reason)
    if action.status not in LEFT_THE_PLAN:
        raise InvalidInput(
            f"{action.ref} is open; a completed action is reopened by its next update with a RAG "
            "that is not complete",
            field="status",
        )
    old = {"status": action.status, "into": None}
    action.status, action.merged_into_id, action.updated_at = OPEN, None, now
    change = record(
        session,
        action,
        kind="reopen",
        field_name="status",
        old=old,
        new={"status": OPEN, "into": None},
        reason=reason,
        stamp=actor.stamp(),
        at=now,
    )
    session.flush()
    return change


# --- reading the history back -------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """One move of the due date: {from, to, agreed_by, agreed_at, reason} in ``plan show --json``."""

    from_due: dt.date | None
    to_due: dt.date | None
    agreed_by: str
    agreed_at: dt.datetime
    reason: str
    kind: str  # set | retime (agreed from a lead's proposal)
    source: str

    def to_dict(self, tz: dt.tzinfo) -> dict[str, Any]:
        return {
            "from": _iso(self.from_due),
            "to": _iso(self.to_due),
            "agreed_by": self.agreed_by,
            "agreed_at": self.agreed_at.astimezone(tz).isoformat(),
            "reason": self.reason,
            "source": self.source,
        }


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def revisions_from(changes: list[PlanChange]) -> list[Revision]:
    """The due-date moves among an action's events (oldest first)."""
    return [
        Revision(
            from_due=_day(change.old_value),
            to_due=_day(change.new_value),
            agreed_by=change.by_text,
            agreed_at=change.at,
            reason=change.reason,
            kind=change.kind,
            source=change.source,
        )
        for change in changes
        if change.field == "due"
    ]


def original_due(current: dt.date | None, revisions: list[Revision]) -> dt.date | None:
    """The due date before the first revision (the plan as imported or added); the current one if none."""
    return revisions[0].from_due if revisions else current
