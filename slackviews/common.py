"""Pieces shared by the Block Kit builders: the action card data, RAG badges, Update buttons.

Builders in ``slackviews`` are pure: plain data in, Block Kit dicts out. Every string that came from a
person (titles, progress text, names) goes through ``slackviews.text.escape`` before landing in mrkdwn.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from slackviews.text import escape, excerpt, mrkdwn, plain
from storage.rag import colour_family

OPEN_UPDATE_MODAL = "open_update_modal"  # the contract with jobs' reminder buttons
GET_REPORT = "get_report"
SHOW_ACTION = "show_action"  # "which plan?" for /progress action REF with a ref in several plans

_EMOJI = {"red": "🔴", "amber": "🟠", "green": "🟢", "blue": "🔵"}


@dataclass(frozen=True)
class UpdateSummary:
    rag: str | None
    text: str
    date: dt.date
    author: str = ""


@dataclass(frozen=True)
class CardGovernance:
    """What a board member or admin needs on the card: revisions, a pending date, challenges, sign-off."""

    status: str = "open"  # open | withdrawn | merged
    merged_into: str | None = None
    closed_reason: str = ""
    original_due: dt.date | None = None
    revised_on: dt.date | None = None  # when the latest revision was agreed
    proposal_id: int | None = None
    proposed_due: dt.date | None = None
    proposed_by: str = ""
    proposed_by_uid: str | None = None
    proposed_reason: str = ""
    completion: str | None = None  # awaiting | signed_off | complete
    signed_off_by: str = ""
    open_challenges: tuple[tuple[str, dt.date, str], ...] = ()  # (asked by, on, question)
    latest_update_id: int | None = None


@dataclass(frozen=True)
class ActionCard:
    """What the bot shows about one action; built from the database by ``bot.queries``."""

    id: int
    ref: str
    title: str
    timescale: str = ""
    due: dt.date | None = None
    leads: tuple[str, ...] = ()
    rag: str | None = None
    rag_colour: str | None = None
    last: UpdateSummary | None = None
    history: tuple[UpdateSummary, ...] = field(default=())
    plan_name: str = ""
    complete: bool = False
    governance: CardGovernance | None = None


def rag_badge(label: str | None, colour: str | None) -> str:
    """An emoji and the label (e.g. Amber), or "No RAG yet"; labels come from the plan, so escaped too."""
    if not label:
        return "⚪ No RAG yet"
    return f"{_EMOJI.get(colour_family(colour or '') or '', '⚪')} {escape(label)}"


def emoji_for(colour: str | None) -> str:
    return _EMOJI.get(colour_family(colour or "") or "", "⚪")


def due_text(card: ActionCard) -> str:
    if card.due is not None:
        return card.due.strftime("%-d %b %Y")
    return escape(card.timescale) if card.timescale else "no date"


def report_button_value(plan_id: int | None, fmt: str = "docx") -> str:
    """A Get report button's value; ``bot.listeners.home.read_report_value`` reads it back."""
    return json.dumps({"format": fmt, "plan_id": plan_id}) if plan_id is not None else fmt


def update_button_value(action_id: int, reminder_message_id: int | None = None) -> str:
    return json.dumps({"action_id": action_id, "reminder_message_id": reminder_message_id})


def update_button(action_id: int, reminder_message_id: int | None = None, *, text: str = "Update") -> dict:
    return {
        "type": "button",
        "action_id": OPEN_UPDATE_MODAL,
        "text": plain(text),
        "value": update_button_value(action_id, reminder_message_id),
    }


def card_line(card: ActionCard) -> str:
    lines = [
        f"*{escape(card.ref)}* {escape(card.title)}",
        f"Due {due_text(card)} · {rag_badge(card.rag, card.rag_colour)}",
    ]
    if card.last is not None:
        lines.append(f"_{card.last.date:%-d %b}:_ {excerpt(card.last.text, 200)}")
    else:
        lines.append("_No update yet._")
    return "\n".join(lines)


def card_section(card: ActionCard, *, button: bool = True) -> dict:
    block: dict = {"type": "section", "block_id": f"action-{card.id}", "text": mrkdwn(card_line(card))}
    if button:
        block["accessory"] = update_button(card.id)
    return block


def group_cards(cards: list[ActionCard], today: dt.date) -> list[tuple[str, list[ActionCard]]]:
    """Overdue, due in the next 30 days, later (incl. no date), complete; empty groups dropped."""
    soon_limit = today + dt.timedelta(days=30)
    groups: dict[str, list[ActionCard]] = {
        "Overdue": [],
        "Due in the next 30 days": [],
        "Later": [],
        "Complete": [],
    }
    for card in cards:
        if card.complete:
            groups["Complete"].append(card)
        elif card.due is not None and card.due < today:
            groups["Overdue"].append(card)
        elif card.due is not None and card.due <= soon_limit:
            groups["Due in the next 30 days"].append(card)
        else:
            groups["Later"].append(card)
    for name in ("Overdue", "Due in the next 30 days"):
        groups[name].sort(key=lambda c: (c.due or today, c.ref))
    return [(name, items) for name, items in groups.items() if items]


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text)}


def context(text: str) -> dict:
    return {"type": "context", "elements": [mrkdwn(text)]}


def section(text: str) -> dict:
    return {"type": "section", "text": mrkdwn(text)}


DIVIDER = {"type": "divider"}
