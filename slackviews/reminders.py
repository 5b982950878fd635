"""Block Kit for the scheduler's messages: reminders, escalations, unlinked leads, the weekly digest.

Pure functions: plain data in, ``(text, blocks)`` out. Every listed action carries an Update button
(action_id ``open_update_modal``, value ``{"action_id": .., "reminder_message_id": ..}``) that opens the
Slack app's update modal. User-typed text is escaped with ``slackviews.text.escape``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slackviews.common import report_button_value
from slackviews.governance import challenge_select
from slackviews.text import MESSAGE_BLOCK_LIMIT, escape, excerpt, mrkdwn, plain, truncate

UPDATE_ACTION_ID = "open_update_modal"
GET_REPORT_ACTION_ID = "get_report"
TITLE_LIMIT = 200
# A header, an intro and a closing context take 3 blocks; leave room for the "… and N more" line.
MAX_ITEM_BLOCKS = MESSAGE_BLOCK_LIMIT - 5
LIST_LINES = 10


def _date(iso: str | None) -> str:
    return _day(dt.date.fromisoformat(iso) if iso else None)


def _day(day: dt.date | None) -> str:
    if day is None:
        return "no date"
    return f"{day:%a} {day.day} {day:%b %Y}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def describe_item(item: dict[str, Any]) -> str:
    """One line saying why this action is listed ("due in 14 days", "overdue by 9 days")."""
    kind, due, days = item.get("kind"), item.get("due"), int(item.get("days") or 0)
    due_word = "Milestone due" if item.get("family") == "milestone" else "Due"
    if kind == "ongoing":
        return f"Ongoing: monitoring update due ({_date(due)})"
    if kind == "recurring":
        what = item.get("recurrence") or "recurring"
        when = "today" if days == 0 else f"in {_days(days)}"
        return f"Next {what} return due {when} ({_date(due)})"
    if kind == "overdue":
        return f"Overdue by {_days(-days)} (was due {_date(due)})"
    if days == 0:
        return f"{due_word} today ({_date(due)})"
    return f"{due_word} in {_days(days)} ({_date(due)})"


def update_button(
    action_id: int, reminder_message_id: int | None, *, label: str = "Update"
) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": UPDATE_ACTION_ID,
        "text": plain(label),
        "value": json.dumps({"action_id": action_id, "reminder_message_id": reminder_message_id}),
    }


def _action_heading(item: dict[str, Any]) -> str:
    """ "*3.2* Title", and "_(plan ilacs)_" when there is more than one plan (refs repeat across plans)."""
    title = escape(truncate(" ".join(str(item.get("title") or "").split()), TITLE_LIMIT))
    heading = f"*{escape(str(item.get('ref') or ''))}* {title}"
    if item.get("several_plans") and item.get("plan"):
        heading += f" _(plan {escape(str(item['plan']))})_"
    return heading


def is_board_item(item: dict[str, Any]) -> bool:
    return str(item.get("kind") or "").startswith("board_")


def reminder_item_block(
    item: dict[str, Any], reminder_message_id: int | None, answered: dict[int, str]
) -> dict[str, Any]:
    """One due action: why it is listed, its last RAG, and an Update button (or "Updated: Amber")."""
    line = "\n".join(
        [
            _action_heading(item),
            describe_item(item),
            *(describe_item(extra) for extra in item.get("also", []) if not is_board_item(extra)),
        ]
    )
    if item.get("rag"):
        line += f" · last RAG: {escape(str(item['rag']))}"
    block: dict[str, Any] = {
        "type": "section",
        "block_id": f"action-{item['action_id']}",
        "text": mrkdwn(line),
    }
    if item["action_id"] in answered:
        block["text"] = mrkdwn(f"{line}\n:white_check_mark: Updated: {escape(answered[item['action_id']])}")
    else:
        block["accessory"] = update_button(item["action_id"], reminder_message_id)
    return block


def reminder_message(
    items: list[dict[str, Any]], *, reminder_message_id: int | None, answered: dict[int, str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """One message per recipient listing every due action, each with an Update button.

    ``answered`` maps action id -> RAG for actions updated since the message went out: they show
    "Updated: <RAG>" instead of a button.
    """
    if any(is_board_item(i) for i in items):
        # A board call or chase (jobs.board), with any reminders due the same pass: still one DM.
        from slackviews.board import round_message

        return round_message(items, reminder_message_id=reminder_message_id, answered=answered)
    answered = answered or {}
    behalf = sorted({str(i["on_behalf_of"]) for i in items if i.get("on_behalf_of")})
    count = len(items)
    intro = (
        f"{_days(count).replace('day', 'action')} need{'s' if count == 1 else ''} a progress update"
        if count
        else "No actions need an update"
    )
    if behalf:
        intro += f" (covering for {escape(', '.join(behalf))} while they are away)"
    text = f"Progress reminder: {intro}."
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(f":wave: {intro}. Reply in this thread, or press *Update*.")},
    ]
    shown = items[:MAX_ITEM_BLOCKS]
    blocks.extend(reminder_item_block(item, reminder_message_id, answered) for item in shown)
    if count > len(shown):
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(f"… and {count - len(shown)} more: use `/progress mine` to see them all.")
                ],
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                mrkdwn("Reply with a RAG first, e.g. “Amber – forum designed, first session booked”.")
            ],
        }
    )
    return text, blocks


def escalation_message(
    items: list[dict[str, Any]], *, reminder_message_id: int | None
) -> tuple[str, list[dict[str, Any]]]:
    """For a board member: actions that are late with no update, naming the lead and how late."""
    count = len(items)
    text = f"Escalation: {count} overdue action{'s' if count != 1 else ''} with no response from the lead."
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(f":rotating_light: {text}")}]
    shown = items[:MAX_ITEM_BLOCKS]
    for item in shown:
        lateness = _days(-int(item.get("days") or 0))
        reason = item.get("reason") or "no update"
        line = (
            f"{_action_heading(item)}\nLead: {escape(str(item.get('lead') or 'unknown'))} · "
            f"{lateness} late (was due {_date(item.get('due'))}) · {escape(reason)}"
        )
        blocks.append(
            {
                "type": "section",
                "block_id": f"action-{item['action_id']}",
                "text": mrkdwn(line),
                "accessory": update_button(item["action_id"], reminder_message_id, label="Open"),
            }
        )
    if count > len(shown):
        blocks.append({"type": "context", "elements": [mrkdwn(f"… and {count - len(shown)} more.")]})
    return text, blocks


def _names(names: list[str]) -> str:
    lines = [f"• {escape(n)}" for n in names[: LIST_LINES * 5]]
    if len(names) > len(lines):
        lines.append(f"… and {len(names) - len(lines)} more")
    return "\n".join(lines)


def unlinked_message(
    names: list[str], undeliverable: list[str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """For admins: leads with open actions whom the bot cannot reach, in Slack or by email.

    ``undeliverable``: "Name (the mail server's answer)" for leads whose email address was refused for good.
    """
    undeliverable = undeliverable or []
    count = len(names)
    parts = []
    if count:
        parts.append(
            f"{count} lead{'s' if count != 1 else ''} with open actions {'is' if count == 1 else 'are'} not linked to Slack."
        )
    if undeliverable:
        n = len(undeliverable)
        parts.append(f"{n} lead{'s' if n != 1 else ''}' email {'is' if n == 1 else 'are'} undeliverable.")
    text = " ".join(parts)
    blocks: list[dict[str, Any]] = []
    if count:
        blocks.append(
            {"type": "section", "text": mrkdwn(f":link: {parts[0]} They get no reminders until linked.")}
        )
        blocks.append({"type": "section", "text": mrkdwn(_names(names))})
    if undeliverable:
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(
                    f":email: *Email undeliverable* (they get no reminders):\n{_names(undeliverable)}"
                ),
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    "Run `progressbot leads sync`, or `/progress link NAME @user`; for email, "
                    "`progressbot leads link NAME --email ADDRESS` (giving the address again retries it)."
                )
            ],
        }
    )
    return text, blocks


def _list_section(title: str, lines: list[str], *, limit: int = LIST_LINES) -> dict[str, Any]:
    if not lines:
        body = "_None._"
    else:
        shown = lines[:limit]
        body = "\n".join(shown)
        while len(body) > 2800 and len(shown) > 1:  # stay well inside a section's 3,000 characters
            shown = shown[:-1]
            body = "\n".join(shown)
        if len(lines) > len(shown):
            body += f"\n… and {len(lines) - len(shown)} more"
    return {"type": "section", "text": mrkdwn(f"*{title}*\n{body}")}


@dataclass(frozen=True)
class DigestAction:
    """An action listed in the digest (overdue, due soon, or without a recent update)."""

    ref: str
    title: str
    due: dt.date | None
    lead: str  # its leads' names, or "no lead"


@dataclass(frozen=True)
class DigestUpdate:
    """An update given this week."""

    ref: str
    who: str
    rag: str | None
    text: str | None
    action_id: int | None = None  # with update_id: board members can challenge it from the digest
    update_id: int | None = None


@dataclass(frozen=True)
class PlanDigest:
    """One plan's week (``jobs.digest.build_digests``), as ``digest_message`` renders it."""

    plan_id: int | None
    plan: str  # the name ``plan NAME`` takes
    plan_title: str
    counts: dict[str, int]  # RAG label -> actions now
    previous_counts: dict[str, int]  # RAG label -> actions a week ago
    unrated: int = 0
    updates: tuple[DigestUpdate, ...] = ()
    overdue: tuple[DigestAction, ...] = ()
    due_soon: tuple[DigestAction, ...] = ()
    stale: tuple[DigestAction, ...] = ()
    last_report: dt.date | None = None  # when the last report was published
    # Marked complete by their lead, not yet signed off: out of ``counts``, as in the report.
    awaiting_signoff: tuple[DigestAction, ...] = ()
    previous_awaiting_signoff: int = 0


