"""Reminder policy: defaults, overridden per plan by ``Plan.policy`` (a JSON object).

``progressbot policy show|set`` reads and writes the overrides; ``Policy.for_plan`` merges them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.calendar import EARLIEST, LATEST, SendingWindow
from storage.errors import InvalidInput, NotFound
from storage.models import Plan
from storage.plans import plan_by_name

LEAVE_CHOICES = ("deputy", "wait")


@dataclass(frozen=True)
class Policy:
    enabled: bool = True
    # Calendar days before a due date ("about 14 days before"), moved back to a working day.
    before_days: tuple[int, ...] = (14,)
    # Working days before a due date.
    before_working_days: tuple[int, ...] = (3,)
    # On the due day, or the working day before when it is not a working day.
    on_due_day: bool = True
    # Overdue chase interval; 0 turns chasing off.
    overdue_every_days: int = 7
    # Monitoring cadence for "ongoing" actions (8 weeks = bi-monthly monitoring).
    ongoing_every_weeks: int = 8
    # Local sending window; always clamped to 08:00-18:00.
    send_from: str = "09:00"
    send_until: str = "18:00"
    # Escalate to the board when overdue this long with no update...
    escalate_overdue_days: int = 14
    # ...counted, when this is on, from the first overdue chase progressbot sent for that due date: an
    # action is escalated as overdue only after its lead was chased and that many days passed with no
    # update. Off: the literal rule (overdue that many days), which floods the board when an old plan
    # is imported.
    escalate_after_chase: bool = True
    # ...or when this many reminders (due day or later) went unanswered; 0 turns that off.
    escalate_unanswered: int = 2
    # A lead on leave: "deputy" (the deputy gets it, else wait) or "wait" (always wait until back).
    on_leave: str = "deputy"
    # The board cycle (jobs.board): the call for updates goes out this many working days before a
    # meeting's cut-off, the chase this many, and the board pack is published after the cut-off.
    board_call_working_days: int = 5
    board_chase_working_days: int = 2
    board_publish: bool = True
    # A lead's "complete" counts as complete only once an admin or board member signs it off.
    completion_needs_signoff: bool = True

    @property
    def window(self) -> SendingWindow:
        return SendingWindow(_parse_time(self.send_from), _parse_time(self.send_until)).clamped()

    @property
    def first_notice_days(self) -> int:
        """How long before a due date the reminder window opens (for "stopping early")."""
        return max([*self.before_days, 0])

    @classmethod
    def for_plan(cls, plan: Plan | None) -> Policy:
        overrides = dict(plan.policy or {}) if plan is not None else {}
        values: dict[str, Any] = {}
        for key, raw in overrides.items():
            if key in _FIELDS:
                try:
                    values[key] = _coerce(key, raw)
                except InvalidInput:
                    continue  # a bad stored value must not stop reminders for the whole plan
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out


_FIELDS = {f.name: f for f in fields(Policy)}

DESCRIPTIONS = {
    "enabled": "send reminders for this plan at all (true/false)",
    "before_days": "calendar days before a due date, comma-separated (moved back to a working day)",
    "before_working_days": "working days before a due date, comma-separated",
    "on_due_day": "remind on the due day (or the working day before) (true/false)",
    "overdue_every_days": "chase overdue actions every N days (0 = never)",
    "ongoing_every_weeks": "remind ongoing actions every N weeks",
    "send_from": "earliest local time to send, HH:MM (never before 08:00)",
    "send_until": "latest local time to send, HH:MM (never after 18:00)",
    "escalate_overdue_days": "tell the board when overdue this many days with no update (0 = never)",
    "escalate_after_chase": (
        "count escalate_overdue_days from the first overdue chase sent for the due date, "
        "so the board only hears of lateness that was chased (true/false)"
    ),
    "escalate_unanswered": "tell the board after this many unanswered reminders (0 = never)",
    "on_leave": "lead on leave: 'deputy' (send to the deputy, else wait) or 'wait'",
    "board_call_working_days": "ask every lead for an update this many working days before a meeting's cut-off",
    "board_chase_working_days": "chase the leads still to update this many working days before the cut-off",
    "board_publish": "publish the board pack after the cut-off and send it to the board (true/false)",
    "completion_needs_signoff": (
        "a lead's complete status shows as 'complete, awaiting sign-off' until an admin or board "
        "member signs it off (true/false)"
    ),
}
BOOLEAN_KEYS = ("enabled", "on_due_day", "escalate_after_chase", "board_publish", "completion_needs_signoff")


def _parse_time(text: str) -> dt.time:
    try:
        hours, minutes = str(text).strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise InvalidInput(f"expected a time as HH:MM, got {text!r}", "value") from None


def _int(key: str, raw: Any, *, minimum: int = 0, maximum: int = 366) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise InvalidInput(f"{key} must be a whole number, got {raw!r}", "value") from None
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{key} must be between {minimum} and {maximum}, got {value}", "value")
    return value


def _coerce(key: str, raw: Any) -> Any:
    if key not in _FIELDS:
        raise InvalidInput(f"unknown policy key {key!r}; known keys: {', '.join(_FIELDS)}", "key")
    if key in BOOLEAN_KEYS:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise InvalidInput(f"{key} must be true or false, got {raw!r}", "value")
    if key in ("before_days", "before_working_days"):
        items = (
            raw if isinstance(raw, list | tuple) else [p for p in str(raw).replace(" ", "").split(",") if p]
        )
        return tuple(sorted({_int(key, item, minimum=1, maximum=90) for item in items}, reverse=True))
    if key in ("send_from", "send_until"):
        value = _parse_time(raw)
        if not EARLIEST <= value <= LATEST:
            raise InvalidInput(f"{key} must be between 08:00 and 18:00, got {raw!r}", "value")
        return value.strftime("%H:%M")
    if key == "on_leave":
        text = str(raw).strip().lower()
        if text not in LEAVE_CHOICES:
            raise InvalidInput(f"on_leave must be one of {', '.join(LEAVE_CHOICES)}, got {raw!r}", "value")
        return text
    if key == "ongoing_every_weeks":
        return _int(key, raw, minimum=1, maximum=52)
    if key == "board_call_working_days":
        return _int(key, raw, minimum=1, maximum=60)
    if key == "board_chase_working_days":
        return _int(key, raw, minimum=0, maximum=59)
    return _int(key, raw)


def find_plan(session: Session, name: str | None) -> Plan:
    """The named plan (in any case), or the only plan when no name is given."""
    if name:
        plan = plan_by_name(session, name)
        if plan is None:
            names = session.scalars(select(Plan.name).order_by(Plan.name)).all()
            raise NotFound(f"no plan called {name!r}; plans: {', '.join(names) or '(none imported)'}")
        return plan
    plans = session.scalars(select(Plan).order_by(Plan.name)).all()
    if len(plans) == 1:
        return plans[0]
    if not plans:
        raise NotFound("no plan has been imported yet")
    raise NotFound("several plans exist; choose one with --plan: " + ", ".join(p.name for p in plans))


def set_policy_value(session: Session, plan: Plan, key: str, value: str) -> Policy:
    """Validate and store one override; ``value`` "default" removes the override."""
    key = key.strip().lower().replace("-", "_")
    overrides = dict(plan.policy or {})
    if value.strip().lower() == "default":
        if key not in _FIELDS:
            _coerce(key, value)
        overrides.pop(key, None)
    else:
        coerced = _coerce(key, value)
        overrides[key] = list(coerced) if isinstance(coerced, tuple) else coerced
    merged = {**Policy.for_plan(None).as_dict(), **overrides}
    if _parse_time(merged["send_from"]) >= _parse_time(merged["send_until"]):
        raise InvalidInput("send_from must be earlier than send_until", "value")
    if int(merged["board_chase_working_days"]) >= int(merged["board_call_working_days"]):
        raise InvalidInput(
            "board_chase_working_days must be fewer than board_call_working_days "
            f"(the chase comes after the call): {merged['board_chase_working_days']} and "
            f"{merged['board_call_working_days']}",
            "value",
        )
    plan.policy = overrides  # a new dict, so SQLAlchemy sees the JSON change
    session.flush()
    return Policy.for_plan(plan)


def describe(plan: Plan) -> list[tuple[str, str, str]]:
    """(key, effective value, "default" or "plan") rows for ``policy show``."""
    policy = Policy.for_plan(plan).as_dict()
    overrides = plan.policy or {}
    rows = []
    for key, value in policy.items():
        shown = ",".join(str(v) for v in value) if isinstance(value, list) else str(value).lower()
        rows.append((key, shown, "plan" if key in overrides else "default"))
    return rows
