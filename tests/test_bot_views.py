"""Pure pieces: Block Kit builders compared as dicts, parsing of commands and thread replies, escaping."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.commands import parse_day, parse_since
from bot.subcommands import parse_command
from bot.updating import parse_reply
from slackviews.common import ActionCard, UpdateSummary, card_section, group_cards, update_button
from slackviews.messages import ask_rag_reply, help_reply
from slackviews.text import escape, excerpt
from slackviews.update_modal import ModalMetadata, read_submission, update_modal, values_fingerprint
from storage.errors import InvalidInput
from storage.rag import BUILTIN_SCHEMES

BRAG = BUILTIN_SCHEMES["brag"]
FIVE = BUILTIN_SCHEMES["five-state"]
CARD = ActionCard(
    id=7,
    ref="3.2",
    title="Set up <the> forum",
    due=dt.date(2026, 12, 1),
    timescale="Dec 26",
    rag="Amber",
    rag_colour="#FFC000",
    last=UpdateSummary(rag="Amber", text="Booked <!channel>", date=dt.date(2026, 11, 2)),
)


def test_escape_only_the_three_characters():
    assert escape("<!channel> & <@U1> >") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &gt;"
    assert escape("plain *bold* _it_") == "plain *bold* _it_"
    assert escape(None) == ""
    assert excerpt("a\n\n<b>" + "x" * 300, 10) == "a &lt;b&gt;xxxx…"


def test_update_button_matches_the_contract():
    assert update_button(7, 12) == {
        "type": "button",
        "action_id": "open_update_modal",
        "text": {"type": "plain_text", "text": "Update", "emoji": True},
        "value": '{"action_id": 7, "reminder_message_id": 12}',
    }


def test_card_section_escapes_and_carries_the_button():
    assert card_section(CARD) == {
        "type": "section",
        "block_id": "action-7",
        "text": {
            "type": "mrkdwn",
            "text": "*3.2* Set up &lt;the&gt; forum\nDue 1 Dec 2026 · 🟠 Amber\n"
            "_2 Nov:_ Booked &lt;!channel&gt;",
        },
        "accessory": update_button(7),
    }


def test_update_modal_shape():
    view = update_modal(CARD, BRAG, ModalMetadata(7, 12))
    assert view["type"] == "modal" and view["callback_id"] == "progress_update"
    assert json.loads(view["private_metadata"]) == {"action_id": 7, "reminder_message_id": 12}
    assert view["title"] == {"type": "plain_text", "text": "Update 3.2", "emoji": True}
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["rag"]["element"]["options"][0] == {
        "text": {"type": "plain_text", "text": "🔴 Red", "emoji": True},
        "value": "Red",
        "description": {"type": "plain_text", "text": "Off track: needs the board's help", "emoji": True},
    }
    assert blocks["progress"]["element"] == {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": 3000,
        "placeholder": {
            "type": "plain_text",
            "text": "e.g. Forum designed, first session booked for January",
            "emoji": True,
        },
    }
    assert (
        blocks["evidence"]["optional"] is True and blocks["evidence"]["element"]["type"] == "url_text_input"
    )
    assert blocks["proposed_due"]["element"]["type"] == "datepicker"
    assert "&lt;!channel&gt;" in json.dumps(view["blocks"]) and "<!channel>" not in json.dumps(view["blocks"])
    assert len(view["blocks"]) <= 100


def test_update_modal_for_five_state_scheme_lists_its_states():
    view = update_modal(CARD, FIVE, ModalMetadata(7))
    options = next(b for b in view["blocks"] if b.get("block_id") == "rag")["element"]["options"]
    assert [o["value"] for o in options] == FIVE.labels


def _values(rag=None, text="", evidence=None, due=None):
    return {
        "rag": {"value": {"selected_option": {"value": rag} if rag else None}},
        "progress": {"value": {"value": text}},
        "evidence": {"value": {"value": evidence}},
        "proposed_due": {"value": {"selected_date": due}},
    }


def test_read_submission():
    submission, errors = read_submission(_values("Amber", " done ", "https://x.org", "2027-01-31"))
    assert errors == {}
    assert (submission.rag, submission.text, submission.evidence_url, submission.proposed_due) == (
        "Amber",
        "done",
        "https://x.org",
        dt.date(2027, 1, 31),
    )
    assert read_submission(_values("Amber", ""))[1] == {"progress": "Please say what has happened."}
    assert "3,000" in read_submission(_values("Amber", "x" * 3001))[1]["progress"]
    assert "http" in read_submission(_values("Amber", "ok", "javascript:alert(1)"))[1]["evidence"]


def test_fingerprint_is_stable_and_value_sensitive():
    assert values_fingerprint(_values("Amber", "a")) == values_fingerprint(_values("Amber", "a"))
    assert values_fingerprint(_values("Amber", "a")) != values_fingerprint(_values("Green", "a"))


def test_group_cards():
    today = dt.date(2026, 11, 23)
    cards = [
        ActionCard(1, "a", "t", due=dt.date(2026, 11, 1)),
        ActionCard(2, "b", "t", due=dt.date(2026, 12, 1)),
        ActionCard(3, "c", "t", due=dt.date(2027, 6, 1)),
        ActionCard(4, "d", "t"),
        ActionCard(5, "e", "t", due=dt.date(2026, 1, 1), complete=True),
    ]
    assert [(name, [c.id for c in items]) for name, items in group_cards(cards, today)] == [
        ("Overdue", [1]),
        ("Due in the next 30 days", [2]),
        ("Later", [3, 4]),
        ("Complete", [5]),
    ]


def test_ask_rag_reply_buttons():
    reply = ask_rag_reply(9, CARD, BRAG)
    buttons = reply.blocks[1]["elements"]
    assert [b["action_id"] for b in buttons] == ["pick_rag:0", "pick_rag:1", "pick_rag:2", "pick_rag:3"]
    assert json.loads(buttons[2]["value"]) == {"pending": 9, "rag": "Green"}


def test_help_for_unknown_input_escapes_what_was_typed():
    reply = help_reply(unknown="<!everyone>")
    assert "&lt;!everyone&gt;" in reply.blocks[0]["text"]["text"]


@pytest.mark.parametrize(
    ("text", "ref", "rag", "body"),
    [
        (
            "Amber – forum designed, first session booked for January",
            None,
            "Amber",
            "forum designed, first session booked for January",
        ),
        ("amber: fine", None, "Amber", "fine"),
        ("🔴 blocked", None, "Red", "blocked"),
        (":large_green_circle: on track", None, "Green", "on track"),
        ("G - on track", None, "Green", "on track"),
        ("B", None, "Blue", "B"),
        ("A forum was designed", None, None, "A forum was designed"),
        ("3.3 Red: contractor pulled out", "3.3", "Red", "contractor pulled out"),
        ("Green 3.3 done", "3.3", "Green", "done"),
        ("Nothing much this month", None, None, "Nothing much this month"),
    ],
)
def test_parse_reply(text, ref, rag, body):
    parsed = parse_reply(text, BRAG, ["3.2", "3.3"])
    assert (parsed.ref, parsed.rag, parsed.text) == (ref, rag, body)


def test_parse_reply_five_state_symbols():
    parsed = parse_reply("✓ all delivered", FIVE, [])
    assert (parsed.rag, parsed.text) == ("Completed", "all delivered")


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("", "help", {}),
        ("mine", "mine", {}),
        ("update 3.2", "update", {"ref": "3.2"}),
        ("action 3.2", "action", {"ref": "3.2"}),
        ("summary", "summary", {"kind": "overall"}),
        ("summary section Early help", "summary", {"kind": "section", "name": "Early help"}),
        ("summary changes 2w", "summary", {"kind": "changes", "since": "2w"}),
        ("report", "report", {"format": "docx"}),
        ("report PDF", "report", {"format": "pdf"}),
        ("away 24/12/2026 <@U0SAM|sam>", "away", {"until": "24/12/2026", "deputy": "U0SAM"}),
        ("link DM (CIN) <@U0X|x>", "link", {"name": "DM (CIN)", "user": "U0X"}),
        ("grant admin <@U0X>", "grant", {"role": "admin", "user": "U0X"}),
        ("grant king <@U0X>", "unknown", {}),
        ("report xlsx", "unknown", {}),
        ("update", "unknown", {}),
    ],
)
def test_parse_command(text, name, args):
    command = parse_command(text)
    assert (command.name, command.args) == (name, args)


def test_parse_command_refuses_over_long_text():
    with pytest.raises(InvalidInput, match="the limit is 500"):
        parse_command("x" * 501)


def test_dates():
    today = dt.date(2026, 11, 23)
    assert parse_day("24 Dec", today=today) == dt.date(2026, 12, 24)
    assert parse_day("3 Jan", today=today) == dt.date(2027, 1, 3)
    assert parse_day("01/02/2027", today=today) == dt.date(2027, 2, 1)
    assert parse_since("7d", today=today) == dt.date(2026, 11, 16)
    assert parse_since("1 Nov", today=today) == dt.date(2026, 11, 1)
    assert parse_since(None, today=today) is None
    with pytest.raises(InvalidInput):
        parse_day("someday", today=today)
