"""Working days, bank holidays and local sending windows (DST-safe)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from storage.calendar import SendingWindow, WorkCalendar, may_send_now, window_bounds, zone

D = dt.date
LONDON = ZoneInfo("Europe/London")
CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 4, 3), False),  # Good Friday
        (D(2026, 4, 6), False),  # Easter Monday
        (D(2026, 4, 7), True),
        (D(2026, 5, 4), False),  # Early May bank holiday
        (D(2026, 8, 31), False),  # Summer bank holiday (England & Wales)
        (D(2026, 12, 25), False),
        (D(2026, 12, 28), False),  # Boxing Day falls on a Saturday: substitute Monday
        (D(2027, 12, 27), False),
        (D(2027, 12, 28), False),  # both substitutes
        (D(2026, 11, 21), False),
        (D(2026, 11, 22), False),  # weekend
        (D(2026, 11, 23), True),
        (D(2026, 3, 17), True),  # St Patrick's Day is not an England holiday
    ],
)
def test_england_and_wales_working_days(day, working):
    assert CAL.is_working_day(day) is working


def test_region_is_configurable():
    scotland = WorkCalendar("GB", "SCT")
    northern_ireland = WorkCalendar("GB", "NIR")
    assert not scotland.is_working_day(D(2027, 1, 4))  # 2 January holiday, substituted
    assert CAL.is_working_day(D(2027, 1, 4))
    assert not northern_ireland.is_working_day(D(2026, 3, 17))
    assert CAL.holiday_name(D(2026, 4, 3)) == "Good Friday"


def test_working_day_arithmetic_across_easter():
    assert CAL.working_day_on_or_before(D(2026, 4, 6)) == D(2026, 4, 2)
    assert CAL.working_day_on_or_after(D(2026, 4, 3)) == D(2026, 4, 7)
    assert CAL.working_days_before(D(2026, 4, 7), 1) == D(2026, 4, 2)
    assert CAL.working_days_before(D(2026, 4, 7), 3) == D(2026, 3, 31)


@pytest.mark.parametrize(
    ("day", "utc_start"),
    [
        (D(2026, 3, 27), dt.datetime(2026, 3, 27, 9, tzinfo=dt.UTC)),  # GMT
        (D(2026, 3, 30), dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC)),  # BST, the Monday after the change
        (D(2026, 10, 23), dt.datetime(2026, 10, 23, 8, tzinfo=dt.UTC)),
        (D(2026, 10, 26), dt.datetime(2026, 10, 26, 9, tzinfo=dt.UTC)),
    ],
)
def test_nine_oclock_local_follows_dst(day, utc_start):
    start, end = window_bounds(day, LONDON, SendingWindow())
    assert start == utc_start and end - start == dt.timedelta(hours=9)


def test_window_is_clamped_to_eight_until_six():
    assert SendingWindow(dt.time(6), dt.time(22)).clamped() == SendingWindow(dt.time(8), dt.time(18))


@pytest.mark.parametrize(
    ("tz", "utc", "ok"),
    [
        ("Asia/Kolkata", dt.datetime(2026, 11, 23, 3, 29, tzinfo=dt.UTC), False),  # 08:59 IST
        ("Asia/Kolkata", dt.datetime(2026, 11, 23, 3, 30, tzinfo=dt.UTC), True),  # 09:00 IST
        ("Asia/Kolkata", dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC), False),  # 18:00 IST
        ("America/New_York", dt.datetime(2026, 11, 23, 13, 59, tzinfo=dt.UTC), False),  # 08:59 EST
        ("America/New_York", dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC), True),
        ("America/New_York", dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC), False),  # Saturday
        ("Europe/London", dt.datetime(2026, 3, 29, 9, 30, tzinfo=dt.UTC), False),  # DST Sunday
        ("Europe/London", dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC), True),  # 09:00 BST
    ],
)
def test_may_send_now_in_the_recipients_own_zone(tz, utc, ok):
    assert may_send_now(utc, ZoneInfo(tz), CAL, SendingWindow()) is ok


def test_unknown_zone_falls_back_to_default():
    assert zone("Mars/Olympus", "Europe/London") == LONDON
    assert zone(None, "Asia/Kolkata") == ZoneInfo("Asia/Kolkata")


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        may_send_now(dt.datetime(2026, 11, 23, 10), LONDON, CAL, SendingWindow())
