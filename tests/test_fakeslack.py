"""The fake Slack server answers a real slack_sdk WebClient the way Slack does."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack_client import make_client
from progressbot.config import Settings
from tests.support.fakeslack import FakeSlack
from tests.support.slack_signing import (
    block_actions,
    event_callback,
    signature,
    signed_headers,
    slash_command,
    view_submission,
)


@pytest.fixture
def client(fake_slack: FakeSlack):
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=fake_slack.url)
    return make_client(settings)


def test_auth_test_and_calls_are_recorded_with_headers(fake_slack, client):
    response = client.auth_test()
    assert response["user_id"] == "U0BOT"
    [call] = fake_slack.calls("auth.test")
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert call.ok


def test_post_message_to_user_opens_dm_and_returns_ts(fake_slack, client):
    dm = client.conversations_open(users="U123")["channel"]["id"]
    first = client.chat_postMessage(
        channel=dm, text="hello", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    )
    second = client.chat_postMessage(channel="U123", text="again")
    assert dm == "DU123"
    assert first["channel"] == second["channel"] == "DU123"
    assert first["ts"] < second["ts"]
    [call, _] = fake_slack.calls("chat.postMessage")
    assert call.params["blocks"][0]["text"]["text"] == "hi"
    assert [m["text"] for m in fake_slack.messages_to("DU123")] == ["hello", "again"]


def test_chat_update_changes_the_stored_message(fake_slack, client):
    sent = client.chat_postMessage(channel="DU1", text="before")
    client.chat_update(channel="DU1", ts=sent["ts"], text="Updated: Amber")
    assert fake_slack.messages_to("DU1")[0]["text"] == "Updated: Amber"
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="DU1", ts="1.2", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_message_limits_are_enforced(fake_slack, client):
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x", blocks=too_many)
    assert err.value.response["error"] == "invalid_blocks"
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x", blocks=long_section)


def test_every_block_kit_limit_is_enforced_as_slack_enforces_it(fake_slack, client):
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}}
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "actions", "elements": [button]}])
    assert err.value.response["error"] == "invalid_blocks"
    assert fake_slack.block_problems == ["blocks[0].elements[0].text[0]: 76 > 75"]
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * 25},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}],
    }
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="1.2.3", view=modal)
    assert err.value.response["error"] == "invalid_arguments"
    assert fake_slack.block_problems[-1] == "view.title[0]: 25 > 24"
    fine = {**modal, "title": {"type": "plain_text", "text": "t" * 24}}
    assert client.views_open(trigger_id="1.2.3", view=fine)["ok"]


def test_ephemeral_views_and_reactions(fake_slack, client):
    assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["ok"]
    view = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    opened = client.views_open(trigger_id="1.T.trigger", view=view)["view"]
    updated = client.views_update(view_id=opened["id"], view={**view, "callback_id": "cb2"})["view"]
    assert updated["id"] == opened["id"] and fake_slack.views[opened["id"]]["callback_id"] == "cb2"
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    client.views_publish(user_id="U1", view=home)
    assert fake_slack.home_views["U1"]["blocks"] == [{"type": "divider"}]
    assert client.reactions_add(channel="C1", name="white_check_mark", timestamp="1.1")["ok"]
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="expired.1", view=view)
    assert err.value.response["error"] == "expired_trigger_id"


def test_user_directory_lookup_info_and_paginated_list(fake_slack, client):
    fake_slack.seed_users(250)
    fake_slack.add_user("U9", "Jo Bloggs", email="Jo.Bloggs@example.org", tz="America/New_York")
    assert client.users_lookupByEmail(email="jo.bloggs@example.org")["user"]["id"] == "U9"
    assert client.users_info(user="U9")["user"]["tz"] == "America/New_York"
    with pytest.raises(SlackApiError) as err:
        client.users_lookupByEmail(email="nobody@example.org")
    assert err.value.response["error"] == "users_not_found"
    ids, cursor, pages = [], None, 0
    while True:
        page = client.users_list(limit=100, cursor=cursor)
        ids += [m["id"] for m in page["members"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(ids) == 251 and len(set(ids)) == 251


def test_files_upload_v2_round_trip(fake_slack, client):
    result = client.files_upload_v2(
        channel="DU1",
        content=b"%PDF-1.4 report",
        filename="report.pdf",
        title="Board report",
        initial_comment="Here it is",
    )
    file_id = result["files"][0]["id"] if "files" in result.data else result["file"]["id"]
    upload = fake_slack.uploads[file_id]
    assert upload["content"] == b"%PDF-1.4 report"
    assert upload["filename"] == "report.pdf" and upload["title"] == "Board report"
    assert upload["channel"] == "DU1" and upload["initial_comment"] == "Here it is"
    assert fake_slack.methods()[:3] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_fail_next_429_is_retried_by_the_client_after_retry_after(fake_slack, client):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    statuses = [c.status for c in fake_slack.calls("chat.postMessage")]
    assert statuses == [429, 200]
    assert fake_slack.calls("chat.postMessage")[0].response["error"] == "ratelimited"


def test_5xx_and_error_answers(fake_slack, client):
    fake_slack.fail_next("chat.postMessage", status=503)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 503
    fake_slack.fail_next("chat.postMessage", error="channel_not_found", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="x")
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_invalid_auth(fake_slack, client):
    fake_slack.invalid_auth()
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response["error"] == "invalid_auth"
    fake_slack.invalid_auth(False)
    assert client.auth_test()["ok"]


def test_rate_limit_window_answers_429_with_retry_after(fake_slack):
    no_retry = make_client(
        Settings(slack_bot_token="xoxb-t", slack_api_url=fake_slack.url), rate_limit_retries=0
    )
    fake_slack.rate_limit("chat.postMessage", 2, window=60, retry_after=7)
    no_retry.chat_postMessage(channel="C1", text="1")
    no_retry.chat_postMessage(channel="C1", text="2")
    with pytest.raises(SlackApiError) as err:
        no_retry.chat_postMessage(channel="C1", text="3")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] in ("7", ["7"])
    assert len(fake_slack.messages) == 2


def test_rate_limit_is_per_method(fake_slack, client):
    fake_slack.rate_limit("chat.postMessage", 1, window=60)
    client.chat_postMessage(channel="C1", text="1")
    assert client.conversations_open(users="U1")["ok"]


def test_reset_forgets_calls_and_scripts(fake_slack, client):
    fake_slack.fail_next("auth.test", status=500)
    client.chat_postMessage(channel="C1", text="1")
    fake_slack.reset()
    assert fake_slack.calls() == []
    assert client.auth_test()["ok"]


def test_signature_matches_slack_recipe():
    body = b"token=x&text=hello"
    expected = "v0=" + hmac.new(b"secret", b"v0:1531420618:" + body, hashlib.sha256).hexdigest()
    assert signature("secret", 1531420618, body) == expected
    headers = signed_headers(
        "secret", body, "application/x-www-form-urlencoded", timestamp=1531420618, retry_num=1
    )
    assert headers["X-Slack-Signature"] == expected
    assert headers["X-Slack-Request-Timestamp"] == "1531420618"
    assert headers["X-Slack-Retry-Num"] == "1"


def test_payload_builders_are_shaped_like_slack():
    import json
    from urllib.parse import parse_qs

    cmd = parse_qs(slash_command("update 3.2", user_id="U1").body.decode())
    assert cmd["command"] == ["/progress"] and cmd["text"] == ["update 3.2"] and cmd["trigger_id"]
    click = json.loads(
        parse_qs(block_actions(user_id="U1", action_id="a", value="v").body.decode())["payload"][0]
    )
    assert click["type"] == "block_actions" and click["actions"][0]["value"] == "v"
    view = {"id": "V1", "callback_id": "cb", "private_metadata": "{}", "blocks": []}
    sub = json.loads(
        parse_qs(
            view_submission(
                view, {"b": {"a": {"type": "plain_text_input", "value": "x"}}}, user_id="U1"
            ).body.decode()
        )["payload"][0]
    )
    assert sub["view"]["state"]["values"]["b"]["a"]["value"] == "x" and sub["view"]["id"] == "V1"
    event = json.loads(event_callback({"type": "app_home_opened", "user": "U1"}, event_id="Ev1").body)
    assert event["type"] == "event_callback" and event["event_id"] == "Ev1"


def test_settings_url_keeps_trailing_slash(fake_slack):
    settings = dataclasses.replace(Settings(), slack_api_url=fake_slack.url)
    assert settings.slack_api_url.endswith("/api/")


def test_conversations_history_returns_recent_messages_with_metadata(fake_slack, client):
    metadata = {"event_type": "progressbot_reminder", "event_payload": {"reminder_message_id": 5}}
    client.chat_postMessage(channel="DU1", text="old")
    sent = client.chat_postMessage(channel="DU1", text="new", metadata=metadata)
    client.chat_postMessage(channel="DU2", text="elsewhere")
    history = client.conversations_history(channel="DU1", oldest=sent["ts"], include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["new"]
    assert history["messages"][0]["metadata"] == metadata
    plain = client.conversations_history(channel="DU1")
    assert [m["text"] for m in plain["messages"]] == ["new", "old"]
    assert "metadata" not in plain["messages"][0]


def test_manifest_asks_for_exactly_the_scopes_used():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "manifest.yml").read_text()
    scopes_part = text.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    scopes = [line.strip()[2:] for line in scopes_part.splitlines() if line.strip().startswith("- ")]
    assert scopes == [
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "users:read",
        "users:read.email",
        "files:write",
    ]
    for needed in (
        "command: /progress",
        "should_escape: true",
        "home_tab_enabled: true",
        "app_home_opened",
        "message.im",
        "socket_mode_enabled: true",
    ):
        assert needed in text
    assert "interactivity:\n    is_enabled: true" in text


def test_acknowledgements_are_checked_as_slack_checks_them():
    from tests.support.blockkit import ack_problems

    section = {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Update"}, "blocks": [section]}
    assert ack_problems("") == []
    assert ack_problems("plain text reply") == []
    assert ack_problems(json.dumps({"response_action": "update", "view": modal})) == []
    assert ack_problems(json.dumps({"response_action": "errors", "errors": {"progress": "Too long"}})) == []
    too_many = {**modal, "blocks": [section] * 101}
    assert ack_problems(json.dumps({"response_action": "update", "view": too_many})) == [
        "view has 101 blocks (limit 100)"
    ]
    long_title = {**modal, "title": {"type": "plain_text", "text": "x" * 25}}
    assert ack_problems(json.dumps({"response_action": "push", "view": long_title}))
    assert ack_problems(json.dumps({"response_action": "errors", "errors": {}})) == [
        "response_action errors without an errors object"
    ]
    assert ack_problems(json.dumps({"response_action": "close"})) == ["unknown response_action 'close'"]
    assert ack_problems(json.dumps({"text": "x", "blocks": [section] * 51})) == [
        "message has 51 blocks (limit 50)"
    ]
    assert ack_problems(json.dumps({"text": "x" * 40_001})) == ["text of 40001 characters (limit 40000)"]
    assert ack_problems(json.dumps({"text": "x", "response_type": "public"})) == [
        "unknown response_type 'public'"
    ]
