"""Block Kit for the board cycle: a lead's call or chase (with any reminders due the same pass), the
admins' note of leads the call could not reach, and who has answered (``/progress board``, Home tab).

Pure functions: plain data in, ``(text, blocks)`` or blocks out. Items are the dicts ``jobs.board``
puts in the ledger (the reminder item shape plus ``meeting``, ``answered`` and ``answered_on``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from slackviews.reminders import (
    _action_heading,
    describe_item,
    is_board_item,
    reminder_item_block,
    update_button,
)
from slackviews.text import MESSAGE_BLOCK_LIMIT, escape, mrkdwn, truncate

LIST_LIMIT = 2800  # characters in one list section, well inside Slack's 3,000
MEETING_STAGES = ("board_cancelled", "board_moved", "board_chase", "board_call")


def long_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day:%A} {day.day} {day:%B}"


def short_date(iso: str | None) -> str:
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day:%a} {day.day} {day:%b %Y}"


def _intro(info: dict[str, Any], kind: str, count: int, behalf: str | None) -> str:
    label = f"*{escape(info['label'])}* ({escape(info['plan_title'])})"
    by = f"the end of *{long_date(info['cutoff'])}*"
    cover = f" You are covering for {escape(behalf)} while they are away." if behalf else ""
    if kind == "board_cancelled":
        return (
            f":no_entry_sign: {label} has been cancelled, so no updates are needed for it. "
            "Reminders about your due dates carry on as usual." + cover
        )
    if kind == "board_moved":
        was = f" (it was on {long_date(info['moved_from'])})" if info.get("moved_from") else ""
        return (
            f":calendar: {label} has moved to *{long_date(info['date'])}*{was}. Updates are now due by {by}. "
            f"Still to update: {count}." + cover
        )
    if kind == "board_chase":
        return (
            f":hourglass_flowing_sand: A reminder: updates for {label} are due by {by}, "
            f"and {count} of yours {'is' if count == 1 else 'are'} still to come." + cover
        )
    return (
        f":clipboard: {label} meets on *{long_date(info['date'])}*. Please update your actions by {by}, "
        "so the board pack includes them." + cover
    )


def _action_block(
    item: dict[str, Any], reminder_message_id: int | None, answered: dict[int, str]
) -> dict[str, Any]:
    """An action the lead is asked about: due date, last RAG, any reminder due the same day, a button."""
    reminders = [describe_item(extra) for extra in item.get("also", []) if not is_board_item(extra)]
    if reminders:
        due = reminders[0]  # "Due today (Fri 19 Mar 2027)": the reminder says it better
    elif item.get("due"):
        due = f"Due {short_date(item['due'])}"
    else:
        due = f"Timescale: {escape(item.get('timescale') or 'none given')}"
    rag = f" · last RAG: {escape(str(item['rag']))}" if item.get("rag") else ""
    cover = f" · for {escape(item['on_behalf_of'])}" if item.get("on_behalf_of") else ""  # a deputy's own too
    lines = [_action_heading(item), due + rag + cover, *reminders[1:]]
    lines += [
        f"Also for {escape((extra.get('meeting') or {}).get('label', 'another meeting'))}"
        for extra in item.get("also", [])
        if is_board_item(extra)
    ]
    block: dict[str, Any] = {"type": "section", "block_id": f"action-{item['action_id']}"}
    text = "\n".join(lines)
    if item["action_id"] in answered:
        block["text"] = mrkdwn(f"{text}\n:white_check_mark: Updated: {escape(answered[item['action_id']])}")
    else:
        block["text"] = mrkdwn(text)
        block["accessory"] = update_button(item["action_id"], reminder_message_id)
    return block


def _already(items: list[dict[str, Any]]) -> dict[str, Any]:
    lines = []
    for item in items:
        rag = f"{escape(str(item['rag']))}, " if item.get("rag") else ""
        when = short_date(item.get("answered_on"))
        lines.append(f"• *{escape(item['ref'])}* {escape(truncate(item['title'], 80))} ({rag}updated {when})")
    return _list("*Already updated* for this meeting, nothing more needed:", lines)


def _list(title: str, lines: list[str]) -> dict[str, Any]:
    """A titled list in one section, cut with "… and N more" to stay inside Slack's 3,000 characters."""
    shown: list[str] = []
    size = len(title)
    for line in lines:
        if size + len(line) + 1 > LIST_LIMIT:
            break
        shown.append(line)
        size += len(line) + 1
    if len(shown) < len(lines):
        shown.append(f"… and {len(lines) - len(shown)} more")
    return {"type": "section", "text": mrkdwn("\n".join([title, *shown]) if title else "\n".join(shown))}


