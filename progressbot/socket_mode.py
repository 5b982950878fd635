"""Socket Mode: the app talks to Slack over a WebSocket opened with the app-level token (xapp-).

No public URL is needed, which suits a council network; requests come through the socket, so there
is no request signature to verify (``bot.verified.MarkSocketMode`` marks them verified).
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from progressbot.config import Settings
from progressbot.lifecycle import within

log = logging.getLogger(__name__)


def make_socket_handler(app: App, settings: Settings) -> SocketModeHandler:
    return SocketModeHandler(app, app_token=settings.slack_app_token)


def stop_socket_handler(handler: SocketModeHandler, timeout: float) -> None:
    """Stop taking requests, let those being handled send their acknowledgement, then disconnect."""
    client = handler.client
    client.auto_reconnect_enabled = False
    workers = getattr(client, "message_workers", None)  # slack_sdk's built-in client runs listeners here
    if workers is not None:
        within(timeout, lambda: workers.shutdown(wait=True), "requests in flight over Socket Mode")
    handler.close()
