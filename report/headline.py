"""The headline and the exceptions of a report: counts, the change since the baseline, the sentence a
chair reads out, and the lists of actions the board should look at."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from report.data import (
    AWAITING_LABEL,
    AWAITING_SIGNOFF,
    EXC_CHALLENGE,
    EXC_CONTRADICTION,
    EXC_OVERDUE,
    EXC_RED,
    EXC_SIGNOFF,
    EXC_STALE,
    IMPROVED,
    NEW,
    UNCHANGED,
    WORSE,
    ActionRow,
    Baseline,
    Breakdown,
    Change,
    ExceptionItem,
    Headline,
    RagCount,
    SectionBreakdown,
)

NO_SECTION = "(no section)"
NO_RAG = "No RAG yet"


def human_date(iso: str | None) -> str:
    """ "2020-02-10" → "10 Feb 2020" (the style of the plans' own document history)."""
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso[:10])
    return f"{d.day} {d:%b %Y}"


def version_name(label: str) -> str:
    """ "version 6.0" for a numbered version; a board pack's version is its meeting ("Board 16 March 2027")."""
    text = (label or "").strip()
    if re.match(r"(?i)v?\d", text):
        return f"version {text}"
    return text  # "Version 3.1" already says so; a meeting's name stands on its own


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def counted_rag(row: ActionRow) -> str | None:
    """What the counts see: a completion still waiting for sign-off is not counted as complete."""
    return AWAITING_LABEL if row.completion == AWAITING_SIGNOFF else row.rag


def breakdown(labels: Sequence[str], values: Iterable[str | None]) -> Breakdown:
    """Counts and percentages by label (worst → best); unknown labels count as no RAG, and
    ``AWAITING_LABEL`` as complete awaiting sign-off."""
    values = list(values)
    total = len(values)
    counter = Counter(values)
    known = set(labels)
    awaiting = counter.pop(AWAITING_LABEL, 0)
    no_rag = sum(n for label, n in counter.items() if label not in known)

    def pct(n: int) -> float:
        return round(100.0 * n / total, 1) if total else 0.0

    return Breakdown(
        total=total,
        counts=tuple(RagCount(label, counter.get(label, 0), pct(counter.get(label, 0))) for label in labels),
        no_rag=no_rag,
        no_rag_percent=pct(no_rag),
        awaiting_signoff=awaiting,
        awaiting_signoff_percent=pct(awaiting),
    )


def headline_sentence(
    overall: Breakdown, baseline: Baseline | None, change: Change | None, overdue: int
) -> str:
    """ "Of 19 actions, 12 are Green, 5 Amber and 1 Red; 1 has worsened since version 5.0 (10 Feb 2020)
    and 3 are overdue." — counts best first, zero counts left out."""
    n = overall.total
    if n == 0:
        return "The plan has no actions yet."
    parts: list[str] = []
    for c in reversed(overall.counts):
        if c.count:
            verb = _plural(c.count, "is", "are") + " " if not parts else ""
            parts.append(f"{c.count} {verb}{c.label}")
    if overall.awaiting_signoff:
        parts.append(f"{overall.awaiting_signoff} complete awaiting sign-off")
    if overall.no_rag:
        parts.append(f"{overall.no_rag} {_plural(overall.no_rag, 'has', 'have')} no RAG yet")
    sentence = f"Of {n} {_plural(n, 'action', 'actions')}, {_join(parts)}"
    overdue_clause = f"{overdue} {_plural(overdue, 'is', 'are')} overdue" if overdue else "none is overdue"
    if baseline is not None and change is not None:
        since = f"since {version_name(baseline.version)} ({human_date(baseline.date)})"
        moves = []
        if change.worse:
            moves.append(f"{change.worse} {_plural(change.worse, 'has', 'have')} worsened")
        if change.improved:
            moves.append(f"{change.improved} {_plural(change.improved, 'has', 'have')} improved")
        if change.new:
            moves.append(f"{change.new} {_plural(change.new, 'is', 'are')} new or newly rated")
        move_clause = f"{_join(moves)} {since}" if moves else f"no RAG has changed {since}"
        return f"{sentence}; {move_clause}, and {overdue_clause}."
    return f"{sentence}; {overdue_clause}."