def _groups(items: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str, list[dict[str, Any]]]]:
    """(meeting, kind, items) per meeting, soonest meeting first."""
    groups: dict[int, tuple[dict[str, Any], str, list[dict[str, Any]]]] = {}
    for item in items:
        info = item["meeting"]
        groups.setdefault(info["id"], (info, item["kind"], []))[2].append(item)
    return sorted(groups.values(), key=lambda g: (g[0]["date"], g[0]["id"]))


def round_message(
    items: list[dict[str, Any]], *, reminder_message_id: int | None, answered: dict[int, str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """One DM: each meeting's call, chase or notice, then any reminders due the same pass."""
    answered = answered or {}
    board = [i for i in items if is_board_item(i)]
    others = [i for i in items if not is_board_item(i)]
    room = MESSAGE_BLOCK_LIMIT - 2  # the closing line, and a "… more" line
    blocks: list[dict[str, Any]] = []
    texts: list[str] = []
    hidden = 0
    for info, kind, group in _groups(board):
        asked = [i for i in group if not (kind == "board_call" and i.get("answered"))]
        done = [i for i in group if kind == "board_call" and i.get("answered")]
        behalf = next((i["on_behalf_of"] for i in group if i.get("on_behalf_of")), None)
        blocks.append({"type": "section", "text": mrkdwn(_intro(info, kind, len(asked), behalf))})
        texts.append(_text(info, kind, len(asked)))
        if kind == "board_cancelled":
            blocks.append(
                _list("Actions you no longer need to update for it:", [_ref_line(i) for i in asked])
            )
            continue
        for item in asked:
            if len(blocks) >= room - (1 if done else 0):
                hidden += 1
                continue
            blocks.append(_action_block(item, reminder_message_id, answered))
        if done:
            blocks.append(_already(done))
    if others:
        texts.append(f"{len(others)} action{'s' if len(others) != 1 else ''} due for an update")
        if len(blocks) < room:
            blocks.append({"type": "section", "text": mrkdwn("*Also coming up on your actions:*")})
        for item in others:
            if len(blocks) >= room:
                hidden += 1
                continue
            blocks.append(reminder_item_block(item, reminder_message_id, answered))
    if hidden:
        blocks.append(
            {
                "type": "context",
                "elements": [mrkdwn(f"… and {hidden} more: `/progress mine` lists them all.")],
            }
        )
    blocks.append(
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    "Press *Update*, or reply in this thread with the ref and a RAG first, "
                    "e.g. “3.2 Amber – forum designed, first session booked”."
                )
            ],
        }
    )
    return truncate(" ".join(texts), 3000), blocks


def _ref_line(item: dict[str, Any]) -> str:
    return f"• *{escape(item['ref'])}* {escape(truncate(item['title'], 100))}"


def _text(info: dict[str, Any], kind: str, count: int) -> str:
    label, cutoff = escape(info["label"]), short_date(info["cutoff"])
    if kind == "board_cancelled":
        return f"{label} has been cancelled: no updates are needed for it."
    if kind == "board_moved":
        return f"{label} has moved to {short_date(info['date'])}: updates due by {cutoff}."
    if kind == "board_chase":
        return f"Reminder: {count} update{'s' if count != 1 else ''} due by {cutoff} for {label}."
    return f"{label}: please update your actions by {cutoff}."


def unreached_message(
    label: str, plan_title: str, cutoff: str, people: list[tuple[str, str]]
) -> tuple[str, list]:
    """For admins: leads the call for a meeting could not reach in Slack, and why."""
    count = len(people)
    text = f"{escape(label)}: the call for updates could not reach {count} lead{'s' if count != 1 else ''} in Slack."
    lines = [f"• {escape(name)}: {escape(why)}" for name, why in people]
    blocks = [
        {
            "type": "section",
            "text": mrkdwn(
                f":warning: *{escape(label)}* ({escape(plan_title)}): the call for updates could not reach "
                f"{count} lead{'s' if count != 1 else ''} in Slack. Ask them another way before the cut-off "
                f"({long_date(cutoff)}), or link them with `/progress link NAME @user`."
            ),
        },
        _list("", lines),
        {
            "type": "context",
            "elements": [
                mrkdwn("Their actions are listed as “no update for this meeting” in the board pack.")
            ],
        },
    ]
    return text, blocks


