"""The App Home tab: a lead's own actions, and for board members the state of the plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.text import VIEW_BLOCK_LIMIT, escape
from bot.views.common import DIVIDER, GET_REPORT, ActionCard, context, header, section
from bot.views.messages import OUTSIDER_TEXT, cards_blocks
from bot.views.summary import changes_reply, counts_line, item_line
from report.summaries import ActionItem, ChangesSummary, OverallSummary

BOARD_BLOCKS = 30  # room kept for the board panel; the lead's list gets the rest


@dataclass(frozen=True)
class BoardPanel:
    overall: OverallSummary | None
    exceptions: tuple[ActionItem, ...]
    changes: ChangesSummary | None
    note: str = ""


def outsider_home() -> dict:
    return {"type": "home", "blocks": [header("progressbot"), section(OUTSIDER_TEXT)]}


def board_blocks(panel: BoardPanel) -> list[dict]:
    blocks: list[dict] = [header("The plan")]
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
                    "value": "docx",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Get report"},
                }
            ],
        }
    )
    seen: set[int] = set()
    exceptions = [i for i in panel.exceptions if not (i.id in seen or seen.add(i.id))]
    blocks.append(section(f"*Exceptions* ({len(exceptions)})"))
    if exceptions:
        lines = [item_line(i) for i in exceptions[:10]]
        blocks.append(section("\n".join(lines)[:2900]))
        if len(exceptions) > 10:
            blocks.append(
                context(f"… and {len(exceptions) - 10} more: `/progress summary red` or `overdue`.")
            )
    else:
        blocks.append(context("No red or overdue actions."))
    if panel.changes is not None:
        latest = changes_reply(panel.changes).blocks
        blocks.append(section("*Latest changes*"))
        blocks.extend(latest[1:8])  # skip its header; a few sections are enough on the Home tab
    blocks.append(context(f"As of {s.as_of_date}"))
    return blocks


def home_view(*, name: str, cards: list[ActionCard], today: dt.date, board: BoardPanel | None) -> dict:
    blocks: list[dict] = []
    board_part = board_blocks(board) if board is not None else []
    if cards or board is None:
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
