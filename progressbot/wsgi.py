"""The web process for gunicorn (Procfile: ``progressbot.wsgi:application``): the Slack edge and the form.

``application`` is built on the first request (or when a worker starts, ``progressbot.gunicorn_conf``)
from the environment (settings, database with migrations applied), never at import time. It composes
``bot`` (the Slack app behind its verified edge) with ``web`` (the update form for leads outside
Slack), which is why it lives here, above both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from slack_bolt import App

from bot.wsgi import WebApp, WSGIApp, database_health, make_wsgi_app

log = logging.getLogger(__name__)


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
    return FormApp(settings, session_factory, slack=FormNotices(services) if services else None)


class FormNotices:
    """What a form's stored updates owe Slack (``web.app.FormApp``): owed in the form's own
    transaction (outbox rows), so a crash after the confirmation page loses no announcement."""

    def __init__(self, services) -> None:
        self.services = services

    def owe(self, session, followups: list) -> None:
        from types import SimpleNamespace

        from bot.governance import followup_announcements
        from bot.outbox import announcement, owe

        calls = [
            announcement(name, ids)
            for follow, action_id, update_id in followups
            for name, ids in followup_announcements(
                SimpleNamespace(followups=follow, action_id=action_id, update_id=update_id)
            )
        ]
        owe(session, calls)

    def owed(self) -> None:
        """After the commit: the drainer looks now."""
        self.services.owed()


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
        """For gunicorn's ``worker_exit`` hook (``progressbot/gunicorn_conf.py``)."""
        return self._app.shutdown(timeout) if self._app is not None else True


application = _LazyApplication(build_from_env)