# --- who has answered ---------------------------------------------------------------------------


def _names(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(escape(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _sent(at: dt.datetime | None, planned: dt.date, tz: Any) -> str:
    if at is None:
        return f"{planned:%a} {planned.day} {planned:%b} (not sent yet)"
    local = at.astimezone(tz)
    return f"sent {local:%a} {local.day} {local:%b} {local:%H:%M}"


def meeting_summary(status: Any, tz: Any) -> str:
    """The Home tab's lines: the next meeting, "12 of 15 leads have updated" and who is still to."""
    head = (
        f"*Next board meeting: {escape(status.label)}* · {status.meeting:%a} {status.meeting.day} {status.meeting:%b}, "
        f"updates by {status.cutoff:%a} {status.cutoff.day} {status.cutoff:%b}"
    )
    if not status.leads:
        return f"{head}\nNo open actions: nobody needs to update."
    waiting = [lead.name for lead in status.leads if lead.outstanding]
    verb = "had" if status.published_version else "have"
    lines = [head, f"*{status.responded} of {len(status.leads)} leads {verb} updated.*"]
    if waiting:
        lines.append(f"Still to update: {_names(waiting)}.")
    if status.called_at is None and not status.cancelled:
        lines.append(
            f"The call for updates goes out on {status.call_day:%a} {status.call_day.day} {status.call_day:%b}."
        )
    if status.published_version:
        lines.append(f"Board pack published: {escape(status.published_version)}.")
    return "\n".join(lines)


def status_blocks(status: Any, tz: Any) -> list[dict[str, Any]]:
    """``/progress board`` for one plan: the meeting, the round so far, and each lead's answers."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": mrkdwn(
                f"*{escape(status.label)}* ({escape(status.plan_title)}): {escape(status.state)}\n"
                f"Meets {status.meeting:%A} {status.meeting.day} {status.meeting:%B}; updates count until the end "
                f"of {status.cutoff:%A} {status.cutoff.day} {status.cutoff:%B}.\n"
                f"Call: {_sent(status.called_at, status.call_day, tz)} · "
                f"Chase: {_sent(status.chased_at, status.chase_day, tz)}"
                + (f"\nPublished: {escape(status.published_version)}" if status.published_version else "")
            ),
        }
    ]
    if not status.leads:
        blocks.append(
            {"type": "context", "elements": [mrkdwn("No open actions: nobody is asked for an update.")]}
        )
        return blocks
    waiting = [lead for lead in status.leads if lead.outstanding]
    done = [lead for lead in status.leads if not lead.outstanding]
    blocks.append(
        {"type": "section", "text": mrkdwn(f"*{len(done)} of {len(status.leads)} leads have updated.*")}
    )
    if waiting:
        lines = [
            f"• *{escape(lead.name)}*: {lead.updated} of {lead.asked} updated; outstanding "
            f"{escape(', '.join(lead.outstanding))}" + (f" _({escape(lead.note)})_" if lead.note else "")
            for lead in waiting
        ]
        blocks.append(_list("*Still to update*", lines))
    if done:
        blocks.append(_list("*Updated*", [f"• {escape(lead.name)} ({lead.asked})" for lead in done]))
    return blocks


def undelivered_message(label: str, meeting_day: str, failures: list[tuple[str, str]]) -> tuple[str, list]:
    """For admins: the board pack could not be delivered to some recipients, and what to do."""
    where = ", ".join(f"{escape(who)} ({escape(error)})" for who, error in failures)
    text = f"The board pack for {escape(label)} could not be delivered to {where}."
    hint = (
        "Invite the bot to the board channel (`/invite @progressbot`) or check the board member's Slack "
        f"account; meanwhile `progressbot board pack --meeting {meeting_day}` writes the pack as published."
    )
    return text, [
        {"type": "section", "text": mrkdwn(f":warning: {text}")},
        {"type": "context", "elements": [mrkdwn(hint)]},
    ]
