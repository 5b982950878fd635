"""``progressbot board``: the meetings that drive the board cycle, and who has answered for one.

Thin: parse, call ``storage.meetings`` / ``jobs.board``, print. ``--now`` replays a moment (as for
``remind``); dates are local dates in PROGRESSBOT_TIMEZONE.
"""

from __future__ import annotations

import datetime as dt
import json
from contextlib import contextmanager
from pathlib import Path

import click

from progressbot.cli import CliContext, UserError, pass_ctx

NOW_HELP = "Run as if it were this moment (ISO date-time; default: now)."
PLAN_HELP = "Plan name (may be left out when there is one plan)."


@click.group()
def board() -> None:
    """Board meetings: the call for updates, the chase and the board pack (see README, "The board cycle")."""


def register(main: click.Group) -> None:
    main.add_command(board)


@contextmanager
def _user_errors():
    from storage.errors import ProgressbotError

    try:
        yield
    except ProgressbotError as exc:
        raise UserError(str(exc)) from None


def _now(ctx: CliContext, text: str | None) -> dt.datetime:
    from progressbot.cli.job_commands import _parse_now

    return _parse_now(ctx, text)


def _day(text: str, *, today: dt.date, option: str) -> dt.date:
    """2027-03-16, 16/03/2027, "16 March 2027", or "16 March" (the next one)."""
    from bot.commands import parse_day
    from storage.errors import InvalidInput

    try:
        return parse_day(text, today=today, field_name=option)
    except InvalidInput:
        raise UserError(f"{option}: {text!r} is not a date (use YYYY-MM-DD, e.g. 2027-03-16)") from None


def _config(ctx: CliContext):
    from jobs.planner import PlannerConfig

    return PlannerConfig.from_settings(ctx.settings)


def _fmt(day: dt.date) -> str:
    return f"{day:%a} {day.day:>2} {day:%b %Y}"


def _flags(day: dt.date, calendar) -> str:
    """A warning for a meeting on a weekend or a bank holiday (added anyway: the clerk decides)."""
    holiday = calendar.holiday_name(day)
    if holiday:
        return f"  (bank holiday: {holiday})"
    if day.weekday() >= 5:
        return f"  (a {day:%A})"
    return ""


def _schedule(session, meeting, ctx: CliContext):
    from jobs.board import schedule_for
    from storage.meetings import previous_meeting
    from storage.policy import Policy

    config = _config(ctx)
    return schedule_for(
        meeting,
        Policy.for_plan(meeting.plan),
        config.calendar,
        ctx.settings.tz,
        previous_meeting(session, meeting),
    )


def _describe_round(session, meeting, ctx: CliContext) -> str:
    s = _schedule(session, meeting, ctx)
    return f"cut-off {_fmt(meeting.cutoff)} (call {_fmt(s.call_day)}, chase {_fmt(s.chase_day)})"


def _late_warning(session, meeting, ctx: CliContext, now: dt.datetime) -> str | None:
    from storage.calendar import local_today

    s = _schedule(session, meeting, ctx)
    today = local_today(now, ctx.settings.tz)
    if today > meeting.cutoff:
        return (
            "  note: the cut-off has passed: no call or chase goes out, and the board pack is published on "
            "the next pass. Give a later --cutoff to ask the leads first."
        )
    if today > s.call_day:
        return "  note: the call day has passed: the call goes out on the next pass (a late call)."
    return None


@board.command("add")
@click.argument("date")
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option(
    "--name", default=None, help='The meeting\'s name (default "Board"); the pack is "NAME 16 March 2027".'
)
@click.option(
    "--cutoff",
    "cutoff_text",
    default=None,
    metavar="DATE",
    help="Last day for updates (default: 5 working days before).",
)
@click.option("--now", "now_text", default=None, metavar="ISO_DATETIME", help=NOW_HELP)
@pass_ctx
def board_add(
    ctx: CliContext,
    date: str,
    plan_name: str | None,
    name: str | None,
    cutoff_text: str | None,
    now_text: str | None,
) -> None:
    """Add a board meeting on DATE."""
    from storage.calendar import local_today
    from storage.meetings import add_meeting, default_cutoff, meeting_label
    from storage.plans import get_plan

    now = _now(ctx, now_text)
    today = local_today(now, ctx.settings.tz)
    day = _day(date, today=today, option="DATE")
    calendar = _config(ctx).calendar
    cutoff = (
        _day(cutoff_text, today=today, option="--cutoff") if cutoff_text else default_cutoff(day, calendar)
    )
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        meeting = add_meeting(session, plan, day, cutoff=cutoff, today=today, now=now, name=name)
        click.echo(
            f"added {meeting_label(meeting)} to {plan.name}: {_describe_round(session, meeting, ctx)}{_flags(day, calendar)}"
        )
        warning = _late_warning(session, meeting, ctx, now)
        if warning:
            click.echo(warning)
        if not plan.board_channel:
            click.echo(
                f"  note: no board channel is set: `progressbot board channel CHANNEL_ID --plan {plan.name}`"
            )


