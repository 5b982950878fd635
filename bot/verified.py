"""What the bot may use of a request once it is known to come from Slack.

``Verified`` is the only way the error path and the work after an acknowledgement learn where to
answer (a response_url, a channel, a user). It is made in two places only:

- ``bot.edge`` makes it for an HTTP request after the signature and timestamp have been checked;
- ``mark_socket_mode`` makes it for a Socket Mode request, which the app-level token's WebSocket has
  already authenticated.

A request that failed verification never gets one, so no error handler can reply to an address an
attacker chose: there is nothing to read it from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from slack_bolt.middleware import Middleware

VERIFIED = "progressbot_verified"  # the key in Bolt's context


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Verified:
    kind: str  # command | view_submission | block_actions | event_callback | …
    user_id: str | None = None
    response_url: str | None = None
    channel: str | None = None
    thread_ts: str | None = None  # where a reply in a thread goes
    callback_id: str | None = None  # a modal's callback id
    received_at: float = 0.0  # time.monotonic() when the request arrived

    @classmethod
    def of(cls, body: dict[str, Any], *, received_at: float | None = None) -> Verified:
        """Read the routing fields of a verified body; never raises, whatever its shape."""
        received = time.monotonic() if received_at is None else received_at
        if _str(body.get("command")):
            return cls(
                kind="command",
                user_id=_str(body.get("user_id")),
                response_url=_str(body.get("response_url")),
                channel=_str(body.get("channel_id")),
                received_at=received,
            )
        kind = _str(body.get("type")) or "unknown"
        if kind == "event_callback":
            event = _dict(body.get("event"))
            return cls(
                kind=kind,
                user_id=_str(event.get("user")),
                channel=_str(event.get("channel")),
                thread_ts=_str(event.get("thread_ts")) or _str(event.get("ts")),
                received_at=received,
            )
        urls = body.get("response_urls")
        first = _dict(urls[0]) if isinstance(urls, list) and urls else {}
        message = _dict(body.get("message"))
        return cls(
            kind=kind,
            user_id=_str(_dict(body.get("user")).get("id")),
            response_url=_str(body.get("response_url")) or _str(first.get("response_url")),
            channel=_str(_dict(body.get("channel")).get("id")),
            thread_ts=_str(message.get("thread_ts")) or _str(message.get("ts")),
            callback_id=_str(_dict(body.get("view")).get("callback_id")),
            received_at=received,
        )

    def age(self) -> float:
        return time.monotonic() - self.received_at


def verified_of(context: Any) -> Verified | None:
    """The request's ``Verified``, or None when it was never verified."""
    value = context.get(VERIFIED) if context is not None else None
    return value if isinstance(value, Verified) else None


class MarkSocketMode(Middleware):
    """Global middleware: a Socket Mode request arrived over the authenticated WebSocket."""

    def process(self, *, req: Any, resp: Any, next: Any) -> Any:
        if req.mode == "socket_mode" and verified_of(req.context) is None:
            req.context[VERIFIED] = Verified.of(req.body if isinstance(req.body, dict) else {})
        return next()
