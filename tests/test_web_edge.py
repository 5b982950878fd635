"""Verify at the edge: size, time, signature and shape are checked before Bolt sees a request, and no
error path can answer to an address taken from a request that was not verified (issue 9, items 1-3)."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest

from bot.app import create_app
from bot.edge import signature_ok, well_formed
from bot.listeners.errors import handle_error
from bot.verified import VERIFIED, Verified, verified_of
from bot.wsgi import make_server, make_wsgi_app
from tests.support import slack_signing as signing
from tests.support.bot_harness import BOARD, JO, R2, SECRET, seed


def raw_post(url: str, head: bytes, body: bytes = b"", *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send exactly these bytes (headers may lie about the body) and read the status line."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(head + body)
        received = b""
        while b"\r\n" not in received:
            chunk = conn.recv(4096)
            if not chunk:
                break
            received += chunk
    return int(received.split(b" ", 2)[1]), received


def request_head(url: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {urlsplit(url).path} HTTP/1.1", f"Host: {urlsplit(url).netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()  # UTF-8: a server reads odd bytes as latin-1


def attacker_body(fake_url: str) -> bytes:
    """A body full of addresses an attacker chose: a response_url, a channel, a user."""
    payload = {
        "type": "block_actions",
        "user": {"id": JO},
        "channel": {"id": "C0ATTACKER"},
        "response_url": fake_url.replace("/api/", "/respond/attacker"),
        "actions": [{"action_id": "pick_rag:0", "value": "{}"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


# --- item 1: nothing of an unverified request is used ------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    ["not-a-number", "", "1e9", "１２３", str(int(time.time()) - 600), "9" * 40],
)
def test_a_request_that_fails_verification_gets_401_and_nothing_else_happens(slack_app, timestamp):
    body = attacker_body(slack_app.fake.url)
    head = request_head(
        slack_app.url,
        {
            "Content-Type": signing.FORM,
            "Content-Length": str(len(body)),
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signing.signature(SECRET, timestamp, body),  # right secret, bad timestamp
        },
    )
    status, _ = raw_post(slack_app.url, head, body)
    assert status == 401
    slack_app.command("help", JO)  # a later, signed request is answered, so the app had its chance
    assert slack_app.fake.calls("response_url") == []
    assert [c.method for c in slack_app.fake.calls() if c.method != "auth.test"] == []
    assert slack_app.outbox_rows() == 0 and slack_app.updates() == []


def test_the_error_handler_cannot_answer_an_unverified_request(slack_app):
    """Bolt's own verifier raising (the original bug) reaches the handler with no ``Verified``: 401."""
    services = slack_app.app.progressbot_services
    response = handle_error(services, ValueError("invalid literal for int()"), None, acknowledged=False)
    assert response.status == 401 and response.body == ""
    services.shutdown(5)
    assert slack_app.fake.calls() == []


def test_verified_is_made_only_by_the_edge_or_the_socket(slack_app):
    assert verified_of({}) is None
    assert verified_of({VERIFIED: {"kind": "command", "response_url": "https://evil"}}) is None  # not forged
    made = Verified.of({"type": "block_actions", "user": "not-a-dict", "channel": ["x"], "message": 3})
    assert (made.kind, made.user_id, made.channel, made.thread_ts) == ("block_actions", None, None, None)


def test_bolt_still_refuses_a_forged_request_that_reaches_it_without_the_edge(settings, database, fake_slack):
    from slack_bolt.request import BoltRequest

    app = create_app(dataclasses.replace(settings, slack_api_url=fake_slack.url), database.session_factory)
    body = attacker_body(fake_slack.url).decode()
    response = app.dispatch(
        BoltRequest(
            body=body,
            headers={
                "content-type": signing.FORM,
                "x-slack-request-timestamp": "nope",
                "x-slack-signature": "v0=0",
            },
        )
    )
    app.progressbot_shutdown(5)
    assert response.status == 401
    assert fake_slack.calls("response_url") == [] and fake_slack.calls("chat.postMessage") == []


# --- item 2: size and time ----------------------------------------------------------------------------


