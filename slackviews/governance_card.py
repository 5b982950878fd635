"""The governance part of an action's card (pure): revised dates, a pending request, sign-off, open
challenges, and the buttons the viewer may use."""

from __future__ import annotations

from slackviews.common import ActionCard, context
from slackviews.governance import (
    actions_block,
    agree_button,
    challenge_button,
    day,
    decline_button,
    edit_button,
    signoff_button,
)
from slackviews.text import escape, excerpt, truncate_mrkdwn


def _lines(card: ActionCard) -> list[str]:
    g = card.governance
    assert g is not None
    lines = []
    if g.status == "withdrawn":
        lines.append(f"🚫 *Withdrawn*: {excerpt(g.closed_reason, 300)}")
    elif g.status == "merged":
        lines.append(f"🔀 *Merged into {escape(g.merged_into or '?')}*: {excerpt(g.closed_reason, 300)}")
    if g.revised_on is not None and g.original_due != card.due:
        lines.append(
            f"Original: {day(g.original_due)} · Revised: {day(card.due)} (agreed {day(g.revised_on)})"
        )
    if g.proposed_due is not None:
        lines.append(
            f"📅 *New date requested*: {day(g.proposed_due)} by {escape(g.proposed_by)}: "
            f"{excerpt(g.proposed_reason, 300)}"
        )
    if g.completion == "awaiting":
        lines.append("✔️ *Complete, awaiting sign-off* by an admin or board member")
    elif g.completion == "signed_off":
        lines.append(f"☑️ Complete, signed off by {escape(g.signed_off_by)}")
    for by, on, question in g.open_challenges[:3]:
        lines.append(f"❓ *Challenged* by {escape(by)} on {day(on)}: {excerpt(question, 300)}")
    return lines


def governance_blocks(card: ActionCard, *, can_edit: bool, can_govern: bool, viewer: str) -> list[dict]:
    g = card.governance
    if g is None:
        return []
    blocks = []
    lines = _lines(card)
    if lines:
        blocks.append(context(truncate_mrkdwn("\n".join(lines), 2900)))
    buttons = []
    if (
        can_govern
        and g.proposal_id is not None
        and g.proposed_due is not None
        and g.proposed_by_uid != viewer
    ):
        buttons += [agree_button(g.proposal_id, card.ref, g.proposed_due), decline_button(g.proposal_id)]
    if can_govern and g.completion in ("awaiting", "complete"):
        buttons.append(signoff_button(card.id))
    if can_govern and g.status == "open":
        buttons.append(challenge_button(card.id, g.latest_update_id))
    if can_edit:
        buttons.append(edit_button(card.id))
    if buttons:
        blocks.append(actions_block(f"governance-{card.id}", buttons))
    return blocks
