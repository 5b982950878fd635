"""Plain-English meeting rules: what clerks type, read into exact dates; what is unclear, refused."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.errors import InvalidInput
from storage.meeting_rules import parse_rule

D = dt.date
START, UNTIL = D(2027, 1, 1), D(2027, 6, 30)


@pytest.mark.parametrize(
    ("rule", "reads_as", "dates"),
    [
        (
            "monthly on the second Tuesday",
            "monthly on the second Tuesday",
            [D(2027, 1, 12), D(2027, 2, 9), D(2027, 3, 9), D(2027, 4, 13), D(2027, 5, 11), D(2027, 6, 8)],
        ),
        (
            "every 2 months on the first Wednesday",
            "every 2 months on the first Wednesday",
            [D(2027, 1, 6), D(2027, 3, 3), D(2027, 5, 5)],
        ),
        ("quarterly on the last Thursday", "every 3 months on the last Thursday", [D(2027, 1, 28), D(2027, 4, 29)]),
        ("every 6 weeks on Monday", "every 6 weeks on Monday", [D(2027, 1, 4), D(2027, 2, 15), D(2027, 3, 29), D(2027, 5, 10), D(2027, 6, 21)]),
        ("fortnightly on Thursday", "every 2 weeks on Thursday", [D(2027, 1, 7) + dt.timedelta(weeks=2 * n) for n in range(13)]),
        ("Bi-monthly, 2nd Tues", "every 2 months on the second Tuesday", [D(2027, 1, 12), D(2027, 3, 9), D(2027, 5, 11)]),
        ("bimonthly on the third Monday", "every 2 months on the third Monday", [D(2027, 1, 18), D(2027, 3, 15), D(2027, 5, 17)]),
        ("The first Tuesday of every month", "monthly on the first Tuesday", [D(2027, 1, 5), D(2027, 2, 2), D(2027, 3, 2), D(2027, 4, 6), D(2027, 5, 4), D(2027, 6, 1)]),
        ("second Tuesday of the month, every 2 months", "every 2 months on the second Tuesday", [D(2027, 1, 12), D(2027, 3, 9), D(2027, 5, 11)]),
        ("every second Tuesday of the month", "monthly on the second Tuesday", [D(2027, 1, 12), D(2027, 2, 9), D(2027, 3, 9), D(2027, 4, 13), D(2027, 5, 11), D(2027, 6, 8)]),
        ("monthly on the 15th", "monthly on the 15th", [D(2027, m, 15) for m in range(1, 7)]),
        ("on day 1 of each month", "monthly on the 1st", [D(2027, m, 1) for m in range(1, 7)]),
        ("monthly on the first", "monthly on the 1st", [D(2027, m, 1) for m in range(1, 7)]),
        ("monthly on the last working day", "monthly on the last working day", [D(2027, 1, 29), D(2027, 2, 26), D(2027, 3, 31), D(2027, 4, 30), D(2027, 5, 31), D(2027, 6, 30)]),
        ("the last day of every month", "monthly on the last day", [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31), D(2027, 4, 30), D(2027, 5, 31), D(2027, 6, 30)]),
        ("second-to-last Friday of the month", "monthly on the second-to-last Friday", [D(2027, 1, 22), D(2027, 2, 19), D(2027, 3, 19), D(2027, 4, 23), D(2027, 5, 21), D(2027, 6, 18)]),
        ("first and third Wednesday of each month", "monthly on the first Wednesday and the third Wednesday", [D(2027, 1, 6), D(2027, 1, 20), D(2027, 2, 3), D(2027, 2, 17), D(2027, 3, 3), D(2027, 3, 17), D(2027, 4, 7), D(2027, 4, 21), D(2027, 5, 5), D(2027, 5, 19), D(2027, 6, 2), D(2027, 6, 16)]),
        ("every Tuesday", "weekly on Tuesday", [D(2027, 1, 5) + dt.timedelta(weeks=n) for n in range(26)]),
        ("every other Thursday", "every 2 weeks on Thursday", [D(2027, 1, 7) + dt.timedelta(weeks=2 * n) for n in range(13)]),
        ("every fortnight on a Friday", "every 2 weeks on Friday", [D(2027, 1, 1) + dt.timedelta(weeks=2 * n) for n in range(13)]),
        ("6-weekly on Wednesdays", "every 6 weeks on Wednesday", [D(2027, 1, 6), D(2027, 2, 17), D(2027, 3, 31), D(2027, 5, 12), D(2027, 6, 23)]),
        ("every four weeks on a Monday", "every 4 weeks on Monday", [D(2027, 1, 4) + dt.timedelta(weeks=4 * n) for n in range(7)]),
        ("every three months on the first Monday", "every 3 months on the first Monday", [D(2027, 1, 4), D(2027, 4, 5)]),
        ("quarterly in March, June, September and December on the last Thursday", "in March, June, September and December on the last Thursday", [D(2027, 3, 25), D(2027, 6, 24)]),
        ("annually on the first Tuesday in March", "in March on the first Tuesday", [D(2027, 3, 2)]),
        ("The 2nd Tuesday monthly at 2pm", "monthly on the second Tuesday", [D(2027, 1, 12), D(2027, 2, 9), D(2027, 3, 9), D(2027, 4, 13), D(2027, 5, 11), D(2027, 6, 8)]),
        ("once a month on the 4th Thursday", "monthly on the fourth Thursday", [D(2027, 1, 28), D(2027, 2, 25), D(2027, 3, 25), D(2027, 4, 22), D(2027, 5, 27), D(2027, 6, 24)]),
        ("monthly on the second Tuesday from 6 April 2027", "monthly on the second Tuesday, from 6 April 2027", [D(2027, 4, 13), D(2027, 5, 11), D(2027, 6, 8)]),
    ],
)  # fmt: skip
def test_rules_clerks_type_give_exact_dates(rule, reads_as, dates):
    parsed = parse_rule(rule)
    assert parsed.describe() == reads_as
    assert parsed.dates(START, UNTIL) == dates


def test_the_interval_counts_from_the_first_meeting_on_or_after_the_start():
    rule = parse_rule("every 2 months on the first Wednesday")
    assert rule.dates(D(2027, 1, 20), D(2027, 6, 30)) == [D(2027, 2, 3), D(2027, 4, 7), D(2027, 6, 2)]
    weekly = parse_rule("every 6 weeks on Monday")
    assert weekly.dates(D(2027, 1, 5), D(2027, 3, 31)) == [D(2027, 1, 11), D(2027, 2, 22)]


def test_a_rule_that_gives_no_dates_in_the_range_gives_none():
    assert parse_rule("annually on the first Tuesday in March").dates(D(2027, 4, 1), D(2027, 12, 31)) == []


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("every second Tuesday", 'could mean fortnightly or the second Tuesday of each month; say "fortnightly on Tuesday"'),
        ("monthly on Tuesday", 'which Tuesday of the month? e.g. "monthly on the first Tuesday"'),
        ("monthly", "it doesn't say which day"),
        ("every 6 weeks", "it doesn't say which day"),
        ("monthly on the 31st", 'not every month has a 31st; say "the last day"'),
        ("twice a month", 'I don\'t know what "twice" means here'),
        ("monthly on the second Tuesday, weekly", "it gives two different frequencies"),
        ("weekly on the second Tuesday", 'a weekly rule takes a day of the week ("fortnightly on Thursday")'),
        ("every 2 tuesdays", '"every 2 tuesdays" is unclear; say "every 2 weeks on Tuesday"'),
        ("every 30 months on the first Monday", "an interval of 30 is out of range (1 to 24)"),
        ("", "it is empty"),
        ("monthly on the second Tuesday from next spring", '"next spring" is not a date'),
        ("x" * 201, "longer than 200 characters"),
        ("monthly on the last working", '"last" needs a day of the week after it'),
        ("monthly on the working day", 'say which working day ("the first working day", "the last working day")'),
    ],
)  # fmt: skip
def test_unclear_rules_are_refused_with_one_line_saying_what_is_understood(rule, says):
    with pytest.raises(InvalidInput) as raised:
        parse_rule(rule)
    message = str(raised.value)
    assert says in message
    assert "\n" not in message
    assert 'Rules look like "monthly on the second Tuesday"' in message
