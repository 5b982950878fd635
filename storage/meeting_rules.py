"""Board meeting rules in plain English, read into dateutil's ``rrule``.

Understood, in any case and with or without "the", "of", "every" and "each":

- how often: monthly, bi-monthly (every 2 months), quarterly, six-monthly, annually, weekly,
  fortnightly, "every N weeks", "every N months", "every other month", "every fortnight";
- which day: "on the second Tuesday", "on the 1st and 3rd Wednesday", "on the last Thursday",
  "on the second-to-last Friday", "on the 15th", "on day 1", "on the last day", "on the first (or last)
  working day", "on Monday" (weekly rules), "every Tuesday", "every other Thursday";
- optionally which months: "in March, June, September and December";
- optionally where to start counting: "from 6 April 2027" (else the command's ``--from``).

A rule is never half-read: a word the parser cannot place, or a rule that could mean two things
("every second Tuesday": fortnightly, or the second Tuesday of each month?), is refused with one line
that says what is understood.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dateutil import parser as dateparser
from dateutil import rrule

from storage.errors import InvalidInput

EXAMPLES = (
    '"monthly on the second Tuesday", "every 2 months on the first Wednesday", '
    '"quarterly on the last Thursday", "fortnightly on Thursday", "every 6 weeks on Monday", '
    '"monthly on the 15th" or "monthly on the last working day"'
)
RULE_LIMIT = 200

WEEKDAYS = {
    "monday": 0, "mon": 0, "mondays": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "tuesdays": 1,
    "wednesday": 2, "wed": 2, "weds": 2, "wednesdays": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "thursdays": 3,
    "friday": 4, "fri": 4, "fridays": 4,
    "saturday": 5, "sat": 5, "saturdays": 5,
    "sunday": 6, "sun": 6, "sundays": 6,
}  # fmt: skip
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "last": -1, "final": -1, "penultimate": -2,
}  # fmt: skip
NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# Frequency words: (rrule frequency, interval).
FREQUENCIES = {
    "weekly": (rrule.WEEKLY, 1),
    "fortnightly": (rrule.WEEKLY, 2),
    "biweekly": (rrule.WEEKLY, 2),
    "monthly": (rrule.MONTHLY, 1),
    "bimonthly": (rrule.MONTHLY, 2),
    "quarterly": (rrule.MONTHLY, 3),
    "sixmonthly": (rrule.MONTHLY, 6),
    "annually": (rrule.MONTHLY, 12),
    "yearly": (rrule.MONTHLY, 12),
}
UNITS = {
    "week": rrule.WEEKLY,
    "weeks": rrule.WEEKLY,
    "month": rrule.MONTHLY,
    "months": rrule.MONTHLY,
    "fortnight": rrule.WEEKLY,
    "quarter": rrule.MONTHLY,
    "year": rrule.MONTHLY,
}
UNIT_SIZE = {"fortnight": 2, "quarter": 3, "year": 12}
FILLER = {"on", "the", "of", "in", "and", "a", "an", "meeting", "meetings", "board", "held", "is", "are",
          "per", "once", "day", "days", "to", "be", "will", "we", "meet", "meets", "s"}  # fmt: skip
# Phrases rewritten to one token before reading the words.
PHRASES = (
    (r"\bbi[\s-]?monthly\b", "bimonthly"),
    (r"\bbi[\s-]?weekly\b", "biweekly"),
    (r"\b(?:six|6)[\s-]?monthly\b|\bhalf[\s-]?yearly\b|\btwice a year\b", "sixmonthly"),
    (r"\bsecond[\s-]?(?:to[\s-]?)?last\b|\blast[\s-]?but[\s-]?one\b|\bpenultimate\b", "penultimate"),
    (r"\b(?:working|business|week)[\s-]?days?\b|\bweekdays?\b", "workday"),
    (r"\bevery[\s-]+other\b|\beach[\s-]+other\b|\balternate\b", "everyother"),
    (r"\b(?:of|in)\s+(?:the|each|every)\s+month\b", "ofmonth"),
    (r"\beach\s+month\b|\bevery\s+month\b|\ba\s+month\b", " monthly "),
    (r"\bevery\s+week\b|\beach\s+week\b|\ba\s+week\b", " weekly "),
    (r"\bat\s+\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?\b|\b\d{1,2}(?:[:.]\d{2})\s*(?:am|pm)?\b|\b\d{1,2}\s*(?:am|pm)\b",
     " "),
)  # fmt: skip
START_WORDS = r"(?:from|starting(?:\s+(?:on|from))?|beginning|commencing)"


def _refuse(text: str, why: str) -> InvalidInput:
    return InvalidInput(f'can\'t read the rule "{text}": {why}. Rules look like {EXAMPLES}', "rule")


@dataclass(frozen=True)
class MeetingRule:
    """A parsed rule: ``dates(start, until)`` lists the meetings, ``describe()`` says how it was read."""

    text: str
    freq: int  # rrule.WEEKLY or rrule.MONTHLY
    interval: int
    weekdays: tuple[tuple[int, int | None], ...] = ()  # (weekday 0=Mon, n-th in the month or None)
    monthdays: tuple[int, ...] = ()  # 1..28, or -1 for the last day
    workdays: tuple[int, ...] = ()  # n-th working day (Mon-Fri) of the month; -1 = the last
    months: tuple[int, ...] = ()
    start: dt.date | None = None

    def dates(self, start: dt.date, until: dt.date) -> list[dt.date]:
        """Every meeting from ``start`` (or the rule's own "from") to ``until``, both included.

        The interval counts from the first meeting on or after the start: "every 6 weeks on Monday"
        from a Friday starts on the next Monday, "every 2 months on the first Wednesday" from 20 January
        on the first Wednesday of February.
        """
        start = self.start or start
        first = next(iter(self._rrule(start, until, interval=1)), None)
        if first is None:
            return []
        anchor = first if self.freq == rrule.WEEKLY else first.replace(day=1)
        return [d for d in self._rrule(anchor, until, interval=self.interval) if d >= start]

    def _rrule(self, start: dt.date, until: dt.date, *, interval: int) -> list[dt.date]:
        kwargs: dict = {"interval": interval, "dtstart": _midnight(start), "until": _midnight(until)}
        if self.months:
            kwargs["bymonth"] = self.months
        if self.weekdays:
            kwargs["byweekday"] = [rrule.weekday(day, n) for day, n in self.weekdays]
        elif self.monthdays:
            kwargs["bymonthday"] = self.monthdays
        elif self.workdays:
            kwargs["byweekday"] = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR)
            kwargs["bysetpos"] = self.workdays
        return [d.date() for d in rrule.rrule(self.freq, **kwargs)]

    def describe(self) -> str:
        """The rule as it was read, in one canonical form ("every 2 months on the first Wednesday")."""
        unit = "week" if self.freq == rrule.WEEKLY else "month"
        how = (
            {"week": "weekly", "month": "monthly"}[unit]
            if self.interval == 1
            else f"every {self.interval} {unit}s"
        )
        if self.months:
            how = "in " + _join([dt.date(2000, m, 1).strftime("%B") for m in self.months])
        if self.weekdays:
            days = [_position(n) + _weekday_name(day) for day, n in self.weekdays]
            when = "on " + _join(days)
        elif self.monthdays:
            when = "on " + _join(["the last day" if d == -1 else f"the {_nth(d)}" for d in self.monthdays])
        else:
            when = "on " + _join([f"the {_ordinal_word(n)} working day" for n in self.workdays])
        since = f", from {self.start.day} {self.start:%B %Y}" if self.start else ""
        return f"{how} {when}{since}"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0))


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _weekday_name(day: int) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[day]


def _ordinal_word(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second-to-last"}[n]


def _position(n: int | None) -> str:
    return "" if n is None else f"the {_ordinal_word(n)} "


def _nth(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@dataclass
class _Reading:
    """What the words said, gathered before it is checked."""

    freq: int | None = None
    interval: int | None = None
    ordinals: list[int] = field(default_factory=list)  # waiting for the weekday they qualify
    weekdays: list[tuple[int, int | None]] = field(default_factory=list)
    monthdays: list[int] = field(default_factory=list)
    workdays: list[int] = field(default_factory=list)
    months: list[int] = field(default_factory=list)
    every_weekday: bool = False  # "every Tuesday": weekly unless a month is mentioned
    ambiguous_every_nth: bool = False  # "every second Tuesday"
    month_context: bool = False  # "of the month", "monthly": an n-th weekday is in the month

    def set_freq(self, freq: int, interval: int, text: str) -> None:
        if self.freq is not None and (self.freq, self.interval) != (freq, interval):
            raise _refuse(text, "it gives two different frequencies")
        self.freq, self.interval = freq, interval


def parse_rule(text: str) -> MeetingRule:
    """Read a plain-English rule; raise ``InvalidInput`` (one line) when it can't be read for sure."""
    original = " ".join((text or "").split())
    if not original:
        raise _refuse(original, "it is empty")
    if len(original) > RULE_LIMIT:
        raise _refuse(original[:40] + "…", f"it is longer than {RULE_LIMIT} characters")
    body, start = _split_start(original)
    words = _words(body)
    reading = _Reading()
    i = 0
    while i < len(words):
        i = _read_word(words, i, reading, original)
    return _checked(reading, original, start)


def _split_start(text: str) -> tuple[str, dt.date | None]:
    match = re.search(rf"\b{START_WORDS}\s+(.+)$", text, re.IGNORECASE)
    if match is None:
        return text, None
    when = match.group(1).strip().rstrip(".")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", when):
            start = dt.date.fromisoformat(when)
        else:
            if not re.search(r"\d", when):
                raise ValueError
            start = dateparser.parse(when, dayfirst=True).date()
    except (ValueError, OverflowError):
        raise _refuse(text, f'"{when}" is not a date') from None
    return text[: match.start()], start


def _words(text: str) -> list[str]:
    lowered = text.lower().replace("’", "'")
    # "6-weekly", "3 monthly": every N weeks / months.
    lowered = re.sub(
        r"\b(\d{1,2}|two|three|four|five|six|eight|twelve)[\s-]?(week|month)ly\b", r" every \1 \2s ", lowered
    )
    for pattern, replacement in PHRASES:
        lowered = re.sub(pattern, f" {replacement.strip()} ", lowered)
    lowered = re.sub(r"[,;:.()&/'\"]", " ", lowered)
    lowered = re.sub(r"(?<=[a-z])-(?=[a-z])|(?<=\d)-(?=[a-z])", " ", lowered)
    return lowered.split()


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBERS.get(word)


def _read_word(words: list[str], i: int, r: _Reading, text: str) -> int:
    """Read the word at ``i`` (and any it needs after it); return where to go on."""
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if word in FREQUENCIES:
        r.set_freq(*FREQUENCIES[word], text)
        r.month_context |= FREQUENCIES[word][0] == rrule.MONTHLY
        return i + 1
    if word in ("every", "each", "everyother"):
        return _read_every(words, i, r, text)
    if word in ORDINALS or re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", word):
        return _read_ordinal(words, i, r, text)
    if word in WEEKDAYS:
        _weekday(r, WEEKDAYS[word])
        return i + 1
    if word in MONTHS:
        r.months.append(MONTHS[word])
        return i + 1
    if word == "day" and _number(nxt) is not None:
        r.monthdays.append(_monthday(_number(nxt), text))
        return i + 2
    if word in ("month", "months", "ofmonth"):
        r.month_context = True
        return i + 1
    if word.isdigit() and 1 <= int(word) <= 31:
        r.monthdays.append(_monthday(int(word), text))
        return i + 1
    if word in FILLER or word in ("week", "weeks", "year", "workday"):
        if word == "workday":
            raise _refuse(text, 'say which working day ("the first working day", "the last working day")')
        return i + 1
    raise _refuse(text, f'I don\'t know what "{word}" means here')


def _read_every(words: list[str], i: int, r: _Reading, text: str) -> int:
    """ "every 2 months", "every other week", "every fortnight", "every Tuesday", "every second Tuesday"."""
    other = words[i] == "everyother"
    j = i + 1
    count = 2 if other else 1
    if not other and j < len(words) and _number(words[j]) is not None:
        count, j = _number(words[j]), j + 1
    word = words[j] if j < len(words) else ""
    if word in UNITS:
        r.set_freq(UNITS[word], count * UNIT_SIZE.get(word, 1), text)
        r.month_context |= UNITS[word] == rrule.MONTHLY
        return j + 1
    if word in WEEKDAYS and j == i + 1:
        # "every Tuesday" / "every other Tuesday"
        r.every_weekday = True
        if other:
            r.set_freq(rrule.WEEKLY, 2, text)
        return j
    if not other and word in ORDINALS and j + 1 < len(words) and words[j + 1] in WEEKDAYS:
        r.ambiguous_every_nth = True  # resolved (or refused) once we know whether a month is meant
        return j
    if word in WEEKDAYS:
        day = _weekday_name(WEEKDAYS[word])
        raise _refuse(text, f'"every {count} {word}" is unclear; say "every {count} weeks on {day}"')
    raise _refuse(text, 'after "every" I expected a number of weeks or months, or a day of the week')


def _read_ordinal(words: list[str], i: int, r: _Reading, text: str) -> int:
    word = words[i]
    n = ORDINALS.get(word)
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if nxt in WEEKDAYS or (nxt == "and" and n is not None):
        if n is None:
            n = int(re.match(r"\d+", word).group())
            if n > 5:
                raise _refuse(text, f'there is no "{word} {nxt}" in a month')
        r.ordinals.append(n)
        return i + 1
    if nxt == "workday":
        r.workdays.append(n if n is not None else _monthday(int(re.match(r"\d+", word).group()), text))
        return i + 2
    if n == -1 and nxt in ("day", "days"):
        r.monthdays.append(-1)
        return i + 2
    if n == -1 and not nxt:
        raise _refuse(text, 'say "the last day", "the last working day" or "the last Tuesday"')
    number = n if n is not None else int(re.match(r"\d+", word).group())
    if number < 1:
        raise _refuse(text, f'"{word}" needs a day of the week after it')
    r.monthdays.append(_monthday(number, text))
    return i + 2 if nxt in ("day", "days") else i + 1


def _monthday(day: int, text: str) -> int:
    if not 1 <= day <= 31:
        raise _refuse(text, f"a month has no day {day}")
    if day > 28:
        raise _refuse(
            text, f'not every month has a {_nth(day)}; say "the last day" or "the last working day"'
        )
    return day


def _weekday(r: _Reading, day: int) -> None:
    if r.ordinals:
        r.weekdays.extend((day, n) for n in r.ordinals)
        r.ordinals.clear()
    else:
        r.weekdays.append((day, None))


def _checked(r: _Reading, text: str, start: dt.date | None) -> MeetingRule:
    """Decide the frequency and refuse any rule that is incomplete or could mean two things."""
    if r.ordinals:
        raise _refuse(text, "an ordinal (first, second, last …) needs a day of the week after it")
    month_meant = r.month_context or bool(r.months) or r.freq == rrule.MONTHLY
    if r.ambiguous_every_nth and not month_meant:
        raise _refuse(
            text,
            '"every second Tuesday" could mean fortnightly or the second Tuesday of each month; '
            'say "fortnightly on Tuesday" or "monthly on the second Tuesday"',
        )
    positions = sum(bool(x) for x in (r.weekdays, r.monthdays, r.workdays))
    if positions == 0:
        raise _refuse(text, "it doesn't say which day")
    if positions > 1:
        raise _refuse(text, "it names more than one kind of day")
    nth = any(n is not None for _, n in r.weekdays)
    if r.freq is None:
        if r.months or nth or r.monthdays or r.workdays or (month_meant and r.weekdays):
            r.freq, r.interval = rrule.MONTHLY, 1
        elif r.every_weekday or r.weekdays:
            r.freq, r.interval = rrule.WEEKLY, 1
    if r.months and r.freq == rrule.WEEKLY:
        raise _refuse(text, "a weekly rule can't also name months")
    if r.months:
        r.freq, r.interval = rrule.MONTHLY, 1  # the months say when; "quarterly" only confirms it
    if r.freq == rrule.WEEKLY:
        if nth or r.monthdays or r.workdays:
            raise _refuse(text, 'a weekly rule takes a day of the week ("fortnightly on Thursday")')
    elif r.weekdays and not nth:
        day = _weekday_name(r.weekdays[0][0])
        raise _refuse(text, f'which {day} of the month? e.g. "monthly on the first {day}"')
    if r.weekdays and any(n is not None for _, n in r.weekdays) and any(n is None for _, n in r.weekdays):
        raise _refuse(text, "say which week of the month for every day named")
    limit = 52 if r.freq == rrule.WEEKLY else 24
    assert r.freq is not None and r.interval is not None
    if not 1 <= r.interval <= limit:
        raise _refuse(text, f"an interval of {r.interval} is out of range (1 to {limit})")
    return MeetingRule(
        text=text,
        freq=r.freq,
        interval=r.interval,
        weekdays=tuple(dict.fromkeys(r.weekdays)),
        monthdays=tuple(dict.fromkeys(r.monthdays)),
        workdays=tuple(dict.fromkeys(r.workdays)),
        months=tuple(sorted(set(r.months))),
        start=start,
    )
