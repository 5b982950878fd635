"""The App Home tab: a lead's own actions, and for board members the state of the plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from report.summaries import ActionItem, ChangesSummary, OverallSummary
from slackviews.common import DIVIDER, GET_REPORT, ActionCard, context, header, report_button_value, section
from slackviews.messages import OUTSIDER_TEXT, cards_blocks
from slackviews.summary import changes_reply, counts_line, item_sections
from slackviews.text import VIEW_BLOCK_LIMIT, escape, truncate, truncate_mrkdwn

EXCEPTION_BLOCKS = 3  # up to two sections of exceptions and the "… and N more" line
BOARD_BLOCKS = 30  # room kept for the board panel; the lead's list gets the rest
BOARD_ROOM_FOR_LEAD = 12  # with several plans, the panels stop short of this many blocks from the limit


@dataclass(frozen=True)
class WaitingItem:
    """Something waiting for the board: a date request (``proposal_id``) or a completion to sign off."""

    action_id: int
    ref: str
    title: str
    text: str  # what is asked, already escaped
    proposal_id: int | None = None
    proposed_due: dt.date | None = None


@dataclass(frozen=True)
class BoardPanel:
    overall: OverallSummary | None
    exceptions: tuple[ActionItem, ...]
    changes: ChangesSummary | None
    note: str = ""
    plan_id: int | None = None
    meeting: str | None = None  # the next board meeting and who has updated for it (mrkdwn, escaped)
    waiting: tuple[WaitingItem, ...] = ()
    challengeable: tuple[tuple[str, int, int | None], ...] = ()  # (label, action id, update id)


WAITING_SHOWN = 5


def waiting_blocks(panel: BoardPanel) -> list[dict]:
    """Date requests and completions waiting for the board, each with its button, and the picker."""
    from slackviews.governance import challenge_picker, request_menu, signoff_button

    blocks: list[dict] = []
    if panel.waiting:
        blocks.append(section(f"*Waiting for the board* ({len(panel.waiting)})"))
        for item in panel.waiting[:WAITING_SHOWN]:
            line = f"*{escape(item.ref)}* {escape(truncate(item.title, 150))}\n{item.text}"
            block = section(truncate_mrkdwn(line, 2900))
            if item.proposal_id is not None and item.proposed_due is not None:
                block["accessory"] = request_menu(item.proposal_id, item.ref, item.proposed_due)
            else:
                block["accessory"] = signoff_button(item.action_id)
            blocks.append(block)
        if len(panel.waiting) > WAITING_SHOWN:
            blocks.append(
                context(f"… and {len(panel.waiting) - WAITING_SHOWN} more: see `/progress action REF`.")
            )
    picker = challenge_picker(list(panel.challengeable), block_id=f"challenge-pick-{panel.plan_id or 0}")
    if picker is not None:
        blocks.append(picker)
    return blocks


def outsider_home() -> dict:
    return {"type": "home", "blocks": [header("progressbot"), section(OUTSIDER_TEXT)]}


def board_blocks(panel: BoardPanel, *, title: str = "The plan") -> list[dict]:
    blocks: list[dict] = [header(title)]
    if panel.overall is None:
        blocks.append(section(escape(panel.note or "No plan yet.")))
        return blocks
    s = panel.overall
    blocks.append(
        section(f"*{escape(s.title or s.plan)}*\n{counts_line(s.rag_key, s.breakdown)}\n{escape(s.sentence)}")
    )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": GET_REPORT,
                    "value": report_button_value(panel.plan_id),
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Get report"},
                }
            ],
        }
    )
    if panel.meeting:
        blocks.append(section(panel.meeting))
    seen: set[int] = set()
    exceptions = [i for i in panel.exceptions if not (i.id in seen or seen.add(i.id))]
    blocks.append(section(f"*Exceptions* ({len(exceptions)})"))
    if exceptions:
        more = "See `/progress summary red` or `overdue`."
        blocks.extend(item_sections(tuple(exceptions), EXCEPTION_BLOCKS, more=more))
    else:
        blocks.append(context("No red or overdue actions."))
    blocks.extend(waiting_blocks(panel))
    if panel.changes is not None:
        latest = changes_reply(panel.changes).blocks
        blocks.append(section("*Latest changes*"))
        blocks.extend(latest[1:8])  # skip its header; a few sections are enough on the Home tab
    blocks.append(context(f"As of {s.as_of_date}"))
    return blocks


def home_view(
    *, name: str, cards: list[ActionCard], today: dt.date, board: BoardPanel | list[BoardPanel] | None
) -> dict:
    """``board``: one panel, or one per plan (each plan's summary in turn, with its own Get report)."""
    blocks: list[dict] = []
    panels = [board] if isinstance(board, BoardPanel) else list(board or [])
    board_part: list[dict] = []
    for i, panel in enumerate(panels):
        title = (
            "The plan" if len(panels) == 1 else f"Plan: {panel.overall.plan if panel.overall else ''}"[:150]
        )
        part = ([DIVIDER] if i else []) + board_blocks(panel, title=title)
        if i and len(board_part) + len(part) > VIEW_BLOCK_LIMIT - BOARD_ROOM_FOR_LEAD:
            board_part.append(context(f"… and {len(panels) - i} more plans: `/progress summary plan NAME`."))
            break
        board_part.extend(part)
    if cards or not panels:
        blocks.append(header("Your actions"))
        if name:
            blocks.append(context(f"Signed in as {escape(name)}"))
        if cards:
            room = VIEW_BLOCK_LIMIT - len(blocks) - len(board_part) - 2
            blocks.extend(cards_blocks(cards, today, limit=max(room, 5)))
        else:
            blocks.append(section("You don't lead any actions at the moment."))
    if board_part:
        if blocks:
            blocks.append(DIVIDER)
        blocks.extend(board_part)
    return {"type": "home", "blocks": blocks[:VIEW_BLOCK_LIMIT]}
