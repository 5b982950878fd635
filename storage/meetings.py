"""Board meetings: adding, repeating, moving, cancelling; query functions that take a session.

The caller owns the transaction. Dates are local dates in the organisation's time zone. A meeting's
round (the call, the chase, the notices to leads) is recorded in ``reminder_entries`` under the kinds
below with ``step`` = the meeting's id, so once any of it has gone out the meeting is cancelled rather
than deleted, and moving it carries those rows along.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.errors import InvalidInput, NotFound
from storage.models import BoardPost, Meeting, Plan, ReminderEntry

if TYPE_CHECKING:
    from storage.calendar import WorkCalendar

# Ledger kinds of the board cycle (``reminder_entries.kind``); the step is the meeting id.
BOARD_CALL = "board_call"
BOARD_CHASE = "board_chase"
BOARD_MOVED = "board_moved"
BOARD_CANCELLED = "board_cancelled"
BOARD_KINDS = (BOARD_CALL, BOARD_CHASE, BOARD_MOVED, BOARD_CANCELLED)
# Rows that follow the meeting when it moves (a "moved" notice keeps the date it announced).
MOVABLE_KINDS = (BOARD_CALL, BOARD_CHASE, BOARD_CANCELLED)

DEFAULT_NAME = "Board"
NAME_LIMIT = 80
DEFAULT_CUTOFF_WORKING_DAYS = 5
MAX_MEETINGS_PER_RULE = 100
CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,20}")


def meeting_label(meeting: Meeting) -> str:
    """ "Board 16 March 2027": the published version's name and how messages refer to the meeting."""
    return label_for(meeting.name, meeting.date)


def label_for(name: str, day: dt.date) -> str:
    return f"{name} {day.day} {day:%B %Y}"


def default_cutoff(
    day: dt.date, calendar: WorkCalendar, working_days: int = DEFAULT_CUTOFF_WORKING_DAYS
) -> dt.date:
    """Five working days before the meeting (weekends and bank holidays skipped), as the reminders count."""
    return calendar.working_days_before(day, working_days)


def clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        return DEFAULT_NAME
    if len(text) > NAME_LIMIT:
        raise InvalidInput(f"a meeting name is at most {NAME_LIMIT} characters (got {len(text)})", "name")
    return text


def list_meetings(session: Session, plan: Plan, *, include_cancelled: bool = True) -> list[Meeting]:
    stmt = select(Meeting).where(Meeting.plan_id == plan.id).order_by(Meeting.date, Meeting.id)
    if not include_cancelled:
        stmt = stmt.where(Meeting.status == "scheduled")
    return list(session.scalars(stmt))


def find_meeting(session: Session, plan: Plan, day: dt.date) -> Meeting:
    """The scheduled meeting on ``day``; NotFound names the dates there are."""
    meeting = session.scalars(
        select(Meeting).where(Meeting.plan_id == plan.id, Meeting.date == day, Meeting.status == "scheduled")
    ).first()
    if meeting is None:
        dates = [m.date.isoformat() for m in list_meetings(session, plan, include_cancelled=False)]
        raise NotFound(
            f"{plan.name} has no meeting on {day.isoformat()}; meetings: {', '.join(dates) or '(none)'}"
        )
    return meeting


def _check_dates(day: dt.date, cutoff: dt.date, today: dt.date) -> None:
    if day < today:
        raise InvalidInput(f"{day.isoformat()} is in the past; a meeting needs a date from today on", "date")
    if cutoff >= day:
        raise InvalidInput(
            f"the cut-off ({cutoff.isoformat()}) must be before the meeting ({day.isoformat()})", "cutoff"
        )


def _clash(session: Session, plan: Plan, day: dt.date, *, other_than: int | None = None) -> Meeting | None:
    stmt = select(Meeting).where(
        Meeting.plan_id == plan.id, Meeting.date == day, Meeting.status == "scheduled"
    )
    if other_than is not None:
        stmt = stmt.where(Meeting.id != other_than)
    return session.scalars(stmt).first()


