"""The board cycle's Block Kit builders: plain data in, blocks out, within Slack's limits and escaped."""

from __future__ import annotations

import datetime as dt
import json

from jobs.board import LeadStatus, MeetingStatus
from slackviews.board import meeting_summary, round_message, status_blocks, unreached_message
from slackviews.reminders import reminder_message
from slackviews.text import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT

INFO = {
    "id": 7,
    "label": "Board 6 April 2027",
    "date": "2027-04-06",
    "cutoff": "2027-03-30",
    "plan": "council",
    "plan_title": "Improvement <Plan>",
    "moved_from": None,
}


def item(n: int, kind: str = "board_call", **extra) -> dict:
    return {
        "action_id": n,
        "ref": f"{n}.1",
        "title": f"Action {n} & <more>",
        "due": "2027-06-30",
        "timescale": "June 2027",
        "kind": kind,
        "step": 7,
        "family": "board",
        "days": 90,
        "rag": "Amber",
        "answered": False,
        "answered_on": None,
        "meeting": INFO,
        "lead": "Ann",
        "on_behalf_of": None,
        **extra,
    }


def sections_fit(blocks: list[dict]) -> bool:
    return all(len(b.get("text", {}).get("text", "")) <= SECTION_TEXT_LIMIT for b in blocks)


def test_the_call_lists_each_action_with_a_button_and_the_updated_ones_apart():
    items = [item(1), item(2, answered=True, answered_on="2027-03-10"), item(3)]
    text, blocks = reminder_message(items, reminder_message_id=42)  # the ledger's renderer hands over
    assert text == "Board 6 April 2027: please update your actions by Tue 30 Mar 2027."
    assert "(Improvement &lt;Plan&gt;)" in blocks[0]["text"]["text"]
    buttons = [json.loads(b["accessory"]["value"]) for b in blocks if b.get("accessory")]
    assert buttons == [
        {"action_id": 1, "reminder_message_id": 42},
        {"action_id": 3, "reminder_message_id": 42},
    ]
    already = next(b for b in blocks if "Already updated" in b["text"]["text"])
    assert "*2.1* Action 2 &amp; &lt;more&gt; (Amber, updated Wed 10 Mar 2027)" in already["text"]["text"]


def test_an_answered_action_shows_updated_instead_of_its_button():
    _, blocks = round_message([item(1), item(3)], reminder_message_id=42, answered={1: "Green"})
    first = next(b for b in blocks if b.get("block_id") == "action-1")
    assert "accessory" not in first and "Updated: Green" in first["text"]["text"]


def test_a_call_with_a_due_reminder_says_it_once():
    merged = item(
        1, also=[{"kind": "due", "due": "2027-03-19", "days": 0, "family": "main", "recurrence": None}]
    )
    _, blocks = round_message([merged], reminder_message_id=1)
    line = blocks[1]["text"]["text"]
    assert "Due today (Fri 19 Mar 2027) · last RAG: Amber" in line and "Due Wed 30 Jun" not in line


def test_the_chase_moved_and_cancelled_messages():
    text, _ = round_message([item(1, "board_chase"), item(2, "board_chase")], reminder_message_id=1)
    assert text == "Reminder: 2 updates due by Tue 30 Mar 2027 for Board 6 April 2027."
    moved_info = {**INFO, "date": "2027-04-13", "moved_from": "2027-04-06"}
    text, blocks = round_message([item(1, "board_moved", meeting=moved_info)], reminder_message_id=1)
    assert "has moved to *Tuesday 13 April* (it was on Tuesday 6 April)" in blocks[0]["text"]["text"]
    text, blocks = round_message([item(1, "board_cancelled")], reminder_message_id=1)
    assert text == "Board 6 April 2027 has been cancelled: no updates are needed for it."
    assert not any(b.get("accessory") for b in blocks)


