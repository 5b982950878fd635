"""Several plans: ``plan NAME`` on summary, report, action and update; each plan on Home; Home refresh."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from storage.models import Action
from tests.support import slack_signing as signing
from tests.support.bot_harness import BOARD, JO, R2, SAM
from tests.support.waiting import wait_until


def _text(answer: dict) -> str:
    return json.dumps(answer, ensure_ascii=False)


@pytest.fixture
def two_plans(slack_app):
    """improvement (3.2 Jo, 3.3 Jo, 4.1 Sam) and ILACS (3.2 Jo, overdue; 3.3 Sam; 5.1 Sam)."""
    slack_app.ilacs = slack_app.add_plan(
        "ILACS",
        "ILACS Plan",
        [
            ("3.2", "jo", dt.date(2026, 10, 1)),
            ("3.3", "sam", dt.date(2027, 1, 31)),
            ("5.1", "sam", dt.date(2027, 6, 30)),
        ],
    )
    return slack_app


def _responses(bot, n: int) -> list[dict]:
    bot.fake.wait_for("response_url", n)
    return [c.params for c in bot.fake.calls("response_url")]


def test_summary_with_several_plans_shows_each_plan_or_the_named_one(two_plans):
    bot = two_plans
    for n, text in enumerate(
        ("summary", "summary overdue plan ilacs", "summary overdue", "summary plan nosuch"), start=1
    ):
        assert bot.command(text, BOARD)[0] == 200
        bot.fake.wait_for("response_url", n)
    each, ilacs_overdue, overdue, unknown = (_text(r) for r in _responses(bot, 4))
    assert "There are 2 plans" not in each
    assert "Improvement Plan" in each and "ILACS Plan" in each and "Get the report" in each
    buttons = [
        e["value"] for b in _responses(bot, 4)[0]["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert sorted(json.loads(v)["plan_id"] for v in buttons) == sorted([bot.ilacs["plan"], _plan_id(bot)])
    assert "ILACS Plan 3.2" in ilacs_overdue and "Action 3.3 title" not in ilacs_overdue
    assert "Plan: " not in ilacs_overdue  # one plan: no per-plan headings
    assert "Plan: ILACS" in overdue and "Plan: improvement" in overdue
    assert "ILACS Plan 3.2" in overdue and "Action 3.3 title" in overdue
    assert "no plan named" in unknown.lower() and "ILACS" in unknown and "improvement" in unknown


def _plan_id(bot) -> int:
    with bot.database.session_factory() as session:
        return session.get(Action, bot.ids["3.2"]).plan_id


def test_report_with_several_plans_asks_which_with_one_button_per_plan(two_plans):
    bot = two_plans
    answer = bot.ack_json("report html", BOARD)
    assert "Which report" in answer["text"]
    buttons = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
    assert [b["action_id"] for b in buttons] == ["get_report", "get_report"]
    values = [json.loads(b["value"]) for b in buttons]
    assert {v["format"] for v in values} == {"html"}
    assert [v["plan_id"] for v in values] == [bot.ilacs["plan"], _plan_id(bot)]  # by name: ILACS, improvement
    assert bot.fake.call_count("files.completeUploadExternal") == 0

    bot.click(BOARD, "get_report", buttons[0]["value"])
    bot.fake.wait_for("files.completeUploadExternal")
    [upload] = bot.fake.uploads.values()
    assert upload["filename"].startswith("ILACS-") and upload["filename"].endswith(".html")

    _, body = bot.command("report docx plan improvement", BOARD)
    assert "Preparing the DOCX report" in json.loads(body)["text"]
    bot.fake.wait_for("files.completeUploadExternal", 2)
    assert any(u["filename"].startswith("improvement-") for u in bot.fake.uploads.values())


def test_report_for_an_unknown_plan_says_which_plans_exist(two_plans):
    bot = two_plans
    bot.command("report plan nosuch", BOARD)
    bot.fake.wait_for("response_url")
    told = _text(bot.fake.calls("response_url")[-1].params)
    assert "no plan named" in told.lower() and "ILACS" in told


def test_home_for_board_shows_each_plan_with_its_own_report_button(two_plans):
    bot = two_plans
    bot.post(signing.event_callback(signing.app_home_opened(user_id=BOARD)))
    bot.fake.wait_for("views.publish")
    view = bot.fake.home_views[BOARD]
    text = _text(view)
    assert "There are 2 plans" not in text
    assert "Plan: improvement" in text and "Plan: ILACS" in text and "Exceptions" in text
    values = [
        json.loads(e["value"])
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "get_report"
    ]
    assert sorted(v["plan_id"] for v in values) == sorted([_plan_id(bot), bot.ilacs["plan"]])


def test_action_ref_in_several_plans_asks_which_plan(two_plans):
    bot = two_plans
    answer = bot.ack_json("action 3.2", BOARD)
    assert "in 2 plans" in answer["text"]
    buttons = [b["accessory"] for b in answer["blocks"] if b.get("accessory")]
    assert [b["action_id"] for b in buttons] == ["show_action", "show_action"]
    assert [json.loads(b["value"])["action_id"] for b in buttons] == [bot.ilacs["3.2"], bot.ids["3.2"]]

    bot.click(BOARD, "show_action", buttons[0]["value"], response_url=bot.fake.response_url)
    [shown] = bot.fake.wait_for("response_url")
    assert "ILACS Plan 3.2" in _text(shown.params)

    assert "ILACS Plan 3.2" in _text(bot.ack_json("action 3.2 plan ilacs", BOARD))
    assert "Action 3.2 title" in _text(bot.ack_json("action 3.2 plan IMPROVEMENT", BOARD))
    assert "ILACS Plan 5.1" in _text(bot.ack_json("action 5.1", BOARD))  # unique across plans
    assert "no action 9.9 in any plan" in _text(bot.ack_json("action 9.9", BOARD)).lower()
    # A lead who can read only one of them gets it straight away.
    assert "ILACS Plan 3.3" in _text(bot.ack_json("action 3.3", SAM))
    # A lead who can read neither is refused as usual, and learns no plan name or title.
    refused = _text(bot.ack_json("action 3.2", SAM))
    assert "board members and admins can see every action" in refused
    assert "ILACS" not in refused and "title" not in refused


def test_update_ref_in_several_plans_asks_which_plan_then_opens_the_modal(two_plans):
    bot = two_plans
    assert bot.command("update 3.2", JO)[0] == 200  # Jo leads 3.2 in both plans
    [question] = bot.fake.wait_for("response_url")
    buttons = [b["accessory"] for b in question.params["blocks"] if b.get("accessory")]
    assert [b["action_id"] for b in buttons] == ["open_update_modal", "open_update_modal"]
    assert bot.fake.call_count("views.open") == 0
    assert [json.loads(b["value"])["action_id"] for b in buttons] == [bot.ilacs["3.2"], bot.ids["3.2"]]

    bot.click(JO, "open_update_modal", buttons[0]["value"])
    view = bot.opened_view()
    assert "ILACS Plan 3.2" in _text(view)
    bot.submit(view, user=JO, rag="Amber", text="ILACS forum booked")
    [update] = bot.updates()
    assert update.action_id == bot.ilacs["3.2"]

    bot.command("update 3.2 plan improvement", JO)
    assert "Action 3.2 title" in _text(bot.fake.wait_for("views.open", 2)[-1].response["view"])
    bot.command("update 3.3", JO)  # 3.3 is in both plans, but Jo leads only improvement's
    assert "Action 3.3 title" in _text(bot.fake.wait_for("views.open", 3)[-1].response["view"])
    bot.command("update 5.1", SAM)  # unique across plans
    assert "ILACS Plan 5.1" in _text(bot.fake.wait_for("views.open", 4)[-1].response["view"])
    bot.command("update 4.1", JO)  # only in improvement, and Sam's: refused as before
    bot.command("update 3.2", SAM)  # in both plans, Sam leads neither: refused, no plan named
    told = [_text(c.params) for c in bot.fake.wait_for("response_url", 3)[1:]]
    assert all("ILACS" not in t and "Which" not in t for t in told), told
    assert all("may update" in t.lower() or "you lead" in t.lower() for t in told), told
    assert bot.fake.call_count("views.open") == 4


def test_home_is_republished_after_a_modal_update(slack_app):
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="Forum designed")
    slack_app.fake.wait_for("views.publish")
    home = _text(slack_app.fake.home_views[JO])
    assert "Your actions" in home and "Forum designed" in home
    assert slack_app.fake.call_count("views.publish") == 1


def test_home_is_republished_after_a_thread_reply(slack_app):
    assert slack_app.dm(JO, "Green – booked the venue", ts="1700000100.000001", thread_ts=R2) == 200
    slack_app.fake.wait_for("views.publish")
    assert "booked the venue" in _text(slack_app.fake.home_views[JO])


def test_home_refresh_failure_is_retried_and_never_shown(slack_app, caplog):
    slack_app.fake.fail_next("views.publish", error="internal_error")
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        slack_app.command("update 3.2", JO)
        slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="Forum designed")
        first, retried = slack_app.fake.wait_for("views.publish", 2, timeout=10)
    assert first.response["error"] == "internal_error" and retried.ok  # Slack's blip, retried by the outbox
    assert "Forum designed" in _text(slack_app.fake.home_views[JO])
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert len(slack_app.updates()) == 1
    assert "saved your update" in _text(slack_app.modal_after_submit())
    messages = [c.params for c in slack_app.fake.calls("chat.postMessage")]
    assert len(messages) == 1 and "went wrong" not in _text(messages[0]).lower()
    assert slack_app.fake.call_count("response_url") == 0


def test_home_refresh_refused_for_good_is_dropped_quietly(slack_app, caplog):
    slack_app.fake.fail_next("views.publish", error="not_enabled")
    with caplog.at_level(logging.INFO, logger="bot.outbox"):
        slack_app.command("update 3.2", JO)
        slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="Forum designed")
        slack_app.fake.wait_for("views.publish")
        slack_app.fake.wait_for("chat.postMessage")
        wait_until(lambda: slack_app.outbox_rows() == 0, what="the outbox to empty")
    assert any("dropped" in r.getMessage() and "not_enabled" in r.getMessage() for r in caplog.records)
    assert slack_app.fake.call_count("views.publish") == 1
    assert len(slack_app.fake.calls("chat.postMessage")) == 1  # the confirmation, nothing about the tab


def test_plan_suffix_is_parsed():
    from bot.subcommands import parse_command

    assert parse_command("summary red plan ilacs").args == {"kind": "red", "plan": "ilacs"}
    assert parse_command("report docx plan ilacs").args == {"format": "docx", "plan": "ilacs"}
    assert parse_command("summary section Early help plan ILACS").args == {
        "kind": "section",
        "name": "Early help",
        "plan": "ILACS",
    }
    assert parse_command("action 3.2 plan ilacs").args == {"ref": "3.2", "plan": "ilacs"}
    assert parse_command("update 3.2 plan ilacs").args == {"ref": "3.2", "plan": "ilacs"}
    assert parse_command("summary plan").name == "unknown"
