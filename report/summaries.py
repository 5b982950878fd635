"""Summaries on demand: pure functions over ``ReportData`` returning small frozen dataclasses.

Renderers live elsewhere: ``report.text`` (plain text and Markdown) and the Slack app's Block Kit
views, all reading these same dataclasses. Every list is in plan order unless said otherwise.

- ``overall(data)``        → ``OverallSummary``: counts by RAG, change since the baseline, the sentence.
- ``by_section(data)``     → ``GroupedSummary`` (by="section"): one group per top-level section.
- ``by_lead(data)``        → ``GroupedSummary`` (by="lead"): one group per lead, sorted by name; an
                             action with two leads is in both groups.
- ``red_only(data)``       → ``ActionListSummary`` (kind="red"): actions in the scheme's worst state.
- ``overdue(data)``        → ``ActionListSummary`` (kind="overdue"): past due and not complete.
- ``changes_since(data, since)`` → ``ChangesSummary``: updates submitted since ``since``, with RAG
                             transitions; ``data`` must have been compiled with ``since`` at or before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from report.data import (
    AWAITING_SIGNOFF,
    EXC_CONTRADICTION,
    EXC_RED,
    IMPROVED,
    NEW,
    UNCHANGED,
    WORSE,
    ActionRow,
    Baseline,
    Breakdown,
    Change,
    RagKeyEntry,
    ReportData,
    UpdateEntry,
)
from report.headline import NO_SECTION, breakdown, counted_rag

NO_LEAD = "(no lead)"
EXCERPT = 200


@dataclass(frozen=True)
class ActionItem:
    """One action as a summary lists it."""

    id: int
    ref: str
    title: str
    section: str
    leads: tuple[str, ...]
    rag: str | None
    colour: str | None  # the RAG state's "#RRGGBB", None when not rated
    due: str | None
    overdue: bool
    direction: str | None
    arrow: str
    progress: str  # excerpt of the latest progress, "" when none
    progress_date: str | None
    notes: tuple[str, ...] = ()  # governance: revised timescale, awaiting sign-off, challenged


@dataclass(frozen=True)
class OverallSummary:
    plan: str
    title: str
    as_of_date: str
    sentence: str
    rag_key: tuple[RagKeyEntry, ...]
    breakdown: Breakdown
    baseline: Baseline | None
    change: Change | None
    red: int
    overdue: int
    stale: int
    contradictions: int
    retimed: str = ""  # "3 actions retimed since version 5.0"
    awaiting_signoff: int = 0
    open_challenges: int = 0


@dataclass(frozen=True)
class GroupSummary:
    name: str
    breakdown: Breakdown
    red: int
    overdue: int
    actions: tuple[ActionItem, ...]


@dataclass(frozen=True)
class GroupedSummary:
    plan: str
    as_of_date: str
    by: str  # "section" | "lead"
    rag_key: tuple[RagKeyEntry, ...]
    groups: tuple[GroupSummary, ...]


@dataclass(frozen=True)
class ActionListSummary:
    plan: str
    as_of_date: str
    kind: str  # "red" | "overdue"
    title: str
    items: tuple[ActionItem, ...]


@dataclass(frozen=True)
class ChangeItem:
    ref: str
    title: str
    date: str
    submitted_at: str
    author: str
    on_behalf_of: str
    rag_before: str | None
    rag_after: str | None
    transition: str | None  # improved | worse | unchanged | new; None for a text-only update
    text: str


@dataclass(frozen=True)
class ChangesSummary:
    plan: str
    as_of_date: str
    since: str
    updates: tuple[ChangeItem, ...]  # oldest first
    actions_updated: int
    improved: int
    worse: int


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _item(data: ReportData, a: ActionRow) -> ActionItem:
    key = data.key_entry(a.rag)
    return ActionItem(
        id=a.id,
        ref=a.ref,
        title=a.title,
        section=a.section_path[0] if a.section_path else NO_SECTION,
        leads=a.leads,
        rag=a.rag,
        colour=key.colour if key else None,
        due=a.due,
        overdue=a.overdue,
        direction=a.direction,
        arrow=a.arrow,
        progress=_excerpt(a.progress.text) if a.progress else "",
        progress_date=a.progress.date if a.progress else None,
        notes=_notes(a),
    )


def _notes(a: ActionRow) -> tuple[str, ...]:
    notes = []
    if a.timescale_note:
        notes.append(a.timescale_note)
    if a.completion == AWAITING_SIGNOFF:
        notes.append("complete, awaiting sign-off")
    if a.challenges:
        notes.append(f"challenged by {a.challenges[0].by}")
    return tuple(notes)


def _worst(data: ReportData) -> str | None:
    return data.rag_key[0].label if data.rag_key else None


def overall(data: ReportData) -> OverallSummary:
    h = data.headline
    return OverallSummary(
        plan=data.plan_name,
        title=data.title,
        as_of_date=data.as_of_date,
        sentence=h.sentence,
        rag_key=data.rag_key,
        breakdown=h.overall,
        baseline=h.baseline,
        change=h.change,
        red=len(data.exceptions_of(EXC_RED)),
        overdue=h.overdue,
        stale=h.stale,
        contradictions=len(data.exceptions_of(EXC_CONTRADICTION)),
        retimed=h.retimed_text,
        awaiting_signoff=h.awaiting_signoff,
        open_challenges=h.open_challenges,
    )


def _group(data: ReportData, name: str, rows: list[ActionRow]) -> GroupSummary:
    labels = [k.label for k in data.rag_key]
    worst = _worst(data)
    return GroupSummary(
        name=name,
        breakdown=breakdown(labels, (counted_rag(r) for r in rows)),
        red=sum(1 for r in rows if worst is not None and r.rag == worst),
        overdue=sum(r.overdue for r in rows),
        actions=tuple(_item(data, r) for r in rows),
    )


def by_section(data: ReportData) -> GroupedSummary:
    groups: dict[str, list[ActionRow]] = {}
    for a in data.actions:
        groups.setdefault(a.section_path[0] if a.section_path else NO_SECTION, []).append(a)
    return GroupedSummary(
        plan=data.plan_name,
        as_of_date=data.as_of_date,
        by="section",
        rag_key=data.rag_key,
        groups=tuple(_group(data, name, rows) for name, rows in groups.items()),
    )


def by_lead(data: ReportData) -> GroupedSummary:
    groups: dict[str, list[ActionRow]] = {}
    for a in data.actions:
        for lead in a.leads or (NO_LEAD,):
            groups.setdefault(lead, []).append(a)
    names = sorted(groups, key=lambda n: (n == NO_LEAD, n.casefold(), n))
    return GroupedSummary(
        plan=data.plan_name,
        as_of_date=data.as_of_date,
        by="lead",
        rag_key=data.rag_key,
        groups=tuple(_group(data, name, groups[name]) for name in names),
    )


def red_only(data: ReportData) -> ActionListSummary:
    worst = _worst(data)
    return ActionListSummary(
        plan=data.plan_name,
        as_of_date=data.as_of_date,
        kind="red",
        title=f"{worst or 'Red'} actions",
        items=tuple(_item(data, a) for a in data.actions if worst is not None and a.rag == worst),
    )


def overdue(data: ReportData) -> ActionListSummary:
    return ActionListSummary(
        plan=data.plan_name,
        as_of_date=data.as_of_date,
        kind="overdue",
        title="Overdue actions (past due and not complete)",
        items=tuple(_item(data, a) for a in data.actions if a.overdue),
    )


def _transition(data: ReportData, u: UpdateEntry) -> str | None:
    if u.rag_given is None:
        return None
    ranks = {k.label: k.rank for k in data.rag_key}
    if u.rag_before not in ranks or u.rag_after not in ranks:
        return NEW
    before, after = ranks[u.rag_before], ranks[u.rag_after]
    return IMPROVED if after > before else WORSE if after < before else UNCHANGED


def changes_since(data: ReportData, since: dt.datetime | dt.date) -> ChangesSummary:
    """Updates submitted at or after ``since`` and up to the report's as-of, with RAG moves.

    ``since`` is an aware datetime, or a date meaning the start of that day in the report's time zone.
    """
    if not isinstance(since, dt.datetime):
        since = dt.datetime.combine(since, dt.time.min, dt.datetime.fromisoformat(data.as_of).tzinfo)
    if since.tzinfo is None:
        raise ValueError("changes_since needs an aware datetime")
    if data.updates_since is None or dt.datetime.fromisoformat(data.updates_since) > since:
        raise ValueError("the report data was compiled without updates that far back; compile with since=")
    items = tuple(
        ChangeItem(
            ref=u.ref,
            title=u.title,
            date=u.date,
            submitted_at=u.submitted_at,
            author=u.author,
            on_behalf_of=u.on_behalf_of,
            rag_before=u.rag_before,
            rag_after=u.rag_after,
            transition=_transition(data, u),
            text=_excerpt(u.text),
        )
        for u in data.recent_updates
        if dt.datetime.fromisoformat(u.submitted_at) >= since
    )
    tz = dt.datetime.fromisoformat(data.as_of).tzinfo
    return ChangesSummary(
        plan=data.plan_name,
        as_of_date=data.as_of_date,
        since=since.astimezone(tz).isoformat(),
        updates=items,
        actions_updated=len({i.ref for i in items}),
        improved=sum(1 for i in items if i.transition == IMPROVED),
        worse=sum(1 for i in items if i.transition == WORSE),
    )
