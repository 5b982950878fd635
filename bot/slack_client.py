"""The one way to build a Slack ``WebClient``: the bot and the jobs both use it.

slack_sdk's own retry handlers do the waiting: ``RateLimitErrorRetryHandler`` sleeps for the 429's
``Retry-After`` and tries again; ``ConnectionErrorRetryHandler`` retries a request that could not be
sent (urllib's ``URLError``), never one that may have reached Slack (a reset or hang-up after it was
sent is raised: the outbox retries it later, the reminder sender looks for it first). 5xx
answers are not retried here: the reminder ledger keeps a failed send pending and the next pass
retries it with backoff, which is safer than a hidden loop inside a request.

The client keeps its HTTP connection open between calls (``KeepAliveWebClient``): stock slack_sdk
opens a new TCP (and TLS) connection for every call, which under a burst of confirmations cost more
CPU than the rest of the call.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import socket
import threading
import time
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from progressbot.config import Settings

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 30
# A connection idle longer than this is not reused: servers close idle connections (load balancers
# commonly after 60 s), and one closed while our request is on its way gives an ambiguous failure.
IDLE_SECONDS = 30.0


class KeepAliveWebClient(WebClient):
    """A ``WebClient`` that reuses one HTTP/1.1 connection per thread and host.

    Only the transport changes (``_perform_urllib_http_request_internal``): slack_sdk still builds the
    request, parses the answer, raises ``SlackApiError`` and runs its retry handlers (429s, connection
    errors) exactly as it does over urllib. With a proxy it is the stock transport.

    Never sent twice because of a reused connection: a pooled connection is checked before it is
    written to (one the server closed while idle is replaced), and one that fails while the request is
    being written is replaced and the request written again, because the server then has at most an
    incomplete request, which it cannot act on. Once the whole request is written, a failure is raised
    as urllib would raise it for a new connection, and whoever called decides (the outbox retries later).
    """

    def __init__(self, *args: Any, idle_seconds: float = IDLE_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_seconds = idle_seconds
        self._local = threading.local()  # {(scheme, host:port): (connection, last used, pid)}

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return super()._perform_urllib_http_request_internal(url, req)
        key = (parts.scheme.lower(), parts.netloc)
        selector = req.selector
        headers = {name.title(): str(value) for name, value in req.header_items()}
        conn, reused = self._connection(key)
        try:
            conn.request("POST", selector, req.data, headers)
        except OSError as exc:
            conn.close()
            if not reused:
                raise URLError(exc) from exc  # as urllib: a new connection failed before Slack had it all
            # The pooled connection died before the whole request was written: send it on a new one.
            conn, _ = self._connection(key)
            try:
                conn.request("POST", selector, req.data, headers)
            except OSError as again:
                conn.close()
                raise URLError(again) from again
        try:
            resp = conn.getresponse()
            raw = resp.read()
        except BaseException:
            conn.close()  # the request may have reached Slack: raised, never resent here
            raise
        if conn.sock is None or resp.will_close:  # the server said Connection: close
            conn.close()
        else:
            self._local.conns[key] = (conn, time.monotonic(), os.getpid())
        if not 200 <= resp.status < 300:
            # What urllib raises for any non-2xx answer; slack_sdk reads the body and headers from it.
            raise HTTPError(url, resp.status, resp.reason, resp.headers, io.BytesIO(raw))
        mime, charset = _content_type(resp.headers.get("Content-Type") or "")
        if mime == "application/gzip":
            return {"status": resp.status, "headers": resp.headers, "body": raw}
        return {"status": resp.status, "headers": resp.headers, "body": raw.decode(charset or "utf-8")}

    def _connection(self, key: tuple[str, str]) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's open connection to ``key`` if it is still usable, else a new one."""
        conns = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        pooled = conns.pop(key, None)
        if pooled is not None:
            conn, last_used, pid = pooled
            if pid != os.getpid():  # inherited through fork: the parent may use the same socket
                conns.clear()
            elif time.monotonic() - last_used < self.idle_seconds and _usable(conn):
                return conn, True
            else:
                conn.close()
        scheme, netloc = key
        if scheme == "https":
            conn = _HTTPSConnection(netloc, timeout=self.timeout, context=self.ssl)
        else:
            conn = _HTTPConnection(netloc, timeout=self.timeout)
        return conn, False


class _NoDelay:
    """http.client writes a request's headers and body separately: without ``TCP_NODELAY`` the body
    waits for the server's delayed acknowledgement of the headers (40 ms) on a connection past its
    first few packets, which is every reused one. urllib3 sets it for the same reason."""

    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _HTTPConnection(_NoDelay, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_NoDelay, http.client.HTTPSConnection):
    pass


def _content_type(value: str) -> tuple[str, str | None]:
    """``("application/json", "utf-8")`` from a Content-Type: what urllib's ``get_content_type`` and
    ``get_content_charset`` give for Slack's answers, without building an email message each time."""
    mime, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, param_value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = param_value.strip().strip('"').lower() or None
    return mime.strip().lower(), charset


def _usable(conn: http.client.HTTPConnection) -> bool:
    """Open, and nothing to read: a socket the server closed (or wrote to unasked) reads as ready."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def retry_handlers(
    *, rate_limit_retries: int = RATE_LIMIT_RETRIES, connection_retries: int = CONNECTION_RETRIES
):
    return [
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        # Only urllib's URLError, raised when the request could not be sent whole (refused, DNS, a
        # connect timeout): a reset or a hang-up after it was sent may follow Slack's acting on it.
        ConnectionErrorRetryHandler(max_retry_count=connection_retries, error_types=[URLError]),
    ]


def make_client(
    settings: Settings,
    *,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
    connection_retries: int = CONNECTION_RETRIES,
) -> WebClient:
    """A WebClient for ``settings.slack_api_url``; building it makes no network call."""
    return KeepAliveWebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(
            rate_limit_retries=rate_limit_retries, connection_retries=connection_retries
        ),
    )