@board.command("repeat")
@click.argument("rule")
@click.option(
    "--until", "until_text", required=True, metavar="DATE", help="The last date to add a meeting on."
)
@click.option(
    "--from",
    "from_text",
    default=None,
    metavar="DATE",
    help="Where the rule starts counting (default: today).",
)
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option("--name", default=None, help='The meetings\' name (default "Board").')
@click.option("--now", "now_text", default=None, metavar="ISO_DATETIME", help=NOW_HELP)
@pass_ctx
def board_repeat(
    ctx: CliContext,
    rule: str,
    until_text: str,
    from_text: str | None,
    plan_name: str | None,
    name: str | None,
    now_text: str | None,
) -> None:
    """Add meetings by a plain-English RULE, e.g. "monthly on the second Tuesday"; prints the dates."""
    from storage.calendar import local_today
    from storage.meeting_rules import parse_rule
    from storage.meetings import meeting_label, repeat_meetings
    from storage.plans import get_plan

    now = _now(ctx, now_text)
    today = local_today(now, ctx.settings.tz)
    until = _day(until_text, today=today, option="--until")
    start = _day(from_text, today=today, option="--from") if from_text else today
    if until > today + dt.timedelta(days=3 * 366):
        raise UserError("--until is more than three years away; add meetings a few years at a time")
    calendar = _config(ctx).calendar
    with _user_errors(), ctx.session_factory.begin() as session:
        parsed = parse_rule(rule)
        # Counted from the start (which sets the phase of "every 2 months"), added from today on.
        dates = [d for d in parsed.dates(start, until) if d >= today]
        if not dates:
            raise UserError(
                f'"{parsed.describe()}" gives no meeting from {max(start, today).isoformat()} to {until.isoformat()}'
            )
        plan = get_plan(session, plan_name)
        result = repeat_meetings(
            session, plan, dates, calendar=calendar, today=today, now=now, name=name, rule=rule
        )
        click.echo(f"read as: {parsed.describe()}")
        for meeting in result.added:
            click.echo(
                f"  {_fmt(meeting.date)}  {meeting_label(meeting)}: {_describe_round(session, meeting, ctx)}{_flags(meeting.date, calendar)}"
            )
        for day in result.existing:
            click.echo(f"  {_fmt(day)}  already had a meeting: left as it was")
        for day in result.too_late:
            click.echo(
                f"  {_fmt(day)}  left out: its cut-off has passed, so nobody could be asked "
                "(`progressbot board add` takes it anyway)"
            )
        click.echo(f"added {len(result.added)} meeting(s) to {plan.name}")
        if result.added:
            warning = _late_warning(session, result.added[0], ctx, now)
            if warning:
                click.echo(warning)
        if result.added and not plan.board_channel:
            click.echo(
                f"  note: no board channel is set: `progressbot board channel CHANNEL_ID --plan {plan.name}`"
            )


@board.command("list")
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON list on stdout.")
@click.option("--now", "now_text", default=None, metavar="ISO_DATETIME", help=NOW_HELP)
@pass_ctx
def board_list(ctx: CliContext, plan_name: str | None, as_json: bool, now_text: str | None) -> None:
    """The plan's meetings: dates, cut-offs, when the call and chase go (or went), the pack published."""
    from jobs.board import round_marks
    from storage.meetings import list_meetings, meeting_label
    from storage.plans import get_plan

    now = _now(ctx, now_text)
    tz = ctx.settings.tz
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        meetings = list_meetings(session, plan)
        marks = round_marks(session, [m.id for m in meetings])
        rows = []
        for m in meetings:
            s = _schedule(session, m, ctx)
            called, chased = marks.get(m.id, (None, None))
            rows.append(
                {
                    "date": m.date.isoformat(),
                    "name": m.name,
                    "label": meeting_label(m),
                    "cutoff": m.cutoff.isoformat(),
                    "call_day": s.call_day.isoformat(),
                    "chase_day": s.chase_day.isoformat(),
                    "status": _list_status(m, now, tz),
                    "called_at": called.astimezone(tz).isoformat() if called else None,
                    "chased_at": chased.astimezone(tz).isoformat() if chased else None,
                    "published_version": m.version.version if m.version else None,
                    "rule": m.rule,
                }
            )
        channel = plan.board_channel
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"{plan.name} has no board meetings: add one with `progressbot board add DATE`.")
        return
    click.echo(
        f"Board meetings of {plan.name} (board pack to {channel or 'no channel: set one with `board channel`'}):"
    )
    width = max(len(r["label"]) for r in rows)
    for r in rows:
        day, cutoff, call, chase = (
            dt.date.fromisoformat(r[k]) for k in ("date", "cutoff", "call_day", "chase_day")
        )
        click.echo(
            f"  {_fmt(day)}  {r['label']:<{width}}  cut-off {_fmt(cutoff)}  call {_fmt(call)}  "
            f"chase {_fmt(chase)}  {r['status']}"
        )


