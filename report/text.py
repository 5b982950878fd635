"""Plain-text and Markdown renderers for the summaries in ``report.summaries``.

``render_text(summary)`` and ``render_markdown(summary)`` accept any of the summary dataclasses.
Markdown is CommonMark (email, GitHub, most chat tools); Slack gets Block Kit from the bot's views.
"""

from __future__ import annotations

import re
from functools import singledispatch

from report.data import ARROWS, AWAITING_LABEL, Breakdown, Change, RagKeyEntry
from report.headline import NO_RAG, human_date
from report.summaries import (
    ActionItem,
    ActionListSummary,
    ChangeItem,
    ChangesSummary,
    GroupedSummary,
    OverallSummary,
)


def _counts_line(b: Breakdown) -> str:
    parts = [f"{c.count} {c.label}" for c in reversed(b.counts) if c.count]
    if b.awaiting_signoff:
        parts.append(f"{b.awaiting_signoff} awaiting sign-off")
    if b.no_rag:
        parts.append(f"{b.no_rag} no RAG yet")
    noun = "action" if b.total == 1 else "actions"
    return f"{b.total} {noun}" + (f": {', '.join(parts)}" if parts else "")


def _delta(change: Change | None, label: str) -> str:
    if change is None:
        return ""
    delta = dict(change.deltas).get(label, 0)
    return f"{delta:+d}" if delta else "no change"


def _count_rows(b: Breakdown, key: tuple[RagKeyEntry, ...], change: Change | None) -> list[tuple[str, ...]]:
    rows = [(c.label, str(c.count), f"{c.percent:.1f}%", _delta(change, c.label)) for c in reversed(b.counts)]
    if b.awaiting_signoff:
        rows.append((AWAITING_LABEL, str(b.awaiting_signoff), f"{b.awaiting_signoff_percent:.1f}%", ""))
    rows.append((NO_RAG, str(b.no_rag), f"{b.no_rag_percent:.1f}%", _delta(change, NO_RAG)))
    return rows


def _leads(item: ActionItem) -> str:
    return ", ".join(item.leads) or "no lead"


def _item_text(item: ActionItem) -> str:
    bits = [
        f"{item.ref}  [{item.rag or 'not rated'}]{' ' + item.arrow if item.arrow else ''}  {item.title}",
        f"lead: {_leads(item)}",
    ]
    if item.due:
        bits.append(f"due {human_date(item.due)}{' (overdue)' if item.overdue else ''}")
    line = " — ".join(bits)
    if item.notes:
        line += f" ({'; '.join(item.notes)})"
    if item.progress:
        line += f"\n      {human_date(item.progress_date)}: {item.progress}"
    return line


def _item_md(item: ActionItem) -> str:
    arrow = f" {item.arrow}" if item.arrow else ""
    due = f" · due {human_date(item.due)}{' **(overdue)**' if item.overdue else ''}" if item.due else ""
    line = f"- **{_md(item.ref)}** [{_md(item.rag or 'not rated')}]{arrow} {_md(item.title)} · {_md(_leads(item))}{due}"
    if item.notes:
        line += " · _" + "; ".join(_md(n) for n in item.notes) + "_"
    if item.progress:
        line += f"\n  _{human_date(item.progress_date)}:_ {_md_block(item.progress)}"
    return line


_MD_SPECIALS = ("\\", "*", "_", "`", "[", "]", "<", ">", "|", "#", "~")
# A line that starts like this would begin a list or a heading underline if left as it is.
_MD_LINE_START = re.compile(r"^(?:([-+=])|(\d+)(?=[.)]))")


def _md(text: str) -> str:
    """Escape user text for use inside one line of Markdown: its line breaks become spaces, so a title
    or a name can never end a list item, a table row or a heading early."""
    out = " ".join(part.strip() for part in (text or "").splitlines() if part.strip())
    for ch in _MD_SPECIALS:
        out = out.replace(ch, "\\" + ch)
    return out


