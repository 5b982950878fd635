"""Reading a submitted update form: every field checked, every error kept beside its field. Pure.

Field names are ``rag-<action id>``, ``text-<action id>``, ``evidence-<action id>`` and
``date-<action id>``. Only the actions the page offered are read; anything else in the body is ignored,
so a field added by hand for another action stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from storage.updates import field_problems

FIELDS = ("rag", "text", "evidence", "date")
MAX_YEARS_AHEAD = 5
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@dataclass(frozen=True)
class ActionInput:
    action_id: int
    rag: str = ""  # "" = no change
    text: str = ""
    evidence: str = ""
    date: str = ""

    @property
    def filled(self) -> bool:
        return bool(self.rag or self.text.strip() or self.evidence.strip() or self.date.strip())


@dataclass(frozen=True)
class CleanUpdate:
    action_id: int
    rag: str | None
    text: str
    evidence_url: str | None
    proposed_due: dt.date | None

    def fingerprint(self) -> str:
        """A digest of what was submitted: the same values twice are the same update."""
        values = [self.rag, self.text, self.evidence_url, self.proposed_due and self.proposed_due.isoformat()]
        return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:24]


@dataclass
class ParsedForm:
    inputs: dict[int, ActionInput]
    updates: list[CleanUpdate] = field(default_factory=list)
    errors: dict[tuple[int, str], str] = field(default_factory=dict)  # (action id, field) -> message
    form_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.form_error is None


def normalise_text(value: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; count and store them as one character each."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def read_inputs(fields: dict[str, str], action_ids: list[int]) -> dict[int, ActionInput]:
    return {
        aid: ActionInput(
            action_id=aid,
            rag=fields.get(f"rag-{aid}", "").strip(),
            text=normalise_text(fields.get(f"text-{aid}", "")),
            evidence=fields.get(f"evidence-{aid}", "").strip(),
            date=fields.get(f"date-{aid}", "").strip(),
        )
        for aid in action_ids
    }


def parse_date(value: str, today: dt.date) -> dt.date:
    """``2027-03-31`` (what a date picker sends) or ``31/03/2027`` (typed, UK order); ValueError otherwise."""
    value = value.strip()
    uk = _UK_DATE.fullmatch(value)
    try:
        day = (
            dt.date(int(uk.group(3)), int(uk.group(2)), int(uk.group(1)))
            if uk
            else dt.date.fromisoformat(value)
        )
    except ValueError:
        raise ValueError(f"“{value}” is not a date: use the date picker, or type it as 31/03/2027") from None
    if day <= today:
        raise ValueError("A proposed new date must be after today")
    if day.year > today.year + MAX_YEARS_AHEAD:
        raise ValueError(f"A proposed new date must be within {MAX_YEARS_AHEAD} years")
    return day


def _clean(item: ActionInput, labels: list[str], today: dt.date, errors: dict[tuple[int, str], str]):
    aid = item.action_id
    rag = item.rag or None
    if rag is not None and rag not in labels:
        errors[(aid, "rag")] = (
            f"“{rag[:40]}” is not a RAG status of this plan: choose one of {', '.join(labels)}"
        )
    for name, message in field_problems(
        text=item.text, evidence_url=item.evidence, source="email", rag=rag
    ).items():
        errors[(aid, name)] = message[:1].upper() + message[1:]
    due = None
    if item.date:
        try:
            due = parse_date(item.date, today)
        except ValueError as exc:
            errors[(aid, "date")] = str(exc)
    if any(key[0] == aid for key in errors):
        return None
    return CleanUpdate(aid, rag, item.text.strip(), item.evidence or None, due)


def parse_form(
    fields: dict[str, str], action_ids: list[int], labels: list[str], today: dt.date
) -> ParsedForm:
    """The clean updates of every filled action, or the errors (then nothing may be stored)."""
    parsed = ParsedForm(inputs=read_inputs(fields, action_ids))
    filled = [item for item in parsed.inputs.values() if item.filled]
    if not filled:
        parsed.form_error = "Nothing was filled in. Give a progress update for at least one action."
        return parsed
    for item in filled:
        clean = _clean(item, labels, today, parsed.errors)
        if clean is not None:
            parsed.updates.append(clean)
    if parsed.errors:
        parsed.updates = []
    return parsed
