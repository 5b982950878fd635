"""Socket Mode: the app talks to Slack over a WebSocket opened with the app-level token (xapp-).

No public URL is needed, which suits a council network; requests come through the socket, so there
is no request signature to verify.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from progressbot.config import Settings

log = logging.getLogger(__name__)


def make_socket_handler(app: App, settings: Settings) -> SocketModeHandler:
    return SocketModeHandler(app, app_token=settings.slack_app_token)
