"""HTTP mode as a WSGI app: ``POST /slack/events`` for every Slack request, ``GET /healthz``.

``application`` is what gunicorn loads (Procfile: ``bot.wsgi:application``). It is built on the first
request from the environment (settings, database with migrations applied), never at import time.
``make_wsgi_app`` wraps any Bolt app, for ``progressbot web`` and tests; every request to
``/slack/events`` goes through ``bot.edge.SlackEdge`` (size, time, signature, shape) before Bolt.
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

from bot.edge import MAX_BODY_BYTES, READ_TIMEOUT_SECONDS, SOCKET_KEY, SlackEdge, respond

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


def build_from_env() -> WebApp:
    from bot.app import create_app
    from progressbot.config import Settings
    from storage.db import make_read_session_factory, open_database

    settings = Settings.from_env()
    settings.require_slack()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    engine, session_factory = open_database(settings.database_url)
    app = create_app(settings, session_factory, start_outbox=True)
    return make_wsgi_app(
        app,
        health=database_health(make_read_session_factory(engine)),
        forms=form_app(settings, session_factory, app),
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

    def __init__(self, factory: Callable[[], WebApp]) -> None:
        self._factory = factory
        self._app: WebApp | None = None
        self._lock = threading.Lock()

    def build(self) -> WebApp:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._factory()
        return self._app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self.build()(environ, start_response)

    def shutdown(self, timeout: float) -> bool:
        """For gunicorn's ``worker_exit`` hook (``bot/gunicorn_conf.py``)."""
        return self._app.shutdown(timeout) if self._app is not None else True


application = _LazyApplication(build_from_env)