def _digest_part(d: PlanDigest, *, several: bool = False) -> tuple[list[dict[str, Any]], str]:
    blocks: list[dict[str, Any]] = []
    parts = []
    for label, n in d.counts.items():
        change = n - d.previous_counts.get(label, 0)
        sign = f" ({'+' if change > 0 else ''}{change})" if change else ""
        parts.append(f"*{escape(label)}* {n}{sign}")
    if d.awaiting_signoff or d.previous_awaiting_signoff:
        n = len(d.awaiting_signoff)
        change = n - d.previous_awaiting_signoff
        sign = f" ({'+' if change > 0 else ''}{change})" if change else ""
        parts.append(f"complete, awaiting sign-off {n}{sign}")
    if d.unrated:
        parts.append(f"no RAG yet {d.unrated}")
    summary = f"{escape(d.plan_title)}: " + ", ".join(p.replace("*", "") for p in parts)
    title = f"Weekly progress: {d.plan_title}"
    if several and d.plan and d.plan != d.plan_title:
        title += f" (plan {d.plan})"  # the name `plan NAME` takes, for every action listed below
    blocks.append({"type": "header", "text": plain(title)})
    blocks.append(
        {
            "type": "section",
            "text": mrkdwn("RAG now (change since last week): " + (" · ".join(parts) or "no actions")),
        }
    )
    updates = [
        f"• *{escape(u.ref)}* {escape(u.who)}: {escape(u.rag or 'no RAG')} – {excerpt(u.text, 150)}"
        for u in d.updates
    ]
    blocks.append(_list_section(f"Updates this week ({len(updates)})", updates))
    overdue = [
        f"• *{escape(a.ref)}* {escape(truncate(a.title, 120))} – due {_day(a.due)} ({escape(a.lead)})"
        for a in d.overdue
    ]
    blocks.append(_list_section(f"Overdue ({len(overdue)})", overdue))
    soon = [
        f"• *{escape(a.ref)}* {escape(truncate(a.title, 120))} – due {_day(a.due)} ({escape(a.lead)})"
        for a in d.due_soon
    ]
    blocks.append(_list_section(f"Due in the next 14 days ({len(soon)})", soon))
    if d.awaiting_signoff:  # only when there are some: a plan's part must stay within the block limit
        awaiting = [
            f"• *{escape(a.ref)}* {escape(truncate(a.title, 120))} ({escape(a.lead)})"
            for a in d.awaiting_signoff
        ]
        blocks.append(_list_section(f"Complete, awaiting sign-off ({len(awaiting)})", awaiting))
    stale = [f"• *{escape(a.ref)}* {escape(truncate(a.title, 120))} ({escape(a.lead)})" for a in d.stale]
    since = f"since the last report ({_day(d.last_report)})" if d.last_report else "yet"
    blocks.append(_list_section(f"No update {since} ({len(stale)})", stale))
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": GET_REPORT_ACTION_ID,
            "text": plain("Get report"),
            "value": report_button_value(d.plan_id),
        }
    ]
    # Board members and admins can challenge any of this week's updates (others are refused politely).
    picker = challenge_select(
        [
            (f"{u.ref} · {u.who} · {u.rag or 'no RAG'}", u.action_id, u.update_id)
            for u in d.updates
            if u.action_id is not None
        ]
    )
    if picker is not None:
        elements.append(picker)
    blocks.append({"type": "actions", "elements": elements})
    blocks.append({"type": "divider"})
    return blocks, summary


def digest_message(digests: Sequence[PlanDigest]) -> tuple[str, list[dict[str, Any]]]:
    """The weekly digest: one part per plan, the whole message kept within 50 blocks."""
    blocks: list[dict[str, Any]] = []
    texts = []
    hidden = 0
    for d in digests:
        part, summary = _digest_part(d, several=len(digests) > 1)
        if hidden or len(blocks) + len(part) > MESSAGE_BLOCK_LIMIT - 1:
            hidden += 1  # whole plans only: a plan cut in half would read as complete
            continue
        blocks.extend(part)
        texts.append(summary)
    if blocks and blocks[-1]["type"] == "divider":
        blocks.pop()
    if hidden:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(f"… and {hidden} more plan{'s' if hidden != 1 else ''}: see the full report.")
                ],
            }
        )
    text = "Weekly progress digest. " + " | ".join(texts)
    return truncate(text, 3000), blocks