def add_meeting(
    session: Session,
    plan: Plan,
    day: dt.date,
    *,
    cutoff: dt.date,
    today: dt.date,
    now: dt.datetime,
    name: str | None = None,
    rule: str | None = None,
) -> Meeting:
    """A new scheduled meeting; refused when the plan already has one that day."""
    _check_dates(day, cutoff, today)
    if _clash(session, plan, day) is not None:
        raise InvalidInput(f"{plan.name} already has a meeting on {day.isoformat()}", "date")
    meeting = Meeting(
        plan_id=plan.id,
        date=day,
        name=clean_name(name),
        cutoff=cutoff,
        status="scheduled",
        rule=rule[:200] if rule else None,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    return meeting


@dataclass(frozen=True)
class RepeatResult:
    added: list[Meeting]
    existing: list[dt.date]  # dates the plan already had a meeting on: left as they were
    too_late: list[dt.date]  # dates whose cut-off has already passed: nobody could be asked


def repeat_meetings(
    session: Session,
    plan: Plan,
    dates: list[dt.date],
    *,
    calendar: WorkCalendar,
    today: dt.date,
    now: dt.datetime,
    name: str | None = None,
    rule: str | None = None,
    cutoff_working_days: int = DEFAULT_CUTOFF_WORKING_DAYS,
) -> RepeatResult:
    """Add a meeting on each date (default cut-offs). Dates that already have one are kept as they are,
    and dates whose cut-off has passed are left out (``board add`` takes them, on purpose)."""
    if len(dates) > MAX_MEETINGS_PER_RULE:
        raise InvalidInput(
            f"that rule gives {len(dates)} meetings; at most {MAX_MEETINGS_PER_RULE} are added at once "
            "(use an earlier --until)",
            "until",
        )
    added, existing, too_late = [], [], []
    for day in dates:
        cutoff = default_cutoff(day, calendar, cutoff_working_days)
        if _clash(session, plan, day) is not None:
            existing.append(day)
        elif cutoff < today:
            too_late.append(day)
        else:
            added.append(
                add_meeting(session, plan, day, cutoff=cutoff, today=today, now=now, name=name, rule=rule)
            )
    return RepeatResult(added, existing, too_late)


def round_started(session: Session, meeting: Meeting) -> bool:
    """Whether anything of the meeting's round has gone out (or is on its way)."""
    if meeting.published_at is not None:
        return True
    sent = session.scalar(
        select(ReminderEntry.id)
        .where(ReminderEntry.step == meeting.id, ReminderEntry.kind.in_(BOARD_KINDS))
        .where(ReminderEntry.status.in_(("sent", "failed")))
        .limit(1)
    )
    posted = session.scalar(select(BoardPost.id).where(BoardPost.meeting_id == meeting.id).limit(1))
    return sent is not None or posted is not None


def remove_meeting(session: Session, meeting: Meeting, *, now: dt.datetime) -> str:
    """Delete a meeting nothing has been sent for ("deleted"); otherwise cancel it ("cancelled").

    A cancelled meeting keeps its row, so its ledger rows and its published version still say which
    meeting they were for; the next pass tells the leads who were asked that nothing more is needed.
    """
    if round_started(session, meeting):
        meeting.status, meeting.cancelled_at, meeting.updated_at = "cancelled", now, now
        session.flush()
        return "cancelled"
    session.execute(
        delete(ReminderEntry).where(ReminderEntry.step == meeting.id, ReminderEntry.kind.in_(BOARD_KINDS))
    )
    session.delete(meeting)
    session.flush()
    return "deleted"


def move_meeting(
    session: Session, meeting: Meeting, day: dt.date, *, cutoff: dt.date, today: dt.date, now: dt.datetime
) -> Meeting:
    """Move a meeting (and its cut-off), keeping its round: nobody is asked twice for one meeting."""
    if meeting.published_at is not None:
        raise InvalidInput(
            f"the board pack for {meeting_label(meeting)} has already been published; "
            "add a new meeting instead",
            "date",
        )
    _check_dates(day, cutoff, today)
    if day != meeting.date and _clash(session, meeting.plan, day, other_than=meeting.id) is not None:
        raise InvalidInput(f"{meeting.plan.name} already has a meeting on {day.isoformat()}", "date")
    session.execute(
        update(ReminderEntry)
        .where(ReminderEntry.step == meeting.id, ReminderEntry.kind.in_(MOVABLE_KINDS))
        .values(due_date=day)
    )
    if day != meeting.date or cutoff != meeting.cutoff:
        meeting.moved_from = meeting.date if day != meeting.date else meeting.moved_from
        meeting.moved_at = now
    meeting.date, meeting.cutoff, meeting.updated_at = day, cutoff, now
    session.flush()
    return meeting


def set_board_channel(session: Session, plan: Plan, channel: str | None) -> str | None:
    """Where the board pack is posted; "none"/"off" (or None) stops posting to a channel."""
    value = (channel or "").strip()
    if value.lower() in ("", "none", "off", "-"):
        plan.board_channel = None
    else:
        value = value.upper()
        if not CHANNEL_ID.fullmatch(value):
            raise InvalidInput(
                f"{channel!r} is not a Slack channel id (it looks like C0123ABCD: in Slack, open the "
                "channel's details and copy the id at the bottom)",
                "channel",
            )
        plan.board_channel = value
    session.flush()
    return plan.board_channel


def upcoming(session: Session, plan: Plan, today: dt.date) -> list[Meeting]:
    """Scheduled meetings from today on, soonest first."""
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.plan_id == plan.id, Meeting.status == "scheduled", Meeting.date >= today)
            .order_by(Meeting.date, Meeting.id)
        )
    )


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """The plan's last scheduled meeting before this one (its cut-off opens this meeting's window)."""
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.plan_id == meeting.plan_id,
            Meeting.status == "scheduled",
            Meeting.date < meeting.date,
            Meeting.id != meeting.id,
        )
        .order_by(Meeting.date.desc(), Meeting.id.desc())
        .limit(1)
    ).first()
