"""The compiled board report: plain, frozen, JSON-serialisable dataclasses.

Every renderer (DOCX, HTML, Markdown, JSON, PDF, Slack Block Kit) and every summary reads these and
nothing else, so the formats cannot disagree. Dates are ISO strings ("2020-02-10") and instants ISO
datetimes in the report's time zone, so ``dataclasses.asdict`` + ``json.dumps`` is the JSON format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

# Direction of travel against the baseline (the last version published before the report's as-of).
IMPROVED = "improved"
WORSE = "worse"
UNCHANGED = "unchanged"
NEW = "new"  # no RAG in the baseline, or the action did not exist then
ARROWS = {IMPROVED: "↑", WORSE: "↓", UNCHANGED: "→", NEW: "new"}

# Exception kinds, in the order a board reads them.
EXC_RED = "red"
EXC_OVERDUE = "overdue"
EXC_STALE = "stale"
EXC_CONTRADICTION = "contradiction"
EXC_NO_RESPONSE = "no_response"  # board packs only: the lead gave no update for this meeting
EXC_CHALLENGE = "challenge"
EXC_SIGNOFF = "signoff"
EXCEPTION_TITLES = {
    EXC_RED: "Red",
    EXC_OVERDUE: "Overdue (past due and not complete)",
    EXC_NO_RESPONSE: "No update for this meeting",
    EXC_STALE: "No update since the last published version",
    EXC_CONTRADICTION: "Contradictions",
    EXC_CHALLENGE: "Open challenges",
    EXC_SIGNOFF: "Complete, awaiting sign-off",
}
# Completion, with the plan's ``completion_needs_signoff`` policy.
AWAITING_SIGNOFF = "awaiting"
SIGNED_OFF = "signed_off"
AWAITING_LABEL = "Complete, awaiting sign-off"
CLOSED_BAND = "Withdrawn or merged actions"


@dataclass(frozen=True)
class RagKeyEntry:
    label: str
    colour: str  # "#RRGGBB"
    meaning: str
    is_complete: bool
    rank: int  # 0 = worst


@dataclass(frozen=True)
class HistoryRow:
    """One row of the document history: a published version, or one found in the imported plan."""

    date: str
    version: str
    summary: str
    author: str
    source: str  # publish | import


@dataclass(frozen=True)
class Progress:
    """The latest progress text of an action, as of the report date."""

    text: str
    date: str
    submitted_at: str
    author: str
    on_behalf_of: str
    evidence_url: str | None
    source: str  # import | slack | cli: an imported update's "author" is the file, not a person
    evidence_note: str | None = None

    @property
    def byline(self) -> str:
        """ "10 Feb 2020 · Jane Smith on behalf of Sam Lead" — the line under the progress text."""
        if self.source == "import":
            who = "from the imported plan"
        elif self.on_behalf_of and self.on_behalf_of != self.author:
            who = (
                f"{self.author} on behalf of {self.on_behalf_of}"
                if self.author
                else f"for {self.on_behalf_of}"
            )
        else:
            who = self.author
        day = dt.date.fromisoformat(self.date)
        return " · ".join(x for x in (f"{day.day} {day:%b %Y}", who) if x)


@dataclass(frozen=True)
class SectionRef:
    id: int
    ref: str | None
    title: str
    depth: int  # 0 = top level

    @property
    def heading(self) -> str:
        return f"{self.ref} {self.title}".strip() if self.ref else self.title


@dataclass(frozen=True)
class ChallengeNote:
    """An open challenge: a board member's question the lead has not answered yet."""

    by: str
    date: str
    question: str