def test_a_declared_body_over_1_mb_is_refused_before_it_is_read(slack_app):
    head = request_head(
        slack_app.url,
        {"Content-Type": signing.JSON, "Content-Length": str(100 * 1024 * 1024), "X-Slack-Signature": "v0=1"},
    )
    status, _ = raw_post(slack_app.url, head)  # no body sent at all: the answer cannot have waited for it
    assert status == 413


def test_the_cap_is_1_mb_exactly(slack_app):
    head = request_head(slack_app.url, {"Content-Type": signing.FORM, "Content-Length": str(1024 * 1024 + 1)})
    assert raw_post(slack_app.url, head)[0] == 413
    fields = {"command": "/progress", "text": "help", "user_id": JO, "pad": "x" * (1024 * 1024 - 200)}
    near_the_cap = signing.Request(urlencode(fields).encode(), signing.FORM)
    assert len(near_the_cap.body) <= 1024 * 1024
    status, _, body = slack_app.post(near_the_cap)
    assert status == 200 and "/progress update 3.2" in body  # read whole, verified, answered


@pytest.fixture
def quick_timeout_app(fake_slack, database, settings):
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    app = create_app(settings, database.session_factory)
    server = make_server(make_wsgi_app(app, read_timeout=0.3), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()
    app.progressbot_shutdown(5)


def test_a_client_that_declares_more_than_it_sends_is_cut_off_at_the_deadline(quick_timeout_app):
    url = quick_timeout_app
    head = request_head(
        url, {"Content-Type": signing.JSON, "Content-Length": "500000", "X-Slack-Signature": "v0=1"}
    )
    started = time.monotonic()
    status, _ = raw_post(url, head, b'{"token":', timeout=10)
    assert status == 408
    assert time.monotonic() - started < 5  # the read deadline (0.3 s here), not the client, ended it
    # and the server still answers others
    assert signing.post(url, signing.slash_command("help", user_id=JO), SECRET)[0] == 200


def test_a_trickling_client_cannot_extend_the_deadline(quick_timeout_app):
    url = quick_timeout_app
    parts = urlsplit(url)
    head = request_head(
        url, {"Content-Type": signing.JSON, "Content-Length": "1000", "X-Slack-Signature": "v0=1"}
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(head)
        answer = b""
        conn.settimeout(0.05)
        deadline = time.monotonic() + 8
        while b"\r\n" not in answer and time.monotonic() < deadline:
            try:
                conn.sendall(b" ")  # one byte at a time, always within any per-read timeout
                answer += conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
    assert answer.startswith(b"HTTP/1.0 408") or answer.startswith(b"HTTP/1.1 408"), answer[:40]


# --- item 3: 401 for garbage, 400 for signed garbage, never 500 ------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", signing.JSON),
        (b"\xff\xfe\x00garbage", signing.JSON),
        (b"payload=%7Bnot-json", signing.FORM),
        (b"", signing.JSON),
    ],
)
def test_unsigned_garbage_is_401(slack_app, body, content_type):
    head = request_head(slack_app.url, {"Content-Type": content_type, "Content-Length": str(len(body))})
    assert raw_post(slack_app.url, head, body)[0] == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", signing.JSON),
        (b"\xff\xfe\x00garbage", signing.JSON),
        (b"payload=%7Bnot-json", signing.FORM),
        (b"payload=%5B1%2C2%5D", signing.FORM),  # a JSON list, not an object
        (json.dumps({"type": "event_callback", "event": "message"}).encode(), signing.JSON),
        (
            json.dumps({"type": "event_callback", "event": {"type": "message", "user": ["U1"]}}).encode(),
            signing.JSON,
        ),
        (
            urlencode({"payload": json.dumps({"type": "block_actions", "user": "U0JO"})}).encode(),
            signing.FORM,
        ),
        (
            urlencode(
                {"payload": json.dumps({"type": "view_submission", "user": {"id": JO}, "view": []})}
            ).encode(),
            signing.FORM,
        ),
        # A view without its type (Bolt's matcher reads view["type"] unguarded), or with odd types.
        (
            urlencode(
                {
                    "payload": json.dumps(
                        {
                            "type": "view_submission",
                            "user": {"id": JO},
                            "view": {"callback_id": "progress_update", "state": {"values": {}}},
                        }
                    )
                }
            ).encode(),
            signing.FORM,
        ),
        (
            urlencode(
                {"payload": json.dumps({"type": "view_submission", "user": {"id": JO}, "view": {"type": 7}})}
            ).encode(),
            signing.FORM,
        ),
        (
            urlencode({"payload": json.dumps({"type": "view_closed", "user": {"id": JO}})}).encode(),
            signing.FORM,
        ),
        (
            urlencode(
                {"payload": json.dumps({"type": "shortcut", "user": {"id": JO}, "callback_id": 3})}
            ).encode(),
            signing.FORM,
        ),
    ],
)
def test_signed_but_malformed_is_400_never_500(slack_app, body, content_type):
    status, _, text = slack_app.post(signing.Request(body, content_type))
    assert status == 400, text
    assert slack_app.fake.calls("response_url") == [] and slack_app.fake.calls("chat.postMessage") == []


