"""``/progress board`` and the board's Home-tab line: plain functions over ``jobs.board``'s status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from jobs.board import default_meeting, meeting_status
from jobs.planner import PlannerConfig
from slackviews import board as board_views
from slackviews.common import context, header
from slackviews.messages import Reply
from slackviews.text import MESSAGE_BLOCK_LIMIT, escape, truncate_mrkdwn
from storage.calendar import local_today
from storage.meetings import upcoming
from storage.models import Plan


def _status(session: Session, plan: Plan, now: dt.datetime, settings: Any, *, next_only: bool):
    today = local_today(now, settings.tz)
    if next_only:
        meetings = upcoming(session, plan, today)
        meeting = meetings[0] if meetings else None
    else:
        meeting = default_meeting(session, plan, today)
    if meeting is None:
        return None
    return meeting_status(session, meeting, now, config=PlannerConfig.from_settings(settings))


def board_reply(session: Session, plans: list[Plan], now: dt.datetime, settings: Any) -> Reply:
    """Each plan's next (else last) meeting and who has updated for it, within one message."""
    blocks: list[dict] = []
    texts: list[str] = []
    for plan in plans:
        status = _status(session, plan, now, settings, next_only=False)
        if len(plans) > 1:
            blocks.append(header(f"Plan: {plan.name}"[:150]))
        if status is None:
            texts.append(f"{plan.name}: no board meeting")
            blocks.append(
                context(
                    f"No board meeting is set for {escape(plan.name)}. An admin adds them with "
                    "`progressbot board add DATE` or `progressbot board repeat RULE --until DATE`."
                )
            )
            continue
        part = board_views.status_blocks(status, settings.tz)
        if len(blocks) + len(part) > MESSAGE_BLOCK_LIMIT - 1:
            blocks.append(context("… more plans: add `plan NAME`, e.g. `/progress board plan NAME`."))
            break
        blocks.extend(part)
        texts.append(f"{status.label}: {status.responded} of {len(status.leads)} leads have updated")
    return Reply(truncate_mrkdwn("; ".join(texts), 3000) or "No board meetings.", blocks)


def meeting_lines(session: Session, plan: Plan, now: dt.datetime, settings: Any) -> str | None:
    """The Home tab's "Next board meeting" lines for a plan, or None when none is coming up."""
    status = _status(session, plan, now, settings, next_only=True)
    return board_views.meeting_summary(status, settings.tz) if status is not None else None
