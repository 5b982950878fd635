"""Challenge: a board member or admin asks the lead about an update ("what is the evidence?").

A challenge stays open until the lead answers it: by replying in the thread of the question the bot
sent them, or with a new update on the action (from Slack or ``progressbot update``). The question,
the answer and their times are the audit trail; the report lists open challenges under exceptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.authority import Actor, require_governor
from storage.changes import OPEN
from storage.errors import InvalidInput, NotFound
from storage.models import Action, Challenge, ChallengeAnswer, Update

TEXT_LIMIT = 3000


def _clean(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"the {what} is empty: say what you want to know", field=what)
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(f"the {what} is {len(text):,} characters; the limit is {TEXT_LIMIT:,}", field=what)
    return text


def _by_key(session: Session, model, key: str | None):
    return session.scalar(select(model).where(model.idempotency_key == key)) if key else None


def _insert_once(session: Session, row, key: str | None):
    """(row, True) once stored; (the row already stored under ``key``, False) when a retry raced it."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = _by_key(session, type(row), key)
        if existing is None:
            raise
        return existing, False
    return row, True


@dataclass(frozen=True)
class Raised:
    challenge: Challenge
    created: bool


def raise_challenge(
    session: Session,
    action: Action,
    *,
    actor: Actor,
    question: str,
    now: dt.datetime,
    update_id: int | None = None,
    key: str | None = None,
) -> Raised:
    """Record the question against the update (default: the action's latest update with text)."""
    require_governor(session, actor, action, "challenge its updates")
    if action.status != OPEN:
        raise InvalidInput(
            f"{action.ref} is {action.status}; there is nothing to challenge", field="question"
        )
    question = _clean(question, "question")
    existing = _by_key(session, Challenge, key)
    if existing is not None:
        return Raised(existing, created=False)
    if update_id is not None:
        update = session.get(Update, update_id)
        if update is None or update.action_id != action.id:
            raise NotFound("That update is not part of this action.")
    else:
        update_id = session.scalar(
            select(Update.id)
            .where(Update.action_id == action.id, Update.submitted_at <= now)
            .order_by(Update.submitted_at.desc(), Update.id.desc())
            .limit(1)
        )
    challenge = Challenge(
        action_id=action.id,
        update_id=update_id,
        question=question,
        idempotency_key=key,
        at=now,
        **actor.stamp(),
    )
    stored, created = _insert_once(session, challenge, key)
    return Raised(stored, created)


def get_challenge(session: Session, challenge_id: int) -> Challenge:
    challenge = session.scalar(
        select(Challenge).where(Challenge.id == challenge_id).options(selectinload(Challenge.answers))
    )
    if challenge is None:
        raise NotFound("That question no longer exists.")
    return challenge


def open_challenges(
    session: Session, action_id: int, *, before: dt.datetime | None = None
) -> list[Challenge]:
    query = (
        select(Challenge)
        .outerjoin(ChallengeAnswer, ChallengeAnswer.challenge_id == Challenge.id)
        .where(Challenge.action_id == action_id, ChallengeAnswer.id.is_(None))
        .order_by(Challenge.at, Challenge.id)
    )
    if before is not None:
        query = query.where(Challenge.at <= before)
    return list(session.scalars(query).unique())


def answer(
    session: Session,
    challenge: Challenge,
    *,
    text: str,
    stamp: dict,
    now: dt.datetime,
    key: str | None = None,
    update_id: int | None = None,
) -> tuple[ChallengeAnswer, bool]:
    """Record the lead's answer (the caller has checked they may answer for the action)."""
    existing = _by_key(session, ChallengeAnswer, key)
    if existing is not None:
        return existing, False
    row = ChallengeAnswer(
        challenge_id=challenge.id,
        text=_clean(text, "answer"),
        update_id=update_id,
        idempotency_key=key,
        at=now,
        **stamp,
    )
    return _insert_once(session, row, key)


def answer_with_update(
    session: Session, update: Update, stamp: dict
) -> list[tuple[Challenge, ChallengeAnswer]]:
    """A new update from the lead answers every challenge on the action still open when it came."""
    if update.source == "import":
        return []
    answered = []
    for challenge in open_challenges(session, update.action_id, before=update.submitted_at):
        row, created = answer(
            session,
            challenge,
            text=update.text,
            stamp=stamp,
            now=update.submitted_at,
            key=f"update:{update.id}:challenge:{challenge.id}",
            update_id=update.id,
        )
        if created:
            answered.append((challenge, row))
    return answered
