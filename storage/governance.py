"""The governance state of a plan's actions, read in a fixed number of queries.

What the report, ``plan show`` and the Slack cards need about each action beyond its updates: how its
due date was revised, a date request waiting for the board, challenges (open or answered), sign-offs
and how it left the plan. ``load_governance`` answers for a whole plan (or a few actions) in five
queries, whatever the size of the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.changes import Revision, original_due, revisions_from
from storage.models import (
    Action,
    Challenge,
    ChallengeAnswer,
    DateDecision,
    DateProposal,
    PlanChange,
    SignOff,
)

# Plan changes the document history counts, by the words it uses for them.
CHANGE_WORDS = {
    "add": ("action added", "actions added"),
    "due": ("timescale revised", "timescales revised"),
    "leads": ("lead changed", "leads changed"),
    "title": ("title changed", "titles changed"),
    "section": ("action moved section", "actions moved section"),
    "withdraw": ("action withdrawn", "actions withdrawn"),
    "merge": ("action merged", "actions merged"),
    "reopen": ("action reopened", "actions reopened"),
    "complete": ("action closed as complete", "actions closed as complete"),
}


@dataclass(frozen=True)
class OpenProposal:
    id: int
    from_due: dt.date | None
    proposed_due: dt.date
    by: str
    by_uid: str | None
    at: dt.datetime
    reason: str


@dataclass(frozen=True)
class ChallengeView:
    id: int
    question: str
    by: str
    at: dt.datetime
    update_id: int | None
    answer: str | None = None
    answered_by: str | None = None
    answered_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        return self.answered_at is None


@dataclass(frozen=True)
class SignOffView:
    update_id: int | None
    by: str
    at: dt.datetime
    note: str
    evidence_url: str | None


@dataclass(frozen=True)
class ChangeView:
    kind: str
    field: str | None
    at: dt.datetime

    @property
    def counted_as(self) -> str | None:
        """The CHANGE_WORDS key: one count per event, a due change counted once (not its timescale)."""
        if self.kind in ("add", "withdraw", "merge", "reopen", "complete"):
            return self.kind
        if self.field in ("due", "leads", "title", "section"):
            return self.field
        return None


@dataclass(frozen=True)
class Closure:
    status: str  # withdrawn | merged
    into: str | None
    by: str
    at: dt.datetime
    reason: str


@dataclass
class ActionGovernance:
    revisions: list[Revision] = field(default_factory=list)
    proposal: OpenProposal | None = None
    challenges: list[ChallengeView] = field(default_factory=list)
    signoffs: list[SignOffView] = field(default_factory=list)
    changes: list[ChangeView] = field(default_factory=list)
    closure: Closure | None = None

    def original_due(self, current: dt.date | None) -> dt.date | None:
        return original_due(current, self.revisions)

    @property
    def open_challenges(self) -> list[ChallengeView]:
        return [c for c in self.challenges if c.open]

    @property
    def signed_update_ids(self) -> set[int]:
        return {s.update_id for s in self.signoffs if s.update_id is not None}


def load_governance(
    session: Session,
    plan_id: int,
    *,
    as_of: dt.datetime | None = None,
    action_ids: Sequence[int] | None = None,
) -> dict[int, ActionGovernance]:
    """action id -> its governance state at ``as_of`` (default: everything); five queries."""
    out: dict[int, ActionGovernance] = {}

    def of(action_id: int) -> ActionGovernance:
        return out.setdefault(action_id, ActionGovernance())

    def scoped(query, model):
        query = query.join(Action, Action.id == model.action_id).where(Action.plan_id == plan_id)
        if action_ids is not None:
            query = query.where(model.action_id.in_(list(action_ids)))
        if as_of is not None:
            query = query.where(model.at <= as_of)
        return query

    _load_changes(session, scoped, of)
    _load_proposals(session, scoped, of, as_of)
    _load_challenges(session, scoped, of, as_of)
    for s in session.scalars(scoped(select(SignOff), SignOff).order_by(SignOff.at, SignOff.id)):
        of(s.action_id).signoffs.append(SignOffView(s.update_id, s.by_text, s.at, s.note, s.evidence_url))
    return out


def _load_changes(session: Session, scoped, of) -> None:
    rows = session.scalars(scoped(select(PlanChange), PlanChange).order_by(PlanChange.at, PlanChange.id))
    by_action: dict[int, list[PlanChange]] = {}
    for change in rows:
        by_action.setdefault(change.action_id, []).append(change)
        gov = of(change.action_id)
        gov.changes.append(ChangeView(change.kind, change.field, change.at))
        if change.kind in ("withdraw", "merge"):
            new = change.new_value or {}
            gov.closure = Closure(
                new.get("status", change.kind), new.get("into"), change.by_text, change.at, change.reason
            )
        elif change.kind == "reopen":
            gov.closure = None
    for action_id, changes in by_action.items():
        of(action_id).revisions = revisions_from(changes)


def _load_proposals(session: Session, scoped, of, as_of: dt.datetime | None) -> None:
    query = scoped(
        select(DateProposal, DateDecision.id, DateDecision.at).outerjoin(
            DateDecision, DateDecision.proposal_id == DateProposal.id
        ),
        DateProposal,
    ).order_by(DateProposal.at, DateProposal.id)
    for proposal, decision_id, decided_at in session.execute(query):
        decided = decision_id is not None and (as_of is None or decided_at <= as_of)
        if not decided:
            of(proposal.action_id).proposal = OpenProposal(
                proposal.id,
                proposal.from_due,
                proposal.proposed_due,
                proposal.by_text,
                proposal.by_uid,
                proposal.at,
                proposal.reason,
            )


def _load_challenges(session: Session, scoped, of, as_of: dt.datetime | None) -> None:
    """Challenges with their first answer (given by ``as_of``), in one query."""
    answer_filter = ChallengeAnswer.challenge_id == Challenge.id
    if as_of is not None:
        answer_filter = answer_filter & (ChallengeAnswer.at <= as_of)
    query = scoped(select(Challenge, ChallengeAnswer).outerjoin(ChallengeAnswer, answer_filter), Challenge)
    seen: set[int] = set()
    rows = session.execute(query.order_by(Challenge.at, Challenge.id, ChallengeAnswer.at, ChallengeAnswer.id))
    for c, a in rows:
        if c.id in seen:
            continue  # the first answer closes the challenge
        seen.add(c.id)
        of(c.action_id).challenges.append(
            ChallengeView(
                c.id,
                c.question,
                c.by_text,
                c.at,
                c.update_id,
                a.text if a else None,
                a.by_text if a else None,
                a.at if a else None,
            )
        )


def changes_between(
    governance: dict[int, ActionGovernance], since: dt.datetime | None, until: dt.datetime
) -> dict[str, int]:
    """How many plan changes of each kind (CHANGE_WORDS keys) fall after ``since`` up to ``until``."""
    counts: dict[str, int] = {}
    for gov in governance.values():
        for change in gov.changes:
            key = change.counted_as
            if key and (since is None or change.at > since) and change.at <= until:
                counts[key] = counts.get(key, 0) + 1
    return counts


def describe_counts(counts: dict[str, int]) -> str:
    """{"due": 2, "add": 1} -> "2 timescales revised, 1 action added" (in CHANGE_WORDS order)."""
    parts = []
    for key, (one, many) in CHANGE_WORDS.items():
        n = counts.get(key, 0)
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)