@dataclass(frozen=True)
class ActionRow:
    id: int
    ref: str
    title: str
    outcome: str
    section_path: tuple[str, ...]  # headings from the top-level section down
    section_id: int | None
    leads: tuple[str, ...]
    timescale: str  # raw text, as written in the plan
    due: str | None
    schedule: str
    progress: Progress | None
    rag: str | None  # the latest RAG given at or before as-of; text-only updates keep it
    rag_date: str | None
    last_update: str | None  # date of the latest update of any kind
    baseline_rag: str | None
    direction: str | None  # IMPROVED | WORSE | UNCHANGED | NEW; None when nothing was published yet
    overdue: bool
    stale: bool
    evidence: bool  # any update carried an evidence link or note
    contradictions: tuple[str, ...]
    # Governance (storage.governance): how the plan changed around the action.
    status: str = "open"  # open | withdrawn | merged (withdrawn and merged rows are in ReportData.closed)
    merged_into: str | None = None
    closed_reason: str = ""
    closed_date: str | None = None
    original_due: str | None = None  # the due date before its first revision
    revised_date: str | None = None  # when the latest revision was agreed; None when never revised
    revisions: int = 0
    completion: str | None = None  # AWAITING_SIGNOFF | SIGNED_OFF | "complete" (no sign-off asked)
    signed_off_by: str = ""
    signed_off_date: str | None = None
    challenges: tuple[ChallengeNote, ...] = ()  # open at the report date

    @property
    def arrow(self) -> str:
        return ARROWS.get(self.direction or "", "")

    @property
    def challenged(self) -> bool:
        return bool(self.challenges)

    @property
    def timescale_note(self) -> str | None:
        """ "Original: 30 Nov 2019 · Revised: 31 Mar 2020 (agreed 12 Mar 2020)" when revised."""
        if self.revised_date is None or self.original_due == self.due:
            return None
        return (
            f"Original: {_human(self.original_due) or 'no date'} · Revised: {_human(self.due) or 'no date'} "
            f"(agreed {_human(self.revised_date)})"
        )


@dataclass(frozen=True)
class RagCount:
    label: str
    count: int
    percent: float  # of all actions in the group, one decimal


@dataclass(frozen=True)
class Breakdown:
    """Counts by RAG for a group of actions; ``no_rag`` counts actions with no RAG yet."""

    total: int
    counts: tuple[RagCount, ...]  # one per scheme state, worst → best
    no_rag: int
    no_rag_percent: float
    # Complete by the lead's RAG but not yet signed off: not counted in the complete state.
    awaiting_signoff: int = 0
    awaiting_signoff_percent: float = 0.0

    def count(self, label: str) -> int:
        return next((c.count for c in self.counts if c.label == label), 0)


@dataclass(frozen=True)
class SectionBreakdown:
    section: str
    breakdown: Breakdown


@dataclass(frozen=True)
class Baseline:
    version: str
    date: str
    as_of: str


@dataclass(frozen=True)
class Change:
    """How the headline moved since the baseline."""

    improved: int
    worse: int
    unchanged: int
    new: int
    # Per label: count now minus count at the baseline (labels worst → best, then "No RAG").
    deltas: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Headline:
    overall: Breakdown
    sections: tuple[SectionBreakdown, ...]
    baseline: Baseline | None
    change: Change | None
    overdue: int
    stale: int
    contradictions: int
    sentence: str  # one sentence a chair could read out
    retimed: int = 0  # actions whose due date was revised since the baseline (or ever, without one)
    open_challenges: int = 0
    awaiting_signoff: int = 0

    @property
    def retimed_text(self) -> str:
        """ "3 actions retimed since version 5.0" ("" when none)."""
        if not self.retimed:
            return ""
        noun = "action" if self.retimed == 1 else "actions"
        since = f"since version {self.baseline.version}" if self.baseline else "since the plan was imported"
        return f"{self.retimed} {noun} retimed {since}"


@dataclass(frozen=True)
class ExceptionItem:
    kind: str
    action_id: int
    ref: str
    title: str
    leads: tuple[str, ...]
    rag: str | None
    detail: str


@dataclass(frozen=True)
class TrendPoint:
    """RAG counts at one published version (from its snapshot), or "Now" at the report's as-of."""

    label: str
    date: str
    counts: tuple[RagCount, ...]
    no_rag: int


@dataclass(frozen=True)
class UpdateEntry:
    """An update submitted after ``ReportData.updates_since``: the "what changed" feed."""

    action_id: int
    ref: str
    title: str
    submitted_at: str
    date: str
    author: str
    on_behalf_of: str
    rag_before: str | None
    rag_after: str | None
    rag_given: str | None  # the RAG on this update itself (None for a text-only update)
    text: str
    update_id: int | None = None


