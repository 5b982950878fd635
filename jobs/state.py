"""The facts the passes need about actions, loaded with a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models import Action, Plan, Update
from storage.policy import Policy


@dataclass(frozen=True)
class ActionState:
    rag: str | None = None  # the latest RAG given (an update without a RAG does not change it)
    rag_at: dt.datetime | None = None
    last_update_at: dt.datetime | None = None  # any update, with or without a RAG


def action_states(
    session: Session, plan_ids: list[int] | None = None, *, as_of: dt.datetime | None = None
) -> dict[int, ActionState]:
    """Current RAG = the latest update that carries a RAG (ties broken by id); one pass over updates."""
    stmt = select(Update.action_id, Update.rag, Update.submitted_at, Update.id)
    if as_of is not None:
        stmt = stmt.where(Update.submitted_at <= as_of)
    if plan_ids is not None:
        stmt = stmt.join(Action, Action.id == Update.action_id).where(Action.plan_id.in_(plan_ids))
    rag: dict[int, tuple[dt.datetime, int, str]] = {}
    last: dict[int, dt.datetime] = {}
    for action_id, label, submitted_at, update_id in session.execute(stmt):
        if action_id not in last or submitted_at > last[action_id]:
            last[action_id] = submitted_at
        if label and (action_id not in rag or (submitted_at, update_id) > rag[action_id][:2]):
            rag[action_id] = (submitted_at, update_id, label)
    return {
        action_id: ActionState(
            rag=rag[action_id][2] if action_id in rag else None,
            rag_at=rag[action_id][0] if action_id in rag else None,
            last_update_at=at,
        )
        for action_id, at in last.items()
    }


def complete_labels(session: Session) -> dict[int, set[str]]:
    """plan id -> the labels of its scheme's complete states (the default BRAG's Blue without rows)."""
    from storage.rag import scheme_for_plan

    plans = session.scalars(select(Plan).options(selectinload(Plan.rag_states))).all()
    return {plan.id: {s.label for s in scheme_for_plan(plan).states if s.is_complete} for plan in plans}


def is_complete(plan: Plan, labels: dict[int, set[str]], rag: str | None) -> bool:
    return rag is not None and rag in labels.get(plan.id, set())


@dataclass(frozen=True)
class PassSnapshot:
    """What both the reminder planner and escalation read; a pass loads it once and hands it to both."""

    plans: dict[int, Plan]
    policies: dict[int, Policy]
    done_labels: dict[int, set[str]]
    states: dict[int, ActionState]

    @property
    def enabled_plan_ids(self) -> list[int]:
        return [pid for pid, policy in self.policies.items() if policy.enabled]


def load_snapshot(session: Session, now: dt.datetime) -> PassSnapshot:
    plans = {p.id: p for p in session.scalars(select(Plan))}
    return PassSnapshot(
        plans=plans,
        policies={pid: Policy.for_plan(p) for pid, p in plans.items()},
        done_labels=complete_labels(session),
        states=action_states(session, as_of=now),
    )
