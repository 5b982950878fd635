"""One action's audit trail: progress updates and every governance event, oldest first.

``audit_trail`` merges updates, plan changes, date requests and decisions, challenges and answers,
and sign-offs into one list of ``AuditEntry`` (who, when, what, why), for ``progressbot history``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from storage.models import (
    Action,
    Challenge,
    ChallengeAnswer,
    DateDecision,
    DateProposal,
    PlanChange,
    SignOff,
)

FIELD_NAMES = {
    "leads": "lead(s)",
    "due": "due date",
    "timescale": "timescale",
    "title": "title",
    "section": "section",
    "status": "status",
}


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    kind: (
        str  # update | add | set | retime | withdraw | merge | reopen | complete | proposal | decision | ...
    )
    by: str
    summary: str  # one line
    text: str = ""  # the progress text, question, answer, reason or note
    source: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    order: int = 0  # ties at the same instant: in the order they happened

    def to_dict(self, tz: dt.tzinfo) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(tz).isoformat(),
            "kind": self.kind,
            "by": self.by,
            "summary": self.summary,
            "text": self.text,
            "source": self.source,
            **self.details,
        }


def _date(value: Any) -> str:
    if not value:
        return "none"
    day = dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%b %Y}"


def _value(field_name: str | None, value: Any) -> str:
    if value is None or value == "":
        return "none"
    if field_name == "due":
        return _date(value)
    if field_name == "leads":
        return ", ".join(item.get("name", "?") for item in value) or "none"
    if field_name == "section":
        return f"{value.get('ref') or ''} {value.get('title') or ''}".strip()
    if field_name == "status" and isinstance(value, dict):
        into = f" into {value['into']}" if value.get("into") else ""
        return f"{value.get('status')}{into}"
    return str(value)


def _change_summary(change: PlanChange) -> str:
    if change.kind == "add":
        new = change.new_value or {}
        return f"added to the plan: {new.get('title', '')[:120]} (due {_date(new.get('due'))})"
    if change.kind in ("withdraw", "merge", "reopen"):
        return f"status: {_value('status', change.old_value)} → {_value('status', change.new_value)}"
    if change.kind == "complete":
        return "closed as complete"
    name = FIELD_NAMES.get(change.field or "", change.field or "")
    verb = "agreed revised date" if change.kind == "retime" else name
    return f"{verb}: {_value(change.field, change.old_value)} → {_value(change.field, change.new_value)}"


def _updates(session: Session, action: Action) -> list[AuditEntry]:
    from storage.updates import history

    out = []
    for u in history(session, action):
        who = u.author.display_name if u.author else (u.author_text or "unknown")
        if u.on_behalf_of and u.on_behalf_of.display_name != who:
            who += f" for {u.on_behalf_of.display_name}"
        details = {
            "update_id": u.id,
            "rag": u.rag,
            "evidence_url": u.evidence_url,
            "evidence_note": u.evidence_note,
            "proposed_due": u.proposed_due.isoformat() if u.proposed_due else None,
        }
        out.append(
            AuditEntry(
                u.submitted_at, "update", who, f"update: {u.rag or '(no RAG)'}", u.text, u.source, details, 0
            )
        )
    return out


def _changes(session: Session, action: Action) -> list[AuditEntry]:
    rows = session.scalars(
        select(PlanChange).where(PlanChange.action_id == action.id).order_by(PlanChange.at, PlanChange.id)
    )
    return [
        AuditEntry(
            c.at,
            c.kind,
            c.by_text,
            _change_summary(c),
            c.reason,
            c.source,
            {"field": c.field, "from": c.old_value, "to": c.new_value},
            3,
        )
        for c in rows
    ]


def _proposals(session: Session, action: Action) -> list[AuditEntry]:
    out = []
    rows = session.scalars(
        select(DateProposal)
        .where(DateProposal.action_id == action.id)
        .options(selectinload(DateProposal.decision))
        .order_by(DateProposal.at, DateProposal.id)
    )
    for p in rows:
        out.append(
            AuditEntry(
                p.at,
                "proposal",
                p.by_text,
                f"asked for a new due date: {_date(p.from_due)} → {_date(p.proposed_due)}",
                p.reason,
                p.source,
                {"proposal_id": p.id, "from": _iso(p.from_due), "to": p.proposed_due.isoformat()},
                1,
            )
        )
        d: DateDecision | None = p.decision
        if d is not None:
            out.append(
                AuditEntry(
                    d.at,
                    "decision",
                    d.by_text,
                    f"{d.decision} the new due date {_date(p.proposed_due)}",
                    d.reason,
                    d.source,
                    {"proposal_id": p.id, "decision": d.decision},
                    2,
                )
            )
    return out


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _challenges(session: Session, action: Action) -> list[AuditEntry]:
    out = []
    rows = session.scalars(
        select(Challenge)
        .where(Challenge.action_id == action.id)
        .options(selectinload(Challenge.answers))
        .order_by(Challenge.at, Challenge.id)
    )
    for c in rows:
        out.append(
            AuditEntry(c.at, "challenge", c.by_text, "challenged the update", c.question, c.source,
                       {"challenge_id": c.id, "update_id": c.update_id}, 4)
        )  # fmt: skip
        a: ChallengeAnswer
        for a in c.answers:
            how = "with an update" if a.update_id else "in the thread"
            out.append(
                AuditEntry(a.at, "answer", a.by_text, f"answered the challenge {how}", a.text, a.source,
                           {"challenge_id": c.id, "update_id": a.update_id}, 5)
            )  # fmt: skip
    return out


def _signoffs(session: Session, action: Action) -> list[AuditEntry]:
    rows = session.scalars(
        select(SignOff).where(SignOff.action_id == action.id).order_by(SignOff.at, SignOff.id)
    )
    return [
        AuditEntry(s.at, "signoff", s.by_text, "signed off the completion", s.note, s.source,
                   {"update_id": s.update_id, "evidence_url": s.evidence_url}, 6)
        for s in rows
    ]  # fmt: skip


def audit_trail(session: Session, action: Action) -> list[AuditEntry]:
    entries = [
        *_updates(session, action),
        *_changes(session, action),
        *_proposals(session, action),
        *_challenges(session, action),
        *_signoffs(session, action),
    ]
    return sorted(entries, key=lambda e: (e.at, e.order))