def _list_status(meeting, now: dt.datetime, tz) -> str:
    if meeting.status != "scheduled":
        return "cancelled"
    if meeting.version is not None:
        return f"published: {meeting.version.version}"
    today = now.astimezone(tz).date()
    if today > meeting.date:
        return "held (no pack published)"
    return "scheduled"


@board.command("remove")
@click.argument("date")
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option("--now", "now_text", default=None, metavar="ISO_DATETIME", help=NOW_HELP)
@pass_ctx
def board_remove(ctx: CliContext, date: str, plan_name: str | None, now_text: str | None) -> None:
    """Remove the meeting on DATE (cancelled, and leads told, if its call has gone out)."""
    from storage.calendar import local_today
    from storage.meetings import find_meeting, meeting_label, remove_meeting
    from storage.plans import get_plan

    now = _now(ctx, now_text)
    day = _day(date, today=local_today(now, ctx.settings.tz), option="DATE")
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        meeting = find_meeting(session, plan, day)
        label = meeting_label(meeting)
        outcome = remove_meeting(session, meeting, now=now)
    if outcome == "deleted":
        click.echo(f"removed {label} from {plan.name}: nothing had been sent for it")
    else:
        click.echo(
            f"cancelled {label} ({plan.name}): its call had gone out, so leads still to update are told on the "
            "next pass that nothing more is needed for it; the record of what was sent is kept"
        )


@board.command("move")
@click.argument("date")
@click.argument("new_date")
@click.option(
    "--cutoff",
    "cutoff_text",
    default=None,
    metavar="DATE",
    help="New cut-off (default: 5 working days before).",
)
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option("--now", "now_text", default=None, metavar="ISO_DATETIME", help=NOW_HELP)
@pass_ctx
def board_move(
    ctx: CliContext,
    date: str,
    new_date: str,
    cutoff_text: str | None,
    plan_name: str | None,
    now_text: str | None,
) -> None:
    """Move the meeting on DATE to NEW_DATE, keeping its round (nobody is asked twice)."""
    from storage.calendar import local_today
    from storage.meetings import default_cutoff, find_meeting, meeting_label, move_meeting, round_started
    from storage.plans import get_plan

    now = _now(ctx, now_text)
    today = local_today(now, ctx.settings.tz)
    day, new_day = _day(date, today=today, option="DATE"), _day(new_date, today=today, option="NEW_DATE")
    calendar = _config(ctx).calendar
    cutoff = (
        _day(cutoff_text, today=today, option="--cutoff")
        if cutoff_text
        else default_cutoff(new_day, calendar)
    )
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        meeting = find_meeting(session, plan, day)
        started = round_started(session, meeting)
        move_meeting(session, meeting, new_day, cutoff=cutoff, today=today, now=now)
        click.echo(
            f"moved to {meeting_label(meeting)}: {_describe_round(session, meeting, ctx)}{_flags(new_day, calendar)}"
        )
        if started:
            click.echo(
                "  leads already asked who still have updates to give are told the new dates on the next pass"
            )
        warning = _late_warning(session, meeting, ctx, now)
        if warning:
            click.echo(warning)


