"""Re-importing a plan never quietly undoes a change made on purpose (``action set``, an agreed date).

A field someone changed through progressbot (its latest change came from the command line or Slack)
keeps its value when the re-imported file says something else, and the import says what it kept and
why ("kept 3.2's due date 31 Mar 2027 (agreed by Pat Chair on 12 Mar: ...); the file says 30 Nov
2026"). Fields the import does change are recorded as plan-change events too, so the audit trail and
the report's "changes since the last version" include them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.changes import leads_value, record
from storage.models import Action, Plan, PlanChange, Section

# The action columns a timescale sets, all kept together when the timescale or due date is governed.
TIMESCALE_COLUMNS = ("timescale", "due_date", "schedule", "milestones", "recurrence")
_COLUMN_FIELD = {"title": "title", "section_id": "section", **dict.fromkeys(TIMESCALE_COLUMNS, "timescale")}
_EVENT_FIELDS = ("leads", "title", "section", "timescale", "due")


def _day(value: Any) -> str:
    if not value:
        return "no date"
    day = dt.date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%b %Y}"


class ImportGuard:
    """Built once per re-import; ``enabled`` is False for a plan's first import (nothing to protect)."""

    def __init__(
        self, session: Session, plan: Plan, *, filename: str, now: dt.datetime, enabled: bool
    ) -> None:
        self.session, self.plan, self.filename, self.now, self.enabled = session, plan, filename, now, enabled
        self.kept: list[str] = []
        self.governed: dict[tuple[int, str], PlanChange] = {}
        if not enabled:
            return
        changes = session.scalars(
            select(PlanChange)
            .where(PlanChange.plan_id == plan.id, PlanChange.source != "import")
            .order_by(PlanChange.at, PlanChange.id)
        )
        for change in changes:
            fields = _EVENT_FIELDS if change.kind == "add" else (change.field,)
            for name in fields:
                key = "timescale" if name == "due" else name
                self.governed[(change.action_id, key)] = change

    def _who(self, change: PlanChange) -> str:
        verb = "agreed" if change.kind == "retime" else ("added" if change.kind == "add" else "changed")
        why = f": {change.reason}" if change.reason else ""
        return f"{verb} by {change.by_text} on {_day(change.at.date().isoformat())}{why}"

    # --- keeping -----------------------------------------------------------------------------

    def filter_values(self, action: Action, values: dict[str, Any]) -> dict[str, Any]:
        """The file's values, with governed fields that differ replaced by the current ones."""
        if not self.enabled:
            return values
        out = dict(values)
        for field_name in ("title", "section"):
            change = self.governed.get((action.id, field_name))
            column = "section_id" if field_name == "section" else field_name
            if change is not None and values[column] != getattr(action, column):
                out[column] = getattr(action, column)
                shown = (
                    action.section.title
                    if field_name == "section" and action.section
                    else getattr(action, column)
                )
                self.kept.append(f"{action.ref}: kept its {field_name} “{shown}” ({self._who(change)})")
        change = self.governed.get((action.id, "timescale"))
        if change is not None and values["due_date"] != action.due_date:
            for column in TIMESCALE_COLUMNS:
                out[column] = getattr(action, column)
            self.kept.append(
                f"{action.ref}: kept its due date {_day(action.due_date)} ({self._who(change)}); "
                f"the file says {values['timescale']!r} ({_day(values['due_date'])})"
            )
        return out

    def keeps_leads(self, action: Action, wanted_names: list[str]) -> bool:
        """True when the leads were changed on purpose and the file names others: keep them."""
        change = self.governed.get((action.id, "leads")) if self.enabled else None
        if change is None:
            return False
        current = [item["name"] for item in leads_value(action)]
        if [n.casefold() for n in current] == [n.casefold() for n in wanted_names]:
            return False
        self.kept.append(
            f"{action.ref}: kept its lead(s) {', '.join(current)} ({self._who(change)}); "
            f"the file says {', '.join(wanted_names) or 'nobody'}"
        )
        return True

    def note_closed(self, action: Action) -> None:
        if self.enabled and action.status != "open":
            self.kept.append(f"{action.ref}: kept {action.status} (the file still lists it)")

    # --- recording ---------------------------------------------------------------------------

    def snapshot(self, action: Action) -> dict[str, Any]:
        # By id, not through ``action.section``: the importer sets section_id, and the relationship
        # would only catch up on a refresh.
        section = self.session.get(Section, action.section_id) if action.section_id else None
        return {
            "title": action.title,
            "section": {"id": section.id, "title": section.title, "ref": section.ref} if section else None,
            "timescale": action.timescale,
            "due": action.due_date.isoformat() if action.due_date else None,
            "leads": leads_value(action),
        }

    def record(self, action: Action, before: dict[str, Any]) -> None:
        """Plan-change events for what this re-import changed on an existing action."""
        if not self.enabled:
            return
        after = self.snapshot(action)
        for name in ("title", "section", "timescale", "due", "leads"):
            if _comparable(name, before[name]) != _comparable(name, after[name]):
                record(
                    self.session,
                    action,
                    kind="set",
                    field_name=name,
                    old=before[name],
                    new=after[name],
                    reason=f"re-import of {self.filename}",
                    stamp=self._stamp(),
                    at=self.now,
                )

    def added(self, action: Action) -> None:
        if not self.enabled:
            return
        record(
            self.session,
            action,
            kind="add",
            field_name=None,
            old=None,
            new=self.snapshot(action),
            reason=f"re-import of {self.filename}",
            stamp=self._stamp(),
            at=self.now,
        )

    def _stamp(self) -> dict[str, Any]:
        return {
            "by_uid": None,
            "by_person_id": None,
            "by_text": f"import: {self.filename}"[:300],
            "source": "import",
        }


def _comparable(name: str, value: Any) -> Any:
    if name == "leads":
        return [item.get("id") for item in value or []]
    if name == "section":
        return (value or {}).get("id")
    return value
