"""Governance through the running Slack app: signed requests in, the fake Slack Web API out.

People (tests.support.bot_harness): Jo (U0JO) leads 3.2 and 3.3, Sam (U0SAM) leads 4.1, U0ADMIN is an
admin, U0BOARD a board member, U0OUT an outsider. Tests add a second board member (U0BOARD2) or give
Jo the board role where they need one.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlencode

import pytest
from sqlalchemy import func, select

from slackviews import governance as gv
from storage.models import (
    Action,
    Challenge,
    ChallengeAnswer,
    DateDecision,
    DateProposal,
    Person,
    PlanChange,
    Role,
    SignOff,
)
from tests.support import slack_signing as signing
from tests.support.bot_harness import ADMIN, BOARD, JO, OUTSIDER, R2, SAM

BOARD2 = "U0BOARD2"


def _grant(slack_app, uid, role):
    with slack_app.database.session_factory.begin() as session:
        session.add(Role(slack_user_id=uid, role=role))


def _count(slack_app, model, *where):
    with slack_app.database.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _due(slack_app, ref):
    with slack_app.database.session_factory() as session:
        return session.scalar(select(Action.due_date).where(Action.ref == ref))


def _dms(slack_app, user, *, containing: str = ""):
    return [
        c
        for c in slack_app.fake.calls("chat.postMessage")
        if c.params.get("channel") == user and containing in json.dumps(c.params, ensure_ascii=False)
    ]


def _wait_dm(slack_app, user, containing):
    """The DM to ``user`` containing the text, once sent (work after the ack runs in threads).

    Waits on the fake's condition for each further message, never on a clock.
    """
    seen = 0
    while True:
        calls = slack_app.fake.wait_for("chat.postMessage", seen + 1)
        found = _dms(slack_app, user, containing=containing)
        if found:
            return found[-1]
        seen = len(calls)


def _button(blocks, action_id):
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in {json.dumps(blocks)[:500]}")


def _submit_view(slack_app, view, values, user):
    status, _, body = slack_app.post(signing.view_submission(view, values, user_id=user))
    assert status == 200
    return json.loads(body) if body else {}


def _click_for_view(slack_app, user, action_id, value, **where):
    """Click a button that opens a modal; the modal opened after the acknowledgement."""
    before = len(slack_app.fake.calls("views.open"))
    assert slack_app.click(user, action_id, value, **where) == 200
    return slack_app.fake.wait_for("views.open", before + 1)[-1].response["view"]


def _pick_for_view(slack_app, request):
    before = len(slack_app.fake.calls("views.open"))
    status, _, _ = slack_app.post(request)
    assert status == 200
    return slack_app.fake.wait_for("views.open", before + 1)[-1].response["view"]


def _text(value):
    return {"value": {"type": "plain_text_input", "value": value}}


def _propose(slack_app, due="2027-01-31", text="Partner sign-off delayed"):
    """Jo asks for a new date for 3.2 through the update modal; returns the DMs to the board."""
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text=text, proposed=due)
    return slack_app.fake.wait_for("chat.postMessage", 3)  # Jo's confirmation, then the admin's and board's


def _request_for(slack_app, user):
    [dm] = _dms(slack_app, user, containing="gov_agree_date")
    response = dm.response
    return dm, response["channel"], response["ts"]


# --- revised dates ------------------------------------------------------------------------------


def test_a_date_request_reaches_each_decider_and_one_agree_settles_it(slack_app):
    _grant(slack_app, BOARD2, "board")
    _propose(slack_app)
    slack_app.fake.wait_for("chat.postMessage", 4)
    confirmation = _dms(slack_app, JO, containing="Saved")[0]
    assert "gone to the board to agree" in json.dumps(confirmation.params["blocks"])
    for user in (ADMIN, BOARD, BOARD2):
        dm, _, _ = _request_for(slack_app, user)
        shown = json.dumps(dm.params["blocks"])
        assert "Jo Bloggs asks to move *3.2*" in shown and "*31 Jan 2027*" in shown
        assert "Partner sign-off delayed" in shown
    assert _dms(slack_app, JO, containing="gov_agree_date") == []  # the lead never gets the buttons

    dm, channel, ts = _request_for(slack_app, BOARD)
    agree = _button(dm.params["blocks"], gv.AGREE_DATE)
    assert agree["confirm"]["confirm"]["text"] == "Agree"
    assert slack_app.click(BOARD, gv.AGREE_DATE, agree["value"], channel=channel, message_ts=ts) == 200
    # Stored before the acknowledgement: the due date has moved by the time the click returns.
    assert _due(slack_app, "3.2") == dt.date(2027, 1, 31)
    edits = slack_app.fake.wait_for("chat.update", 3)
    assert {c.params["channel"] for c in edits} == {"D" + ADMIN, "D" + BOARD, "D" + BOARD2}
    for edit in edits:
        shown = json.dumps(edit.params["blocks"])
        assert "Agreed* by U0BOARD" in shown and gv.AGREE_DATE not in shown
    told = slack_app.fake.wait_for("chat.postMessage", 5)[-1]
    assert told.params["channel"] == JO and "agreed your new date" in json.dumps(told.params["blocks"])

    # The second board member presses Agree on a message that still had buttons: told who decided.
    dm2, channel2, ts2 = _request_for(slack_app, BOARD2)
    value = _button(dm2.params["blocks"], gv.AGREE_DATE)["value"]
    assert slack_app.click(BOARD2, gv.AGREE_DATE, value, channel=channel2, message_ts=ts2) == 200
    [late] = slack_app.fake.wait_for("chat.postMessage", 6)[5:]
    assert late.params["channel"] == BOARD2 and "already agreed by U0BOARD" in late.params["text"]
    assert _count(slack_app, DateDecision) == 1
    with slack_app.database.session_factory() as session:
        [retime] = session.scalars(select(PlanChange).where(PlanChange.kind == "retime")).all()
        assert (retime.old_value, retime.new_value, retime.by_uid) == ("2026-12-01", "2027-01-31", BOARD)


def test_decline_asks_for_a_reason_and_the_lead_hears_it(slack_app):
    _propose(slack_app)
    dm, channel, ts = _request_for(slack_app, ADMIN)
    value = _button(dm.params["blocks"], gv.DECLINE_DATE)["value"]
    view = _click_for_view(slack_app, ADMIN, gv.DECLINE_DATE, value, channel=channel, message_ts=ts)
    assert view["callback_id"] == gv.DECLINE_CALLBACK and "31 Jan 2027" in json.dumps(view["blocks"])
    empty = _submit_view(slack_app, view, {"reason": _text("  ")}, ADMIN)
    assert empty["response_action"] == "errors" and "reason" in empty["errors"]
    assert _count(slack_app, DateDecision) == 0
    done = _submit_view(slack_app, view, {"reason": _text("The board wants it before the revisit")}, ADMIN)
    assert done["response_action"] == "update" and "Declined" in json.dumps(done["view"])
    assert _due(slack_app, "3.2") == dt.date(2026, 12, 1)
    told = slack_app.fake.wait_for("chat.postMessage", 4)[-1]
    shown = json.dumps(told.params["blocks"])
    assert told.params["channel"] == JO and "declined the new date" in shown and "before the revisit" in shown


def test_nobody_decides_their_own_date_and_outsiders_are_refused(slack_app):
    _grant(slack_app, JO, "board")  # Jo leads 3.2 and is also on the board
    _propose(slack_app)
    assert _dms(slack_app, JO, containing="gov_agree_date") == []  # not offered the buttons
    dm, _channel, _ts = _request_for(slack_app, BOARD)
    value = _button(dm.params["blocks"], gv.AGREE_DATE)["value"]
    for user, said in ((JO, "You lead 3.2"), (OUTSIDER, "Only board members and admins")):
        before = len(slack_app.fake.calls("chat.postMessage"))
        assert slack_app.click(user, gv.AGREE_DATE, value, channel="D" + user, message_ts="1.1") == 200
        [refusal] = slack_app.fake.wait_for("chat.postMessage", before + 1)[before:]
        assert refusal.params["channel"] == user and said in refusal.params["text"]
    assert _count(slack_app, DateDecision) == 0 and _due(slack_app, "3.2") == dt.date(2026, 12, 1)


def test_a_thread_reply_can_ask_for_a_new_date(slack_app):
    slack_app.dm(
        JO, "Amber – new date 30 June, the partner has not signed", ts="1700000100.000001", thread_ts=R2
    )
    posts = slack_app.fake.wait_for("chat.postMessage", 3)
    thread = next(c for c in posts if c.params.get("thread_ts") == R2)
    assert "gone to the board" in thread.params["text"]
    with slack_app.database.session_factory() as session:
        [proposal] = session.scalars(select(DateProposal)).all()
        assert proposal.proposed_due == dt.date(2027, 6, 30) and proposal.by_uid == JO
        assert "the partner has not signed" in proposal.reason


def test_a_date_in_passing_is_progress_not_a_request(slack_app):
    slack_app.dm(JO, "Green – first session booked for 30 June", ts="1700000100.000002", thread_ts=R2)
    slack_app.fake.wait_for("chat.postMessage")
    assert _count(slack_app, DateProposal) == 0
    assert [u.rag for u in slack_app.updates()] == ["Green"]


def test_a_requested_date_in_the_past_saves_nothing_and_says_why(slack_app):
    slack_app.dm(JO, "Amber – new date 1 March 2020", ts="1700000100.000003", thread_ts=R2)
    [told] = slack_app.fake.wait_for("chat.postMessage")
    assert "in the past" in told.params["text"] and told.params["thread_ts"] == R2
    assert slack_app.updates() == [] and _count(slack_app, DateProposal) == 0


# --- challenge ----------------------------------------------------------------------------------


def test_challenge_from_the_card_and_the_leads_answer_in_the_thread(slack_app):
    slack_app.dm(JO, "Green – audit done", ts="1700000200.000001", thread_ts=R2)
    slack_app.fake.wait_for("chat.postMessage")
    lead_card = slack_app.ack_json("action 3.2", JO)
    assert gv.CHALLENGE not in json.dumps(lead_card)  # a lead cannot challenge their own update
    card = slack_app.ack_json("action 3.2", BOARD)
    button = _button(card["blocks"], gv.CHALLENGE)
    assert (
        slack_app.click(BOARD, gv.CHALLENGE, button["value"], response_url=slack_app.fake.response_url) == 200
    )
    view = slack_app.opened_view()
    assert view["callback_id"] == gv.CHALLENGE_CALLBACK and "audit done" in json.dumps(view["blocks"])
    done = _submit_view(
        slack_app, view, {"question": _text("What is the evidence the audit was done?")}, BOARD
    )
    assert done["response_action"] == "update"
    question = slack_app.fake.wait_for("chat.postMessage", 2)[-1]
    assert question.params["channel"] == JO and "What is the evidence" in json.dumps(
        question.params["blocks"]
    )
    with slack_app.database.session_factory() as session:
        [challenge] = session.scalars(select(Challenge)).all()
        assert challenge.by_uid == BOARD and challenge.update_id == slack_app.updates()[0].id
    card = slack_app.ack_json("action 3.2", BOARD)
    assert "*Challenged* by U0BOARD" in json.dumps(card)

    # Jo answers in the question's thread: stored once, confirmed there, the board member told.
    ts = question.response["ts"]
    slack_app.settle()  # the app has recorded which challenge that DM asks
    for _ in range(2):  # a retried event
        slack_app.dm(
            JO, "Audit report is on the intranet", ts="1700000300.000001", thread_ts=ts, event_id="EvANS"
        )
    posts = slack_app.fake.wait_for("chat.postMessage", 4)
    assert any(c.params.get("thread_ts") == ts and "Saved your answer" in c.params["text"] for c in posts)
    told = next(c for c in posts if c.params["channel"] == BOARD)
    assert "answered your question" in json.dumps(told.params["blocks"])
    assert _count(slack_app, ChallengeAnswer) == 1
    assert "Challenged" not in json.dumps(slack_app.ack_json("action 3.2", BOARD))


def test_only_the_lead_answers_and_only_the_board_challenges(slack_app):
    slack_app.click(SAM, gv.CHALLENGE, json.dumps({"action_id": slack_app.ids["3.2"], "update_id": None}),
                    response_url=slack_app.fake.response_url)  # fmt: skip
    [refusal] = slack_app.fake.wait_for("response_url")
    assert "Only board members and admins" in refusal.params["text"]
    assert slack_app.fake.calls("views.open") == [] and _count(slack_app, Challenge) == 0


# --- sign-off -----------------------------------------------------------------------------------


def test_completion_is_signed_off_once_and_everyone_hears(slack_app):
    slack_app.command("update 3.2", JO)
    slack_app.submit(
        slack_app.opened_view(), user=JO, rag="Blue", text="Forum running", evidence="https://x.example/f"
    )
    slack_app.fake.wait_for("chat.postMessage", 3)
    assert "counts as complete once an admin or board member signs it off" in json.dumps(
        _dms(slack_app, JO)[0].params
    )
    dm = _dms(slack_app, BOARD, containing=gv.SIGN_OFF)[0]
    assert "https://x.example/f" in json.dumps(dm.params["blocks"])
    value = _button(dm.params["blocks"], gv.SIGN_OFF)["value"]
    view = _click_for_view(
        slack_app, BOARD, gv.SIGN_OFF, value, channel=dm.response["channel"], message_ts=dm.response["ts"]
    )
    assert view["callback_id"] == gv.SIGNOFF_CALLBACK
    done = _submit_view(
        slack_app, view, {"note": _text("Attended a session"), "evidence": {"value": {"value": None}}}, BOARD
    )
    assert done["response_action"] == "update" and "counts as complete" in json.dumps(done["view"])
    with slack_app.database.session_factory() as session:
        [signed] = session.scalars(select(SignOff)).all()
        assert (signed.by_uid, signed.note) == (BOARD, "Attended a session")
    edits = slack_app.fake.wait_for("chat.update", 2)
    assert {c.params["channel"] for c in edits} >= {"D" + ADMIN, "D" + BOARD}
    assert all(gv.SIGN_OFF not in json.dumps(c.params["blocks"]) for c in edits)
    assert _wait_dm(slack_app, JO, "signed off by U0BOARD")
    # The admin's stale button: told it is already signed off, nothing stored twice.
    admin_dm = _dms(slack_app, ADMIN, containing=gv.SIGN_OFF)[0]
    slack_app.click(
        ADMIN, gv.SIGN_OFF, value, channel=admin_dm.response["channel"], message_ts=admin_dm.response["ts"]
    )
    assert _wait_dm(slack_app, ADMIN, "already signed off by U0BOARD")
    assert _count(slack_app, SignOff) == 1


def test_a_lead_on_the_board_cannot_sign_off_their_own_action(slack_app):
    _grant(slack_app, JO, "board")
    slack_app.dm(JO, "Blue – forum running", ts="1700000400.000001", thread_ts=R2)
    slack_app.fake.wait_for("chat.postMessage", 3)
    assert _dms(slack_app, JO, containing=gv.SIGN_OFF) == []
    slack_app.click(
        JO,
        gv.SIGN_OFF,
        json.dumps({"action_id": slack_app.ids["3.2"]}),
        response_url=slack_app.fake.response_url,
    )
    [refusal] = slack_app.fake.wait_for("response_url")
    assert "You lead 3.2" in refusal.params["text"] and _count(slack_app, SignOff) == 0


# --- editing the plan ---------------------------------------------------------------------------


def test_admin_edits_an_action_in_a_modal(slack_app):
    status, _body = slack_app.command("edit 3.2", ADMIN)
    assert status == 200
    view = slack_app.fake.wait_for("views.open")[-1].response["view"]
    assert view["callback_id"] == gv.EDIT_CALLBACK
    leads = next(b for b in view["blocks"] if b.get("block_id") == "leads")["element"]
    assert [o["text"]["text"] for o in leads["initial_options"]] == ["Jo Bloggs"]
    sam = next(o for o in leads["options"] if o["text"]["text"] == "Sam Smith")
    values = {
        "title": _text("Action 3.2 title"),
        "leads": {"value": {"type": "multi_static_select", "selected_options": [sam]}},
        "timescale": _text("December 2026"),
        "due": {"value": {"type": "datepicker", "selected_date": "2027-02-28"}},
        "status": {"value": {"type": "static_select", "selected_option": {"value": "open"}}},
        "into": _text(""),
        "reason": _text(""),
    }
    missing = _submit_view(slack_app, view, values, ADMIN)
    assert missing["response_action"] == "errors" and "reason" in missing["errors"]
    both = _submit_view(
        slack_app, view, {**values, "timescale": _text("March 2027"), "reason": _text("r")}, ADMIN
    )
    assert both["response_action"] == "errors" and "not both" in both["errors"]["due"]
    assert _count(slack_app, PlanChange) == 0
    done = _submit_view(slack_app, view, {**values, "reason": _text("Jo is on long-term leave")}, ADMIN)
    assert done["response_action"] == "update"
    shown = json.dumps(done["view"], ensure_ascii=False)
    assert "lead(s): Jo Bloggs → Sam Smith" in shown and "due date: 1 Dec 2026 → 28 Feb 2027" in shown
    assert _due(slack_app, "3.2") == dt.date(2027, 2, 28)
    told = slack_app.fake.wait_for("chat.postMessage")[-1]
    assert told.params["channel"] == SAM and "was changed by" in told.params["text"]
    with slack_app.database.session_factory() as session:
        changes = session.scalars(select(PlanChange).order_by(PlanChange.id)).all()
        assert [(c.field, c.by_uid, c.reason) for c in changes] == [
            ("leads", ADMIN, "Jo is on long-term leave"),
            ("due", ADMIN, "Jo is on long-term leave"),
        ]


def test_withdrawing_from_the_edit_modal_and_who_may_edit(slack_app):
    slack_app.command("edit 3.3", JO)
    [refusal] = slack_app.fake.wait_for("response_url")
    assert "Only admins can change the plan" in refusal.params["text"]
    assert slack_app.fake.calls("views.open") == []
    card = slack_app.ack_json("action 3.3", ADMIN)
    edit = _button(card["blocks"], gv.EDIT)
    view = _click_for_view(slack_app, ADMIN, gv.EDIT, edit["value"], response_url=slack_app.fake.response_url)
    values = {
        "title": _text("Action 3.3 title"),
        "leads": {
            "value": {
                "selected_options": next(b for b in view["blocks"] if b.get("block_id") == "leads")[
                    "element"
                ]["initial_options"]
            }
        },
        "timescale": _text("November 2026"),
        "status": {"value": {"selected_option": {"value": "withdrawn"}}},
        "reason": _text("Covered by the new QA framework"),
    }
    done = _submit_view(slack_app, view, values, ADMIN)
    assert done["response_action"] == "update" and "withdrawn" in json.dumps(done["view"])
    with slack_app.database.session_factory() as session:
        assert session.scalar(select(Action.status).where(Action.ref == "3.3")) == "withdrawn"
    card = slack_app.ack_json("action 3.3", ADMIN)
    assert "*Withdrawn*: Covered by the new QA framework" in json.dumps(card)
    assert gv.CHALLENGE not in json.dumps(card) and "open_update_modal" not in json.dumps(card)
    mine = json.dumps(slack_app.ack_json("mine", JO))
    assert "Action 3.2 title" in mine and "Action 3.3 title" not in mine  # it has left Jo's list


def test_with_more_than_a_menu_of_people_the_lead_picker_searches(slack_app):
    """Slack's static menu holds 100 options: with more people the edit modal's lead picker asks the app
    as the admin types, finds people by any part of a name, post or alias, starts with the current
    leads chosen, and offers nothing to someone who may not edit."""
    with slack_app.database.session_factory.begin() as session:
        for i in range(120):
            session.add(
                Person(display_name=f"Partner {i:03d}", role_title="Designated Nurse" if i == 7 else None)
            )
    slack_app.command("edit 3.2", ADMIN)
    view = slack_app.fake.wait_for("views.open")[-1].response["view"]
    block = next(b for b in view["blocks"] if b.get("block_id") == "leads")
    picker = block["element"]
    assert picker["type"] == "multi_external_select" and "options" not in picker
    assert [o["text"]["text"] for o in picker["initial_options"]] == ["Jo Bloggs"]
    assert "search all 12" in block["hint"]["text"]  # 120 partners and the seeded people

    def offered(user, typed, action_id=gv.LEAD_SEARCH):
        request = signing.block_suggestion(
            user_id=user, action_id=action_id, block_id="leads", value=typed, view=view
        )
        status, _, body = slack_app.post(request)
        assert status == 200, body
        return [(o["text"]["text"], o["value"]) for o in json.loads(body)["options"]]

    with slack_app.database.session_factory() as session:
        ids = dict(session.execute(select(Person.display_name, Person.id)).all())
    assert offered(ADMIN, "partner 10") == [
        (f"Partner {i}", str(ids[f"Partner {i}"])) for i in range(100, 110)
    ]
    assert offered(ADMIN, "designated") == [("Partner 007", str(ids["Partner 007"]))]
    assert offered(ADMIN, "sam") == [("Sam Smith", str(ids["Sam Smith"]))]
    assert offered(ADMIN, "50%") == []  # typed wildcards match themselves
    assert len(offered(ADMIN, "")) == 100  # what the menu shows before anything is typed
    assert offered(JO, "partner") == []  # not an admin
    partner = next(
        o
        for o in json.loads(
            slack_app.post(
                signing.block_suggestion(
                    user_id=ADMIN, action_id=gv.LEAD_SEARCH, block_id="leads", value="Partner 042", view=view
                )
            )[2]
        )["options"]
    )
    values = {
        "title": _text("Action 3.2 title"),
        "leads": {gv.LEAD_SEARCH: {"type": "multi_external_select", "selected_options": [partner]}},
        "timescale": _text(""),
        "status": {"value": {"type": "static_select", "selected_option": {"value": "open"}}},
        "reason": _text("Handed to health"),
    }
    done = _submit_view(slack_app, view, values, ADMIN)
    assert done["response_action"] == "update"
    assert "lead(s): Jo Bloggs → Partner 042" in json.dumps(done["view"], ensure_ascii=False)


def test_a_signed_block_suggestion_without_its_ids_is_a_bad_request(slack_app):
    request = signing.block_suggestion(
        user_id=ADMIN, action_id=gv.LEAD_SEARCH, block_id="leads", value="x", view={}
    )
    payload = json.loads(parse_qs(request.body.decode())["payload"][0])
    del payload["action_id"]
    broken = signing.Request(urlencode({"payload": json.dumps(payload)}).encode(), request.content_type)
    status, _, _ = slack_app.post(broken)
    assert status == 400


# --- Home tab and digest ------------------------------------------------------------------------


def test_home_tab_lists_what_waits_for_the_board(slack_app):
    _propose(slack_app)
    slack_app.post(signing.event_callback(signing.app_home_opened(user_id=BOARD)))
    seen = 0
    while BOARD not in slack_app.fake.home_views:  # Jo's own Home refresh may publish first
        seen = len(slack_app.fake.wait_for("views.publish", seen + 1))
    home = slack_app.fake.home_views[BOARD]
    shown = json.dumps(home["blocks"], ensure_ascii=False)
    assert "Waiting for the board* (1)" in shown and "asks for 31 Jan 2027" in shown
    menu = next(
        b["accessory"]
        for b in home["blocks"]
        if (b.get("accessory") or {}).get("action_id") == gv.REQUEST_MENU
    )
    agree = menu["options"][0]
    status, _, _ = slack_app.post(
        signing.block_actions(
            user_id=BOARD,
            action_id=gv.REQUEST_MENU,
            selected_option=agree,
            container_type="view",
            view={"id": "VHOME", "type": "home"},
        )
    )
    assert status == 200 and _due(slack_app, "3.2") == dt.date(2027, 1, 31)
    picker = next(b for b in home["blocks"] if b.get("block_id", "").startswith("challenge-pick"))
    option = picker["elements"][0]["options"][0]
    assert option["text"]["text"].startswith("3.2 · Jo Bloggs · Amber")
    view = _pick_for_view(
        slack_app, signing.block_actions(user_id=BOARD, action_id=gv.CHALLENGE_PICK, selected_option=option)
    )
    assert view["callback_id"] == gv.CHALLENGE_CALLBACK


@pytest.mark.parametrize("user", [BOARD])
def test_the_digest_offers_a_challenge_for_this_weeks_updates(slack_app, user):
    from jobs.digest import build_digests
    from slackviews.reminders import digest_message

    slack_app.dm(JO, "Amber – forum designed", ts="1700000500.000001", thread_ts=R2)
    slack_app.fake.wait_for("chat.postMessage")
    with slack_app.database.session_factory() as session:
        _summary, blocks = digest_message(build_digests(session, slack_app.now + dt.timedelta(hours=1)))
    select_ = next(
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == gv.CHALLENGE_PICK
    )
    option = select_["options"][0]
    assert json.loads(option["value"]) == {
        "action_id": slack_app.ids["3.2"],
        "update_id": slack_app.updates()[0].id,
    }
    slack_app.post(
        signing.block_actions(
            user_id=user,
            action_id=gv.CHALLENGE_PICK,
            selected_option=option,
            channel_id="C0DIGEST",
            message_ts="1.2",
        )
    )
    assert "forum designed" in json.dumps(slack_app.opened_view()["blocks"])


def test_challenge_and_signoff_commands_open_their_modals_for_the_board_only(slack_app):
    before = len(slack_app.fake.calls("views.open"))
    status, _body = slack_app.command("challenge 3.2", BOARD)
    assert status == 200
    assert (
        slack_app.fake.wait_for("views.open", before + 1)[-1].response["view"]["callback_id"]
        == gv.CHALLENGE_CALLBACK
    )
    slack_app.command("signoff 3.2", BOARD)
    [refusal] = slack_app.fake.wait_for("response_url")
    assert "3.2 is not marked complete" in refusal.params["text"]
    slack_app.command("challenge 3.2", JO)
    refusals = slack_app.fake.wait_for("response_url", 2)
    assert "Only board members and admins" in refusals[-1].params["text"]
    assert len(slack_app.fake.calls("views.open")) == before + 1
    help_text = json.dumps(slack_app.ack_json("help", BOARD))
    assert "/progress challenge 3.2" in help_text and "/progress edit 3.2" not in help_text
    assert "/progress edit 3.2" in json.dumps(slack_app.ack_json("help", ADMIN))


def test_decline_is_refused_to_people_who_may_not_decide(slack_app):
    _propose(slack_app)
    dm, _channel, _ts = _request_for(slack_app, BOARD)
    value = _button(dm.params["blocks"], gv.DECLINE_DATE)["value"]
    slack_app.click(SAM, gv.DECLINE_DATE, value, response_url=slack_app.fake.response_url)
    [refusal] = slack_app.fake.wait_for("response_url")
    assert "Only board members and admins" in refusal.params["text"]
    assert len(slack_app.fake.calls("views.open")) == 1  # only Jo's update modal was ever opened
    menu_decline = {
        "text": {"type": "plain_text", "text": "Decline…"},
        "value": json.dumps({"op": "decline", **json.loads(value)}),
    }
    view = _pick_for_view(
        slack_app,
        signing.block_actions(user_id=ADMIN, action_id=gv.REQUEST_MENU, selected_option=menu_decline),
    )
    assert view["callback_id"] == gv.DECLINE_CALLBACK
    assert _count(slack_app, DateDecision) == 0
