"""Working days and local sending windows.

Everything works on *local dates* in the recipient's own time zone, never on UTC offsets, so a DST
changeover cannot skip or double a day: 09:00 on the last Sunday of March is still one 09:00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

# The hard limits: never outside 08:00-18:00 local, whatever the policy says.
EARLIEST = dt.time(8, 0)
LATEST = dt.time(18, 0)


@cache
def zone(name: str | None, default: str = "Europe/London") -> ZoneInfo:
    """A ZoneInfo for a stored Slack tz name; an unknown or empty name falls back to the default."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("Europe/London")


@dataclass
class WorkCalendar:
    """Weekends plus the configured public holidays (England & Wales by default)."""

    country: str = "GB"
    subdivision: str | None = "ENG"
    _holidays: holidays.HolidayBase | None = field(default=None, repr=False)

    def holiday_name(self, day: dt.date) -> str | None:
        if self._holidays is None:
            # observed=True gives substitute days ("Boxing Day (observed)") for weekend holidays;
            # expand=True fills in further years on first lookup.
            self._holidays = holidays.country_holidays(
                self.country, subdiv=self.subdivision or None, observed=True, expand=True
            )
        return self._holidays.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None

    def working_day_on_or_before(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def working_days_before(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day strictly before ``day`` (n=0 gives ``day`` itself)."""
        if n <= 0:
            return day
        count = 0
        while count < n:
            day -= dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return day


def calendar_for(country: str, subdivision: str | None) -> WorkCalendar:
    return WorkCalendar(country=country, subdivision=subdivision or None)


@dataclass(frozen=True)
class SendingWindow:
    """When a recipient may be messaged: ``start <= local time < end`` on working days."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = LATEST

    def clamped(self) -> SendingWindow:
        start = max(self.start, EARLIEST)
        end = min(self.end, LATEST)
        if start >= end:
            return SendingWindow(EARLIEST, LATEST)
        return SendingWindow(start, end)


def local_now(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(tz)


def local_today(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    return local_now(now, tz).date()


def window_bounds(day: dt.date, tz: ZoneInfo, window: SendingWindow) -> tuple[dt.datetime, dt.datetime]:
    """The window on ``day`` as aware UTC instants (zoneinfo resolves the local wall time per date)."""
    w = window.clamped()
    start = dt.datetime.combine(day, w.start, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day, w.end, tzinfo=tz).astimezone(dt.UTC)
    return start, end


def may_send_now(now: dt.datetime, tz: ZoneInfo, calendar: WorkCalendar, window: SendingWindow) -> bool:
    """True on a working day (in the recipient's local date) between the window's start and end."""
    local = local_now(now, tz)
    if not calendar.is_working_day(local.date()):
        return False
    start, end = window_bounds(local.date(), tz, window)
    return start <= now.astimezone(dt.UTC) < end
