"""The bot's WebClient keeps its connection to Slack open, and never sends a call twice because of it."""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import outbox
from bot import slack_client as transport
from bot.slack_client import KeepAliveWebClient, make_client
from progressbot.config import Settings
from tests.support.fakeslack import FakeSlack
from tests.support.waiting import wait_until


def _client(fake: FakeSlack, **kwargs) -> KeepAliveWebClient:
    client = make_client(Settings(slack_bot_token="xoxb-test", slack_api_url=fake.url), **kwargs)
    assert isinstance(client, KeepAliveWebClient)
    return client


def _post(client: WebClient, n: int = 0):
    return client.chat_postMessage(channel="U1", text=f"message {n}")


def _pooled(client: KeepAliveWebClient) -> http.client.HTTPConnection:
    [(conn, _last_used, _pid)] = client._local.conns.values()
    return conn


def test_many_calls_share_one_connection(fake_slack: FakeSlack):
    client = _client(fake_slack)
    for n in range(20):
        assert _post(client, n)["ok"]
    assert fake_slack.connections == 1
    assert [m["text"] for m in fake_slack.messages] == [f"message {n}" for n in range(20)]

    stock = WebClient(token="xoxb-test", base_url=fake_slack.url)  # what slack_sdk does by itself
    for n in range(3):
        stock.chat_postMessage(channel="U1", text=f"stock {n}")
    assert fake_slack.connections == 1 + 3


def test_a_connection_the_server_closed_while_idle_is_replaced_before_writing(fake_slack: FakeSlack):
    client = _client(fake_slack, connection_retries=0)
    _post(client, 1)
    wait_until(lambda: fake_slack.idle_connections() == 1, what="the fake to finish answering")
    assert fake_slack.close_idle_connections() == 1
    wait_until(lambda: not transport._usable(_pooled(client)), what="the client to see the hang-up")
    assert _post(client, 2)["ok"]
    assert fake_slack.connections == 2
    assert [m["text"] for m in fake_slack.messages] == ["message 1", "message 2"]


def test_a_pooled_connection_that_fails_while_the_request_is_written_is_replaced(
    fake_slack: FakeSlack, monkeypatch
):
    """The request never reached Slack whole, so it is written again on a new connection."""
    client = _client(fake_slack, connection_retries=0)  # slack_sdk's own retry is not what saves it
    _post(client, 1)
    # The connection dies between the check and the write (the check cannot see the future).
    _pooled(client).sock.shutdown(socket.SHUT_WR)
    monkeypatch.setattr(transport, "_usable", lambda conn: True)
    assert _post(client, 2)["ok"]
    assert [m["text"] for m in fake_slack.messages] == ["message 1", "message 2"]
    assert fake_slack.call_count("chat.postMessage") == 2


def test_a_connection_inherited_through_fork_is_left_to_the_parent(fake_slack: FakeSlack, monkeypatch):
    client = _client(fake_slack)
    _post(client, 1)
    inherited = _pooled(client)
    monkeypatch.setattr(transport.os, "getpid", lambda: -1)  # as in a child after fork
    _post(client, 2)
    assert fake_slack.connections == 2
    assert inherited.sock is not None  # not closed: the socket is the parent's too


def test_a_new_connection_that_cannot_be_made_is_urllibs_error(fake_slack: FakeSlack):
    """``URLError`` means Slack never got the request: the reminder sender relies on that."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    client = make_client(
        Settings(slack_bot_token="xoxb-test", slack_api_url=f"http://127.0.0.1:{closed_port}/api/"),
        connection_retries=0,
    )
    with pytest.raises(URLError):
        _post(client)


def test_an_answer_lost_after_the_request_was_sent_is_raised_not_resent(fake_slack: FakeSlack):
    client = _client(fake_slack)  # with the usual connection retries
    _post(client, 1)
    fake_slack.fail_next("chat.postMessage", disconnect=True, accepted=True)
    with pytest.raises(OSError) as raised:
        _post(client, 2)
    assert not isinstance(raised.value, URLError)
    assert fake_slack.call_count("chat.postMessage") == 2  # not sent again by slack_sdk
    assert [m["text"] for m in fake_slack.messages] == ["message 1", "message 2"]
    # The outbox keeps the row and tries later, with backoff, as for any connection error.
    retry = outbox.classify(raised.value, attempts=1)
    assert retry is not None and not retry.done and retry.delay >= 1
    assert _post(client, 3)["ok"]  # and the next call gets a new connection


def test_rate_limits_and_server_errors_are_slack_sdks_as_before(fake_slack: FakeSlack):
    client = _client(fake_slack)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0)
    assert _post(client, 1)["ok"]  # slack_sdk waited for Retry-After and tried again
    assert fake_slack.call_count("chat.postMessage") == 2
    answers = []
    for each in (client, WebClient(token="xoxb-test", base_url=fake_slack.url)):
        fake_slack.fail_next("chat.postMessage", status=503)
        with pytest.raises(SlackApiError) as raised:
            _post(each, 2)
        answers.append((raised.value.response.status_code, raised.value.response.data))
    assert answers[0] == answers[1] and answers[0][0] == 503  # read as slack_sdk reads it over urllib
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as raised:
        _post(client, 3)
    assert raised.value.response["error"] == "channel_not_found"
    assert fake_slack.connections == 1 + 1  # every answer kept the connection (1 is the stock client's)


def test_with_a_proxy_the_stock_transport_is_used(fake_slack: FakeSlack):
    """The fake answers proxy-style requests too, so it stands in for the proxy."""
    client = KeepAliveWebClient(
        token="xoxb-test", base_url="http://slack.invalid/api/", proxy=fake_slack.base
    )
    for n in range(3):
        assert _post(client, n)["ok"]
    assert fake_slack.connections == 3  # urllib's one connection per call, through the proxy


def test_https_uses_the_clients_tls_context():
    context = ssl.create_default_context()
    client = KeepAliveWebClient(token="xoxb-test", base_url="https://slack.example/api/", ssl=context)
    conn, reused = client._connection(("https", "slack.example"))
    assert isinstance(conn, http.client.HTTPSConnection) and not reused
    assert conn._context is context and conn.host == "slack.example" and conn.port == 443


@pytest.mark.parametrize(
    "value",
    [
        "application/json; charset=utf-8",
        'text/plain; CHARSET="ISO-8859-1"',
        "application/gzip",
        "",
        "text/html",
    ],
)
def test_content_type_is_read_as_urllib_reads_it(value):
    message = http.client.HTTPMessage()
    if value:
        message["Content-Type"] = value
    mime, charset = transport._content_type(value)
    assert charset == message.get_content_charset()
    assert (mime == "application/gzip") == (message.get_content_type() == "application/gzip")
