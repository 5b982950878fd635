"""Slack commands: ``web`` (HTTP mode), ``run`` (Socket Mode + the scheduler), ``leads sync``."""

from __future__ import annotations

import logging

import click

from progressbot.cli import CliContext, TryAgainLater, UserError, pass_ctx
from progressbot.config import ConfigError

log = logging.getLogger(__name__)


def _require(ctx: CliContext, *, socket_mode: bool) -> None:
    try:
        ctx.settings.require_slack(socket_mode=socket_mode)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


@click.command("web")
@click.option("--port", type=int, default=None, help="Port to listen on (default: $PORT, else 3000).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@pass_ctx
def web(ctx: CliContext, port: int | None, host: str) -> None:
    """Serve Slack over HTTP: POST /slack/events (events, commands, interactivity) and GET /healthz.

    For production use gunicorn with bot.wsgi:application (see the Procfile); this runs the same app on
    a threaded stdlib server.
    """
    from bot.app import create_app
    from bot.wsgi import database_health, form_app, make_server, make_wsgi_app

    _require(ctx, socket_mode=False)
    factory = ctx.session_factory
    app = create_app(ctx.settings, factory)
    forms = form_app(ctx.settings, factory, app)
    wsgi = make_wsgi_app(app, health=database_health(factory), forms=forms)
    server = make_server(wsgi, host, port or ctx.settings.port)
    click.echo(f"progressbot web: listening on http://{host}:{server.server_port}/slack/events", err=True)
    if forms is not None:
        click.echo(
            f"progressbot web: update form for leads outside Slack at {ctx.settings.public_url}/u/…", err=True
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("progressbot web: stopped", err=True)
    finally:
        server.server_close()


def _start_scheduler(ctx: CliContext, client) -> object | None:
    """The scheduler's jobs in this process, on APScheduler's BackgroundScheduler (its own thread)."""
    try:
        from jobs.scheduler import create_scheduler
    except ImportError:
        log.warning("jobs.scheduler is not available in this build: running the Slack app without reminders")
        return None
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = create_scheduler(
        ctx.settings, ctx.session_factory, client, scheduler_class=BackgroundScheduler
    )
    scheduler.start()
    log.info("scheduler started in the background")
    return scheduler


@click.command("run")
@click.option(
    "--no-scheduler", is_flag=True, help="Only the Slack app (when `progressbot worker` runs elsewhere)."
)
@pass_ctx
def run(ctx: CliContext, no_scheduler: bool) -> None:
    """Run the bot over Socket Mode (no public URL needed) with the reminder scheduler, in one process."""
    from bot.app import create_app
    from bot.socket import make_socket_handler

    _require(ctx, socket_mode=True)
    app = create_app(ctx.settings, ctx.session_factory, socket_mode=True)
    scheduler = None if no_scheduler else _start_scheduler(ctx, app.client)
    handler = make_socket_handler(app, ctx.settings)
    click.echo("progressbot run: connecting to Slack over Socket Mode", err=True)
    try:
        handler.start()
    except KeyboardInterrupt:
        click.echo("progressbot run: stopped", err=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)


@click.command("sync")
@pass_ctx
def leads_sync(ctx: CliContext) -> None:
    """Link unlinked leads to Slack users (by email, else exact unique real name) and store time zones."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.directory import sync_leads
    from bot.logs import install_redaction
    from bot.slack_client import make_client
    from jobs.sender import classify

    if not ctx.settings.slack_bot_token:
        raise UserError("missing Slack settings: SLACK_BOT_TOKEN (see README, 'Connect to Slack')")
    install_redaction(ctx.settings)
    client = make_client(ctx.settings)
    factory = ctx.session_factory
    try:
        with factory.begin() as session:
            result = sync_leads(session, client)
    except SlackApiError as exc:
        refused = classify(exc)
        if refused.stop and refused.error != "ratelimited":
            raise UserError(f"{refused.hint}; nothing was linked") from None
        if refused.retryable or refused.stop:
            raise TryAgainLater(
                f"Slack answered {refused.error}: try again later; nothing was linked"
            ) from None
        raise UserError(f"Slack refused {refused.error}; nothing was linked") from None
    except (SlackClientError, OSError) as exc:  # refused, DNS, timeout: Slack was never reached
        reason = getattr(exc, "reason", None) or exc
        raise TryAgainLater(
            f"cannot reach Slack at {ctx.settings.slack_api_url} ({reason}); nothing was linked"
        ) from None
    for name, uid, how in result.linked:
        click.echo(f"linked     {name} -> {uid} (by {how})")
    for name, candidates in result.ambiguous:
        click.echo(f"ambiguous  {name}: {', '.join(candidates)} (link by hand: progressbot leads link)")
    for name in result.not_found:
        click.echo(f"not found  {name}")
    click.echo(
        f"{len(result.linked)} linked, {len(result.ambiguous)} ambiguous, {len(result.not_found)} not found, "
        f"{result.timezones} time zone(s) stored"
    )


def register(main: click.Group) -> None:
    """Attach this module's commands to the top-level group (and its subgroups)."""
    main.add_command(web)
    main.add_command(run)
    main.commands["leads"].add_command(leads_sync)  # type: ignore[attr-defined]
