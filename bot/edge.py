"""Verify at the edge: the WSGI layer every HTTP request from Slack passes before Bolt sees it.

In this order, and nothing else happens to a request that fails a step:

1. **Size.** A declared ``Content-Length`` over ``MAX_BODY_BYTES`` (1 MB) is answered 413 before a
   byte of the body is read; a body without one is read only up to the cap.
2. **Time.** The body is read against one deadline (``READ_TIMEOUT_SECONDS``). A client that declares
   more than it sends gets 408 when the deadline passes: a watchdog stops the socket's reading side,
   so even a client that trickles a byte at a time cannot hold a thread longer.
3. **Signature.** ``X-Slack-Signature`` must be HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the
   signing secret, and the timestamp a whole number within 5 minutes. Anything else (missing, not a
   number, stale, forged, garbage or non-UTF-8 body) is 401 with an empty body.
4. **Shape.** A verified body that is not UTF-8, not parseable, or not shaped like a Slack request
   (the fields the listeners read have the wrong type) is 400. So is one whose ``response_url`` is not
   on Slack's hooks host (``response_origins``): Bolt's ``respond`` and the error path post to it
   without a token, so a leaked signing secret must not turn the bot into a client for any URL.

Only then is a ``BoltRequest`` built, carrying a ``Verified`` (``bot.verified``) in its context; the
error handler and the work after the acknowledgement take every address they answer to from it.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.verified import VERIFIED, Verified

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
READ_TIMEOUT_SECONDS = 5.0
MAX_CLOCK_SKEW_SECONDS = 5 * 60
SOCKET_KEY = "progressbot.socket"  # set by bot.wsgi's server; gunicorn sets "gunicorn.socket"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# Where Slack's response_urls point (commercial and GovSlack); bot.wsgi adds SLACK_API_URL's origin.
SLACK_RESPONSE_ORIGINS = ("https://hooks.slack.com", "https://hooks.slack-gov.com")

STATUS_TEXT = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    408: "408 Request Timeout",
    413: "413 Content Too Large",
    500: "500 Internal Server Error",
    503: "503 Service Unavailable",
}


class Refused(Exception):
    """The request stops here with ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


# --- reading the body ---------------------------------------------------------------------------------


class ReadDeadlines:
    """One thread watches every body being read; at its deadline, the socket stops reading.

    ``socket.shutdown(SHUT_RD)`` makes a blocked read return at once (end of stream), which works the
    same under the stdlib server and gunicorn, whatever their read loops do inside.
    """

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []
        self._ready = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, deadline: float) -> list[Any]:
        entry = [deadline, next(self._seq), sock, True]
        with self._ready:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="read-deadlines", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:
                self._ready.notify()
        return entry

    @staticmethod
    def disarm(entry: list[Any] | None) -> None:
        if entry is not None:
            entry[3] = False  # popped (and ignored) when its time comes

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._heap:
                    self._ready.wait()
                deadline, _, sock, active = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._ready.wait(wait)
                    continue
                heapq.heappop(self._heap)
            if active:
                stop_reading(sock)


def stop_reading(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RD)


def declared_length(environ: dict) -> int | None:
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise Refused(400, "Content-Length is not a number")
    return int(raw)


def read_body(
    environ: dict, *, limit: int, timeout: float, deadlines: ReadDeadlines, started: float
) -> bytes:
    """The body, at most ``limit`` bytes, read before ``started + timeout``; or ``Refused``."""
    length = declared_length(environ)
    if length is not None and length > limit:
        raise Refused(413, f"declared {length} bytes")
    chunked = (environ.get("HTTP_TRANSFER_ENCODING") or "").lower() == "chunked"
    if length is None and not chunked:
        return b""  # no length and not chunked: HTTP says there is no body
    want = length if length is not None else limit + 1
    stream = environ["wsgi.input"]
    read = getattr(stream, "read1", None) or stream.read
    sock = environ.get("gunicorn.socket") or environ.get(SOCKET_KEY)
    deadline = started + timeout
    entry = deadlines.arm(sock, deadline) if sock is not None else None
    chunks: list[bytes] = []
    got = 0
    try:
        while got < want and time.monotonic() < deadline:
            try:
                chunk = read(min(want - got, 65536))
            except Exception as exc:  # a timed-out or reset socket, or the server's own parse error
                log.info("request body unreadable: %s", exc.__class__.__name__)
                break
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        ReadDeadlines.disarm(entry)
    if got > limit:
        raise Refused(413, "body over the limit")
    if length is not None and got < length:
        raise Refused(
            408 if time.monotonic() >= deadline else 400, f"body ended after {got} of {length} bytes"
        )
    return b"".join(chunks)


