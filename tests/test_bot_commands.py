"""/progress commands and the App Home, through the running app."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from storage.models import Person, Role
from tests.support import slack_signing as signing
from tests.support.bot_harness import ADMIN, BOARD, JO, OUTSIDER, SAM


def _text(answer: dict) -> str:
    return json.dumps(answer, ensure_ascii=False)


def test_help_and_unknown_input(slack_app):
    assert "/progress update 3.2" in _text(slack_app.ack_json("help", JO))
    answer = slack_app.ack_json("frobnicate the plan", JO)
    assert "I didn't understand" in _text(answer) and "`/progress update 3.2`" in _text(answer)
    assert "Admins:" not in _text(answer)
    assert "Admins:" in _text(slack_app.ack_json("help", ADMIN))


def test_mine_lists_my_actions_grouped_with_update_buttons(slack_app):
    answer = slack_app.ack_json("mine", JO)
    text = _text(answer)
    assert "*Overdue* (1)" in text and "*Due in the next 30 days* (1)" in text  # 3.3 due 1 Nov, 3.2 due 1 Dec
    buttons = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
    assert [json.loads(b["value"])["action_id"] for b in buttons] == [
        slack_app.ids["3.3"],
        slack_app.ids["3.2"],
    ]
    assert all(b["action_id"] == "open_update_modal" for b in buttons)
    assert "4.1" not in text


def test_action_shows_latest_update_and_history_to_board(slack_app):
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="First update")
    slack_app.fake.wait_for("chat.postMessage")
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Green", text="Second update")
    answer = slack_app.ack_json("action 3.2", BOARD)
    text = _text(answer)
    assert "Second update" in text and "Earlier" in text and "First update" in text
    assert "🟢 Green" in text and "Jo Bloggs" in text
    assert not any(b.get("accessory") for b in answer["blocks"])  # board reads, does not update


def test_lead_cannot_read_other_leads_action_but_board_can(slack_app):
    assert "board members and admins can see every action" in _text(slack_app.ack_json("action 4.1", JO))
    assert "Action 4.1 title" in _text(slack_app.ack_json("action 4.1", BOARD))
    assert (
        "did you mean" in _text(slack_app.ack_json("action 3.21", BOARD)).lower()
        or "no action" in _text(slack_app.ack_json("action 3.21", BOARD)).lower()
    )


def test_summary_variants_reach_board_through_response_url(slack_app):
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Red", text="Stuck <!here>")
    for n, text in enumerate(
        [
            "summary",
            "summary red",
            "summary overdue",
            "summary lead Jo",
            "summary changes 7d",
            "summary section nothing-like-this",
        ],
        start=1,
    ):
        status, body = slack_app.command(text, BOARD)
        assert status == 200 and body == ""
        slack_app.fake.wait_for("response_url", n)
    answers = [c.params for c in slack_app.fake.calls("response_url")]
    overall, red, overdue, lead, changes, missing = (json.dumps(a, ensure_ascii=False) for a in answers)
    assert "🔴 Red *1*" in overall and "Get the report" in overall
    assert "3.2" in red and "Action 3.3" not in red
    assert "3.3" in overdue
    assert "Lead: Jo Bloggs" in lead and "4.1" not in lead
    assert "Stuck &lt;!here&gt;" in changes and "<!here>" not in changes
    assert "no sections matching" in missing


def test_summary_refused_to_leads(slack_app):
    slack_app.command("summary", JO)
    [told] = slack_app.fake.wait_for("response_url")
    assert "Only board members and admins" in told.params["text"]


def test_report_is_uploaded_to_the_person_with_files_upload_v2(slack_app):
    _, body = slack_app.command("report docx", BOARD)
    assert "Preparing the DOCX report" in json.loads(body)["text"]
    slack_app.fake.wait_for("files.completeUploadExternal")
    [upload] = slack_app.fake.uploads.values()
    assert upload["content"][:2] == b"PK" and upload["filename"].endswith(".docx")
    assert upload["channel"] == "DU0BOARD"
    slack_app.command("report html", ADMIN)
    slack_app.fake.wait_for("files.completeUploadExternal", 2)
    assert any(
        u["filename"].endswith(".html") and b"<html" in u["content"].lower()
        for u in slack_app.fake.uploads.values()
    )


def test_get_report_button_on_home(slack_app):
    slack_app.click(BOARD, "get_report", "docx")
    slack_app.fake.wait_for("files.completeUploadExternal")
    assert len(slack_app.fake.uploads) == 1


def test_away_with_deputy_and_back(slack_app):
    answer = slack_app.ack_json(f"away 2026-12-24 <@{SAM}|sam>", JO)
    assert "away until Thursday 24 December 2026" in answer["text"] and f"<@{SAM}>" in answer["text"]
    with slack_app.database.session_factory() as session:
        jo = session.scalar(select(Person).where(Person.slack_user_id == JO))
        assert jo.away_until == dt.date(2026, 12, 24) and jo.deputy.slack_user_id == SAM
    # The deputy may now update Jo's action, on Jo's behalf.
    slack_app.command("update 3.2", SAM)
    slack_app.submit(slack_app.opened_view(), user=SAM, rag="Amber", text="Covering for Jo")
    [update] = slack_app.updates()
    assert update.on_behalf_of_id == slack_app.ids["jo"] and update.author_id == slack_app.ids["sam"]
    assert "past" in slack_app.ack_json("away 2020-01-01", JO)["text"]
    assert "Welcome back" in slack_app.ack_json("away off", JO)["text"]
    with slack_app.database.session_factory() as session:
        assert session.scalar(select(Person).where(Person.slack_user_id == JO)).away_until is None


def test_admin_commands(slack_app):
    assert "Only admins" in _text(slack_app.ack_json("leads", BOARD))
    leads = _text(slack_app.ack_json("leads", ADMIN))
    assert "Jo Bloggs" in leads and "Sam Smith" in leads and "2 linked" in leads
    answer = slack_app.ack_json("grant board <@U0NEW|new>", ADMIN)
    assert "<@U0NEW> now has the board role" in answer["text"]
    with slack_app.database.session_factory() as session:
        assert session.scalar(select(Role).where(Role.slack_user_id == "U0NEW")).granted_by == ADMIN
    answer = slack_app.ack_json("link Sam Smith <@U0SAM2|sam>", ADMIN)
    assert "Linked Sam Smith to <@U0SAM2>" in answer["text"]
    assert "Only admins" in _text(slack_app.ack_json("grant admin <@U0JO|jo>", JO))


def test_home_for_lead_and_board_and_outsider(slack_app):
    for n, user in enumerate((JO, BOARD, OUTSIDER), start=1):
        slack_app.post(signing.event_callback(signing.app_home_opened(user_id=user)))
        slack_app.fake.wait_for("views.publish", n)
    lead, board, outsider = (
        json.dumps(slack_app.fake.home_views[u], ensure_ascii=False) for u in (JO, BOARD, OUTSIDER)
    )
    assert (
        "Your actions" in lead
        and "Overdue" in lead
        and "open_update_modal" in lead
        and "The plan" not in lead
    )
    assert (
        "The plan" in board and "Get report" in board and "Exceptions" in board and "Latest changes" in board
    )
    assert "3.3" in board  # overdue, an exception
    assert "only open to the leads" in outsider and "3.2" not in outsider
