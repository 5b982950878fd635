"""The scheduler's Block Kit builders are pure: data in, exact blocks out."""

from __future__ import annotations

import json

from slackviews.reminders import describe_item, escalation_message, reminder_message, unlinked_message

ITEM = {
    "action_id": 7,
    "ref": "3.2",
    "title": "Run the <!channel> forum",
    "due": "2026-11-23",
    "kind": "due",
    "step": 0,
    "family": "main",
    "days": 0,
    "rag": "Amber",
    "on_behalf_of": None,
}


def test_reminder_message_exact_blocks():
    text, blocks = reminder_message([ITEM], reminder_message_id=41)
    assert text == "Progress reminder: 1 action needs a progress update."
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":wave: 1 action needs a progress update. Reply in this thread, or press *Update*.",
            },
        },
        {
            "type": "section",
            "block_id": "action-7",
            "text": {
                "type": "mrkdwn",
                "text": "*3.2* Run the &lt;!channel&gt; forum\nDue today (Mon 23 Nov 2026) · last RAG: Amber",
            },
            "accessory": {
                "type": "button",
                "action_id": "open_update_modal",
                "text": {"type": "plain_text", "text": "Update", "emoji": True},
                "value": json.dumps({"action_id": 7, "reminder_message_id": 41}),
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Reply with a RAG first, e.g. “Amber – forum designed, first session booked”.",
                }
            ],
        },
    ]


def test_answered_actions_show_updated_instead_of_a_button():
    _, blocks = reminder_message([ITEM], reminder_message_id=41, answered={7: "Green"})
    assert blocks[1]["text"]["text"].endswith(":white_check_mark: Updated: Green")
    assert "accessory" not in blocks[1]


def test_a_long_list_stays_within_fifty_blocks():
    items = [{**ITEM, "action_id": i, "ref": str(i)} for i in range(80)]
    _, blocks = reminder_message(items, reminder_message_id=1)
    assert len(blocks) <= 50
    assert "… and 35 more" in blocks[-2]["elements"][0]["text"]


def test_descriptions():
    assert describe_item({**ITEM, "kind": "before", "days": 14}) == "Due in 14 days (Mon 23 Nov 2026)"
    assert (
        describe_item({**ITEM, "kind": "overdue", "days": -9})
        == "Overdue by 9 days (was due Mon 23 Nov 2026)"
    )
    assert describe_item({**ITEM, "family": "milestone", "days": 3, "kind": "before"}).startswith(
        "Milestone due in 3"
    )
    assert describe_item({**ITEM, "kind": "ongoing"}).startswith("Ongoing: monitoring update due")
    assert describe_item({**ITEM, "kind": "recurring", "recurrence": "quarterly", "days": 1}).startswith(
        "Next quarterly return due in 1 day"
    )


def test_escalation_and_unlinked_escape_names():
    _, blocks = escalation_message(
        [{**ITEM, "days": -17, "lead": "A <b>", "reason": "no update"}], reminder_message_id=3
    )
    assert "Lead: A &lt;b&gt; · 17 days late" in blocks[1]["text"]["text"]
    _, blocks = unlinked_message(["Tom & Jerry"])
    assert "Tom &amp; Jerry" in blocks[1]["text"]["text"]
