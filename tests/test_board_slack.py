"""The board cycle in Slack, through the running app with signed requests and the fake Slack: the call
arrives as a DM whose Update buttons and thread work like a reminder's, ``/progress board`` shows board
members and admins who has answered, and the board's Home tab shows "N of M leads have updated".

The harness's clock is Monday 23 November 2026, 10:00 in London. The meeting is Tuesday 1 December:
cut-off Tuesday 24 November, so its call day (Tuesday 17th) has passed and the next pass calls late.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from jobs.reminders import run_reminder_pass
from slackviews.common import OPEN_UPDATE_MODAL
from storage.meetings import add_meeting
from storage.models import Plan, ReminderEntry, ReminderMessage
from tests.support import slack_signing as signing
from tests.support.bot_harness import ADMIN, BOARD, JO, OUTSIDER, SAM
from tests.support.jobs_factories import quick_sender

MEETING = dt.date(2026, 12, 1)


def _text(answer: dict) -> str:
    return json.dumps(answer, ensure_ascii=False)


@pytest.fixture
def called(slack_app):
    """The meeting added and one pass run: Jo and Sam have had the call."""
    with slack_app.database.session_factory.begin() as s:
        plan = s.scalars(select(Plan)).one()
        add_meeting(
            s, plan, MEETING, cutoff=dt.date(2026, 11, 24), today=slack_app.now.date(), now=slack_app.now
        )
    client = WebClient(token="xoxb-test", base_url=slack_app.fake.url)
    result = run_reminder_pass(
        slack_app.database.session_factory, client, slack_app.now, sender=quick_sender(client)
    )
    assert result.sent == 2
    return slack_app


def _update(slack_app, user: str, ref: str, rag: str, text: str) -> None:
    """``/progress update REF`` and submit the modal it opens (waiting for that very modal)."""
    opened = len(slack_app.fake.calls("views.open"))
    slack_app.command(f"update {ref}", user)
    view = slack_app.fake.wait_for("views.open", opened + 1)[-1].response["view"]
    slack_app.submit(view, user=user, rag=rag, text=text)


def _home(slack_app, user: str) -> str:
    published = len(slack_app.fake.calls("views.publish"))
    slack_app.post(signing.event_callback(signing.app_home_opened(user_id=user)))
    for count in range(published + 1, published + 4):  # other people's refreshes may come first
        calls = slack_app.fake.wait_for("views.publish", count)
        mine = [c.response["view"] for c in calls[published:] if c.params["user_id"] == user]
        if mine:
            return _text(mine[-1])
    raise AssertionError(f"no Home tab published for {user}")


def _call_to(slack_app, user: str):
    (post,) = [c for c in slack_app.fake.calls("chat.postMessage") if c.params["channel"] == user]
    return post


def test_the_call_is_one_dm_with_the_overdue_chase_and_an_update_button_per_action(called):
    post = _call_to(called, JO)
    text = _text(post.params["blocks"])
    assert post.params["text"].startswith(
        "Board 1 December 2026: please update your actions by Tue 24 Nov 2026."
    )
    assert "*Board 1 December 2026* (Improvement Plan) meets on *Tuesday 1 December*" in text
    assert "Overdue by 22 days (was due Sun 1 Nov 2026)" in text  # 3.3's overdue chase, in the same DM
    buttons = [json.loads(b["accessory"]["value"]) for b in post.params["blocks"] if b.get("accessory")]
    assert sorted(b["action_id"] for b in buttons) == sorted([called.ids["3.2"], called.ids["3.3"]])
    with called.database.session_factory() as s:
        kinds = {e.kind for e in s.scalars(select(ReminderEntry).where(ReminderEntry.status == "sent"))}
        assert {"board_call", "overdue"} <= kinds


def test_the_update_button_on_the_call_stores_the_update_and_marks_the_call(called):
    post = _call_to(called, JO)
    button = next(
        b["accessory"] for b in post.params["blocks"] if b.get("block_id") == f"action-{called.ids['3.2']}"
    )
    message_id = json.loads(button["value"])["reminder_message_id"]
    ts = post.response["ts"]
    assert called.click(JO, OPEN_UPDATE_MODAL, button["value"], channel="DU0JO", message_ts=ts) == 200
    called.submit(called.opened_view(), user=JO, rag="Amber", text="Forum designed")
    [update] = called.updates()
    assert update.reminder_message_id == message_id
    [edit] = called.fake.wait_for("chat.update")
    assert edit.params["ts"] == ts
    edited = _text(edit.params["blocks"])
    assert "Updated: Amber" in edited and "Board 1 December 2026" in edited  # still the call, now answered


def test_a_reply_in_the_calls_thread_is_stored_as_the_update(called):
    ts = _call_to(called, JO).response["ts"]
    assert called.dm(JO, "3.3 Green: complete, signed off", ts="1700000300.000001", thread_ts=ts) == 200
    called.fake.wait_for("chat.update")
    [update] = called.updates()
    assert (update.action_id, update.rag) == (called.ids["3.3"], "Green")
    with called.database.session_factory() as s:
        message = s.scalars(select(ReminderMessage).where(ReminderMessage.ts == ts)).one()
    assert update.reminder_message_id == message.id


def test_progress_board_shows_board_members_and_admins_who_has_answered(called):
    _update(called, JO, "3.2", "Green", "Done for the board")
    _update(called, SAM, "4.1", "Amber", "Under way")
    for user in (BOARD, ADMIN):
        answer = called.ack_json("board", user)
        text = _text(answer)
        assert "*Board 1 December 2026* (Improvement Plan): collecting updates" in text
        assert "Call: sent Mon 23 Nov 10:00" in text and "Chase: Fri 20 Nov (not sent yet)" in text
        assert "*1 of 2 leads have updated.*" in text
        assert "*Jo Bloggs*: 1 of 2 updated; outstanding 3.3" in text
        assert "Sam Smith (1)" in text
        assert answer["text"] == "Board 1 December 2026: 1 of 2 leads have updated"


def test_progress_board_is_refused_to_leads_and_outsiders(called):
    assert "Only board members and admins" in _text(called.ack_json("board", SAM))
    lead = called.ack_json("board", SAM)
    assert "3.3" not in _text(lead) and "Jo Bloggs" not in _text(lead)
    outsider = _text(called.ack_json("board", OUTSIDER))
    assert "only open to the leads" in outsider and "Board 1 December" not in outsider


def test_progress_board_with_a_plan_and_without_meetings(slack_app):
    assert "No board meeting is set for improvement" in _text(
        slack_app.ack_json("board plan improvement", BOARD)
    )
    assert "There is no plan named “nope”. The plans are: improvement." in _text(
        slack_app.ack_json("board plan nope", BOARD)
    )
    assert "I didn't understand" in _text(slack_app.ack_json("board meeting tomorrow", BOARD))


def test_the_board_home_tab_shows_the_next_meeting_and_who_is_still_to_update(called):
    _update(called, SAM, "4.1", "Amber", "Under way")
    home = _home(called, BOARD)
    assert "*Next board meeting: Board 1 December 2026* · Tue 1 Dec, updates by Tue 24 Nov" in home
    assert "*1 of 2 leads have updated.*" in home and "Still to update: Jo Bloggs." in home
    assert "Next board meeting" not in _home(called, JO)  # a lead's own Home tab
