"""The App Home tab and its "Get report" button."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App

from bot import features
from bot.services import Services
from bot.views.common import GET_REPORT

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        uid = event["user"]
        services.client.views_publish(user_id=uid, view=features.home(services, uid))

    @app.action(GET_REPORT)
    def get_report(ack: Ack, body: dict, action: dict) -> None:
        ack()
        fmt = action.get("value") if action.get("value") in ("docx", "html", "pdf") else "docx"
        services.after_ack(body, features.send_report, services, body["user"]["id"], fmt)
