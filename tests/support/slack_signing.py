"""Build and sign requests exactly as Slack sends them to an app (for tests and benchmarks/ack.py).

Slack signs ``v0:{timestamp}:{raw body}`` with HMAC-SHA256 keyed by the signing secret and sends
``X-Slack-Request-Timestamp`` and ``X-Slack-Signature: v0=<hex>``. Payload helpers return the raw body
(bytes) and its content type, shaped like the real thing:

- slash commands: ``application/x-www-form-urlencoded`` form fields;
- interactivity (block_actions, view_submission): a form with one field, ``payload=<JSON>``;
- the Events API: a JSON ``event_callback`` envelope with ``event_id``.

``post(url, body, content_type, secret, ...)`` sends one request and returns (status, headers, text).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

TEAM_ID = "T0FAKE"
API_APP_ID = "A0PROGRESS"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_counter = itertools.count(1)


def signature(secret: str, timestamp: str | int, body: bytes | str) -> str:
    raw = body.encode() if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: bytes | str,
    content_type: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """Headers Slack would send with ``body``; ``timestamp`` defaults to now (Slack's clock)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(secret, ts, body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


@dataclass
class Request:
    body: bytes
    content_type: str


def _trigger_id() -> str:
    return f"{next(_counter)}.{TEAM_ID}.trigger"


def slash_command(
    text: str,
    *,
    user_id: str,
    command: str = "/progress",
    user_name: str = "",
    channel_id: str = "C0GENERAL",
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> Request:
    fields = {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": "general",
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{TEAM_ID}/{next(_counter)}/x",
        "trigger_id": trigger_id or _trigger_id(),
    }
    return Request(urlencode(fields).encode(), FORM)


def _interactive(payload: dict[str, Any]) -> Request:
    return Request(urlencode({"payload": json.dumps(payload)}).encode(), FORM)


def block_actions(
    *,
    user_id: str,
    action_id: str,
    value: str | None = None,
    block_id: str = "b",
    channel_id: str | None = None,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    selected_option: dict[str, Any] | None = None,
    container_type: str | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> Request:
    """A button click (or a static select when ``selected_option`` is given)."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "action_ts": f"{time.time():.6f}"}
    if selected_option is not None:
        action.update(type="static_select", selected_option=selected_option)
    else:
        action.update(type="button", value=value or "", text={"type": "plain_text", "text": "Button"})
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": _trigger_id(),
        "actions": [action],
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": "directmessage"}
        payload["container"] = {
            "type": container_type or "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        message: dict[str, Any] = {"type": "message", "ts": message_ts, "text": "", "user": "U0BOT"}
        if thread_ts:
            message["thread_ts"] = thread_ts
        payload["message"] = message
    if response_url is not None:
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": container_type or "view", "view_id": view.get("id")}
    return _interactive(payload)


def view_submission(
    view: dict[str, Any],
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    user_id: str,
    view_id: str | None = None,
    view_hash: str | None = None,
) -> Request:
    """A modal submitted with ``values`` ({block_id: {action_id: value-dict}}), the view as Slack echoes it.

    ``view`` is the view the app opened (e.g. from the fake's ``views.open`` call): its callback_id,
    private_metadata and blocks come back, as with Slack.
    """
    state_view = {
        "id": view_id or view.get("id") or f"V{next(_counter):08d}",
        "team_id": TEAM_ID,
        "type": "modal",
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "title": view.get("title"),
        "blocks": view.get("blocks", []),
        "state": {"values": values},
        "hash": view_hash or view.get("hash") or f"{next(_counter)}.hash",
        "app_id": API_APP_ID,
        "bot_id": "B0BOT",
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": _trigger_id(),
        "view": state_view,
        "response_urls": [],
        "is_enterprise_install": False,
    }
    return _interactive(payload)


def block_suggestion(
    *, user_id: str, action_id: str, block_id: str, value: str, view: dict[str, Any]
) -> Request:
    """What Slack sends as someone types in an external select menu of an open modal."""
    payload = {
        "type": "block_suggestion",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "container": {"type": "view", "view_id": view.get("id") or "V0"},
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": TEAM_ID, "domain": "fake"},
        "view": {
            "id": view.get("id") or "V0",
            "type": "modal",
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view.get("blocks", []),
            "state": {"values": {}},
        },
    }
    return _interactive(payload)


def event_callback(
    event: dict[str, Any], *, event_id: str | None = None, event_time: int = 1700000000
) -> Request:
    envelope = {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):010d}",
        "event_time": event_time,
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
        "is_ext_shared_channel": False,
    }
    return Request(json.dumps(envelope).encode(), JSON)


def dm_message(
    *, user_id: str, text: str, channel: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    """A ``message.im`` event as Slack delivers it for a person typing in the app's DM."""
    event = {
        "type": "message",
        "channel": channel,
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "team": TEAM_ID,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def app_home_opened(*, user_id: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def post(
    url: str,
    request: Request,
    secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    signature_override: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], str]:
    """POST a signed request; returns (status, headers, body text)."""
    headers = signed_headers(
        secret, request.body, request.content_type, timestamp=timestamp, retry_num=retry_num
    )
    if signature_override is not None:
        headers["X-Slack-Signature"] = signature_override
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", parts.path or "/", body=request.body, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()