@dataclass(frozen=True)
class SectionBand:
    """A section heading row in the main table; depth 0 is a top-level section."""

    depth: int
    title: str


@dataclass(frozen=True)
class PlanChanges:
    """Changes to the plan itself since the last published version, for the document history."""

    since_version: str | None
    since_date: str | None
    counts: tuple[tuple[str, int], ...]  # (storage.governance.CHANGE_WORDS key, count)
    text: str  # "2 timescales revised, 1 action withdrawn"; "" when nothing changed

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def sentence(self) -> str:
        since = (
            f"since version {self.since_version} ({_human(self.since_date)})"
            if self.since_version
            else "since the plan was imported"
        )
        if not self.total:
            return f"No changes to the plan {since}."
        noun = "change" if self.total == 1 else "changes"
        return f"{self.total} {noun} to the plan {since}: {self.text}."


def _human(iso: str | None) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso[:10])
    return f"{d.day} {d:%b %Y}"


@dataclass(frozen=True)
class ReportData:
    plan_name: str
    title: str
    organisation: str
    as_of: str  # ISO datetime in the report's time zone
    as_of_date: str
    introduction: str  # two sentences saying what the paper is and what it compares with
    rag_key: tuple[RagKeyEntry, ...]  # worst → best
    scheme_name: str
    history: tuple[HistoryRow, ...]
    headline: Headline
    exceptions: tuple[ExceptionItem, ...]
    sections: tuple[SectionRef, ...]  # plan order
    actions: tuple[ActionRow, ...]  # plan order
    trend: tuple[TrendPoint, ...]  # each published version (from its snapshot), then "Now"
    monthly: tuple[TrendPoint, ...]  # month ends from the first update (at most 12), then "Now"
    updates_since: str | None  # where the ``recent_updates`` feed starts; None when none was asked for
    recent_updates: tuple[UpdateEntry, ...] = field(default=())
    # The board meeting this is the pack for ("Board 16 March 2027"); None for any other report.
    meeting: str | None = None
    closed: tuple[ActionRow, ...] = ()  # withdrawn and merged actions: out of counts, a band of their own
    plan_changes: PlanChanges | None = None

    def key_entry(self, label: str | None) -> RagKeyEntry | None:
        return next((k for k in self.rag_key if k.label == label), None)

    def exceptions_of(self, kind: str) -> tuple[ExceptionItem, ...]:
        return tuple(e for e in self.exceptions if e.kind == kind)

    def table_rows(self) -> list[SectionBand | ActionRow]:
        """The main table in plan order: a band for each heading level that differs from the previous
        action's section path, then the action. Every renderer draws its table from this."""
        rows: list[SectionBand | ActionRow] = []
        shown: tuple[str, ...] = ()
        for action in self.actions:
            path = action.section_path
            if path != shown:
                common = 0
                while common < min(len(path), len(shown)) and path[common] == shown[common]:
                    common += 1
                rows.extend(SectionBand(depth, path[depth]) for depth in range(common, len(path)))
                shown = path
            rows.append(action)
        if self.closed:
            rows.append(SectionBand(0, CLOSED_BAND))
            rows.extend(self.closed)
        return rows

    def exception_groups(self) -> list[tuple[str, str, tuple[ExceptionItem, ...]]]:
        """(kind, heading, items) in report order; every renderer lists exceptions from this."""
        groups = []
        from report.headline import version_name

        for kind, title in EXCEPTION_TITLES.items():
            if kind == EXC_NO_RESPONSE:
                if not self.meeting:
                    continue  # only a board pack knows who was asked
                title = f"No update for {self.meeting}"
            if kind == EXC_STALE and self.meeting:
                # A pack compares with the previous meeting's pack, so "no update since that version" is
                # the list above again, less who was asked and chased: it would only repeat it.
                continue
            if kind == "stale" and self.headline.baseline:
                title = f"No update since {version_name(self.headline.baseline.version)}"
            groups.append((kind, title, self.exceptions_of(kind)))
        return groups

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