def introduction(as_of_date: str, baseline: Baseline | None) -> str:
    d = dt.date.fromisoformat(as_of_date)
    text = (
        f"This report sets out progress against the action plan as at {d.day} {d:%B %Y}, from the updates "
        "given by action leads up to that date."
    )
    if baseline is None:
        return text + " No earlier version has been published, so no direction of travel is shown yet."
    return text + (
        f" The direction of travel compares each action's RAG status with {version_name(baseline.version)}, "
        f"issued on {human_date(baseline.date)}."
    )


def build_headline(
    rows: Sequence[ActionRow],
    labels: Sequence[str],
    baseline: Baseline | None,
    base_snapshot: dict | None,
    *,
    retimed: int = 0,
) -> Headline:
    """Counts overall and per top-level section, the change since the baseline, and the sentence."""
    overall = breakdown(labels, (counted_rag(r) for r in rows))
    groups: dict[str, list[str | None]] = {}
    for r in rows:
        groups.setdefault(r.section_path[0] if r.section_path else NO_SECTION, []).append(counted_rag(r))
    sections = tuple(SectionBreakdown(name, breakdown(labels, rags)) for name, rags in groups.items())
    change = None
    if base_snapshot is not None:
        directions = Counter(r.direction for r in rows)
        base_counts = breakdown(labels, (base_snapshot.get(str(r.id)) for r in rows))
        change = Change(
            improved=directions[IMPROVED],
            worse=directions[WORSE],
            unchanged=directions[UNCHANGED],
            new=directions[NEW],
            deltas=(
                *((c.label, c.count - base_counts.count(c.label)) for c in overall.counts),
                (NO_RAG, overall.no_rag - base_counts.no_rag),
            ),
        )
    overdue = sum(r.overdue for r in rows)
    return Headline(
        overall=overall,
        sections=sections,
        baseline=baseline,
        change=change,
        overdue=overdue,
        stale=sum(r.stale for r in rows),
        contradictions=sum(len(r.contradictions) for r in rows),
        sentence=headline_sentence(overall, baseline, change, overdue),
        retimed=retimed,
        open_challenges=sum(len(r.challenges) for r in rows),
        awaiting_signoff=overall.awaiting_signoff,
    )


def build_exceptions(
    rows: Sequence[ActionRow], worst: str | None, as_of_date: dt.date, baseline: Baseline | None
) -> tuple[ExceptionItem, ...]:
    items: list[ExceptionItem] = []

    def add(kind: str, r: ActionRow, detail: str) -> None:
        items.append(ExceptionItem(kind, r.id, r.ref, r.title, r.leads, r.rag, detail))

    for r in rows:
        if worst is not None and r.rag == worst:
            add(EXC_RED, r, _excerpt(r.progress.text) if r.progress else "No progress recorded.")
    for r in rows:
        if r.overdue:
            days = (as_of_date - dt.date.fromisoformat(r.due)).days if r.due else 0
            add(EXC_OVERDUE, r, f"Due {human_date(r.due)}, {days:,} {_plural(days, 'day', 'days')} ago")
    for r in rows:
        if r.stale:
            if r.last_update is None:
                detail = "No update yet"
            else:
                since = f"; nothing since {version_name(baseline.version)}" if baseline else ""
                detail = f"Last update {human_date(r.last_update)}{since}"
            add(EXC_STALE, r, detail)
    for r in rows:
        for text in r.contradictions:
            add(EXC_CONTRADICTION, r, text)
    for r in rows:
        for c in r.challenges:
            add(EXC_CHALLENGE, r, f"Asked by {c.by} on {human_date(c.date)}: {_excerpt(c.question, 300)}")
    for r in rows:
        if r.completion == AWAITING_SIGNOFF:
            when = f"Marked complete on {human_date(r.rag_date)}" if r.rag_date else "Marked complete"
            add(EXC_SIGNOFF, r, f"{when}; {'evidence given' if r.evidence else 'no evidence given'}")
    return tuple(items)


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
