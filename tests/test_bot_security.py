"""Signatures, escaping, limits, secrets in logs, an unreachable database, Slack's 429."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.wsgi import database_health, make_server, make_wsgi_app
from storage.models import ProcessedEvent
from tests.support import slack_signing as signing
from tests.support.bot_harness import JO, R2, SECRET


def test_forged_signature_is_refused_with_401(slack_app):
    request = signing.slash_command("mine", user_id=JO)
    status, _, _ = slack_app.post(request, signature_override="v0=" + "0" * 64)
    assert status == 401
    status, _, _ = signing.post(slack_app.url, request, "not-the-secret")
    assert status == 401
    assert slack_app.fake.calls() == []


def test_stale_timestamp_is_refused_with_401(slack_app):
    request = signing.slash_command("mine", user_id=JO)
    status, _, _ = slack_app.post(request, timestamp=int(time.time()) - 6 * 60)
    assert status == 401
    status, _, _ = slack_app.post(request, timestamp=int(time.time()) - 60)
    assert status == 200


def test_tampered_body_is_refused(slack_app):
    request = signing.slash_command("mine", user_id=JO)
    headers_for_original = signing.signed_headers(SECRET, request.body, request.content_type)
    tampered = signing.Request(request.body.replace(b"U0JO", b"U0AD"), request.content_type)
    status, _, _ = slack_app.post(
        tampered,
        signature_override=headers_for_original["X-Slack-Signature"],
        timestamp=int(headers_for_original["X-Slack-Request-Timestamp"]),
    )
    assert status == 401


def test_healthz(slack_app):
    import urllib.request

    with urllib.request.urlopen(slack_app.url.replace("/slack/events", "/healthz"), timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read()) == {"ok": True}


def test_channel_mentions_in_updates_never_ping(slack_app):
    text = "<!channel> look & see <@U0SAM> <https://evil.example|click>"
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text=text)
    [update] = slack_app.updates()
    assert update.text == text  # stored as typed
    [confirmation] = slack_app.fake.wait_for("chat.postMessage")
    shown = json.dumps(confirmation.params)
    assert "<!channel>" not in shown and "<@U0SAM>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt; look &amp; see &lt;@U0SAM&gt;" in shown
    for answer in (slack_app.ack_json("action 3.2", JO), slack_app.ack_json("mine", JO)):
        assert "<!channel>" not in json.dumps(answer) and "&lt;!channel&gt;" in json.dumps(answer)
    # The update's own Home refresh may already have published: wait for the one opening the tab asks for.
    before = slack_app.fake.call_count("views.publish")
    slack_app.post(signing.event_callback(signing.app_home_opened(user_id=JO)))
    homes = slack_app.fake.wait_for("views.publish", count=before + 1)
    for home in homes:
        assert "<!channel>" not in json.dumps(home.params["view"])
    # The modal opened later shows the last update escaped too.
    slack_app.command("update 3.2", JO)
    assert "<!channel>" not in json.dumps(slack_app.opened_view()["blocks"])


def test_over_long_command_is_refused_naming_the_limit(slack_app):
    answer = slack_app.ack_json("summary section " + "x" * 600, JO)
    assert "the limit is 500" in answer["text"]


def test_over_long_progress_is_refused_even_if_the_client_allowed_it(slack_app):
    slack_app.command("update 3.2", JO)
    _status, body = slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="y" * 5000)
    assert "the limit is 3,000" in json.loads(body)["errors"]["progress"]
    assert slack_app.updates() == []


def test_no_token_or_signing_secret_in_logs(slack_app, caplog):
    caplog.set_level(logging.DEBUG)
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="fine")
    slack_app.fake.wait_for("chat.postMessage")
    logging.getLogger("test").info("token is %s", "xoxb-test-token")
    assert caplog.records  # slack_sdk logged its requests at DEBUG
    assert "xoxb-test-token" not in caplog.text
    assert SECRET not in caplog.text
    assert "[redacted]" in caplog.text


def test_a_logged_traceback_is_cleaned_like_the_message(slack_app, caplog):
    """An exception's text is not ours: a token, a form link or a URL's password in it must not reach
    the log through the traceback (the record's message was already cleaned; its traceback was not)."""
    caplog.set_level(logging.INFO)
    try:
        raise RuntimeError(
            "failed: xoxb-test-token /u/v1.1.1.1.AAAAAAAAAAA.BBBBBBBBBB postgresql://u:dbpass99@h/db"
        )
    except RuntimeError:
        logging.getLogger("test").exception("sending failed")
    try:
        raise RuntimeError(f"signing secret {SECRET}")
    except RuntimeError:
        logging.getLogger("test").warning("with stack", exc_info=True, stack_info=True)
    assert "Traceback" in caplog.text and "RuntimeError: failed:" in caplog.text
    for leaked in ("xoxb-test-token", "AAAAAAAAAAA", "dbpass99", SECRET):
        assert leaked not in caplog.text, leaked


def test_slack_429_is_answered_by_waiting_and_retrying(slack_app):
    slack_app.fake.fail_next("chat.postMessage", status=429, retry_after=0)
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Green", text="on track")
    calls = slack_app.fake.wait_for("chat.postMessage", 2)
    assert [c.status for c in calls] == [429, 200]
    assert len(slack_app.updates()) == 1


def test_slack_failing_after_the_update_was_stored_still_tells_the_person_nothing_false(slack_app):
    slack_app.fake.fail_next("views.open", error="expired_trigger_id")
    slack_app.command("update 3.2", JO)
    [told] = slack_app.fake.wait_for("response_url")
    assert "expired_trigger_id" in told.params["text"]


@pytest.fixture
def app_with_broken_database(fake_slack, settings, tmp_path):
    from storage.db import create_db_engine, make_session_factory

    broken = create_db_engine(f"sqlite:///{tmp_path}/missing-dir/nope.db")
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    factory = make_session_factory(broken)
    app = create_app(settings, factory)
    server = make_server(make_wsgi_app(app, health=database_health(factory)), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()
    app.progressbot_shutdown(5)
    broken.dispose()


def test_database_down_means_try_again(app_with_broken_database, fake_slack):
    import urllib.error
    import urllib.request

    url = app_with_broken_database
    with pytest.raises(urllib.error.HTTPError) as health:
        urllib.request.urlopen(url.replace("/slack/events", "/healthz"), timeout=5)
    assert health.value.code == 503
    status, _, body = signing.post(url, signing.slash_command("mine", user_id=JO), SECRET)
    assert status == 200 and "try again" in json.loads(body)["text"]
    opened = WebClient(token="xoxb-test", base_url=fake_slack.url).views_open(
        trigger_id="1.T.trigger",
        view={
            "type": "modal",
            "callback_id": "progress_update",
            "blocks": [],
            "title": {"type": "plain_text", "text": "Update 3.2"},
            "private_metadata": json.dumps({"action_id": 1}),
        },
    )["view"]
    values = {
        "rag": {"value": {"selected_option": {"value": "Amber"}}},
        "progress": {"value": {"value": "my careful words"}},
    }
    status, _, body = signing.post(url, signing.view_submission(opened, values, user_id=JO), SECRET)
    # Nothing could be stored, so the acknowledgement says so next to the field; the form stays open
    # with everything typed, ready to submit again.
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert "try again" in answer["errors"]["progress"]


def test_database_failing_mid_event_rolls_back_and_a_retry_succeeds(slack_app, monkeypatch):
    import bot.updating

    real = bot.updating.insert_update
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return real(*args, **kwargs)

    monkeypatch.setattr(bot.updating, "insert_update", flaky)
    slack_app.dm(JO, "Green – done", ts="1700002000.000001", thread_ts=R2, event_id="Ev0FLAKY")
    [told] = slack_app.fake.wait_for("chat.postMessage")
    assert "try again" in told.params["text"] and told.params["thread_ts"] == R2
    assert slack_app.updates() == []
    with slack_app.database.session_factory() as session:
        assert session.scalars(select(ProcessedEvent)).all() == []  # rolled back with the failed work
    # Slack retries the event (we answered 200, but a person re-sending works the same way).
    slack_app.dm(JO, "Green – done", ts="1700002000.000001", thread_ts=R2, event_id="Ev0FLAKY", retry_num=1)
    slack_app.fake.wait_for("chat.postMessage", 2)
    assert [u.rag for u in slack_app.updates()] == ["Green"]
