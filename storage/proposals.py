"""Revised timescales: a lead proposes a new due date, an admin or board member agrees or declines it.

A proposal is decided exactly once: ``date_decisions`` is unique per proposal, so when two board
members press Agree at the same moment one decision is stored and the other is told who got there
first (``AlreadyDecided``). Agreeing moves the due date through ``storage.changes.apply_due`` (a
``retime`` event), so reminders, chasing and overdue counts follow the new date and the original
stays in the history. A newer proposal supersedes an open one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.authority import Actor, require_governor
from storage.changes import OPEN, apply_due, check_reason
from storage.errors import Forbidden, InvalidInput, NotFound, ProgressbotError
from storage.models import Action, DateDecision, DateProposal, PlanChange

AGREED = "agreed"
DECLINED = "declined"
SUPERSEDED = "superseded"
HORIZON_YEARS = 10


class AlreadyDecided(ProgressbotError):
    """Someone decided the proposal first; ``decision`` says who, what and when."""

    def __init__(self, decision: DateDecision, tz: dt.tzinfo = dt.UTC) -> None:
        self.decision = decision
        when = decision.at.astimezone(tz)
        what = {AGREED: "agreed", DECLINED: "declined"}.get(decision.decision, "superseded")
        who = decision.by_text or "someone"
        super().__init__(f"That date was already {what} by {who} on {when:%-d %b %Y at %H:%M}.")


def check_proposed_due(action: Action, proposed: dt.date, today: dt.date) -> None:
    """Refuse a proposal that cannot be meant: past, the same date, far future, a closed action."""
    if action.status != OPEN:
        raise InvalidInput(f"{action.ref} is {action.status}; it has no timescale to revise", "proposed_due")
    if proposed < today:
        raise InvalidInput(
            f"the proposed date {proposed:%-d %b %Y} is in the past; propose today or a later date",
            field="proposed_due",
        )
    if proposed == action.due_date:
        raise InvalidInput(f"{proposed:%-d %b %Y} is already the due date of {action.ref}", "proposed_due")
    if proposed.year > today.year + HORIZON_YEARS:
        raise InvalidInput(f"{proposed:%-d %b %Y} is more than {HORIZON_YEARS} years away", "proposed_due")


def open_proposal(session: Session, action: Action) -> DateProposal | None:
    """The newest proposal of the action that nobody has decided yet."""
    return session.scalar(
        select(DateProposal)
        .outerjoin(DateDecision, DateDecision.proposal_id == DateProposal.id)
        .where(DateProposal.action_id == action.id, DateDecision.id.is_(None))
        .order_by(DateProposal.at.desc(), DateProposal.id.desc())
        .limit(1)
    )


def get_proposal(session: Session, proposal_id: int) -> DateProposal:
    proposal = session.scalar(
        select(DateProposal)
        .where(DateProposal.id == proposal_id)
        .options(selectinload(DateProposal.decision))
    )
    if proposal is None:
        raise NotFound("That date request no longer exists.")
    return proposal


@dataclass
class Proposed:
    proposal: DateProposal
    superseded: list[DateProposal] = field(default_factory=list)


def propose(
    session: Session,
    action: Action,
    proposed: dt.date,
    *,
    reason: str,
    stamp: dict,
    now: dt.datetime,
    update_id: int | None = None,
) -> Proposed:
    """Record a request for a new due date (the caller has checked who may ask, and the date)."""
    superseded = []
    earlier = open_proposal(session, action)
    while earlier is not None:
        _decide(session, earlier, SUPERSEDED, stamp=stamp, reason="a newer date was proposed", now=now)
        superseded.append(earlier)
        earlier = open_proposal(session, action)
    proposal = DateProposal(
        action_id=action.id,
        update_id=update_id,
        from_due=action.due_date,
        proposed_due=proposed,
        reason=" ".join((reason or "").split())[:3000],
        at=now,
        **stamp,
    )
    session.add(proposal)
    session.flush()
    return Proposed(proposal, superseded)


def _decide(
    session: Session, proposal: DateProposal, decision: str, *, stamp: dict, reason: str, now: dt.datetime
) -> DateDecision:
    row = DateDecision(proposal_id=proposal.id, decision=decision, reason=reason, at=now, **stamp)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # decided at the same moment by someone else: theirs stands
        existing = session.scalar(select(DateDecision).where(DateDecision.proposal_id == proposal.id))
        if existing is None:
            raise
        raise AlreadyDecided(existing) from None
    proposal.decision = row  # keep the loaded relationship in step (it may have been read as None)
    return row


@dataclass
class Decided:
    proposal: DateProposal
    decision: DateDecision
    action: Action
    change: PlanChange | None  # the retime event when agreed and the date moved


def decide(
    session: Session,
    proposal: DateProposal,
    *,
    agree: bool,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    tz: dt.tzinfo = dt.UTC,
) -> Decided:
    """Agree (the due date becomes the proposed one) or decline (with a reason), exactly once."""
    action = session.get(Action, proposal.action_id)
    assert action is not None
    what = "agree a revised date for it" if agree else "decline a revised date for it"
    require_governor(session, actor, action, what)
    if (actor.uid and actor.uid == proposal.by_uid) or (
        actor.person is not None and actor.person.id == proposal.by_person_id
    ):
        raise Forbidden("You asked for this date, so someone else on the board has to decide it.")
    reason = check_reason(reason, required=not agree)
    if proposal.decision is not None:
        raise AlreadyDecided(proposal.decision, tz)
    existing = session.scalar(select(DateDecision).where(DateDecision.proposal_id == proposal.id))
    if existing is not None:
        raise AlreadyDecided(existing, tz)
    decision = _decide(
        session, proposal, AGREED if agree else DECLINED, stamp=actor.stamp(), reason=reason, now=now
    )
    change = None
    if agree:
        why = proposal.reason or reason or "revised date agreed"
        change = apply_due(
            session,
            action,
            proposal.proposed_due,
            stamp=actor.stamp(),
            reason=why,
            at=now,
            kind="retime",
            proposal_id=proposal.id,
        )
    session.flush()
    return Decided(proposal, decision, action, change)


def supersede_open(session: Session, action: Action, *, stamp: dict, reason: str, now: dt.datetime) -> None:
    """Close any open request when the action leaves the plan (withdrawn, merged)."""
    proposal = open_proposal(session, action)
    while proposal is not None:
        _decide(session, proposal, SUPERSEDED, stamp=stamp, reason=reason, now=now)
        proposal = open_proposal(session, action)
