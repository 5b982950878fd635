"""Echoes escaped, Slack's entities read once, plans named, lists cut honestly (issue 9, items 4, 12-14)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.planner import plan_reminders
from report.summaries import ActionItem
from slackviews.common import GET_REPORT, ActionCard
from slackviews.home import BoardPanel, board_blocks
from slackviews.messages import PICK_ACTION, ask_action_reply
from slackviews.reminders import PlanDigest, digest_message, reminder_message
from slackviews.text import escape, mrkdwn, truncate_mrkdwn, unescape
from storage.models import ReminderEntry, ReminderMessage
from tests.support import slack_signing as signing
from tests.support.bot_harness import JO, R2
from tests.support.jobs_factories import make_action, make_person, make_plan
from tests.support.waiting import wait_until

# --- item 4: echoes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "action &lt;!channel&gt;",  # as Slack sends what the person typed
        "action <!channel>",  # and as it would arrive if Slack ever did not escape it
        "away &lt;!here&gt;",
        "summary section &lt;!everyone&gt;",
    ],
)
def test_what_the_person_typed_is_escaped_when_it_is_echoed(slack_app, typed):
    from tests.support.bot_harness import BOARD

    user = BOARD if typed.startswith("summary") else JO
    status, body = slack_app.command(typed, user)
    if body:
        shown = body
    else:
        [told] = slack_app.fake.wait_for("response_url")
        shown = json.dumps(told.params)
    assert status == 200
    for mention in ("<!channel>", "<!here>", "<!everyone>"):
        assert mention not in shown
    assert re.search(r"&lt;!(channel|here|everyone)&gt;", shown), shown
    assert "&amp;lt;" not in shown  # escaped once, not twice


def test_a_bad_date_is_echoed_escaped(slack_app):
    answer = slack_app.ack_json("away 32/13 &lt;b&gt;", JO)
    assert "couldn't read" in answer["text"] and "<b>" not in answer["text"] and "&lt;b&gt;" in answer["text"]


def test_thread_text_is_stored_as_typed_and_shown_escaped_once(slack_app):
    # Slack delivers "R&D <team>" as "R&amp;D &lt;team&gt;".
    assert (
        slack_app.dm(JO, "Amber – R&amp;D &lt;team&gt; sign-off", ts="1700005000.000001", thread_ts=R2) == 200
    )
    [update] = slack_app.updates()
    assert update.text == "R&D <team> sign-off"
    shown = json.dumps(slack_app.ack_json("action 3.2", JO))
    assert "R&amp;D &lt;team&gt; sign-off" in shown and "&amp;amp;" not in shown
    from report.compile import compile_report
    from storage.models import Plan

    with slack_app.database.session_factory() as session:
        plan = session.get(Plan, session.get(type(update), update.id).action.plan_id)
        data = compile_report(session, plan, as_of=slack_app.now, now=slack_app.now)
    assert "R&D <team> sign-off" in json.dumps(
        data.__dict__, default=str
    )  # the report's own escaping follows


def test_unescape_reads_entities_once():
    assert unescape("R&amp;D &lt;b&gt;") == "R&D <b>"
    assert unescape("&amp;lt;") == "&lt;"  # someone who typed "&lt;" gets "&lt;" back
    assert escape(unescape("a &amp; b")) == "a &amp; b"


# --- item 13: cutting text ---------------------------------------------------------------------------


@given(st.text(alphabet="ab &<>", max_size=60), st.integers(min_value=1, max_value=70))
def test_cutting_escaped_text_never_splits_an_entity(raw, limit):
    cut = truncate_mrkdwn(escape(raw), limit)
    assert len(cut) <= max(limit, 1)
    leftover = re.sub(r"&(amp|lt|gt);", "", cut)
    assert "&" not in leftover, cut
    assert mrkdwn(escape(raw), limit)["text"] == (cut or " ")


def test_cutting_never_splits_a_link():
    text = "see <https://example.org/a-very-long-address|the minutes> for more"
    assert truncate_mrkdwn(text, 30) == "see…"


def _item(n: int, title: str) -> ActionItem:
    return ActionItem(
        id=n,
        ref=f"{n}.1",
        title=title,
        section="",
        leads=("Jo Bloggs",),
        rag="Red",
        colour="#FF0000",
        due="2026-01-01",
        overdue=True,
        direction="worse",
        arrow="↓",
        progress="R&D <team> " * 20,
        progress_date="2026-01-02",
    )


def test_board_home_exceptions_are_cut_by_whole_lines_and_say_how_many_more():
    items = tuple(_item(n, "Audit & <review> of practice " * 5) for n in range(40))
    panel = BoardPanel(overall=_overall(), exceptions=items, changes=None, plan_id=3)
    blocks = board_blocks(panel)
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    for text in texts:
        assert len(text) <= 3000
        assert "&" not in re.sub(r"&(amp|lt|gt);", "", text)  # no entity cut in half
    shown = sum(len(re.findall(r"^\*\d+\.1\*", t, re.MULTILINE)) for t in texts)
    more = next(b for b in blocks if b["type"] == "context" and "more" in json.dumps(b))
    left = int(re.search(r"… and (\d+) more", json.dumps(more, ensure_ascii=False)).group(1))
    assert shown + left == 40 and left > 0


def _overall():
    from report.data import Breakdown
    from report.summaries import OverallSummary

    return OverallSummary(
        plan="ilacs",
        title="ILACS",
        as_of_date="2026-11-23",
        sentence="All fine.",
        rag_key=(),
        breakdown=Breakdown(total=0, counts=(), no_rag=0, no_rag_percent=0.0),
        baseline=None,
        change=None,
        red=0,
        overdue=0,
        stale=0,
        contradictions=0,
    )


# --- item 13: the "which action?" picker -------------------------------------------------------------


def _cards(n: int) -> list[ActionCard]:
    return [ActionCard(id=100 + i, ref=f"9.{i}", title=f"Action 9.{i}") for i in range(n)]


@pytest.mark.parametrize("count", [3, 5, 6, 25, 30, 120, 250])
def test_the_picker_lists_every_action(count):
    reply = ask_action_reply(7, _cards(count))
    actions = next(b for b in reply.blocks if b["type"] == "actions")
    listed = []
    for element in actions["elements"]:
        assert element["action_id"].startswith(f"{PICK_ACTION}:")
        options = element.get("options") or [element]
        assert len(options) <= 100
        listed += [json.loads(o["value"])["action_id"] for o in options]
    assert listed == [c.id for c in _cards(count)]
    assert len(actions["elements"]) <= 25


def test_picking_from_the_menu_stores_the_update(slack_app):
    extra = slack_app.add_plan(
        "extra", "Extra Plan", [(f"9.{i}", "jo", dt.date(2026, 12, 1)) for i in range(7)]
    )
    with slack_app.database.session_factory.begin() as session:
        message = ReminderMessage(
            slack_user_id=JO,
            channel="D" + JO,
            ts="1699999999.000900",
            kind="reminder",
            status="sent",
            payload={
                "items": [{"action_id": extra[f"9.{i}"], "ref": f"9.{i}", "title": "x"} for i in range(7)]
            },
        )
        session.add(message)
        session.flush()
        for i in range(7):
            session.add(
                ReminderEntry(
                    action_id=extra[f"9.{i}"],
                    person_id=slack_app.ids["jo"],
                    due_date=dt.date(2026, 12, 1),
                    kind="before",
                    step=i,
                    status="sent",
                    message_id=message.id,
                )
            )
    slack_app.dm(JO, "Green – all booked", ts="1700006000.000001", thread_ts="1699999999.000900")
    [question] = slack_app.fake.wait_for("chat.postMessage")
    [menu] = next(b for b in question.params["blocks"] if b["type"] == "actions")["elements"]
    assert menu["type"] == "static_select" and len(menu["options"]) == 7
    last = menu["options"][-1]
    status, _, _ = slack_app.post(
        signing.block_actions(
            user_id=JO,
            action_id=menu["action_id"],
            selected_option=last,
            channel_id="D" + JO,
            message_ts=question.response["ts"],
            thread_ts="1699999999.000900",
        )
    )
    assert status == 200
    [update] = slack_app.updates()
    assert (update.action_id, update.rag, update.text) == (extra["9.6"], "Green", "all booked")


# --- item 12: the plan is named, the report button knows its plan ---------------------------------------


def test_the_digest_get_report_button_carries_its_plan_and_names_it():
    digests = [
        PlanDigest(
            plan_id=pid,
            plan=name,
            plan_title="Improvement plan",
            counts={"Red": 1},
            previous_counts={},
            updates=(),
            overdue=(),
            due_soon=(),
            stale=(),
            last_report=None,
        )
        for pid, name in ((3, "ilacs"), (4, "send"))
    ]
    _text, blocks = digest_message(digests)
    buttons = [
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == GET_REPORT
    ]
    assert [json.loads(b["value"]) for b in buttons] == [
        {"format": "docx", "plan_id": 3},
        {"format": "docx", "plan_id": 4},
    ]
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers == [
        "Weekly progress: Improvement plan (plan ilacs)",
        "Weekly progress: Improvement plan (plan send)",
    ]
    _text, single = digest_message(digests[:1])
    assert [b["text"]["text"] for b in single if b["type"] == "header"] == [
        "Weekly progress: Improvement plan"
    ]


def test_the_digest_button_gets_that_plans_report_with_several_plans(slack_app):
    slack_app.add_plan("ilacs", "ILACS Plan", [("5.1", "jo", dt.date(2026, 12, 1))])
    from jobs.digest import build_digests

    with slack_app.database.session_factory() as session:
        digests = build_digests(session, slack_app.now, tz_name="Europe/London")
    _text, blocks = digest_message(digests)
    button = next(
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == GET_REPORT
    )
    from tests.support.bot_harness import BOARD

    assert slack_app.click(BOARD, GET_REPORT, button["value"], channel="C0DIGEST", message_ts="1.2") == 200
    [upload] = slack_app.fake.wait_for("files.completeUploadExternal", timeout=30)
    assert "There are" not in json.dumps([c.params for c in slack_app.fake.calls("chat.postMessage")])
    assert json.loads(button["value"])["plan_id"] in {d.plan_id for d in digests}
    assert upload.ok


@pytest.mark.storage
def test_reminders_name_the_plan_only_when_there_are_several(session):
    now = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    ann = make_person(session, "Ann", uid="UANN9")
    first = make_plan(session, "ilacs")
    make_action(session, first, "1.1", leads=[ann], due=dt.date(2026, 11, 23))
    [alone] = plan_reminders(session, now)
    _text, blocks = reminder_message([alone.item], reminder_message_id=1)
    assert "(plan ilacs)" not in json.dumps(blocks)
    second = make_plan(session, "send")
    make_action(session, second, "1.1", leads=[ann], due=dt.date(2026, 11, 23))
    planned = plan_reminders(session, now)
    _text, blocks = reminder_message([p.item for p in planned], reminder_message_id=1)
    shown = json.dumps(blocks)
    assert "(plan ilacs)" in shown and "(plan send)" in shown


# --- item 14: a failed Home publish is logged, never sent to the person -------------------------------


def test_a_failed_home_publish_on_opening_is_logged_not_dmed(slack_app, caplog):
    slack_app.fake.fail_next("views.publish", error="internal_error")
    with caplog.at_level(logging.WARNING, logger="bot.services"):
        status, _, _ = slack_app.post(signing.event_callback(signing.app_home_opened(user_id=JO)))
        assert status == 200
        slack_app.fake.wait_for("views.publish")
        wait_until(lambda: any("after the acknowledgement failed" in r.getMessage() for r in caplog.records))
    assert slack_app.fake.calls("chat.postMessage") == [] and slack_app.fake.calls("response_url") == []