@board.command("pack")
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option(
    "--meeting",
    "meeting_text",
    default=None,
    metavar="DATE",
    help="The meeting on DATE (default: the last published).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: the pack's name).",
)
@pass_ctx
def board_pack(ctx: CliContext, plan_name: str | None, meeting_text: str | None, out: Path | None) -> None:
    """Write the board pack exactly as it was published and sent (DOCX)."""
    from sqlalchemy import select

    from jobs.board_publish import pack_filename
    from storage.meetings import find_meeting, meeting_label
    from storage.models import Meeting
    from storage.plans import get_plan

    today = dt.datetime.now(ctx.settings.tz).date()
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        if meeting_text:
            meeting = find_meeting(session, plan, _day(meeting_text, today=today, option="--meeting"))
        else:
            meeting = session.scalars(
                select(Meeting)
                .where(Meeting.plan_id == plan.id, Meeting.version_id.is_not(None))
                .order_by(Meeting.date.desc())
                .limit(1)
            ).first()
            if meeting is None:
                raise UserError(f"no board pack of {plan.name} has been published yet")
        if meeting.pack_docx is None:
            raise UserError(f"the board pack for {meeting_label(meeting)} has not been published yet")
        path = out or Path(pack_filename(meeting))
        blob, label = meeting.pack_docx, meeting_label(meeting)
    try:
        path.write_bytes(blob)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"wrote the board pack for {label} to {path}")


@board.command("channel")
@click.argument("channel_id")
@click.option("--plan", "plan_name", help=PLAN_HELP)
@pass_ctx
def board_channel(ctx: CliContext, channel_id: str, plan_name: str | None) -> None:
    """Post the board pack to CHANNEL_ID ("none" to stop); board members also get it by DM."""
    from storage.meetings import set_board_channel
    from storage.plans import get_plan

    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        channel = set_board_channel(session, plan, channel_id)
        name = plan.name
    if channel:
        click.echo(f"{name}: the board pack goes to {channel} (invite the bot there: /invite @progressbot)")
    else:
        click.echo(f"{name}: no board channel; the board pack goes to board members by DM only")


@board.command("status")
@click.option("--plan", "plan_name", help=PLAN_HELP)
@click.option(
    "--meeting",
    "meeting_text",
    default=None,
    metavar="DATE",
    help="The meeting on DATE (default: the next one).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option("--now", "now_text", default=None, metavar="ISO_DATETIME", help=NOW_HELP)
@pass_ctx
def board_status(
    ctx: CliContext, plan_name: str | None, meeting_text: str | None, as_json: bool, now_text: str | None
) -> None:
    """Who has answered for a meeting: per lead, the actions asked about, updated and outstanding."""
    from jobs.board import default_meeting, meeting_status
    from storage.calendar import local_today
    from storage.meetings import find_meeting
    from storage.plans import get_plan

    now = _now(ctx, now_text)
    tz = ctx.settings.tz
    today = local_today(now, tz)
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        if meeting_text:
            meeting = find_meeting(session, plan, _day(meeting_text, today=today, option="--meeting"))
        else:
            meeting = default_meeting(session, plan, today)
            if meeting is None:
                raise UserError(
                    f"{plan.name} has no board meetings: add one with `progressbot board add DATE`"
                )
        status = meeting_status(session, meeting, now, config=_config(ctx))
    if as_json:
        click.echo(json.dumps(status.as_json(tz), indent=2, ensure_ascii=False))
        return
    for line in status_lines(status, tz):
        click.echo(line)


def status_lines(status, tz) -> list[str]:
    def when(value: dt.datetime | None, planned: dt.date) -> str:
        if value is None:
            return f"{_fmt(planned)} (not sent)"
        local = value.astimezone(tz)
        return f"sent {_fmt(local.date())} {local:%H:%M}"

    lines = [
        f"{status.label} ({status.plan}): {status.state}",
        f"  meeting   {_fmt(status.meeting)}",
        f"  cut-off   {_fmt(status.cutoff)} (updates count until the end of the day)",
        f"  call      {when(status.called_at, status.call_day)}",
        f"  chase     {when(status.chased_at, status.chase_day)}",
    ]
    if status.published_version:
        published = status.published_at.astimezone(tz) if status.published_at else None
        lines.append(
            f"  published {status.published_version}"
            + (f" on {_fmt(published.date())} {published:%H:%M}" if published else "")
        )
    if not status.leads:
        lines.append("  no open actions: nobody is asked for an update")
        return lines
    lines.append(f"  {status.responded} of {len(status.leads)} leads have updated")
    width = max(len(lead.name) for lead in status.leads)
    for lead in status.leads:
        outstanding = ", ".join(lead.outstanding) or "-"
        note = f"  ({lead.note})" if lead.note else ""
        lines.append(
            f"  {lead.name:<{width}}  {lead.slack_user or '(no Slack)':<11} asked {lead.asked:>2}  "
            f"updated {lead.updated:>2}  outstanding: {outstanding}{note}"
        )
    return lines