def _md_block(text: str, indent: str = "  ") -> str:
    """Escape user text that keeps its lines (a progress update), for the end of a list item's first
    line: each later line is a hard break indented to stay in the item, and none can start a list or a
    heading underline of its own."""
    lines = [_md(part) for part in (text or "").splitlines() if part.strip()]
    later = [_MD_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\", line) for line in lines[1:]]
    return ("  \n" + indent).join(lines[:1] + later)


def _change_text(c: ChangeItem) -> str:
    who = c.author or "unknown"
    if c.on_behalf_of and c.on_behalf_of != c.author:
        who = f"{who} on behalf of {c.on_behalf_of}"
    if c.transition is None:
        move = f"[{c.rag_after or 'not rated'}, text only]"
    elif c.transition == "new":
        move = f"[{c.rag_after}] (first RAG)" if c.rag_before is None else f"[{c.rag_before} → {c.rag_after}]"
    else:
        move = f"[{c.rag_before} → {c.rag_after}] {ARROWS[c.transition]}"
    return f"{human_date(c.date)}  {c.ref} {move} by {who}: {c.text}"


@singledispatch
def render_text(summary) -> str:
    raise TypeError(f"no text renderer for {type(summary).__name__}")


@singledispatch
def render_markdown(summary) -> str:
    raise TypeError(f"no Markdown renderer for {type(summary).__name__}")


@render_text.register
def _(s: OverallSummary) -> str:
    lines = [f"{s.title} — as at {human_date(s.as_of_date)}", s.sentence, ""]
    if s.retimed:
        lines[-1:] = [f"{s.retimed}.", ""]
    head = ("RAG", "Actions", "%", f"Change since v{s.baseline.version}" if s.baseline else "")
    rows = [head, *_count_rows(s.breakdown, s.rag_key, s.change)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())
    lines.append(f"  {'Total'.ljust(widths[0])}  {s.breakdown.total}")
    stale = f"No update since v{s.baseline.version}" if s.baseline else "No update yet"
    lines.append("")
    lines.append(
        f"Red: {s.red} · Overdue: {s.overdue} · {stale}: {s.stale} · Contradictions: {s.contradictions}"
    )
    return "\n".join(lines) + "\n"


@render_markdown.register
def _(s: OverallSummary) -> str:
    lines = [f"**{_md(s.title)}** — as at {human_date(s.as_of_date)}", "", _md(s.sentence), ""]
    if s.retimed:
        lines += [_md(s.retimed) + ".", ""]
    change_head = f" Change since v{_md(s.baseline.version)} |" if s.change and s.baseline else ""
    lines.append(f"| RAG | Actions | % |{change_head}")
    lines.append("|---|---:|---:|" + ("---|" if change_head else ""))
    for label, count, pct, delta in _count_rows(s.breakdown, s.rag_key, s.change):
        lines.append(f"| {_md(label)} | {count} | {pct} |" + (f" {delta} |" if change_head else ""))
    lines.append(f"| **Total** | **{s.breakdown.total}** | 100% |" + (" |" if change_head else ""))
    stale = f"No update since v{_md(s.baseline.version)}" if s.baseline else "No update yet"
    lines += [
        "",
        f"Red: **{s.red}** · Overdue: **{s.overdue}** · {stale}: **{s.stale}** · "
        f"Contradictions: **{s.contradictions}**",
    ]
    return "\n".join(lines) + "\n"


@render_text.register
def _(s: GroupedSummary) -> str:
    lines = [f"By {s.by} — as at {human_date(s.as_of_date)}"]
    for g in s.groups:
        lines += ["", f"{g.name} — {_counts_line(g.breakdown)}; {g.red} red, {g.overdue} overdue"]
        lines += ["  " + _item_text(item).replace("\n", "\n  ") for item in g.actions]
    if not s.groups:
        lines.append("No actions.")
    return "\n".join(lines) + "\n"


@render_markdown.register
def _(s: GroupedSummary) -> str:
    lines = [f"**By {s.by}** — as at {human_date(s.as_of_date)}"]
    for g in s.groups:
        lines += [
            "",
            f"### {_md(g.name)}",
            f"{_counts_line(g.breakdown)}; {g.red} red, {g.overdue} overdue",
            "",
        ]
        lines += [_item_md(item) for item in g.actions]
    if not s.groups:
        lines += ["", "No actions."]
    return "\n".join(lines) + "\n"


@render_text.register
def _(s: ActionListSummary) -> str:
    lines = [f"{s.title} — as at {human_date(s.as_of_date)}: {len(s.items)}"]
    lines += ["  " + _item_text(item) for item in s.items]
    if not s.items:
        lines.append("  None.")
    return "\n".join(lines) + "\n"


@render_markdown.register
def _(s: ActionListSummary) -> str:
    lines = [f"**{_md(s.title)}** — as at {human_date(s.as_of_date)}: {len(s.items)}", ""]
    lines += [_item_md(item) for item in s.items] or ["None."]
    return "\n".join(lines) + "\n"


def _changes_head(s: ChangesSummary) -> str:
    noun = "update" if len(s.updates) == 1 else "updates"
    return (
        f"since {human_date(s.since[:10])}: {len(s.updates)} {noun} on {s.actions_updated} "
        f"action{'s' if s.actions_updated != 1 else ''}; {s.improved} improved, {s.worse} worse"
    )


@render_text.register
def _(s: ChangesSummary) -> str:
    lines = [f"Changes {_changes_head(s)}"]
    lines += ["  " + _change_text(c) for c in s.updates] or ["  No updates."]
    return "\n".join(lines) + "\n"


@render_markdown.register
def _(s: ChangesSummary) -> str:
    lines = [f"**Changes** {_changes_head(s)}", ""]
    lines += [f"- {_md_block(_change_text(c))}" for c in s.updates] or ["No updates."]
    return "\n".join(lines) + "\n"
