"""Attacks a workspace member (or a careless admin) can make through Slack, swept across every surface.

Each test drives the real app over signed HTTP (tests/support/bot_harness.py) and checks what reached
the fake Slack server: plan text never becomes a mention or a link, nothing breaks Block Kit's limits,
someone who is not a lead stores and sees nothing, and an exact replay of a signed request stores once.
"""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import update

from storage.models import Action, ActionLead, Person, Plan, RagState
from tests.support import slack_signing as signing
from tests.support.blockkit import problems
from tests.support.bot_harness import ADMIN, BOARD, JO, OUTSIDER, R1, R2, SAM

INJECTION = "<!here> <https://evil.example|click> <@UEVIL> &"
RAW_CONTROL = re.compile(r"<!here>|<https://evil|<@UEVIL>")
# 5,000 characters with a right-to-left override and a zero-width space in every repeat.
HUGE = "Ab\u202ec\u200b" * 1000

COMMANDS = [
    ("mine", JO),
    ("action 3.2", JO),
    ("update 3.2", JO),
    ("summary", BOARD),
    ("summary section 3", BOARD),
    ("summary lead Jo", BOARD),
    ("summary red", BOARD),
    ("summary overdue", BOARD),
    ("summary changes", BOARD),
    ("board", BOARD),
    ("leads", ADMIN),
    ("challenge 3.2", BOARD),
    ("edit 3.2", ADMIN),
    ("report html", BOARD),
]


def _poison(database, text: str) -> None:
    """Put ``text`` into everything an imported plan or a lead's name controls."""
    with database.session_factory.begin() as session:
        session.execute(update(Plan).values(title="Plan " + text))
        session.execute(
            update(Action).values(title=Action.title + " " + text, timescale="soon " + text[:900])
        )
        session.execute(update(Person).values(display_name=Person.display_name + " " + text))
        session.execute(update(ActionLead).values(lead_text=ActionLead.lead_text + " " + text))
        session.execute(update(RagState).values(meaning=RagState.meaning + " " + text))


def _everything_sent(slack_app, text: str) -> list[tuple[str, dict]]:
    """Run every command, save an update through the modal, open three Home tabs; what Slack got."""
    sent = []
    for command, user in COMMANDS:
        status, body = slack_app.command(command, user)
        assert status == 200, command
        if body:
            sent.append((f"ack of {command}", json.loads(body)))
    status, body = slack_app.submit(
        slack_app.opened_view(0),
        user=JO,
        rag="Blue",
        text="done " + text[:2900],
        evidence="https://ok.example/x",
    )
    assert status == 200
    sent.append(("submission ack", json.loads(body)))
    for user in (JO, BOARD, ADMIN):
        slack_app.post(signing.event_callback(signing.app_home_opened(user_id=user)))
    slack_app.settle()
    assert (
        slack_app.fake.call_count("views.publish") >= 3 and slack_app.fake.call_count("chat.postMessage") >= 2
    )
    sent += [(call.method, call.params) for call in slack_app.fake.calls()]
    return sent


