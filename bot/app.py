"""The Bolt app factory. Nothing happens at import time; building the app makes no network call.

``create_app`` wires one ``Services`` (settings, session factory, Slack client, clock) into every
feature's listeners. Bolt calls ``auth.test`` once, lazily, on the first request (token verification
at construction is off), so tests and ``--help`` never touch Slack.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.listeners import register_all
from bot.logs import install_redaction
from bot.services import Services, utc_now
from bot.slack_client import make_client
from progressbot.config import Settings

log = logging.getLogger(__name__)

# Listener threads: acknowledgements wait for a free one, and work after ack() (DMs, uploads) holds one,
# so Bolt's default of 5 would queue acks behind slow uploads under load.
LISTENER_THREADS = 32


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    client: WebClient | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    socket_mode: bool = False,
    listener_threads: int = LISTENER_THREADS,
) -> App:
    """The app for HTTP mode (signatures verified) or Socket Mode (the socket is already authenticated)."""
    install_redaction(settings)
    client = client or make_client(settings)
    services = Services(
        settings=settings, session_factory=session_factory, client=client, clock=clock or utc_now
    )
    listener_executor = ThreadPoolExecutor(max_workers=listener_threads, thread_name_prefix="slack-listener")
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "socket-mode-does-not-sign",
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        process_before_response=False,
        listener_executor=listener_executor,
        logger=logging.getLogger("bot.bolt"),
        name="progressbot",
    )
    register_all(app, services)
    # For a clean shutdown (and tests): drain listener threads, then the work queued after ack().
    app.progressbot_services = services  # type: ignore[attr-defined]
    app.progressbot_shutdown = lambda: (
        listener_executor.shutdown(wait=True),  # type: ignore[attr-defined]
        services.executor.shutdown(wait=True),
    )
    log.debug("Slack app built (socket_mode=%s, api=%s)", socket_mode, settings.slack_api_url)
    return app
