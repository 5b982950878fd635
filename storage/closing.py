"""``action close``: an action is finished as complete, withdrawn, or merged into another.

- **complete**: the admin's word counts as the sign-off. When a lead's completion is waiting for
  sign-off, closing signs it off; otherwise a progress update in the scheme's complete state is
  recorded (on the lead's behalf) and signed off together. The reason is the sign-off's note, so the
  completion has its evidence.
- **withdrawn / merged**: the action leaves reminders, counts and percentages; a date request still
  waiting is closed with it. ``action reopen`` brings it back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.authority import Actor, require_admin, require_governor
from storage.changes import CLOSE_AS, MERGED, check_reason, record, withdraw_or_merge
from storage.errors import InvalidInput
from storage.models import Action, PlanChange, SignOff
from storage.proposals import supersede_open
from storage.rag import scheme_for_plan
from storage.signoff import AWAITING, COMPLETE, completion


@dataclass(frozen=True)
class Closed:
    change: PlanChange
    signoff: SignOff | None = None
    update_id: int | None = None  # the update recorded to show it complete, if one was needed


def close_action(
    session: Session,
    action: Action,
    *,
    as_: str,
    into: Action | None,
    reason: str,
    actor: Actor,
    now: dt.datetime,
    evidence_url: str | None = None,
) -> Closed:
    as_ = (as_ or "").strip().lower()
    if as_ not in CLOSE_AS:
        raise InvalidInput(f"close as one of {', '.join(CLOSE_AS)}, not {as_!r}", field="as")
    if as_ != "complete":
        change = withdraw_or_merge(
            session, action, status=as_, into=into, reason=reason, actor=actor, now=now
        )
        why = f"{action.ref} was {as_}" + (f" into {into.ref}" if as_ == MERGED and into else "")
        supersede_open(session, action, stamp=actor.stamp(), reason=why, now=now)
        return Closed(change)
    if into is not None:
        raise InvalidInput("--into is only for --as merged", field="into")
    return _complete(session, action, reason=reason, actor=actor, now=now, evidence_url=evidence_url)


def _complete(
    session: Session, action: Action, *, reason: str, actor: Actor, now: dt.datetime, evidence_url: str | None
) -> Closed:
    from storage.updates import _check_evidence, record_update

    require_admin(actor, "close actions")
    require_governor(session, actor, action, "close it as complete")
    reason = check_reason(reason)
    url = _check_evidence(evidence_url)
    if action.status != "open":
        raise InvalidInput(f"{action.ref} is {action.status}; reopen it first", field="status")
    state = completion(session, action)
    update_id = None
    if state.state in (AWAITING, COMPLETE):
        run_start = state.run[0].id
    elif state.run:
        raise InvalidInput(f"{action.ref} is already complete and signed off", field="status")
    else:
        scheme = scheme_for_plan(action.plan)
        done = sorted((s for s in scheme.states if s.is_complete), key=lambda s: s.rank)
        if not done:
            raise InvalidInput(
                f"plan '{action.plan.name}' has no complete state in its RAG scheme "
                f"({', '.join(scheme.labels)}); record the completion with progressbot update instead",
                field="as",
            )
        leads = [lead for lead in action.leads if lead.kind == "lead"] or list(action.leads)
        update = record_update(
            session,
            action,
            rag=done[-1].label,
            text=f"Closed as complete: {reason}",
            source=actor.source,
            submitted_at=now,
            author=actor.person,
            author_text=actor.label,
            on_behalf_of=leads[0].person if leads else None,
            evidence_url=url,
            evidence_note=reason,  # the admin's reason is the evidence they accepted
        ).update
        run_start = update_id = update.id
    signoff = SignOff(
        action_id=action.id, update_id=run_start, note=reason, evidence_url=url, at=now, **actor.stamp()
    )
    session.add(signoff)
    change = record(
        session,
        action,
        kind="complete",
        field_name=None,
        old=None,
        new={"update_id": run_start},
        reason=reason,
        stamp=actor.stamp(),
        at=now,
    )
    session.flush()
    return Closed(change, signoff, update_id)