def test_well_formed_and_signature_checks_in_detail():
    assert well_formed({"command": "/progress", "user_id": "U1", "text": "help"})
    assert not well_formed({"command": "/progress", "user_id": None})
    assert not well_formed({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"value": 3}]})
    assert well_formed({"type": "url_verification", "challenge": "x"})
    assert not well_formed([])
    now = time.time()
    ts = str(int(now))
    body = b"x=1"
    good = signing.signature("s", ts, body)
    env = {"HTTP_X_SLACK_REQUEST_TIMESTAMP": ts, "HTTP_X_SLACK_SIGNATURE": good}
    assert signature_ok(b"s", env, body, now)
    assert not signature_ok(b"s", {**env, "HTTP_X_SLACK_SIGNATURE": good + "\u00e9"}, body, now)
    assert not signature_ok(b"", env, body, now)  # no secret configured: nothing verifies
    assert not signature_ok(b"s", env, body + b" ", now)


def test_a_verified_error_still_answers_the_person(slack_app):
    """The other side of item 1: a verified request that fails is told, where Slack said."""
    from sqlalchemy.exc import OperationalError

    import bot.updating

    def down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    original = bot.updating.insert_update
    bot.updating.insert_update = down
    try:
        assert slack_app.dm(JO, "Green – done", ts="1700003000.000001", thread_ts=R2) == 200
    finally:
        bot.updating.insert_update = original
    [told] = slack_app.fake.wait_for("chat.postMessage")
    assert "try again" in told.params["text"] and told.params["thread_ts"] == R2


def test_socket_mode_requests_are_verified_by_the_socket(settings, database, fake_slack):
    """No signature over Socket Mode: the WebSocket is authenticated, so errors are still told."""
    from slack_bolt.request import BoltRequest

    with database.session_factory.begin() as session:
        seed(session)
    app = create_app(
        dataclasses.replace(settings, slack_api_url=fake_slack.url),
        database.session_factory,
        socket_mode=True,
    )
    body = {
        "command": "/progress",
        "text": "action &lt;!channel&gt;",
        "user_id": JO,
        "response_url": fake_slack.response_url,
        "trigger_id": "1.2.3",
    }
    try:
        response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    finally:
        app.progressbot_shutdown(5)
    answer = json.loads(response.body)
    assert response.status == 200 and "No action '&lt;!channel&gt;'" in answer["text"]


@pytest.mark.parametrize(
    "elsewhere",
    [
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
        "http://127.0.0.1:6379/",  # something on the server itself
        "https://hooks.slack.com.evil.example/commands/T/1/x",
        "https://hooks.slack.com@evil.example/x",
        "https://evil.example/hooks.slack.com/x",
    ],
)
def test_a_signed_request_naming_a_response_url_outside_slack_is_400_and_never_posted_to(
    slack_app, elsewhere
):
    """Bolt's ``respond`` and the error path post (without a token) to the request's response_url. The
    request is signed, so only someone with the signing secret could send this; they must not gain a
    client that posts wherever they like from inside our network."""
    requests = [
        signing.slash_command("action 9.9", user_id=JO, response_url=elsewhere),
        signing.block_actions(user_id=JO, action_id="get_report", value="html", response_url=elsewhere),
        _with_response_urls(
            signing.view_submission({"callback_id": "progress_update"}, {}, user_id=JO), elsewhere
        ),
    ]
    for request in requests:
        status, _, _ = slack_app.post(request)
        assert status == 400
    slack_app.settle()
    assert [c.method for c in slack_app.fake.calls() if c.method != "auth.test"] == []
    # Slack's own response_urls, and the configured Slack API's host (the fake here), still work.
    assert slack_app.command("action 9.9", JO)[0] == 200
    status, _, _ = slack_app.post(
        signing.slash_command("action 9.9", user_id=JO, response_url=slack_app.fake.response_url)
    )
    assert status == 200


