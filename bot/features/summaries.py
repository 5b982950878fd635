"""``/progress summary``: RAG counts and exceptions, a section's or a lead's actions, red, overdue, changes.

Compiling the report is the slow part, so the summary is answered after the acknowledgement, through
``respond``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot import permissions
from bot.commands import Command, CommandCall, parse_since
from bot.features.asking import known_viewer, plan_arg, report_data
from bot.queries import all_plans
from bot.services import Services
from report import summaries
from slackviews import messages
from slackviews import summary as summary_views
from slackviews.common import context, header
from slackviews.messages import Reply
from slackviews.text import MESSAGE_BLOCK_LIMIT, escape, truncate_mrkdwn
from storage.models import Plan


def summary_command(services: Services, call: CommandCall) -> None:
    """Acknowledge, then answer with the summary."""
    call.ack()

    def answer() -> None:
        call.respond(
            response_type="ephemeral",
            replace_original=False,
            **summary(services, call.uid, call.command).as_kwargs(),
        )

    services.after_ack(call.verified, answer)


def summary(services: Services, uid: str, command: Command) -> Reply:
    """One plan's summary (``plan NAME``, or the only plan), else each plan's in turn."""
    with services.read_factory.begin() as session:
        who = known_viewer(session, uid)
        permissions.require_reader(who)
        plans = all_plans(session, plan_arg(command))
        replies = [(plan.name, plan_summary(services, session, plan, command)) for plan in plans]
    if len(replies) == 1:
        return replies[0][1]
    return each_plan(replies, command)


def each_plan(replies: list[tuple[str, Reply]], command: Command) -> Reply:
    """Several plans' summaries in one message, within Slack's block limit (the rest named)."""
    overall = command.args.get("kind", "overall") == "overall"
    blocks: list[dict] = [
        context(
            f"{len(replies)} plans. Add `plan NAME` for one, e.g. `/progress summary plan {escape(replies[0][0])}`."
        )
    ]
    shown = 0
    for name, reply in replies:
        part = list(reply.blocks) if overall else [header(f"Plan: {name}"[:150]), *reply.blocks]
        if len(blocks) + len(part) > MESSAGE_BLOCK_LIMIT - 1:
            part = part[: MESSAGE_BLOCK_LIMIT - 1 - len(blocks)]
            if len(part) < 2:
                break
        blocks.extend(part)
        shown += 1
    if shown < len(replies):
        rest = ", ".join(escape(n) for n, _ in replies[shown:])
        blocks.append(
            context(
                truncate_mrkdwn(f"… and {len(replies) - shown} more plans ({rest}): add `plan NAME`.", 2000)
            )
        )
    return Reply(
        truncate_mrkdwn(" · ".join(reply.text for _, reply in replies), 3000), blocks[:MESSAGE_BLOCK_LIMIT]
    )


def plan_summary(services: Services, session: Session, plan: Plan, command: Command) -> Reply:
    """One plan's summary of the kind asked for."""
    kind = command.args.get("kind", "overall")
    if kind == "changes":
        return _changes(services, session, plan, command)
    data = report_data(services, session, plan)
    if kind == "overall":
        return summary_views.overall_reply(summaries.overall(data), plan_id=plan.id)
    if kind == "red":
        return summary_views.list_reply(summaries.red_only(data))
    if kind == "overdue":
        return summary_views.list_reply(summaries.overdue(data))
    grouped = summaries.by_section(data) if kind == "section" else summaries.by_lead(data)
    wanted = str(command.args["name"]).casefold()
    matches = [g for g in grouped.groups if wanted in g.name.casefold()]
    if len(matches) != 1:
        names = ", ".join(escape(g.name) for g in grouped.groups[:20])
        what = "several" if matches else "no"
        return messages.text_reply(
            f"There are {what} {kind}s matching “{escape(str(command.args['name']))}”. Try one of: {names}"
        )
    return summary_views.group_reply(
        f"{kind.title()}: {matches[0].name}", matches[0], grouped.rag_key, grouped.as_of_date
    )


def _changes(services: Services, session: Session, plan: Plan, command: Command) -> Reply:
    """Changes since the day given, else since the last published report, else over the last 7 days."""
    day = parse_since(command.args.get("since"), today=services.today())  # type: ignore[arg-type]
    since = None
    if day is not None:
        since = dt.datetime.combine(day, dt.time(0), tzinfo=services.settings.tz)
    data = report_data(services, session, plan, since)
    start = since or (dt.datetime.fromisoformat(data.updates_since) if data.updates_since else None)
    if start is None:
        start = services.now().astimezone(services.settings.tz) - dt.timedelta(days=7)
        data = report_data(services, session, plan, start)
    return summary_views.changes_reply(summaries.changes_since(data, start))
