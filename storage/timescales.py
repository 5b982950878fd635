"""Free-text timescales ("May 23", "Q3 2023/24", "31 July 2020 and Ongoing") read into due dates.

Our own rules run first and python-dateutil only handles what they leave (and does the date arithmetic),
because dateutil's fuzzy mode happily turns "by 31 30 December 2020" into 2031.

Decisions (README "Timescales" repeats them for plan owners):

- A month without a day ("November 2019", "Sep 23") is due at the end of that month; a season at the end
  of its last month (spring = Mar-May, summer = Jun-Aug, autumn = Sep-Nov, winter = Dec-Feb, so
  "Winter 2023" ends in February 2024); a school term at the end of its last month (autumn = Dec,
  spring = Mar, summer = Jul); a bare year on 31 December; "2023/24" on 31 March 2024.
- Quarters are UK financial quarters: Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec, Q4 = Jan-Mar.
  "Q3 2023/24" is Oct-Dec 2023. "Q3 2023" names the financial year starting in 2023 (so also Oct-Dec 2023);
  that reading is a guess, so it carries a warning.
- Numbers are day-first (UK): "31/12/2021", "06/09/2020" = 6 September.
- Two-digit years: "May 23" is May 2023 when 2023 is within 3 years of the reference; otherwise, and
  always for "23 May", 23 is the day. No date more than 10 years from the reference year is ever returned.
- Dates without a year ("end of March", "23 May") take the first occurrence on or after the plan's
  start (or, failing that, its reference date), unless a later date in the same text names the year
  ("July-September 2020").
- ``milestones`` lists every deadline named, oldest first; ``due`` is the last of them, so
  ``due == milestones[-1]`` whenever there is a due date. A range ("July 2020-September 2020") is one
  period of work: its end is the deadline and its start goes to ``starts``, not to the milestones.
  Dates after "from"/"starting" are starts too.
- Schedules: "Completed"/"Done"/"Achieved" (but not "to be completed by", "Complete by") -> done;
  any recurrence word ("Every Q", "Quarterly", "Bi-monthly" = every two months) -> recurring, and
  "every N weeks/months" rounds down to the nearest recurrence, with a warning when it is not exact;
  "Ongoing" (or a start with no end) -> ongoing; otherwise dates or relative periods ("within 3 months", "immediate", counted
  from the plan's start, else its reference date) -> once. "31 July 2020 and Ongoing" is ongoing
  with due 2020-07-31: the deadline is kept, and after it the action is reviewed on the plan's
  monitoring cadence like any ongoing action.
- "Jan 2021 (revised from Oct 2020)": the superseded date is dropped. A lowercase "may" inside a
  sentence is the verb, not the month.
- Empty text -> unknown, no warning. Text with no date -> unknown with a warning naming the text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dateutil import parser as dateutil_parser
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

YEAR_WINDOW = 10  # no date further than this from the reference year is ever returned
TWO_DIGIT_YEAR_NEAR = 3  # "May 23" is a year only when 2023 is this close to the reference year

SCHEDULES = ("once", "ongoing", "recurring", "done", "unknown")
RECURRENCES = (
    "weekly",
    "fortnightly",
    "monthly",
    "bi-monthly",
    "quarterly",
    "termly",
    "six-monthly",
    "annually",
)


@dataclass(frozen=True)
class Timescale:
    raw: str
    due: dt.date | None = None
    milestones: tuple[dt.date, ...] = ()
    schedule: str = "unknown"  # once | ongoing | recurring | done | unknown
    recurrence: str | None = None  # one of RECURRENCES
    warning: str | None = None
    # When the work starts, if the text says ("July 2020-September 2020", "from May 2023").
    starts: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "due": self.due.isoformat() if self.due else None,
            "milestones": [d.isoformat() for d in self.milestones],
            "schedule": self.schedule,
            "recurrence": self.recurrence,
            "warning": self.warning,
            "starts": self.starts.isoformat() if self.starts else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timescale:
        def day(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        return cls(
            raw=data.get("raw", ""),
            due=day(data.get("due")),
            milestones=tuple(dt.date.fromisoformat(d) for d in data.get("milestones") or ()),
            schedule=data.get("schedule", "unknown"),
            recurrence=data.get("recurrence"),
            warning=data.get("warning"),
            starts=day(data.get("starts")),
        )


# --- vocabulary ---------------------------------------------------------------------------------

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?"
)
MONTH_PATTERN = _MON  # for other readers of dates ("12 March 2025" in a list plan's front matter)
NUMBER_WORDS = {
    "a": 1,
 "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty": 20,
    "twenty-four": 24, "thirty": 30,
}  # fmt: skip
_NUM = r"(?:\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"

# One scanner, tried left to right: at a given position the first alternative wins, and the scan
# resumes after the match. That is what keeps "Jun 23 Sep 23" from being read as "23 Sep".
_DATE_RE = re.compile(
    r"(?P<iso>\b(?P<iso_y>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})\b)"
    r"|(?P<num>\b(?P<num_d>\d{1,2})[/.\-](?P<num_m>\d{1,2})[/.\-](?P<num_y>\d{4}|\d{2})\b)"
    r"|(?P<nmy>\b(?P<nmy_m>0?[1-9]|1[0-2])[/.\-](?P<nmy_y>(?:19|20)\d{2})\b)"
    r"|(?P<qtr>\b(?:q|qtr|quarter)\s*(?P<q>[1-4])\b"
    r"(?:\s*(?:of\s+)?(?:fy\s*)?(?P<q_y>(?:19|20)\d{2}|\d{2}(?=\s*[/\-]\s*\d{2}\b))"
    r"(?:\s*[/\-]\s*(?P<q_y2>\d{4}|\d{2}))?\b)?)"
    r"|(?P<season>\b(?P<s_name>spring|summer|autumn|fall|winter)(?P<s_term>\s+term)?\b"
    r"(?:\s*(?P<s_y>(?:19|20)\d{2})(?:\s*[/\-]\s*(?P<s_y2>\d{4}|\d{2}))?\b)?)"
    rf"|(?P<dmy>\b(?P<dmy_d>\d{{1,2}})\s*(?:of\s+)?-?(?P<dmy_m>{_MON})"
    r"(?:[\s,\-]*(?P<dmy_y>\d{4}|'?\d{2})\b)?)"
    rf"|(?P<mdy>\b(?P<mdy_m>{_MON})\s*(?P<mdy_d>\d{{1,2}}),?\s+(?P<mdy_y>\d{{4}})\b)"
    rf"|(?P<my>\b(?P<my_m>{_MON})[\s,\-/']*(?P<my_y>\d{{4}}|\d{{2}})\b)"
    rf"|(?P<mon>\b(?P<mon_m>{_MON}))"
    r"|(?P<fy>\b(?P<fy_y>(?:19|20)\d{2})\s*[/\-]\s*(?P<fy_y2>\d{4}|\d{2})\b)"
    r"|(?P<year>\b(?P<year_y>(?:19|20)\d{2})\b)",
    re.IGNORECASE,
)

_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|until|till|through|thru|and)\s*$", re.IGNORECASE)
_START_CUE = re.compile(
    r"(?:\bfrom|\bstart(?:ing)?(?:\s+in)?|\bcommencing|\bbeginning(?!\s+of))\s*(?:the\s+)?(?:end\s+of\s+)?$",
    re.IGNORECASE,
)
_SUPERSEDED_CUE = re.compile(
    r"\b(?:revised|moved|changed|amended|extended|slipped|deferred|postponed|was|originally|previously)"
    r"(?:\s+(?:from|was))?\s*:?\s*$",
    re.IGNORECASE,
)
_ONWARDS = re.compile(r"\s*(?:and\s+)?onwards?\b", re.IGNORECASE)
_PRECISION_CUE = re.compile(
    r"(?P<cue>\bearly|\bmid|\blate|\bend\s+of|\bbeginning\s+of|\bstart\s+of)\s*(?:the\s+)?-?\s*$",
    re.IGNORECASE,
)

# "Completed", "Sept 2020 - complete", "Achieved (July 2020)" are done; "To be completed by ...",
# "Complete by March 2021" and "must be achieved" are deadlines.
_DONE_RE = re.compile(
    r"(?P<before>\b(?:to|be|been|being|will|should|must|shall|to be)\s+)?"
    r"\b(?P<word>completed|complete|done|achieved|finished|closed|delivered|in place)\b"
    r"(?P<after>\s+(?:by|before|within|in|no later|on|at|during|end|the|from|for|over|ongoing)\b)?",
    re.IGNORECASE,
)
_ONGOING_RE = re.compile(
    r"\b(?:on-?\s?going|continuous(?:ly)?|continual(?:ly)?|continuing|throughout|onwards"
    r"|business as usual|bau|as required|as needed|as and when|rolling)\b",
    re.IGNORECASE,
)
_RECURRENCE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("bi-monthly", r"\bbi-?\s?monthly\b|\bevery\s+(?:2|two|other)\s+months?\b"),
        ("six-monthly", r"\b(?:six|6)[\s-]?monthly\b|\bhalf[\s-]?yearly\b|\bbi-?\s?annual(?:ly)?\b"
                        r"|\bevery\s+(?:6|six)\s+months\b|\btwice\s+(?:a\s+|per\s+)?year(?:ly)?\b"),
        ("quarterly", r"\bquarterly\b|\bevery\s+(?:q|qtr|quarter)\b|\bevery\s+(?:3|three)\s+months\b"),
        ("fortnightly", r"\bfortnightly\b|\bevery\s+(?:2|two|other)\s+weeks?\b"),
        ("termly", r"\btermly\b|\b(?:every|each)\s+(?:school\s+)?term\b|\bonce\s+(?:a|per)\s+term\b"),
        ("weekly", r"\bweekly\b|\bevery\s+week\b"),
        ("monthly", r"\bmonthly\b|\bevery\s+month\b"),
        ("annually", r"\bannual(?:ly)?\b|\byearly\b|\bevery\s+(?:year|12\s+months)\b"),
    )
)  # fmt: skip
_RELATIVE_RE = re.compile(
    rf"(?:\b(?:within|in|next|over)\s+(?:the\s+)?(?:next\s+|first\s+)?)?"
    rf"\b(?P<n>{_NUM})(?:\s*(?:-|–|to)\s*(?P<n2>{_NUM}))?\s*(?P<unit>day|week|month|year)s?\b",
    re.IGNORECASE,
)
_IMMEDIATE_RE = re.compile(
    r"\b(?:immediate(?:ly)?|asap|as soon as possible|with immediate effect)\b", re.IGNORECASE
)
_NO_DATE_YET_RE = re.compile(
    r"^\W*(?:tbc|tba|tbd|to be (?:confirmed|agreed|decided)|n/?a)\W*$", re.IGNORECASE
)
_ORDINAL_RE = re.compile(r"\b(\d{1,2})\s*(?:st|nd|rd|th)\b", re.IGNORECASE)

# Where each season or school term ends: (month, year offset from the named year).
SEASON_END = {"spring": (5, 0), "summer": (8, 0), "autumn": (11, 0), "fall": (11, 0), "winter": (2, 1)}
TERM_END = {"spring": (3, 0), "summer": (7, 0), "autumn": (12, 0), "fall": (12, 0), "winter": (3, 0)}
SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
TERM_START = {"spring": 1, "summer": 4, "autumn": 9, "fall": 9, "winter": 1}


# --- helpers ------------------------------------------------------------------------------------


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


_TAG = re.compile(r"<[^>]*>")


_WHITESPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    text = html.unescape(_TAG.sub(" ", text))
    text = unicodedata.normalize("NFKC", text)
    text = _ORDINAL_RE.sub(r"\1", text)
    text = _HOLIDAY_RE.sub(_holiday_date, text)
    return _WHITESPACE.sub(" ", text).strip()


# Schools and councils date work by the holidays: "by Easter 2025" is Easter Sunday, not the end of 2025.
_HOLIDAY_RE = re.compile(r"\b(easter|christmas)\s+((?:19|20)\d\d)\b", re.IGNORECASE)


def _holiday_date(match: re.Match[str]) -> str:
    year = int(match.group(2))
    day = easter(year) if match.group(1).lower() == "easter" else dt.date(year, 12, 25)
    return f"{day.day} {day:%B} {year}"


def _full_year(text: str) -> int:
    digits = text.lstrip("'")
    year = int(digits)
    return year + 2000 if len(digits) == 2 else year


def _second_year(first: int, text: str | None) -> int | None:
    """The end year of "2023/24" or "2023-2024", when it really is the next year."""
    if not text:
        return None
    year = int(text) if len(text) == 4 else first // 100 * 100 + int(text)
    return year if year == first + 1 else None


def _later_year(first: int, text: str) -> bool:
    year = int(text) if len(text) == 4 else first // 100 * 100 + int(text)
    return 0 < year - first <= YEAR_WINDOW


@dataclass
class _Found:
    """One date mention: the period it names and how it was written."""

    first: dt.date  # first day of the period named
    last: dt.date  # the deadline it names
    start: int
    end: int
    has_year: bool = True
    # For year-less mentions: rebuild the period for a given year.
    rebuild: Any = field(default=None, repr=False)
    is_start: bool = False
    superseded: bool = False  # "revised from Oct 2020": the old deadline, kept in the raw text only
    note: str | None = None


class _OutOfRange(Exception):
    pass


class _Parser:
    def __init__(self, text: str, reference: dt.date, start: dt.date | None) -> None:
        self.text = text
        self.reference = reference
        self.base = start or reference
        self.min_year = max(dt.MINYEAR, reference.year - YEAR_WINDOW)
        self.max_year = min(dt.MAXYEAR, reference.year + YEAR_WINDOW)
        self.rejected: list[str] = []
        self.notes: list[str] = []

    def in_range(self, day: dt.date | None) -> bool:
        return day is not None and self.min_year <= day.year <= self.max_year

    def check_year(self, year: int, text: str) -> int:
        if not self.min_year <= year <= self.max_year:
            self.rejected.append(text)
            raise _OutOfRange(text)
        return year

    def forward(self, build) -> tuple[dt.date, dt.date]:
        """The first occurrence of a year-less period that ends on or after the base date."""
        for year in (self.base.year, self.base.year + 1):
            try:
                first, last = build(year)
            except ValueError:  # 29 February in a common year
                continue
            if last >= self.base:
                return first, last
        return build(self.base.year + 1)

    def read(self, m: re.Match[str]) -> _Found | None:
        """The period one match of ``_DATE_RE`` names; None when it names none (out of range, 30 Feb, "may")."""
        g = m.groupdict()
        text = m.group(0).strip()
        for group, reader in _READERS:
            if g[group]:
                try:
                    return reader(self, m, g, text)
                except (_OutOfRange, ValueError, OverflowError):
                    return None
        raise AssertionError(m.lastgroup)  # pragma: no cover - every alternative has a reader

    # One reader per alternative of _DATE_RE: (match, its groups, the matched text) in, a _Found out
    # (or None). A ValueError from dt.date (31 April) means the text names no date.
    def _iso(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        year = self.check_year(int(g["iso_y"]), text)
        day = dt.date(year, int(g["iso_m"]), int(g["iso_d"]))
        return _Found(day, day, m.start(), m.end())

    def _numeric(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        """ "3/4/2024" is 3 April; "4/13/2024" can only be month-first, and says so in a note."""
        d, mo = int(g["num_d"]), int(g["num_m"])
        note = None
        if mo > 12 and d <= 12:  # written month-first, the American way
            d, mo = mo, d
            note = f"read {text!r} as {d} {calendar.month_name[mo]} (month and day swapped)"
        year = self.check_year(_full_year(g["num_y"]), text)
        day = dt.date(year, mo, d)
        return _Found(day, day, m.start(), m.end(), note=note)

    def _numeric_month_year(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        year = self.check_year(int(g["nmy_y"]), text)
        mo = int(g["nmy_m"])
        return _Found(dt.date(year, mo, 1), _month_end(year, mo), m.start(), m.end())

    def _day_month(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        """ "3 April 2024", or "3 April" alone: its next occurrence on or after the base date."""
        d, mo = int(g["dmy_d"]), MONTHS[g["dmy_m"].rstrip(".").lower()]
        if g["dmy_y"]:
            year = self.check_year(_full_year(g["dmy_y"]), text)
            day = dt.date(year, mo, d)
            return _Found(day, day, m.start(), m.end())
        dt.date(2000, mo, d)  # validates day-of-month (2000 is a leap year)
        first, last = self.forward(lambda y: (dt.date(y, mo, d), dt.date(y, mo, d)))
        return _Found(
            first,
            last,
            m.start(),
            m.end(),
            has_year=False,
            rebuild=lambda y: (dt.date(y, mo, d), dt.date(y, mo, d)),
        )

    def _month_day_year(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        mo, d = MONTHS[g["mdy_m"].rstrip(".").lower()], int(g["mdy_d"])
        year = self.check_year(int(g["mdy_y"]), text)
        day = dt.date(year, mo, d)
        return _Found(day, day, m.start(), m.end())

    def _month_alone(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found | None:
        """ "April": the whole month, its next occurrence; "may" is the verb unless it is all the text."""
        word = g["mon_m"]
        if word == "may" and self.text.strip(" .").lower() != "may":
            return None  # the verb, not the month
        mo = MONTHS[word.rstrip(".").lower()]
        build = lambda y: (dt.date(y, mo, 1), _month_end(y, mo))  # noqa: E731
        first, last = self.forward(build)
        return _Found(first, last, m.start(), m.end(), has_year=False, rebuild=build)

    def _financial_year(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found | None:
        """ "2023/24": April to March, or September to August after "academic year"."""
        first_year = int(g["fy_y"])
        second = _second_year(first_year, g["fy_y2"])
        if second is None:
            return None
        self.check_year(first_year, text)
        self.check_year(second, text)
        if re.search(r"\b(?:academic|school)\s+year\s*$", self.text[: m.start()], re.IGNORECASE):
            return _Found(dt.date(first_year, 9, 1), dt.date(second, 8, 31), m.start(), m.end())
        return _Found(dt.date(first_year, 4, 1), dt.date(second, 3, 31), m.start(), m.end())

    def _year(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        year = self.check_year(int(g["year_y"]), text)
        return _Found(dt.date(year, 1, 1), dt.date(year, 12, 31), m.start(), m.end())

    def _month_year(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found | None:
        mo = MONTHS[g["my_m"].rstrip(".").lower()]
        digits = g["my_y"]
        if len(digits) == 4:
            year = self.check_year(int(digits), text)
            return _Found(dt.date(year, mo, 1), _month_end(year, mo), m.start(), m.end())
        year = 2000 + int(digits)
        if abs(year - self.reference.year) <= TWO_DIGIT_YEAR_NEAR:
            return _Found(dt.date(year, mo, 1), _month_end(year, mo), m.start(), m.end())
        d = int(digits)
        if 1 <= d <= 31:  # "December 31": a day, since 2031 is nowhere near the plan
            dt.date(2000, mo, d)
            build = lambda y: (dt.date(y, mo, d), dt.date(y, mo, d))  # noqa: E731
            first, last = self.forward(build)
            return _Found(first, last, m.start(), m.end(), has_year=False, rebuild=build)
        self.check_year(year, text)
        return _Found(dt.date(year, mo, 1), _month_end(year, mo), m.start(), m.end())

    def _quarter(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        q = int(g["q"])
        # UK financial quarters: Q1 starts in April.
        start_month = (q * 3 + 1) % 12 or 12  # 4, 7, 10, 1

        def build(fy_start: int) -> tuple[dt.date, dt.date]:
            year = fy_start + 1 if q == 4 else fy_start
            return dt.date(year, start_month, 1), _month_end(year, start_month + 2)

        if g["q_y"]:
            fy_start = _full_year(g["q_y"])
            second = _second_year(fy_start, g["q_y2"])
            note = None
            if g["q_y2"] and second is None:
                # "Q1 2024/2023" or similar: the year pair is not consecutive; take the first year.
                note = f"read {text!r} as the financial year starting in {fy_start}"
            elif not g["q_y2"]:
                first, last = build(fy_start)
                note = (
                    f"read {text!r} as UK financial Q{q} {fy_start}/{str(fy_start + 1)[-2:]} "
                    f"({first:%b}-{last:%b %Y})"
                )
            self.check_year(fy_start, text)
            first, last = build(fy_start)
            self.check_year(last.year, text)
            return _Found(first, last, m.start(), m.end(), note=note)
        first, last = self.forward(build)
        return _Found(first, last, m.start(), m.end(), has_year=False, rebuild=build)

    def _season(self, m: re.Match[str], g: dict[str, str], text: str) -> _Found:
        name = g["s_name"].lower()
        ends, starts = (TERM_END, TERM_START) if g["s_term"] else (SEASON_END, SEASON_START)
        end_month, offset = ends[name]

        def build(year: int) -> tuple[dt.date, dt.date]:
            return dt.date(year, starts[name], 1), _month_end(year + offset, end_month)

        if g["s_y"]:
            # "Winter 2023/24" and "Winter 2023" both run from December 2023 to February 2024.
            year = int(g["s_y"])
            self.check_year(year, text)
            first, last = build(year)
            self.check_year(last.year, text)
            return _Found(first, last, m.start(), m.end())
        first, last = self.forward(build)
        return _Found(first, last, m.start(), m.end(), has_year=False, rebuild=build)


# The alternatives of _DATE_RE in the order they are tried, each with its reader.
_READERS: tuple[tuple[str, Callable[[_Parser, re.Match[str], dict[str, str], str], _Found | None]], ...] = (
    ("iso", _Parser._iso),
    ("num", _Parser._numeric),
    ("nmy", _Parser._numeric_month_year),
    ("qtr", _Parser._quarter),
    ("season", _Parser._season),
    ("dmy", _Parser._day_month),
    ("mdy", _Parser._month_day_year),
    ("my", _Parser._month_year),
    ("mon", _Parser._month_alone),
    ("fy", _Parser._financial_year),
    ("year", _Parser._year),
)


def _apply_cues(text: str, found: list[_Found]) -> None:
    """Starts ("from May 2023") and precision words ("early", "mid", "end of") before a mention."""
    for item in found:
        before = text[max(0, item.start - 30) : item.start]
        if _SUPERSEDED_CUE.search(before):
            item.superseded = True
        elif _START_CUE.search(before) or _ONWARDS.match(text[item.end :]):
            item.is_start = True
        cue = _PRECISION_CUE.search(before)
        if cue and item.first != item.last:
            item.last = _narrow(cue.group("cue").lower(), item.first, item.last)


def _narrow(word: str, first: dt.date, last: dt.date) -> dt.date:
    """ "early March" is the 10th, "mid-2024" is June, "early 2024" is March."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months <= 1:
        day = {"early": 10, "mid": 15}.get(word)
        if word.startswith(("beginning", "start")):
            day = 1
        return first.replace(day=day) if day else last
    if word == "early":
        offset = max(0, months // 4 - 1)
    elif word == "mid":
        offset = (months - 1) // 2
    elif word.startswith(("beginning", "start")):
        offset = 0
    else:
        return last
    moment = first + relativedelta(months=offset)
    return _month_end(moment.year, moment.month)


def _inherit_years(found: list[_Found], parser: _Parser) -> None:
    """A year-less mention takes its year from the next mention that has one ("July-September 2020")."""
    for i, item in enumerate(found):
        if item.has_year or item.rebuild is None:
            continue
        later = next((f for f in found[i + 1 :] if f.has_year), None)
        if later is None:
            continue
        for year in (later.last.year, later.last.year - 1):
            try:
                first, last = item.rebuild(year)
            except ValueError:
                continue
            if last <= later.last and parser.in_range(first) and parser.in_range(last):
                item.first, item.last, item.has_year = first, last, True
                break


_FINANCIAL_YEAR_END = re.compile(
    r"\b(?:end\s+of\s+(?:the\s+|this\s+)?financial\s+year|financial\s+year[-\s]end|year[-\s]end)\b",
    re.IGNORECASE,
)
_YEAR_END = re.compile(r"\bend\s+of\s+(?:the\s+|this\s+)?(?:calendar\s+)?year\b", re.IGNORECASE)


def _relative(text: str, parser: _Parser) -> dt.date | None:
    if _IMMEDIATE_RE.search(text):
        return parser.base
    if _FINANCIAL_YEAR_END.search(text):
        return parser.forward(lambda y: (dt.date(y, 3, 31), dt.date(y, 3, 31)))[1]
    if _YEAR_END.search(text):
        return parser.forward(lambda y: (dt.date(y, 12, 31), dt.date(y, 12, 31)))[1]
    m = _RELATIVE_RE.search(text)
    if not m:
        return None
    amounts = [m.group("n"), m.group("n2")]
    values = [int(a) if a.isdigit() else NUMBER_WORDS[a.lower()] for a in amounts if a]
    amount = max(values)
    if amount == 0:
        return None
    unit = m.group("unit").lower()
    try:
        due = parser.base + relativedelta(**{unit + "s": amount})
    except (OverflowError, ValueError):
        return None
    return due if parser.in_range(due) else None


def _is_done(text: str) -> bool:
    for m in _DONE_RE.finditer(text):
        if m.group("before"):
            continue
        past = m.group("word").lower() in ("completed", "done", "achieved", "finished", "closed", "delivered")
        if past and not re.match(r"\s+(?:by|before|within|no later)\b", text[m.end("word") :], re.IGNORECASE):
            return True
        if not m.group("after"):
            return True
    return False


def _is_done_overall(raw: str, cleaned: str) -> bool:
    """Done, unless the text is a list of dated milestones ("October 2024 – recruitment complete",
    one per line): a completion word there describes a milestone, so all of them must say it."""
    done = _is_done(cleaned)
    if not done or not ("\n" in raw or "  " in raw or "\t" in raw):
        return done
    lines = [_clean(line) for line in re.split(r"\n|[ \t]{2,}", raw) if line.strip()]
    if len(lines) >= 2 and all(_DATE_RE.search(line) for line in lines):
        return all(_is_done(line) for line in lines)
    return done


_EVERY_N_RE = re.compile(rf"\bevery\s+(?P<n>{_NUM})\s*(?P<unit>week|month|year)s?\b", re.IGNORECASE)
# "every N weeks" rounded to the nearest recurrence that is not longer: an extra reminder beats a missed one.
_RECURRENCE_DAYS = (
    ("weekly", 7), ("fortnightly", 14), ("monthly", 28), ("bi-monthly", 56), ("quarterly", 84),
    ("six-monthly", 168), ("annually", 350),
)  # fmt: skip


def _recurrence(text: str) -> tuple[str | None, str | None]:
    """(recurrence, note): the note says how an unusual interval was rounded."""
    for name, pattern in _RECURRENCE_PATTERNS:
        if pattern.search(text):
            return name, None
    m = _EVERY_N_RE.search(text)
    if not m:
        return None, None
    n = m.group("n")
    amount = int(n) if n.isdigit() else NUMBER_WORDS[n.lower()]
    days = amount * {"week": 7, "month": 30, "year": 365}[m.group("unit").lower()]
    if days <= 0:
        return None, None
    name = "weekly"
    for candidate, length in _RECURRENCE_DAYS:
        if length <= days:
            name = candidate
    exact = {
        7: "weekly",
        14: "fortnightly",
        30: "monthly",
        60: "bi-monthly",
        90: "quarterly",
        180: "six-monthly",
    }
    if exact.get(days) == name or days in (28, 56, 84, 168, 365, 360) or m.group(0).lower().endswith("year"):
        return name, None
    return name, f"read {m.group(0)!r} as {name}"


_DIGIT = re.compile(r"\d")


def _dateutil_fallback(text: str, parser: _Parser) -> dt.date | None:
    """Formats our rules do not spell out; never fuzzy, so stray numbers cannot become years."""
    if not _DIGIT.search(text) or len(text) > 40:
        return None
    default = dt.datetime(parser.base.year, 1, 1)
    try:
        value = dateutil_parser.parse(text, dayfirst=True, default=default).date()
    except (ValueError, OverflowError, TypeError):
        return None
    return value if parser.in_range(value) else None


_OF_INSPECTION = re.compile(
    r"\b(?:of|after|from|following|since)\s+(?:the\s+)?(?:date\s+of\s+(?:the\s+)?)?(?:(?:ofsted|cqc|joint|area|send)\s+)*"
    r"(?:inspection|visit)\b",
    re.IGNORECASE,
)


def _mark_periods(cleaned: str, found: list[_Found]) -> None:
    """Pairs joined by "-" / "to" are one period: the first names the start only."""
    for left, right in itertools.pairwise(found):
        if _RANGE_JOIN.match(cleaned[left.end : right.start]) and left.first <= right.last:
            joiner = cleaned[left.end : right.start].strip().lower()
            if joiner != "and" or re.search(r"\bbetween\s*$", cleaned[: left.start], re.IGNORECASE):
                left.is_start = True


def _schedule(done: bool, recurrence: str | None, ongoing: bool, starts: bool, deadlines: bool) -> str:
    if done:
        return "done"
    if recurrence:
        return "recurring"
    if ongoing or (starts and not deadlines):
        return "ongoing"
    return "once" if deadlines else "unknown"


def parse_timescale(
    text: str | None, *, reference: dt.date, start: dt.date | None = None, inspection: dt.date | None = None
) -> Timescale:
    """Read a plan's free-text timescale. Never raises; the raw text is always kept. ``inspection`` is
    the last day of the inspection the plan answers: "within 6 months of the inspection" counts from it."""
    raw = text or ""
    cleaned = _clean(raw)
    if not cleaned:
        return Timescale(raw=raw)
    parser = _Parser(cleaned, reference, start)
    of_inspection = bool(_OF_INSPECTION.search(cleaned))
    if of_inspection and inspection is not None:
        parser.base = inspection

    found = [f for f in (parser.read(m) for m in _DATE_RE.finditer(cleaned)) if f is not None]
    _apply_cues(cleaned, found)
    _inherit_years(found, parser)
    found = [f for f in found if parser.in_range(f.first) and parser.in_range(f.last) and not f.superseded]

    _mark_periods(cleaned, found)
    deadlines = sorted({f.last for f in found if not f.is_start})
    starts = sorted(f.first for f in found if f.is_start)
    notes = [f.note for f in found if f.note]
    recurrence, recurrence_note = _recurrence(cleaned)
    ongoing = bool(_ONGOING_RE.search(cleaned))
    done = _is_done_overall(raw, cleaned)

    if not deadlines and not starts and not recurrence:
        # "Immediate and ongoing" keeps its deadline; "ongoing" alone has none.
        relative = _relative(cleaned, parser)
        if relative is None and not done and not ongoing:
            relative = _dateutil_fallback(cleaned, parser)
        if relative is not None and parser.in_range(relative):
            deadlines = [relative]
            if of_inspection:
                notes.append(
                    f"read {raw.strip()!r} from {inspection:%-d %B %Y}, the last day of the inspection"
                    if inspection is not None
                    else f"read {raw.strip()!r} from the plan's date: the plan gives no inspection date"
                )

    warning_parts: list[str] = list(notes)
    if recurrence_note:
        warning_parts.append(recurrence_note)
    if parser.rejected:
        warning_parts.append(
            "ignored "
            + ", ".join(repr(r) for r in parser.rejected)
            + f" in timescale {raw.strip()!r}: more than {YEAR_WINDOW} years from the plan's date"
        )

    due = deadlines[-1] if deadlines else None
    schedule = _schedule(done, recurrence, ongoing, bool(starts), bool(deadlines))
    if schedule == "unknown":
        if _NO_DATE_YET_RE.match(cleaned):
            warning_parts.append(f"timescale {raw.strip()!r} gives no date yet")
        elif not parser.rejected:
            warning_parts.append(f"could not read a date in timescale {raw.strip()!r}")

    return Timescale(
        raw=raw,
        due=due,
        milestones=tuple(deadlines),
        schedule=schedule,
        recurrence=recurrence if schedule == "recurring" else None,
        warning="; ".join(warning_parts) or None,
        starts=starts[0] if starts else None,
    )


# --- the document's own date --------------------------------------------------------------------

_PERIOD_RE = re.compile(
    rf"\b(?P<m1>{_MON})\s*(?P<y1>(?:19|20)\d{{2}})\s*(?:-|–|—|to)\s*(?P<m2>{_MON})\s*(?P<y2>(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)
_YEAR_SPAN_RE = re.compile(r"\b(?P<y1>(?:19|20)\d{2})\s*(?:-|–|—|/|to)\s*(?P<y2>(?:19|20)?\d{2})\b")
_ISSUE_ROW_RE = re.compile(r"^\s*\|?\s*(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>(?:19|20)\d{2})\b")
_LINE_DATE_RE = re.compile(
    rf"^\W*(?:(?P<d>\d{{1,2}})\s+)?(?P<m>{_MON})\s*,?\s*(?P<y>(?:19|20)\d{{2}})\W*$", re.IGNORECASE
)
_ANY_DATE_RE = re.compile(
    rf"\b(?:(?P<d>\d{{1,2}})\s+)?(?P<m>{_MON})\s*,?\s*(?P<y>(?:19|20)\d{{2}})\b", re.IGNORECASE
)


def _month_day(match: re.Match[str]) -> dt.date | None:
    try:
        day = int(match.group("d")) if match.group("d") else 1
        return dt.date(int(match.group("y")), MONTHS[match.group("m").rstrip(".").lower()], day)
    except (ValueError, KeyError):
        return None


def reference_date_from_text(text: str | None) -> dt.date | None:
    """The document's own date, from its cover page or issue history; None when it names none.

    In order: a period on the cover ("July 2019 – July 2020": its start); a line that is only a date
    ("April 2023", "7 February 2020"); the first row of an issue-history table ("26/09/2019 | 1.0 | ...");
    the first month-and-year anywhere.
    """
    if not text:
        return None
    cleaned = html.unescape(re.sub(r"<[^>]*>", " ", unicodedata.normalize("NFKC", text)))
    cleaned = re.sub(r"[*_#]+", " ", _ORDINAL_RE.sub(r"\1", cleaned))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in cleaned.splitlines()]

    for line in lines:
        m = _PERIOD_RE.search(line)
        if m and len(line) <= 60:
            return dt.date(int(m.group("y1")), MONTHS[m.group("m1").rstrip(".").lower()], 1)
    for line in lines:
        m = _LINE_DATE_RE.match(line)
        if m and (day := _month_day(m)):
            return day
    issue_dates = []
    for line in lines:
        m = _ISSUE_ROW_RE.match(line)
        if m:
            try:
                issue_dates.append(dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d"))))
            except ValueError:
                continue
    if issue_dates:
        return min(issue_dates)
    m = _PERIOD_RE.search(cleaned)
    if m:
        return dt.date(int(m.group("y1")), MONTHS[m.group("m1").rstrip(".").lower()], 1)
    for line in lines:
        m = _YEAR_SPAN_RE.search(line)
        if m and len(line) <= 80 and _later_year(int(m.group("y1")), m.group("y2")):
            # "Improvement Plan 2023-25": a title naming its years; the first is what matters.
            return dt.date(int(m.group("y1")), 1, 1)
    for m in _ANY_DATE_RE.finditer(cleaned):
        if day := _month_day(m):
            return day
    return None