def _raw_control_sequences(node, where: str = "") -> list[str]:
    """Every mrkdwn or message text holding a live mention or link (plain_text is shown literally)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            return found
        for key, value in node.items():
            if key == "text" and isinstance(value, str) and RAW_CONTROL.search(value):
                found.append(f"{where}.{key}: {value[:120]}")
            found += _raw_control_sequences(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += _raw_control_sequences(item, f"{where}[{i}]")
    return found


def test_plan_text_and_names_never_become_mentions_or_links_anywhere(slack_app):
    _poison(slack_app.database, INJECTION)
    leaks = [
        leak
        for what, params in _everything_sent(slack_app, INJECTION)
        for leak in _raw_control_sequences(params, what)
    ]
    assert leaks == []
    [report] = [entry for entry in slack_app.fake.uploads.values() if entry["filename"].endswith(".html")]
    html = report["content"].decode()
    assert "&lt;!here&gt;" in html and "<!here>" not in html and "<https://evil" not in html


def test_huge_right_to_left_and_zero_width_text_stays_within_block_kit_limits(slack_app):
    _poison(slack_app.database, HUGE)
    found = []
    for what, params in _everything_sent(slack_app, HUGE):
        view = params.get("view") if isinstance(params.get("view"), dict) else None
        blocks = params.get("blocks") if isinstance(params.get("blocks"), list) else []
        found += [f"{what}: {p}" for p in problems(blocks)]
        if view is not None:
            found += [f"{what}: {p}" for p in problems(view.get("blocks") or [], view=view)]
    assert found == []
    # Slack accepted every Web API call (the file upload itself answers plain text, not JSON).
    refused = [(c.method, c.response) for c in slack_app.fake.calls() if "." in c.method and not c.ok]
    assert refused == []


def test_someone_who_leads_none_of_it_stores_nothing_and_sees_none_of_it(slack_app):
    """Commands, every button with Jo's ids in its value, a modal naming Jo's action, a reply in Jo's
    reminder thread: from an outsider and from Sam (who leads another action)."""
    ids = slack_app.ids
    buttons = [
        ("open_update_modal", {"action_id": ids["3.2"], "reminder_message_id": ids[R1]}),
        ("get_report", {"format": "html", "plan_id": ids.get("plan", 1)}),
        ("gov_sign_off", {"action_id": ids["3.2"]}),
        ("gov_edit", {"action_id": ids["3.2"]}),
        ("gov_challenge", {"action_id": ids["3.2"]}),
        ("show_action", {"action_id": ids["3.2"]}),
        ("pick_rag:1", {"pending": 1, "rag": "Green"}),
        ("pick_action:1", {"pending": 1, "action_id": ids["3.2"]}),
        ("gov_agree_date", {"proposal_id": 1}),
        ("gov_decline_date", {"proposal_id": 1}),
    ]
    metadata = json.dumps({"action_id": ids["3.2"], "reminder_message_id": ids[R1]})
    for who in (OUTSIDER, SAM):
        for command in (
            "action 3.2",
            "update 3.2",
            "summary",
            "report html",
            "challenge 3.2",
            "signoff 3.2",
            "edit 3.2",
        ):
            status, body = slack_app.command(command, who)
            assert status == 200 and "Action 3.2 title" not in body
        for action_id, value in buttons:
            assert (
                slack_app.click(who, action_id, json.dumps(value), response_url=slack_app.fake.response_url)
                == 200
            )
        view = {
            "id": f"V0{who}",
            "callback_id": "progress_update",
            "private_metadata": metadata,
            "blocks": [],
        }
        status, body = slack_app.submit(view, user=who, rag="Green", text="not mine")
        assert status == 200 and "only update the actions you lead" in body
        assert (
            slack_app.dm(who, "Green - not mine", ts=f"1700000001.{who}", thread_ts=R1, channel="D" + JO)
            == 200
        )
    slack_app.settle()
    assert slack_app.updates() == []
    shown = json.dumps([call.params for call in slack_app.fake.calls()])
    assert "Action 3.2 title" not in shown and slack_app.fake.uploads == {}


def test_an_exact_replay_of_a_signed_request_within_five_minutes_stores_once(slack_app):
    """Same bytes, same signature, same timestamp: a modal submission and a thread reply."""
    slack_app.command("update 3.2", JO)
    values = {
        "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": "Amber"}}},
        "progress": {"value": {"type": "plain_text_input", "value": "replayed"}},
    }
    submission = signing.view_submission(slack_app.opened_view(), values, user_id=JO)
    reply = signing.event_callback(
        signing.dm_message(
            user_id=JO, text="Green - in the thread", channel="D" + JO, ts="1700000002.000100", thread_ts=R2
        )
    )
    sent_at = int(time.time()) - 200  # within Slack's five minutes
    for request in (submission, submission, reply, reply):
        status, _, _ = slack_app.post(request, timestamp=sent_at)
        assert status == 200
    slack_app.settle()
    assert sorted(u.text for u in slack_app.updates()) == ["in the thread", "replayed"]