def test_before_this_check_the_bot_posted_to_a_response_url_anywhere(slack_app):
    """The same attack against a listening server: it hears nothing."""
    from tests.support.fakeslack import FakeSlack

    with FakeSlack() as elsewhere:
        status, _, _ = slack_app.post(
            signing.slash_command("summary", user_id=BOARD, response_url=elsewhere.response_url)
        )
        slack_app.settle()  # a summary is answered through the response_url, after the ack
        assert status == 400 and elsewhere.calls() == []


def test_answer_urls_are_read_from_every_place_slack_puts_them():
    from bot.edge import SLACK_RESPONSE_ORIGINS, answers_to_slack

    ok = "https://hooks.slack.com/app/T0/1/x"
    assert answers_to_slack({"response_url": ok}, SLACK_RESPONSE_ORIGINS)
    assert answers_to_slack(
        {"response_urls": [{"response_url": ok}], "response_url": ""}, SLACK_RESPONSE_ORIGINS
    )
    assert not answers_to_slack(
        {"response_urls": [{"response_url": "https://evil.example/"}]}, SLACK_RESPONSE_ORIGINS
    )
    assert not answers_to_slack({"response_url": ["https://hooks.slack.com/x"]}, SLACK_RESPONSE_ORIGINS)


def _with_response_urls(request: signing.Request, url: str) -> signing.Request:
    """A modal submission as Slack sends it when the modal asked for a response_url."""
    from urllib.parse import parse_qs

    payload = json.loads(parse_qs(request.body.decode())["payload"][0])
    payload["response_urls"] = [{"block_id": "b", "action_id": "a", "channel_id": "C0", "response_url": url}]
    return signing.Request(urlencode({"payload": json.dumps(payload)}).encode(), request.content_type)


@pytest.mark.parametrize(
    ("body", "decoded_in_c"),
    [
        (
            urlencode(
                {"payload": json.dumps({"type": "view_submission", "t": 'a+b & "c" 100% é 😀 \\ <x>'})}
            ),
            True,
        ),
        (urlencode({"payload": json.dumps({"t": "é"}, ensure_ascii=False)}), True),
        ("payload=%7B%22a%22%3A+1%7D", True),
        ("payload=%7b%22a%22%3a%221%2b1%22%7d", True),  # lower-case escapes
        ("payload=%7B%22a%22%3A%22%C3%28%22%7D", True),  # not UTF-8 once decoded: replaced, as parse_qsl does
        ("payload=%7B%22a%22%3A%22%ZZ%22%7D", False),  # a malformed escape
        ("payload=%7B%22a%22%3A1%7D%2", False),  # cut short
        ('payload={"a":"x\\\\y"}', False),  # a backslash of its own
        ("payload=%7B%7D&other=1", False),  # more than one field
        ("token=x&payload=%7B%7D", False),
        ("payload=", True),
        ("command=%2Fprogress&text=a%2Bb+c", False),
    ],
)
def test_the_edge_decodes_forms_exactly_as_bolts_parser(body, decoded_in_c):
    from slack_bolt.request.internals import parse_body

    from bot.edge import form_payload

    payload = form_payload(body)
    assert (payload is not None) == decoded_in_c
    try:
        expected = parse_body(body, "application/x-www-form-urlencoded")
    except ValueError:
        with pytest.raises(ValueError):
            json.loads(payload if payload is not None else "")
        return
    if payload is not None:
        assert json.loads(payload) == expected
