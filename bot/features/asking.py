"""Who is asking and which plan they mean: the checks and the "which plan?" question every feature shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.commands import Command
from bot.permissions import Viewer, is_known, viewer
from bot.services import Services
from report.compile import compile_report
from report.data import ReportData
from slackviews import messages
from slackviews.messages import OUTSIDER_TEXT, Reply
from slackviews.text import escape, truncate
from storage.errors import Forbidden
from storage.models import Action, Plan


def known_viewer(session: Session, uid: str) -> Viewer:
    """The person asking; Forbidden (the outsider's answer) unless they lead, sit on the board or administer."""
    who = viewer(session, uid)
    if not is_known(session, who):
        raise Forbidden(OUTSIDER_TEXT)
    return who


def plan_arg(command: Command) -> str | None:
    """The plan named with ``plan NAME``, if any."""
    plan = command.args.get("plan")
    return str(plan) if plan else None


def button(action_id: str, text: str, value: str) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def which_plan(ref: str, actions: list[Action], button_for: Callable[[Action], dict]) -> Reply:
    """Ask which plan's action ``ref`` is meant, one button per plan."""
    choices = [
        (f"*{escape(a.plan.name)}*: {escape(a.ref)} {escape(truncate(a.title, 200))}", button_for(a))
        for a in actions
    ]
    return messages.plan_choice_reply(
        f"Action {escape(ref)} is in {len(actions)} plans. Which one? "
        f"(Or add `plan NAME`, e.g. `/progress action {escape(ref)} plan {escape(actions[0].plan.name)}`.)",
        choices,
    )


def report_data(
    services: Services, session: Session, plan: Plan, since: dt.datetime | None = None
) -> ReportData:
    """The plan's report as of now in the configured zone (summaries, report files and the Home tab read it)."""
    now = services.now().astimezone(services.settings.tz)
    return compile_report(session, plan, as_of=now, now=now, since=since)