# --- verifying ----------------------------------------------------------------------------------------


def signature_ok(secret: bytes, environ: dict, body: bytes, now: float) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""
    signature = environ.get("HTTP_X_SLACK_SIGNATURE") or ""
    if not secret or not _TIMESTAMP.fullmatch(timestamp) or not signature:
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    # WSGI header values are latin-1 strings, so this never fails on odd bytes.
    return hmac.compare_digest(("v0=" + expected).encode(), signature.encode("latin-1"))


def _is(value: Any, kind: type | tuple[type, ...], *, optional: bool = True) -> bool:
    return (optional and value is None) or isinstance(value, kind)


def _check_interactive(body: dict) -> bool:
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return False
    if not all(_is(body.get(k), dict) for k in ("team", "channel", "container", "message", "view")):
        return False
    actions = body.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and all(isinstance(a, dict) and _is(a.get("value"), str) for a in actions)
    ):
        return False
    if not _is(body.get("callback_id"), str):
        return False
    view = body.get("view")
    if body.get("type") in ("view_submission", "view_closed") and not isinstance(view, dict):
        return False
    if view is not None:
        state = view.get("state")
        # Bolt's listener matching reads a view's type and callback_id unguarded: strings, if anything.
        if not isinstance(view.get("type"), str):
            return False
        if not all(_is(view.get(k), str) for k in ("id", "callback_id", "private_metadata")):
            return False
        if not _is(state, dict):
            return False
        if state is not None and not _is(state.get("values"), dict):
            return False
    return True


def _check_event(body: dict) -> bool:
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return False
    return all(_is(event.get(k), str) for k in ("user", "text", "ts", "thread_ts", "channel_type"))


def well_formed(body: Any) -> bool:
    """Shaped like a Slack request in the fields Bolt and the listeners read (types, not values)."""
    if not isinstance(body, dict):
        return False
    if "command" in body:
        return all(isinstance(body.get(k), str) for k in ("command", "user_id")) and _is(
            body.get("text"), str
        )
    kind = body.get("type")
    if kind in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        return _check_interactive(body)
    if kind == "event_callback":
        return _check_event(body)
    if kind == "block_suggestion":  # Bolt matches its listener on action_id, read unguarded
        return (
            _check_interactive(body)
            and all(_is(body.get(k), str, optional=False) for k in ("action_id", "block_id"))
            and _is(body.get("value"), str)
        )
    return _is(kind, str)


def origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
        return ""
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname.lower()}" + (f":{port}" if port not in (None, default) else "")


def answer_urls(body: dict) -> list[Any]:
    """Every URL a request asks to be answered at: ``response_url`` and a modal's ``response_urls``."""
    urls = [body["response_url"]] if "response_url" in body else []
    listed = body.get("response_urls")
    if isinstance(listed, list):
        urls += [item.get("response_url") for item in listed if isinstance(item, dict)]
    return urls


def answers_to_slack(body: dict, origins: tuple[str, ...]) -> bool:
    return all(not url or (isinstance(url, str) and origin(url) in origins) for url in answer_urls(body))


def form_payload(text: str) -> str | None:
    """The ``payload`` of a form body whose only field it is (every interaction), percent-decoded in C;
    None for any other body, which Bolt's parser takes.

    The same string ``urllib.parse.parse_qsl`` gives (Bolt's parser), which decodes in Python, one
    escape at a time: about 0.2 ms for an update modal's 250 escapes. Here each ``%XX`` becomes
    ``\\xXX`` for ``codecs.escape_decode``; a body with a backslash of its own (never, in a form) or a
    malformed escape (``escape_decode`` refuses it) goes the general way.
    """
    if not text.startswith("payload=") or "&" in text or "\\" in text or not text.isascii():
        return None
    try:
        raw = codecs.escape_decode(text[8:].replace("+", " ").replace("%", "\\x"))[0]
    except ValueError:
        return None
    return raw.decode("utf-8", "replace")


