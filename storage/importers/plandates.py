"""The dates a plan's cover gives: the plan's own date (agreed, signed off, submitted) and when the
inspection it answers took place. Relative timescales count from them: "within 3 months" from the
plan's date, "within 6 months of the inspection" from the inspection's last day.

The cover is read sentence by sentence, so "Inspection: 12–14 March 2024. Plan agreed: 2 April 2024."
gives each date to what it describes.
"""

from __future__ import annotations

import datetime as dt
import re

from storage.timescales import MONTH_PATTERN, MONTHS

_FULL_DATE = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{MONTH_PATTERN})\s+(?P<y>20\d\d)\b"
    r"|\b(?P<d2>\d{1,2})[/.](?P<m2>\d{1,2})[/.](?P<y2>20\d\d)\b",
    re.I,
)
# A sentence that dates the plan itself: "Date of plan: …", "Plan agreed by governors: …", "This plan was
# signed off on …", "Date of submission: …". (Not "version" or "last updated": those date a revision, and
# relative timescales count from the plan's start.)
_OWN = re.compile(
    r"\bdate of (?:the )?(?:plan|submission|approval|sign-?off)\b|\bplan date\b|"
    r"\b(?:agreed|approved|signed|submitted|adopted|endorsed|ratified)\b|\bsign-?off\b",
    re.I,
)
# Words of any sentence that dates something (a list plan's "Cabinet, 12 March 2025").
_DATE_WORDS = re.compile(
    r"sign|approv|issue|date|meeting|cabinet|publish|agreed|adopted|council|committee", re.I
)
_INSPECTION = re.compile(r"\binspect(?:ion|ions|ed|ors?)\b|\bvisit\b|\bon-?site\b", re.I)
_PLAN = re.compile(r"\bplan\b", re.I)
_WHEN = re.compile(
    r"\btook place\b|\bheld\b|\bcarried out\b|\bconducted\b|\bbetween\b|\bdates?\b|\bduring\b", re.I
)
_PUBLISHED = re.compile(r"\bpublish|\breport (?:was )?(?:issued|received)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z])")


def sentences(lines: list[str]) -> list[str]:
    return [s for line in lines for s in _SENTENCE.split(line) if s.strip()]


def is_inspection_sentence(text: str) -> bool:
    """ "Inspection dates: 16–20 September 2024", "Following the inspection of 3–7 June 2024": about the
    inspection, not the plan, unless it says the plan was agreed or signed off then."""
    if not _INSPECTION.search(text) or _OWN.search(text):
        return False
    # "Post-inspection action plan, March 2024" is the plan's title; "… the plan responds to the
    # inspection that took place between 20 May and 24 May 2019" dates the inspection.
    return not _PLAN.search(text) or bool(_WHEN.search(text))


def plan_date(lines: list[str]) -> dt.date | None:
    """The plan's own date: a full date in a sentence that says the plan was agreed, signed off or
    submitted; else one in a sentence about a meeting, an issue or a date; else the first full date.
    Sentences about the inspection never date the plan."""
    dated = [(s, d) for s in sentences(lines) if not is_inspection_sentence(s) for d in dates(s)]
    for pattern in (_OWN, _DATE_WORDS):
        for sentence, day in dated:
            if pattern.search(sentence):
                return day
    return dated[0][1] if dated else None


def labelled_plan_date(lines: list[str]) -> dt.date | None:
    """Only a full date the cover labels as the plan's own ("Date of plan: 25 October 2024")."""
    for sentence in sentences(lines):
        if _OWN.search(sentence) and not is_inspection_sentence(sentence):
            found = dates(sentence)
            if found:
                return found[0]
    return None


def inspection_date(lines: list[str]) -> dt.date | None:
    """The last day of the inspection: the last full date of the first sentence about it
    ("16–20 September 2024" is 20 September)."""
    for sentence in sentences(lines):
        if is_inspection_sentence(sentence) and not _PUBLISHED.search(sentence):
            found = dates(sentence)
            if found:
                return max(found)
    return None


def dates(text: str) -> list[dt.date]:
    found = []
    for m in _FULL_DATE.finditer(text):
        try:
            if m.group("d"):
                found.append(
                    dt.date(int(m.group("y")), MONTHS[m.group("m").rstrip(".").lower()], int(m.group("d")))
                )
            else:
                found.append(dt.date(int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))))
        except ValueError:
            continue
    return found
