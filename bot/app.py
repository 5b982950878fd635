"""The Bolt app factory. Nothing happens at import time; building the app makes no network call.

``create_app`` wires one ``Services`` (settings, session factory, Slack client, clock) into every
feature's listeners. Bolt calls ``auth.test`` once, lazily, on the first request (token verification
at construction is off), so tests and ``--help`` never touch Slack.

``process_before_response=True`` on purpose: a listener stores what the person gave and the Slack work
it owes in one transaction, and only when it returns does the acknowledgement go. So an acknowledged
update is a committed one, for modals, buttons and events alike. Slow work goes through the outbox
(``bot.outbox``) or ``Services.after_ack``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.listeners import register_all
from bot.logs import install_redaction
from bot.outbox import Drainer
from bot.services import ReminderRefresher, Services, utc_now
from bot.slack_client import make_client
from bot.verified import MarkSocketMode
from jobs.reminders import record_refresh, render_refresh
from progressbot.config import Settings

log = logging.getLogger(__name__)

# A reminder re-rendered after an update answers it ("Updated: Green"), and the rendering kept.
REMINDER_REFRESHER = ReminderRefresher(render=render_refresh, record=record_refresh)


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    client: WebClient | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    socket_mode: bool = False,
    start_outbox: bool = True,
) -> App:
    """The app for HTTP mode (served by ``bot.wsgi``, which verifies first) or Socket Mode.

    ``start_outbox`` starts this process's outbox drainer (a thread; its first pass does whatever a
    previous process left owed).
    """
    install_redaction(settings)
    client = client or make_client(settings)
    services = Services(
        settings=settings,
        session_factory=session_factory,
        client=client,
        clock=clock or utc_now,
        reminder_refresher=REMINDER_REFRESHER,
    )
    services.drainer = Drainer(services)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "socket-mode-does-not-sign",
        # HTTP requests are verified by bot.edge before Bolt sees them; Bolt checks again (it is cheap).
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        process_before_response=True,
        logger=logging.getLogger("bot.bolt"),
        name="progressbot",
    )
    app.use(MarkSocketMode())
    register_all(app, services)
    if start_outbox:
        services.drainer.start()
    app.progressbot_services = services  # type: ignore[attr-defined]
    app.progressbot_shutdown = services.shutdown  # type: ignore[attr-defined]
    log.debug("Slack app built (socket_mode=%s, api=%s)", socket_mode, settings.slack_api_url)
    return app
