"""Finding a proposed new due date in a lead's reply: "Amber – new date 30 June".

A date counts only when the reply introduces it as the action's new date, target or deadline, at the
start of a clause: "new date 30 June", "revised date: end of March", "new target 30/06/2027",
"we need to extend the deadline to 31 July", "target date moved to 15 January". A date mentioned in
passing ("first session booked for 30 June", "training has a new date: 4 May") is progress, never a
proposal. The date itself is read like a plan's timescale, counted from today, and must be one day
("30 June", "end of March", "June 2027", "Q3 2027/28"); two dates are not guessed between.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_THING = r"(?:(?:target|due|completion|end|delivery)\s+)?(?:date|deadline|target|timescale|due\s+date)"
_CLAUSE_START = r"(?:^|[.,;:!?\n(–—-]\s*|\b(?:and|but|so)\s+)"
_WHO = (
    r"(?:(?:please\s+)?(?:(?:agree|approve|accept)\s+)?"
    r"(?:(?:i|we)(?:\s+would\s+like\s+to|\s+need\s+to|'d\s+like\s+to)?\s+)?)"
)
_INTRO = re.compile(
    _CLAUSE_START
    + r"(?:"
    # "new date 30 June", "our revised target: end of March", "propose a new deadline of 15 Jan"
    + _WHO
    + r"(?:(?:propose|request|ask\s+for|proposing|requesting|asking\s+for)\s+)?(?:a\s+|the\s+|our\s+|my\s+)?"
    + r"(?:new|revised|proposed|updated|amended|extended|later)\s+"
    + _THING
    + r"(?:\s+(?:of|is|to|will\s+be|would\s+be|should\s+be|now))?"
    # "extend the deadline to 31 July", "move the target date to ..."
    + r"|"
    + _WHO
    + r"(?:extend|move|push\s+back|change|revise|reset)\s+(?:the\s+|our\s+|its\s+|this\s+)?"
    + _THING
    + r"\s+(?:to|until|till)"
    # "target date moved to 15 January", "deadline extended to 31 July"
    + r"|(?:the\s+|our\s+)?"
    + _THING
    + r"\s+(?:(?:has\s+been|to\s+be|is|was)\s+)?(?:moved|extended|revised|changed|pushed\s+back|reset)\s+(?:to|until|till)"
    # "request an extension to 31 July"
    + r"|"
    + _WHO
    + r"(?:(?:request|requesting|ask\s+for|asking\s+for|need)\s+)?(?:an\s+)?extension\s+(?:to|until|till)"
    + r")\s*[:\-–—=]?\s*",
    re.IGNORECASE,
)
# Where the date phrase stops: a clause break, or the reason that follows it.
_END = re.compile(
    r"[.;!?\n(]|,\s|\s[–—-]\s|\b(?:because|as|due\s+to|since|following|after|when|while|so|but|and)\b", re.I
)
MAX_PHRASE = 40
# The phrase after the introduction must start like a date ("30 June", "end of March", "June 2027",
# "Q3 2027/28", "the 30th"), so "the revised date for the panel was 3 March" is not a proposal.
_DATE_START = re.compile(
    r"^(?:the\s+)?(?:\d|q[1-4]\b|(?:end|early|mid|late|beginning|start)\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|(?:spring|summer|autumn|winter)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundDate:
    day: dt.date | None  # None: a new date was introduced but could not be read as one day
    phrase: str  # what followed the introduction, as written


def find_proposed_date(text: str, *, today: dt.date) -> FoundDate | None:
    """The new due date the reply asks for; None when it asks for none."""
    from storage.timescales import parse_timescale

    for match in _INTRO.finditer(text or ""):
        rest = text[match.end() :]
        end = _END.search(rest)
        phrase = (rest[: end.start()] if end else rest)[:MAX_PHRASE].strip(" ,")
        if not phrase or not _DATE_START.match(phrase):
            continue
        parsed = parse_timescale(phrase, reference=today, start=today)
        single = parsed.due is not None and len(set(parsed.milestones) or {parsed.due}) == 1
        if parsed.schedule == "once" and single and not parsed.warning:
            return FoundDate(parsed.due, phrase)
        return FoundDate(None, phrase)
    return None
