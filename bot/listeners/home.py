"""The App Home tab and its "Get report" button."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App

from bot.features.home_tab import publish_home
from bot.report_requests import request_report
from bot.services import Services
from bot.verified import verified_of
from slackviews.common import GET_REPORT

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict, context: dict) -> None:
        if event.get("tab", "home") != "home":
            return
        # Built and published after the acknowledgement; a failure is logged, never sent to the person
        # (they opened a tab, they did not ask a question), and the next opening tries again.
        services.after_ack(verified_of(context), publish_home, services, event["user"], quiet=True)

    @app.action(GET_REPORT)
    def get_report(ack: Ack, body: dict, action: dict, context: dict) -> None:
        fmt, plan_id = read_report_value(action.get("value") or "")
        request_report(services, verified_of(context), body["user"]["id"], fmt, plan_id=plan_id)
        ack()


def read_report_value(value: str) -> tuple[str, int | None]:
    """A Get report button's value: ``"docx"``, or ``{"format": "docx", "plan_id": 3}`` for one plan."""
    plan_id = None
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            data = {}
        value = str(data.get("format") or "")
        raw = data.get("plan_id")
        plan_id = raw if isinstance(raw, int) else None
    fmt = value if value in ("docx", "html", "pdf") else "docx"
    return fmt, plan_id
