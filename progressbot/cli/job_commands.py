"""The scheduler's commands: ``worker``, ``remind``, ``digest`` and ``policy show|set``.

``remind`` and ``digest`` run one pass of what the worker runs on its schedule, for operators, cron and
tests; ``--now`` replays any moment (the ledger and DigestPost still stop repeats) and ``--dry-run``
prints the messages instead of sending them. Exit codes: 0 the pass ran (or another pass holds the
lease and is doing the work); 2 something must be fixed first (an option, a setting, the Slack token or
the app's scopes), nothing was marked failed; 3 Slack was unreachable or kept rate limiting, and what
was not sent stays pending for the next pass.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from progressbot.cli import CliContext, TryAgainLater, UserError, pass_ctx
from progressbot.lifecycle import StopSignal, exit_now
from storage.errors import ProgressbotError

RATE_HELP = "Messages per second the sender paces itself to (default: PROGRESSBOT_SEND_RATE, 1)."


def register(main: click.Group) -> None:
    """Attach this module's commands to the top-level group (and its subgroups)."""
    main.add_command(worker)
    main.add_command(remind)
    main.add_command(digest)
    main.add_command(policy)


def _parse_now(ctx: CliContext, text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--now must be an ISO date-time like 2026-11-23T09:30, got {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ctx.settings.tz)  # a wall-clock time in PROGRESSBOT_TIMEZONE
    return value


def _client(ctx: CliContext):
    if not ctx.settings.slack_bot_token:
        raise UserError("SLACK_BOT_TOKEN is not set (see README, 'Connect to Slack')")
    from bot.slack_client import make_client

    return make_client(ctx.settings)


def _stopped(hint: str | None, *, needs_fixing: bool) -> click.ClickException:
    """The one line for a pass that stopped early: exit 2 when a person must fix something, else 3."""
    hint = hint or "the pass stopped early; what was not sent stays pending"
    return UserError(hint) if needs_fixing else TryAgainLater(hint)


def _block_text(blocks: list[dict]) -> list[str]:
    """Blocks as the lines a person reads (for --dry-run)."""
    lines = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            lines.extend(text.get("text", "").splitlines())
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                lines.append(element.get("text", ""))
            elif element.get("type") == "button":
                lines.append(f"[{element['text']['text']}]")
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            lines.append(f"    [{accessory['text']['text']}]")
    return lines


@click.command()
@click.option("--rate", type=float, default=None, help=RATE_HELP)
@pass_ctx
def worker(ctx: CliContext, rate: float | None) -> None:
    """Run the scheduler: reminder passes every 15 minutes and the weekly digest. Run exactly one."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from progressbot.scheduler import create_scheduler, stop_scheduler

    client = _client(ctx)
    try:
        scheduler = create_scheduler(
            ctx.settings, ctx.session_factory, client, rate=rate, scheduler_class=BackgroundScheduler
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with StopSignal() as stop:
        scheduler.start()
        click.echo(f"progressbot worker: scheduling in {ctx.settings.timezone}; Ctrl-C to stop", err=True)
        signal_name = stop.wait()
        click.echo(f"progressbot worker: stopping on {signal_name} (letting a running pass finish)", err=True)
        # A pass cut short is safe (it resumes from the ledger), but one that finishes is tidier.
        finished = stop_scheduler(scheduler, ctx.settings.shutdown_timeout)
    click.echo(f"progressbot worker: stopped{'' if finished else ' (a pass was cut short)'}", err=True)
    if not finished:
        exit_now(0)


@click.command()
@click.option("--now", "now_text", metavar="ISO_DATETIME", help="Run as if it were this moment.")
@click.option("--dry-run", is_flag=True, help="Print the messages instead of sending them; write nothing.")
@click.option("--rate", type=float, default=None, help=RATE_HELP)
@pass_ctx
def remind(ctx: CliContext, now_text: str | None, dry_run: bool, rate: float | None) -> None:
    """One reminder pass: reminders, overdue chases, escalations, the unlinked-leads notice."""
    from jobs.planner import PlannerConfig
    from jobs.reminders import run_reminder_pass

    now = _parse_now(ctx, now_text)
    config = PlannerConfig.from_settings(ctx.settings)
    client = None if dry_run else _client(ctx)
    from mail.outbox import email_channel

    result = run_reminder_pass(
        ctx.session_factory,
        client,
        now,
        dry_run=dry_run,
        config=config,
        rate=rate or ctx.settings.send_rate,
        email=None if dry_run else email_channel(ctx.settings),
    )
    if dry_run:
        if not result.previews:
            click.echo(f"No messages due at {now.isoformat()}.")
        for preview in result.previews:
            click.echo(f"--- to {preview['to']} ({preview['kind']}) ---")
            for line in _block_text(preview["blocks"]):
                click.echo(line)
        click.echo(f"{len(result.previews)} message(s) would be sent (dry run: nothing sent or recorded).")
        return
    click.echo(f"reminder pass at {now.isoformat()}: {result.summary()}")
    if result.stopped:
        raise _stopped(result.hint, needs_fixing=result.needs_fixing)


@click.command()
@click.option("--now", "now_text", metavar="ISO_DATETIME", help="Run as if it were this moment.")
@click.option("--dry-run", is_flag=True, help="Print the digest instead of posting it; write nothing.")
@click.option("--channel", help="Channel id (default PROGRESSBOT_DIGEST_CHANNEL).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the digest's Block Kit JSON; posts nothing (implies --dry-run).",
)
@pass_ctx
def digest(ctx: CliContext, now_text: str | None, dry_run: bool, channel: str | None, as_json: bool) -> None:
    """Post this week's digest (at most once per ISO week per channel)."""
    from jobs.digest import run_digest

    channel = channel or ctx.settings.digest_channel
    if not channel:
        raise UserError("no channel: set PROGRESSBOT_DIGEST_CHANNEL or pass --channel")
    now = _parse_now(ctx, now_text)
    if as_json and not dry_run:
        # Printing the JSON is for looking at it: it never posts as a side effect.
        click.echo("progressbot: --json prints the digest and posts nothing (as with --dry-run)", err=True)
    dry_run = dry_run or as_json
    client = None if dry_run else _client(ctx)
    result = run_digest(
        ctx.session_factory, client, now, channel=channel, tz_name=ctx.settings.timezone, dry_run=dry_run
    )
    if as_json:
        payload = {"week": result.week, "channel": channel, "already_posted": result.already}
        click.echo(
            json.dumps(
                {**payload, "text": result.text, "blocks": result.blocks}, indent=2, ensure_ascii=False
            )
        )
        return
    if dry_run:
        click.echo(f"--- digest for {result.week} to {channel} ---")
        for line in _block_text(result.blocks):
            click.echo(line)
        if result.already:
            click.echo(f"(this week's digest was already posted to {channel}; a real run would post nothing)")
        return
    if result.error or result.stopped:
        raise _stopped(result.hint, needs_fixing=result.needs_fixing or bool(result.error))
    if result.already:
        click.echo(f"digest for {result.week} already posted to {channel}: nothing sent")
    elif not result.ran:
        click.echo("another worker is posting the digest: nothing sent")
    else:
        click.echo(f"digest for {result.week} posted to {channel}" + (" with chart" if result.chart else ""))


@click.group()
def policy() -> None:
    """Show or change a plan's reminder policy."""


@policy.command("show")
@click.option("--plan", "plan_name", help="Plan name (default: the only plan).")
@pass_ctx
def policy_show(ctx: CliContext, plan_name: str | None) -> None:
    """Every policy key, its value for the plan, and whether it is the default."""
    from storage.policy import DESCRIPTIONS, describe, find_plan

    with ctx.session_factory() as session:
        try:
            plan = find_plan(session, plan_name)
        except ProgressbotError as exc:
            raise UserError(str(exc)) from None
        click.echo(f"Reminder policy for {plan.name}:")
        for key, value, source in describe(plan):
            click.echo(f"  {key:<25} {value:<12} {source:<8} {DESCRIPTIONS[key]}")


@policy.command("set")
@click.option("--plan", "plan_name", help="Plan name (default: the only plan).")
@click.argument("key")
@click.argument("value")
@pass_ctx
def policy_set(ctx: CliContext, plan_name: str | None, key: str, value: str) -> None:
    """Set KEY to VALUE for the plan ("default" removes the override)."""
    from storage.policy import describe, find_plan, set_policy_value

    try:
        with ctx.session_factory.begin() as session:
            plan = find_plan(session, plan_name)
            set_policy_value(session, plan, key, value)
            shown = {k: (v, s) for k, v, s in describe(plan)}
            name = plan.name
    except ProgressbotError as exc:
        raise UserError(str(exc)) from None
    canonical = key.strip().lower().replace("-", "_")
    new, source = shown[canonical]
    click.echo(f"{name}: {canonical} = {new} ({source})")
