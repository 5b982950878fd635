"""Block Kit for the report issue's summaries (``report.summaries`` dataclasses in, blocks out)."""

from __future__ import annotations

from report.data import Breakdown, RagKeyEntry
from report.summaries import ActionItem, ActionListSummary, ChangesSummary, GroupSummary, OverallSummary
from slackviews.common import GET_REPORT, context, emoji_for, header, report_button_value, section
from slackviews.messages import Reply
from slackviews.text import MESSAGE_BLOCK_LIMIT, escape, excerpt

_ARROW_WORDS = {"improved": "↑", "worse": "↓", "unchanged": "→", "new": "new"}


def counts_line(rag_key: tuple[RagKeyEntry, ...], b: Breakdown) -> str:
    colours = {k.label: k.colour for k in rag_key}
    parts = [f"{emoji_for(colours.get(c.label))} {escape(c.label)} *{c.count}*" for c in b.counts]
    if b.awaiting_signoff:
        parts.append(f"✔️ Awaiting sign-off *{b.awaiting_signoff}*")
    if b.no_rag:
        parts.append(f"⚪ No RAG *{b.no_rag}*")
    return " · ".join(parts) + f"  (of {b.total})"


def item_line(item: ActionItem) -> str:
    due = f" · due {item.due}" if item.due else ""
    late = " · *overdue*" if item.overdue else ""
    rag = f"{emoji_for(item.colour)} {escape(item.rag)}" if item.rag else "⚪ no RAG"
    leads = ", ".join(escape(n) for n in item.leads) or "no lead"
    line = f"*{escape(item.ref)}* {excerpt(item.title, 120)} · {rag} {item.arrow}{due}{late} · {leads}"
    if item.notes:
        line += " · _" + escape("; ".join(item.notes)) + "_"
    if item.progress:
        line += f"\n      _{item.progress_date or ''}_ {excerpt(item.progress, 160)}"
    return line


def item_sections(
    items: tuple[ActionItem, ...], room: int, *, more: str = "The full list is in `/progress report`."
) -> list[dict]:
    """Items, a few per section block (a section holds 3,000 characters), within ``room`` blocks.

    Whole lines only, and the last block says how many were left out."""
    blocks: list[dict] = []
    chunk: list[str] = []
    shown = 0
    for item in items:
        line = item_line(item)
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800 or len(chunk) == 8:
            if len(blocks) >= room - 1:
                break
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
        shown += 1
    if chunk and len(blocks) < room - 1:
        blocks.append(section("\n".join(chunk)))
    elif chunk:
        shown -= len(chunk)
    if shown < len(items):
        blocks.append(context(f"… and {len(items) - shown} more. {more}"))
    return blocks


def _report_button(plan_id: int | None = None) -> dict:
    value = report_button_value(plan_id)
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": GET_REPORT,
                "value": value,
                "text": {"type": "plain_text", "text": "Get the report"},
            }
        ],
    }


def overall_reply(s: OverallSummary, *, plan_id: int | None = None) -> Reply:
    lines = [counts_line(s.rag_key, s.breakdown), escape(s.sentence)]
    flags = []
    if s.red:
        flags.append(f"{s.red} red")
    if s.overdue:
        flags.append(f"{s.overdue} overdue")
    if s.stale:
        flags.append(f"{s.stale} with no update since the last report")
    if s.open_challenges:
        flags.append(f"{s.open_challenges} open challenge{'s' if s.open_challenges != 1 else ''}")
    if s.awaiting_signoff:
        flags.append(f"{s.awaiting_signoff} awaiting sign-off")
    if flags:
        lines.append("Exceptions: " + ", ".join(flags) + ". Try `/progress summary red` or `overdue`.")
    if s.retimed:
        lines.append(escape(s.retimed) + ".")
    if s.baseline is not None and s.change is not None:
        lines.append(
            f"Since {escape(s.baseline.version)} ({s.baseline.date}): {s.change.improved} improved, "
            f"{s.change.worse} worse."
        )
    blocks = [
        header(f"{s.title or s.plan}"[:150]),
        section("\n".join(lines)),
        context(f"As of {s.as_of_date}"),
        _report_button(plan_id),
    ]
    return Reply(f"{escape(s.plan)}: {escape(s.sentence)}", blocks)


def group_reply(title: str, g: GroupSummary, rag_key: tuple[RagKeyEntry, ...], as_of: str) -> Reply:
    blocks = [header(title[:150]), section(counts_line(rag_key, g.breakdown)), context(f"As of {as_of}")]
    blocks += item_sections(g.actions, MESSAGE_BLOCK_LIMIT - len(blocks))
    return Reply(f"{escape(title)}: {g.breakdown.total} actions", blocks)


def list_reply(s: ActionListSummary) -> Reply:
    if not s.items:
        return Reply(
            f"{escape(s.title)}: none",
            [section(f"*{escape(s.title)}*: none. 🎉"), context(f"As of {s.as_of_date}")],
        )
    blocks = [header(f"{s.title} ({len(s.items)})"[:150]), context(f"As of {s.as_of_date}")]
    blocks += item_sections(s.items, MESSAGE_BLOCK_LIMIT - len(blocks))
    return Reply(f"{escape(s.title)}: {len(s.items)}", blocks)


def changes_reply(s: ChangesSummary) -> Reply:
    since = s.since[:10]
    if not s.updates:
        return Reply(f"No updates since {since}", [section(f"No updates since {since}.")])
    lines = []
    for u in reversed(s.updates):  # newest first: the chair reads the latest news first
        move = ""
        if u.rag_after:
            before = escape(u.rag_before) if u.rag_before else "no RAG"
            move = f" {before} → {escape(u.rag_after)} {_ARROW_WORDS.get(u.transition or '', '')}"
        who = escape(u.author) + (f" for {escape(u.on_behalf_of)}" if u.on_behalf_of else "")
        lines.append(
            f"*{escape(u.ref)}* {excerpt(u.title, 80)} ·{move} · {u.date} · {who}\n      {excerpt(u.text, 200)}"
        )
    blocks = [
        header(f"Changes since {since}"),
        section(
            f"{len(s.updates)} update(s) on {s.actions_updated} action(s): {s.improved} improved, "
            f"{s.worse} worse."
        ),
    ]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
        if len(blocks) >= MESSAGE_BLOCK_LIMIT - 2:
            break
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return Reply(f"{len(s.updates)} updates since {since}", blocks[:MESSAGE_BLOCK_LIMIT])
