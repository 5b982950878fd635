"""HTTP mode as a WSGI app: ``POST /slack/events`` for every Slack request, ``GET /healthz``.

``application`` is what gunicorn loads (Procfile: ``bot.wsgi:application``). It is built on the first
request from the environment (settings, database with migrations applied), never at import time.
``make_wsgi_app`` wraps any Bolt app, for ``progressbot web`` and tests.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
FORMS_PREFIX = "/u/"
SOCKET_KEY = "progressbot.socket"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


def make_wsgi_app(
    app: App, *, health: Callable[[], bool] | None = None, forms: WSGIApp | None = None
) -> WSGIApp:
    """``forms`` (``web.app.FormApp``) serves the update form under ``/u/``; it verifies its own requests
    (signed link, CSRF token), and ``/slack/events`` keeps Slack's verification."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    services = getattr(app, "progressbot_services", None)

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if forms is not None and path.startswith(FORMS_PREFIX):
            return forms(environ, start_response)
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            ok = health() if health is not None else True
            body = json.dumps({"ok": ok}).encode()
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if services is None:
            return slack(environ, start_response)
        with services.acknowledging():  # work queued after ack() yields to requests still in flight
            return slack(environ, start_response)

    return wsgi


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # Slack bursts (a channel of people clicking at once) must not be refused


class _QuietHandler(WSGIRequestHandler):
    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ[SOCKET_KEY] = self.connection  # so a body read can be held to its deadline
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


def build_from_env() -> WSGIApp:
    from bot.app import create_app
    from progressbot.config import Settings
    from storage.db import open_database

    settings = Settings.from_env()
    settings.require_slack()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _engine, session_factory = open_database(settings.database_url)
    app = create_app(settings, session_factory)
    return make_wsgi_app(
        app, health=database_health(session_factory), forms=form_app(settings, session_factory, app)
    )


def form_app(settings, session_factory, app: App | None = None) -> WSGIApp | None:
    """The update form for leads outside Slack, when its settings are there (else ``/u/`` is 404).

    With the Slack ``app``, what a form's updates set in motion (a date request, a completion to sign
    off, an answered challenge) is announced in Slack, as for an update made there."""
    if not settings.forms_enabled:
        return None
    from web.app import FormApp

    services = getattr(app, "progressbot_services", None)
    return FormApp(settings, session_factory, on_saved=announcer(services) if services else None)


def announcer(services) -> Callable[[list], None]:
    def announce(followups: list) -> None:
        from types import SimpleNamespace

        from bot.governance import announce_followups

        def run() -> None:
            for follow, action_id, update_id in followups:
                try:
                    announce_followups(
                        services, SimpleNamespace(followups=follow, action_id=action_id, update_id=update_id)
                    )
                except Exception:  # the updates are stored and confirmed; the board hears on its Home tab
                    log.exception("announcing what a form update set in motion failed")

        services.executor.submit(run)

    return announce


class _LazyApplication:
    """Builds the real WSGI app once, on the first request, in whichever worker process serves it."""

    def __init__(self, factory: Callable[[], WSGIApp]) -> None:
        self._factory = factory
        self._app: WSGIApp | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._factory()
        return self._app(environ, start_response)


application = _LazyApplication(build_from_env)