def parse(body: bytes, content_type: str) -> tuple[str, dict]:
    """The body as text and as data, or ``Refused(400)``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    from slack_bolt.request.internals import parse_body

    kind = content_type.split(";")[0].strip().lower() or None
    try:
        payload = form_payload(text) if kind != "application/json" else None
        data = json.loads(payload) if payload is not None else parse_body(text, kind)
    except (ValueError, TypeError):
        raise Refused(400, "body is not parseable") from None
    if not well_formed(data):
        raise Refused(400, "body is not shaped like a Slack request")
    return text, data


# --- the WSGI layer -----------------------------------------------------------------------------------


class _Response:
    """A response body whose ``close()`` runs once the server has sent it (WSGI's only such hook)."""

    def __init__(self, body: bytes, on_sent: Callable[[], None] | None) -> None:
        self._body = body
        self._on_sent = on_sent

    def __iter__(self):
        yield self._body

    def close(self) -> None:
        if self._on_sent is not None:
            on_sent, self._on_sent = self._on_sent, None
            on_sent()


def respond(start_response: Callable, status: int, body: bytes = b"", content_type: str = "text/plain"):
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(STATUS_TEXT.get(status, f"{status} Status"), headers)
    return [body]


class SlackEdge:
    """``POST /slack/events``: verify (see the module doc), then hand the request to the Bolt ``app``.

    ``on_request`` is called when a verified request starts, and ``on_sent`` once its response has
    gone (the outbox drains then): see ``bot.services.Services.request_started``.

    ``direct`` (``bot.direct.route``) sees each verified, well-formed body first and may answer it
    without Bolt (the update modal's submission, the interaction that comes in bursts); when it
    returns None, Bolt dispatches the request as usual.
    """

    def __init__(
        self,
        app: App,
        signing_secret: str,
        *,
        max_body: int = MAX_BODY_BYTES,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        on_request: Callable[[], None] | None = None,
        on_sent: Callable[[], None] | None = None,
        direct: Callable[[dict], BoltResponse | None] | None = None,
        clock: Callable[[], float] = time.time,
        response_origins: tuple[str, ...] = SLACK_RESPONSE_ORIGINS,
    ) -> None:
        self.app = app
        self.response_origins = tuple(origin(o) for o in response_origins)
        self._secret = signing_secret.encode()
        self.max_body = max_body
        self.read_timeout = read_timeout
        self._deadlines = ReadDeadlines()
        self._on_request = on_request
        self._on_sent = on_sent
        self._direct = direct
        self._clock = clock

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.monotonic()
        try:
            body = read_body(
                environ,
                limit=self.max_body,
                timeout=self.read_timeout,
                deadlines=self._deadlines,
                started=started,
            )
            if not signature_ok(self._secret, environ, body, self._clock()):
                raise Refused(401, "signature or timestamp not valid")
            text, data = parse(body, environ.get("CONTENT_TYPE") or "")
            if not answers_to_slack(data, self.response_origins):
                raise Refused(400, "response_url is not Slack's")
        except Refused as refused:
            return self._refuse(environ, start_response, refused)
        if self._on_request is not None:
            self._on_request()
        try:
            response = self._direct(data) if self._direct is not None else None
            if response is None:
                request = BoltRequest(
                    body=text,
                    query=environ.get("QUERY_STRING") or "",
                    headers=_headers(environ),
                    context={VERIFIED: Verified.of(data, received_at=started)},
                )
                response = self.app.dispatch(request)
        except BaseException:
            if self._on_sent is not None:
                self._on_sent()
            raise
        return self._send(start_response, response)

    def _refuse(self, environ: dict, start_response: Callable, refused: Refused) -> Iterable[bytes]:
        log.info("refused a request with %d: %s", refused.status, refused)
        if refused.status in (408, 413, 400):
            # Whatever the client still sends is not read: the server closes instead of draining it.
            stop_reading(environ.get("gunicorn.socket") or environ.get(SOCKET_KEY))
        return respond(start_response, refused.status)

    def _send(self, start_response: Callable, response: BoltResponse) -> Iterable[bytes]:
        body = response.body.encode() if isinstance(response.body, str) else (response.body or b"")
        headers = [
            (name, value)
            for name, values in (response.headers or {}).items()
            if name.lower() not in ("content-length", "connection")
            for value in values
        ]
        headers.append(("Content-Length", str(len(body))))
        start_response(STATUS_TEXT.get(response.status, f"{response.status} Status"), headers)
        return _Response(body, self._on_sent)


def _headers(environ: dict) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def json_response(start_response: Callable, status: int, data: Any) -> list[bytes]:
    return respond(start_response, status, json.dumps(data).encode(), "application/json")
