"""Sign-off of completion: a lead's "complete" counts as complete once an admin or board member signs it off.

With the plan policy ``completion_needs_signoff`` (on by default) an action whose current RAG is a
complete state shows as "complete, awaiting sign-off" until someone signs it off. The completion is
the run of complete-RAG updates at the end of its history (a later update without a RAG keeps it; a
RAG that is not complete ends it), and one sign-off covers the run, so adding evidence to a
completed action does not ask the board again. A completion that came from an imported plan is
signed off by that import: the plan the board already approved said so.

``sign_offs`` is unique per completing update, so two board members cannot both sign off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.authority import Actor, require_governor
from storage.errors import Forbidden, InvalidInput, ProgressbotError
from storage.models import Action, Plan, SignOff, Update
from storage.policy import Policy

AWAITING = "awaiting"  # complete, awaiting sign-off
SIGNED_OFF = "signed_off"
COMPLETE = "complete"  # complete, and the plan does not ask for sign-off
NOTE_LIMIT = 3000


def needs_signoff(plan: Plan) -> bool:
    return Policy.for_plan(plan).completion_needs_signoff


def completion_run(updates: Iterable[Any], complete: set[str]) -> list[Any]:
    """The trailing updates that keep the action complete (oldest first); [] when it is not complete.

    ``updates`` are oldest first and have ``.rag``; updates without a RAG neither start nor end a run.
    """
    run: list[Any] = []
    for u in updates:
        if not u.rag:
            continue
        if u.rag in complete:
            run.append(u)
        else:
            run = []
    return run


def completion_state(run: Sequence[Any], signed_update_ids: set[int], *, needs: bool) -> str | None:
    if not run:
        return None
    if any(u.source == "import" for u in run) or any(u.id in signed_update_ids for u in run):
        return SIGNED_OFF
    return AWAITING if needs else COMPLETE


class AlreadySignedOff(ProgressbotError):
    def __init__(self, signoff: SignOff | None, ref: str, tz: dt.tzinfo = dt.UTC) -> None:
        self.signoff = signoff
        if signoff is None:
            text = f"{ref} was complete in the imported plan, which counts as signed off."
        else:
            text = (
                f"{ref} was already signed off by {signoff.by_text or 'someone'} on "
                f"{signoff.at.astimezone(tz):%-d %b %Y at %H:%M}."
            )
        super().__init__(text)


@dataclass(frozen=True)
class Completion:
    run: list[Update]
    state: str | None
    signoff: SignOff | None


def completion(session: Session, action: Action) -> Completion:
    from storage.rag import scheme_for_plan

    scheme = scheme_for_plan(action.plan)
    complete = {s.label for s in scheme.states if s.is_complete}
    updates = session.scalars(
        select(Update).where(Update.action_id == action.id).order_by(Update.submitted_at, Update.id)
    ).all()
    run = completion_run(updates, complete)
    signoffs = (
        {
            s.update_id: s
            for s in session.scalars(select(SignOff).where(SignOff.update_id.in_([u.id for u in run])))
        }
        if run
        else {}
    )
    state = completion_state(run, set(signoffs), needs=needs_signoff(action.plan))
    signoff = next((signoffs[u.id] for u in run if u.id in signoffs), None)
    return Completion(run, state, signoff)


def starts_awaited_completion(session: Session, action: Action, update: Update) -> bool:
    """Did ``update`` (just recorded) make the action complete, so that the board must sign it off?

    The same answer as ``completion(session, action)`` (state awaiting, its run starting with this
    update), in at most two one-row index lookups instead of reading the action's whole history: the
    usual new update is the newest, so the run starts with it exactly when the update before it with a
    RAG was not complete. A backdated update (an older ``--at``) takes the full computation.
    """
    from storage.rag import scheme_for_plan

    complete = {s.label for s in scheme_for_plan(action.plan).states if s.is_complete}
    if update.rag not in complete or update.source == "import" or not needs_signoff(action.plan):
        return False
    rated = select(Update.rag).where(
        Update.action_id == action.id, Update.rag.is_not(None), Update.id != update.id
    )
    later = or_(
        Update.submitted_at > update.submitted_at,
        and_(Update.submitted_at == update.submitted_at, Update.id > update.id),
    )
    if session.scalar(rated.where(later).limit(1)) is not None:  # backdated: rare, done in full
        state = completion(session, action)
        return state.state == AWAITING and state.run[0].id == update.id
    before = session.scalar(
        rated.where(~later).order_by(Update.submitted_at.desc(), Update.id.desc()).limit(1)
    )
    return before not in complete


def _completed_by(actor: Actor, run: list[Update]) -> bool:
    for u in run:
        if actor.person is not None and actor.person.id in (u.author_id, u.on_behalf_of_id):
            return True
        if actor.uid and u.author_text == f"Slack user {actor.uid}":
            return True
    return False


def sign_off(
    session: Session,
    action: Action,
    *,
    actor: Actor,
    now: dt.datetime,
    note: str = "",
    evidence_url: str | None = None,
    tz: dt.tzinfo = dt.UTC,
    require_role: bool = True,
) -> SignOff:
    """Sign off the action's completion, once; refuses the people who lead it or completed it."""
    from storage.updates import _check_evidence

    if require_role:
        require_governor(session, actor, action, "sign off its completion")
    state = completion(session, action)
    if not state.run:
        raise InvalidInput(f"{action.ref} is not marked complete, so there is nothing to sign off", "signoff")
    if state.state == SIGNED_OFF:
        raise AlreadySignedOff(state.signoff, action.ref, tz)
    if _completed_by(actor, state.run):
        raise Forbidden("You marked it complete, so someone else on the board has to sign it off.")
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise InvalidInput(f"the note is {len(note):,} characters; the limit is {NOTE_LIMIT:,}", "note")
    row = SignOff(
        action_id=action.id,
        update_id=state.run[0].id,
        note=note,
        evidence_url=_check_evidence(evidence_url),
        at=now,
        **actor.stamp(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # signed off at the same moment by someone else
        existing = session.scalar(select(SignOff).where(SignOff.update_id == state.run[0].id))
        if existing is None:
            raise
        raise AlreadySignedOff(existing, action.ref, tz) from None
    return row
