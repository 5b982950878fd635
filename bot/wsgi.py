"""HTTP mode as a WSGI app: ``POST /slack/events`` for every Slack request, ``GET /healthz``.

``make_wsgi_app`` wraps any Bolt app, for ``progressbot web``, gunicorn (``progressbot.wsgi``) and
tests; every request to ``/slack/events`` goes through ``bot.edge.SlackEdge`` (size, time, signature,
shape) before Bolt. The update form (``web``) is mounted under ``/u/`` by whoever composes the process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _make_server

from slack_bolt import App

from bot.edge import (
    MAX_BODY_BYTES,
    READ_TIMEOUT_SECONDS,
    SLACK_RESPONSE_ORIGINS,
    SOCKET_KEY,
    SlackEdge,
    respond,
)

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
HEADER_TIMEOUT_SECONDS = 10  # the stdlib server: a client that sends no request line is dropped
FORMS_PREFIX = "/u/"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class WebApp:
    """The WSGI app of ``progressbot web`` and gunicorn: health, the verified edge for Slack, the update
    form for leads outside Slack, and a clean stop."""

    def __init__(
        self,
        app: App,
        *,
        signing_secret: str | None = None,
        health: Callable[[], bool] | None = None,
        forms: WSGIApp | None = None,
        max_body: int = MAX_BODY_BYTES,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        direct: bool = True,
    ) -> None:
        self.bolt = app
        self.forms = forms
        self.services = getattr(app, "progressbot_services", None)
        if signing_secret is None:
            signing_secret = self.services.settings.slack_signing_secret if self.services else ""
        self.health = health
        self.edge = SlackEdge(
            app,
            signing_secret or "",
            max_body=max_body,
            read_timeout=read_timeout,
            on_request=self.services.request_started if self.services else None,
            on_sent=self.services.response_sent if self.services else None,
            direct=_direct_route(self.services, direct),
            # SLACK_API_URL's host too: a GovSlack or test install's Slack answers from there.
            response_origins=(
                (*SLACK_RESPONSE_ORIGINS, self.services.settings.slack_api_url)
                if self.services
                else SLACK_RESPONSE_ORIGINS
            ),
        )

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if self.forms is not None and path.startswith(FORMS_PREFIX):
            return self.forms(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            ok = self.health() if self.health is not None else True
            return respond(
                start_response, 200 if ok else 503, json.dumps({"ok": ok}).encode(), "application/json"
            )
        if path != EVENTS_PATH:
            return respond(start_response, 404, b"Not Found")
        if method != "POST":
            return respond(start_response, 405, b"Method Not Allowed")
        return self.edge(environ, start_response)

    def shutdown(self, timeout: float) -> bool:
        """Finish what was acknowledged (requests in flight, then the outbox), within ``timeout``."""
        shutdown = getattr(self.bolt, "progressbot_shutdown", None)
        return bool(shutdown(timeout)) if shutdown is not None else True


def _direct_route(services, enabled: bool):
    """progressbot's direct route (``bot.direct``) for its own app; none for any other Bolt app."""
    if services is None or not enabled:
        return None
    from bot.direct import route

    return route(services)


def make_wsgi_app(
    app: App,
    *,
    signing_secret: str | None = None,
    health: Callable[[], bool] | None = None,
    forms: WSGIApp | None = None,
    max_body: int = MAX_BODY_BYTES,
    read_timeout: float = READ_TIMEOUT_SECONDS,
    direct: bool = True,
) -> WebApp:
    """``forms`` (``web.app.FormApp``) serves the update form under ``/u/``; it verifies its own requests
    (signed link, CSRF token), and ``/slack/events`` goes through the verified edge."""
    return WebApp(
        app,
        signing_secret=signing_secret,
        health=health,
        forms=forms,
        max_body=max_body,
        read_timeout=read_timeout,
        direct=direct,
    )


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # Slack bursts (a channel of people clicking at once) must not be refused


class _QuietHandler(WSGIRequestHandler):
    timeout = HEADER_TIMEOUT_SECONDS

    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.connection  # so the edge can stop a slow body at its deadline
        return environ

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_server(wsgi_app: WSGIApp, host: str = "0.0.0.0", port: int = 3000) -> WSGIServer:
    """A threaded stdlib WSGI server (for ``progressbot web`` and tests; gunicorn in production)."""
    return _make_server(host, port, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def database_health(session_factory) -> Callable[[], bool]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    def check() -> bool:
        try:
            with session_factory() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("health check: database unavailable (%s)", exc.__class__.__name__)
            return False
        return True

    return check
