"""Messages the bot answers with: help, my actions, one action, confirmations, thread questions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from slackviews.common import (
    DIVIDER,
    ActionCard,
    card_section,
    context,
    due_text,
    emoji_for,
    group_cards,
    header,
    rag_badge,
    section,
    update_button,
)
from slackviews.text import MESSAGE_BLOCK_LIMIT, escape, excerpt, mrkdwn, plain, truncate, truncate_mrkdwn
from storage.rag import RagScheme

PICK_RAG = "pick_rag"
PICK_ACTION = "pick_action"

EXAMPLE = "/progress update 3.2"

# Help's lines that are not subcommands (those come from ``bot.subcommands``).
HELP_NOTES = (
    "With several plans, add `plan NAME` to pick one, e.g. `/progress summary red plan ilacs`, "
    "`/progress report docx plan ilacs`, `/progress action 3.2 plan ilacs`",
    "You can also reply in a reminder's thread, e.g. _Amber – forum designed, first session booked_; "
    "add _new date 30 June_ to ask the board for a revised date.",
)
BOARD_HELP_NOTE = "Agree / Decline on a lead's request for a new date"

OUTSIDER_TEXT = (
    "Sorry, progressbot is only open to the leads of the improvement plan, board members and admins, "
    "and you are not one of them yet. If you think you should be, please ask an admin to link you."
)


@dataclass(frozen=True)
class Reply:
    """A message: fallback text (notifications, screen readers) and blocks."""

    text: str
    blocks: list[dict]

    def as_kwargs(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


def help_reply(lines: Sequence[str] = (), *, unknown: str | None = None, names: Sequence[str] = ()) -> Reply:
    """Help: ``lines`` (``bot.subcommands.help_lines``), after "I didn't understand" when ``unknown``."""
    blocks = []
    if unknown is not None:
        blocks.append(section(f"I didn't understand `{escape(unknown)}`. For example: `{EXAMPLE}`"))
    blocks.append(section("*progressbot* keeps the improvement plan moving. Commands:"))
    blocks.append(section("\n".join(lines)))
    text = (
        f"I didn't understand that. Try `{EXAMPLE}`."
        if unknown is not None
        else "progressbot commands: " + ", ".join(names)
    )
    return Reply(text, blocks)


def plan_choice_reply(question: str, choices: list[tuple[str, dict]]) -> Reply:
    """ "Which plan?": one section per plan, each with its own button (``choices``: label, button)."""
    blocks = [section(question)]
    room = MESSAGE_BLOCK_LIMIT - 2
    for label, button in choices[:room]:
        blocks.append({"type": "section", "text": mrkdwn(label), "accessory": button})
    if len(choices) > room:
        blocks.append(context(f"… and {len(choices) - room} more: add `plan NAME` to the command."))
    return Reply(question, blocks)


def text_reply(text: str) -> Reply:
    """A one-paragraph answer; ``text`` must already be escaped where it holds user input."""
    return Reply(text, [section(text)])


def cards_blocks(cards: list[ActionCard], today: dt.date, *, limit: int, buttons: bool = True) -> list[dict]:
    """Grouped action cards, within ``limit`` blocks (the rest summarised on one line)."""
    blocks: list[dict] = []
    shown = 0
    groups = group_cards(cards, today)
    for name, items in groups:
        if len(blocks) + 2 > limit - 1:
            break
        blocks.append(section(f"*{name}* ({len(items)})"))
        for card in items:
            if len(blocks) >= limit - 1:
                break
            blocks.append(card_section(card, button=buttons and not card.complete))
            shown += 1
    if shown < len(cards):
        blocks.append(
            context(f"… and {len(cards) - shown} more. Ask `/progress action REF` for any of them.")
        )
    return blocks


def mine_reply(cards: list[ActionCard], today: dt.date, *, name: str) -> Reply:
    if not cards:
        return text_reply(f"{escape(name)}, you don't lead any actions in the plan at the moment.")
    blocks = [header("Your actions"), *cards_blocks(cards, today, limit=MESSAGE_BLOCK_LIMIT - 1)]
    return Reply(f"You lead {len(cards)} action(s).", blocks)


def action_reply(
    card: ActionCard, *, can_update: bool, can_edit: bool = False, can_govern: bool = False, viewer: str = ""
) -> Reply:
    """One action; with ``card.governance`` also its revisions, a pending date, challenges and
    sign-off, and the buttons the viewer may use (Edit for admins; Agree/Decline, Challenge, Sign off
    for board members and admins who do not lead it)."""
    from slackviews.governance_card import governance_blocks

    leads = ", ".join(escape(n) for n in card.leads) or "no lead recorded"
    lines = [
        f"*{escape(card.ref)}* {escape(card.title)}",
        f"Lead: {leads} · Due: {due_text(card)} · {rag_badge(card.rag, card.rag_colour)}",
    ]
    if card.timescale and card.due is not None:
        lines.append(f"Timescale in the plan: {escape(card.timescale)}")
    top: dict = section("\n".join(lines))
    if can_update and (card.governance is None or card.governance.status == "open"):
        top["accessory"] = update_button(card.id)
    blocks = [top, *governance_blocks(card, can_edit=can_edit, can_govern=can_govern, viewer=viewer)]
    if card.last is not None:
        who = f" by {escape(card.last.author)}" if card.last.author else ""
        blocks.append(
            section(f"*Latest update* ({card.last.date:%-d %b %Y}{who}):\n{excerpt(card.last.text, 2500)}")
        )
    else:
        blocks.append(context("No update yet."))
    older = [u for u in card.history if card.last is None or u != card.last][:5]
    if older:
        lines = [
            f"{u.date:%-d %b %Y} · {escape(u.rag) if u.rag else 'no RAG'} · {excerpt(u.text, 150)}"
            for u in older
        ]
        blocks.append(DIVIDER)
        blocks.append(context("*Earlier:*\n" + "\n".join(lines)))
    return Reply(f"{escape(card.ref)} {escape(truncate(card.title, 200))}", blocks)


def confirmation_reply(
    card: ActionCard,
    *,
    rag: str | None,
    rag_colour: str | None,
    text: str,
    proposed_due: dt.date | None = None,
    on_behalf_of: str = "",
    notes: tuple[str, ...] = (),
) -> Reply:
    rag_part = f"{emoji_for(rag_colour)} {escape(rag)}" if rag else "no RAG change"
    msg = f"Thanks, saved your update on *{escape(card.ref)}* {escape(card.title)}: {rag_part}."
    if on_behalf_of:
        msg = (
            f"Thanks, saved the update on *{escape(card.ref)}* {escape(card.title)} on behalf of "
            f"{escape(on_behalf_of)}: {rag_part}."
        )
    if proposed_due is not None:
        msg += f"\nYour proposed new timescale, {proposed_due:%-d %b %Y}, is recorded for the board to agree."
    blocks = [section(msg), context(excerpt(text, 300))]
    if notes:
        blocks.append(context(truncate_mrkdwn("\n".join(notes), 2900)))
    return Reply(f"Saved your update on {escape(card.ref)}: {escape(rag) or 'no RAG change'}.", blocks)


def ask_rag_reply(pending_id: int, card: ActionCard, scheme: RagScheme) -> Reply:
    buttons = []
    for state in sorted(scheme.states, key=lambda s: s.rank):
        button = {
            "type": "button",
            "action_id": f"{PICK_RAG}:{state.rank}",
            "text": plain(f"{emoji_for(state.colour)} {state.label}", 75),
            "value": json.dumps({"pending": pending_id, "rag": state.label}),
        }
        buttons.append(button)
    msg = f"Thanks. What RAG status should *{escape(card.ref)}* {escape(card.title)} have?"
    return Reply(
        f"What RAG status should {escape(card.ref)} have?",
        [section(msg), {"type": "actions", "block_id": f"pick-rag-{pending_id}", "elements": buttons[:25]}],
    )


ACTION_BUTTONS = 5  # more choices than this come as a select menu, which holds them all
SELECT_OPTIONS = 100  # Slack's limit per static_select
ACTIONS_ELEMENTS = 25  # Slack's limit per actions block


def _pick_value(pending_id: int, card: ActionCard) -> str:
    return json.dumps({"pending": pending_id, "action_id": card.id})


def ask_action_reply(pending_id: int, cards: list[ActionCard]) -> Reply:
    """ "Which action?": a button each for a few, else select menus that list every one of them."""
    if len(cards) <= ACTION_BUTTONS:
        elements = [
            {
                "type": "button",
                "action_id": f"{PICK_ACTION}:{card.id}",
                "text": plain(f"{card.ref} {card.title}", 75),
                "value": _pick_value(pending_id, card),
            }
            for card in cards
        ]
    else:
        chunks = [cards[i : i + SELECT_OPTIONS] for i in range(0, len(cards), SELECT_OPTIONS)]
        elements = [
            {
                "type": "static_select",
                "action_id": f"{PICK_ACTION}:select:{n}",
                "placeholder": plain(
                    f"Actions {chunk[0].ref} to {chunk[-1].ref}" if len(chunks) > 1 else "Choose the action",
                    150,
                ),
                "options": [
                    {"text": plain(f"{card.ref} {card.title}", 75), "value": _pick_value(pending_id, card)}
                    for card in chunk
                ],
            }
            for n, chunk in enumerate(chunks[:ACTIONS_ELEMENTS])
        ]
    blocks = [
        section(
            "Thanks. Which action is this update about? (Next time, start with its ref, e.g. _3.2 Amber – …_)"
        ),
        {"type": "actions", "block_id": f"pick-action-{pending_id}", "elements": elements},
    ]
    listed = sum(len(e.get("options", [])) or 1 for e in elements)
    if listed < len(cards):
        blocks.append(
            context(f"… and {len(cards) - listed} more: reply again starting with the action's ref.")
        )
    return Reply("Which action is this update about?", blocks)


def thread_confirmation(card: ActionCard, rag: str, rag_colour: str | None) -> str:
    return f"Saved: *{escape(card.ref)}* is now {emoji_for(rag_colour)} {escape(rag)}. Thank you."


def leads_reply(rows: list[tuple[str, str | None, int]]) -> Reply:
    """rows: (display name, slack user id or None, number of actions led)."""
    if not rows:
        return text_reply("No leads yet: import a plan first.")
    linked = [r for r in rows if r[1]]
    unlinked = [r for r in rows if not r[1]]
    lines = [f"{escape(name)}: <@{uid}> · {n} action(s)" for name, uid, n in linked]
    lines += [f"{escape(name)}: _not linked_ · {n} action(s)" for name, _, n in unlinked]
    chunks = []
    for i in range(0, len(lines), 40):
        chunks.append(section("\n".join(lines[i : i + 40])))
    blocks = [
        section(
            f"*Leads* ({len(linked)} linked, {len(unlinked)} not linked). "
            "Link one with `/progress link NAME @user`."
        ),
        *chunks,
    ]
    return Reply(f"{len(rows)} leads", blocks[:MESSAGE_BLOCK_LIMIT])
