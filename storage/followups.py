"""What a lead's new update sets in motion, in the same transaction as the update itself.

- a proposed new due date becomes a request for the board (``storage.proposals``);
- it answers the challenges still open on the action (``storage.challenges``);
- a first "complete" asks the board to sign it off (``storage.signoff``).

``record_lead_update`` is the one way Slack and the command line record a person's update: the
date is checked before anything is written, so a bad date leaves nothing half-stored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from storage.challenges import answer_with_update
from storage.models import Action, Challenge, ChallengeAnswer, Person, Update
from storage.proposals import Proposed, check_proposed_due, propose
from storage.signoff import starts_awaited_completion
from storage.updates import RecordResult, record_update

_SLACK_AUTHOR = re.compile(r"^Slack user ([UW][A-Z0-9]+)$")


@dataclass
class FollowUps:
    proposed: Proposed | None = None
    answered: list[tuple[Challenge, ChallengeAnswer]] = field(default_factory=list)
    awaiting_signoff: bool = False  # this update made the action complete, and the plan wants sign-off


@dataclass
class LeadUpdate:
    result: RecordResult
    followups: FollowUps

    @property
    def update(self) -> Update:
        return self.result.update


def stamp_of(update: Update) -> dict:
    """The ``_ByWhom`` columns for an event a person caused by giving this update."""
    author: Person | None = update.author
    uid = author.slack_user_id if author is not None else None
    if uid is None:
        match = _SLACK_AUTHOR.match(update.author_text or "")
        uid = match.group(1) if match else None
    who = author.display_name if author is not None else (update.author_text or "unknown")
    if update.on_behalf_of is not None and update.on_behalf_of.display_name != who:
        who = f"{who} for {update.on_behalf_of.display_name}"
    return {"by_uid": uid, "by_person_id": update.author_id, "by_text": who[:300], "source": update.source}


def record_lead_update(
    session: Session,
    action: Action,
    *,
    today: dt.date,
    proposed_due: dt.date | None = None,
    **fields,
) -> LeadUpdate:
    """``record_update`` plus its follow-ups; ``fields`` are record_update's keyword arguments."""
    if proposed_due is not None:
        check_proposed_due(action, proposed_due, today)
    result = record_update(session, action, proposed_due=proposed_due, **fields)
    followups = FollowUps()
    if result.created:
        followups = after_update(session, action, result.update)
    return LeadUpdate(result, followups)


def after_update(session: Session, action: Action, update: Update) -> FollowUps:
    session.flush()
    stamp = stamp_of(update)
    out = FollowUps()
    if update.proposed_due is not None:
        out.proposed = propose(
            session,
            action,
            update.proposed_due,
            reason=update.text,
            stamp=stamp,
            now=update.submitted_at,
            update_id=update.id,
        )
    out.answered = answer_with_update(session, update, stamp)
    if update.rag:
        out.awaiting_signoff = starts_awaited_completion(session, action, update)
    return out
