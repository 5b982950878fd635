"""Pure schedule arithmetic: which reminder step is current for one due date on one local day.

No database here: the planner feeds in the action's facts and the ledger facts it needs, so these
rules can be tested day by day over a simulated year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from storage.calendar import WorkCalendar
from storage.policy import Policy

MONTHS = {"monthly": 1, "bi-monthly": 2, "quarterly": 3, "six-monthly": 6, "annually": 12}
# Recurrences counted in days rather than months (storage.timescales.RECURRENCES has both kinds).
DAYS = {"weekly": 7, "fortnightly": 14}
# The due-day step of a recurring occurrence gets a fixed step number so policy edits don't renumber it.
RECURRING_DUE_STEP = 100
# An ongoing checkpoint is not worth sending once it is this stale (e.g. after long downtime).
ONGOING_STALE_DAYS = 14


@dataclass(frozen=True)
class Step:
    send_on: dt.date  # local date from which it may be sent (on working days, inside the window)
    kind: str  # before | due | overdue | ongoing | recurring
    step: int


@dataclass(frozen=True)
class Occurrence:
    due: dt.date
    family: str  # main | milestone | recurring | ongoing | ongoing-due (an ongoing action's own due date)


def before_steps(
    due: dt.date, calendar: WorkCalendar, policy: Policy, family: str, interval_days: int | None = None
) -> list[Step]:
    """The before-due steps and the due-day step, ordered by date (ties keep the later step)."""
    recurring = family == "recurring"
    limit = interval_days / 3 if recurring and interval_days else None
    steps: list[Step] = []
    for i, days in enumerate(policy.before_days):
        if limit is not None and days > limit:
            continue
        steps.append(
            Step(
                calendar.working_day_on_or_before(due - dt.timedelta(days=days)),
                "recurring" if recurring else "before",
                i,
            )
        )
    offset = len(policy.before_days)
    for j, wdays in enumerate(policy.before_working_days):
        if limit is not None and wdays * 7 / 5 > limit:
            continue
        steps.append(
            Step(calendar.working_days_before(due, wdays), "recurring" if recurring else "before", offset + j)
        )
    if policy.on_due_day:
        steps.append(
            Step(
                calendar.working_day_on_or_before(due),
                "recurring" if recurring else "due",
                RECURRING_DUE_STEP if recurring else 0,
            )
        )
    by_date: dict[dt.date, Step] = {}
    for step in steps:  # later steps (closer to the due date) win a shared date
        by_date[step.send_on] = step
    return [by_date[d] for d in sorted(by_date)]


def current_step(
    occ: Occurrence,
    today: dt.date,
    calendar: WorkCalendar,
    policy: Policy,
    *,
    stopped: bool,
    due_step_sent: bool,
    interval_days: int | None = None,
) -> Step | None:
    """The one step that should be (or has been) sent for ``occ`` as of local ``today``.

    Only the latest step counts, so after downtime a stale earlier step is never sent late; once the
    due date has passed, the overdue chase replaces any unsent before-due step.
    """
    if occ.family == "ongoing":
        if stopped or today < occ.due or (today - occ.due).days >= ONGOING_STALE_DAYS:
            return None
        return Step(occ.due, "ongoing", 0)
    if today <= occ.due:
        if stopped:
            return None
        candidates = [
            s
            for s in before_steps(occ.due, calendar, policy, occ.family, interval_days)
            if s.send_on <= today
        ]
        return candidates[-1] if candidates else None
    if occ.family != "main" or policy.overdue_every_days <= 0:
        return None
    n = (today - occ.due).days // policy.overdue_every_days
    if n >= 1:
        return Step(occ.due + dt.timedelta(days=n * policy.overdue_every_days), "overdue", n)
    if stopped or due_step_sent:
        return None
    # The due-day reminder never went (downtime, leave): send the chase now instead of a stale "due".
    return Step(occ.due + dt.timedelta(days=1), "overdue", 0)


def interval_days_for(recurrence: str | None) -> int:
    if recurrence == "termly":
        return 120
    if recurrence in DAYS:
        return DAYS[recurrence]
    return 30 * MONTHS.get(recurrence or "", 3)


def _term_ends(year: int) -> tuple[dt.date, ...]:
    """England's school terms end at Christmas, around Easter and in July; month ends keep it simple."""
    return (dt.date(year, 3, 31), dt.date(year, 7, 31), dt.date(year, 12, 31))


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1) + relativedelta(months=1, days=-1)


def next_recurrence(recurrence: str | None, today: dt.date, anchor: dt.date | None) -> dt.date:
    """The first occurrence on or after ``today``.

    With an anchor (the action's due date) occurrences repeat from it; without one they fall on
    period ends (quarterly: 31 Mar, 30 Jun, 30 Sep, 31 Dec; six-monthly: 30 Jun, 31 Dec; weekly and
    fortnightly: Fridays, fortnightly counted from Friday 7 Jan 2000). Termly actions always fall on the
    school term ends (31 Dec, 31 Mar, 31 Jul): terms are not evenly spaced, so an anchor can't repeat.
    """
    if recurrence == "termly":
        return min(d for year in (today.year, today.year + 1) for d in _term_ends(year) if d >= today)
    if recurrence in DAYS:
        step = DAYS[recurrence]
        base = anchor or dt.date(2000, 1, 7)  # a Friday
        days = (today - base).days % step
        return today if days == 0 else today + dt.timedelta(days=step - days)
    months = MONTHS.get(recurrence or "", 3)
    if anchor is not None:
        diff = (today.year - anchor.year) * 12 + today.month - anchor.month
        k = (diff // months - 1) * months
        while True:
            candidate = anchor + relativedelta(months=k)
            if candidate >= today:
                return candidate
            k += months
    year, month = today.year, today.month
    while True:
        if month % months == 0:
            candidate = _month_end(year, month)
            if candidate >= today:
                return candidate
        month += 1
        if month > 12:
            year, month = year + 1, 1


def latest_checkpoint(anchor: dt.date, weeks: int, today: dt.date) -> dt.date | None:
    """The most recent ongoing-monitoring checkpoint on or before ``today`` (anchor excluded)."""
    if today < anchor + dt.timedelta(weeks=weeks):
        return None
    k = (today - anchor).days // (weeks * 7)
    return anchor + dt.timedelta(weeks=k * weeks)