def test_a_deputy_is_told_whom_they_cover_for():
    _, blocks = round_message([item(1, on_behalf_of="Eve <boss>"), item(2)], reminder_message_id=1)
    assert "You are covering for Eve &lt;boss&gt; while they are away." in blocks[0]["text"]["text"]
    assert "· for Eve &lt;boss&gt;" in blocks[1]["text"]["text"]
    assert "· for" not in blocks[2]["text"]["text"]  # the deputy's own action


def test_a_meeting_name_with_markup_pings_nobody():
    info = {**INFO, "label": "<!channel> Board 6 April 2027"}
    text, blocks = round_message([item(1, meeting=info)], reminder_message_id=1)
    assert "<!channel>" not in text and "<!channel>" not in json.dumps(blocks)
    text, blocks = unreached_message("<!here> Board", "Plan", "2027-03-30", [("Gina <x>", "no Slack link")])
    assert "<!here>" not in text + json.dumps(blocks) and "Gina &lt;x&gt;" in json.dumps(blocks)


def test_a_long_call_with_reminders_stays_inside_slacks_limits():
    board = [item(n) for n in range(1, 70)] + [
        item(n, answered=True, answered_on="2027-03-01") for n in range(70, 400)
    ]
    reminders = [
        {"action_id": n, "ref": f"{n}", "title": "t", "kind": "due", "due": "2027-03-19", "days": 0}
        for n in range(500, 520)
    ]
    text, blocks = round_message(board + reminders, reminder_message_id=1)
    assert len(blocks) <= MESSAGE_BLOCK_LIMIT and sections_fit(blocks)
    assert "… and " in json.dumps(blocks, ensure_ascii=False)
    assert len(text) <= 3000


def test_two_meetings_in_one_dm_each_have_their_heading():
    other = {**INFO, "id": 8, "label": "Board 4 May 2027", "date": "2027-05-04", "plan_title": "Partnership"}
    text, blocks = round_message([item(1), item(2, meeting=other)], reminder_message_id=1)
    texts = [b["text"]["text"] for b in blocks if "text" in b]
    headings = [t for t in texts if t.startswith(":clipboard:")]
    assert len(headings) == 2 and "Board 6 April 2027" in headings[0] and "Board 4 May 2027" in headings[1]
    assert text.count("please update") == 2


def status(leads: tuple[LeadStatus, ...], **extra) -> MeetingStatus:
    values = {
        "plan": "council",
        "plan_title": "Improvement Plan",
        "label": "Board 6 April 2027",
        "meeting": dt.date(2027, 4, 6),
        "cutoff": dt.date(2027, 3, 30),
        "call_day": dt.date(2027, 3, 19),
        "chase_day": dt.date(2027, 3, 24),
        "state": "collecting updates",
        "called_at": dt.datetime(2027, 3, 19, 9, 15, tzinfo=dt.UTC),
        "chased_at": None,
        "published_version": None,
        "published_at": None,
        "cancelled": False,
        "leads": leads,
        **extra,
    }
    return MeetingStatus(**values)


def test_the_home_line_counts_the_leads_who_have_updated_and_names_the_rest():
    leads = tuple(
        LeadStatus(f"Lead {n}", None, 2, 2 if n < 12 else 1, () if n < 12 else (f"{n}.1",)) for n in range(15)
    )
    text = meeting_summary(status(leads), dt.UTC)
    assert "*12 of 15 leads have updated.*" in text
    assert "Still to update: Lead 12, Lead 13, Lead 14." in text


def test_the_status_of_hundreds_of_leads_fits_one_message():
    leads = tuple(LeadStatus(f"Lead {n}", f"U{n}", 3, 1, ("1.1", "2.2"), "no Slack link") for n in range(300))
    blocks = status_blocks(status(leads), dt.UTC)
    assert len(blocks) <= MESSAGE_BLOCK_LIMIT and sections_fit(blocks)
    assert "… and 259 more" in json.dumps(blocks, ensure_ascii=False)
