"""Slack commands: ``web`` (HTTP mode), ``run`` (Socket Mode + the scheduler), ``leads sync``."""

from __future__ import annotations

import logging
import threading

import click

from progressbot.cli import CliContext, TryAgainLater, UserError, pass_ctx
from progressbot.config import ConfigError
from progressbot.lifecycle import Deadline, StopSignal, exit_now

log = logging.getLogger(__name__)


def _require(ctx: CliContext, *, socket_mode: bool) -> None:
    try:
        ctx.settings.require_slack(socket_mode=socket_mode)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


@click.command("web")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port to listen on (default: $PORT, else 3000; 0 picks a free one and prints it).",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@pass_ctx
def web(ctx: CliContext, port: int | None, host: str) -> None:
    """Serve Slack over HTTP: POST /slack/events (events, commands, interactivity) and GET /healthz.

    For production use gunicorn with progressbot.wsgi:application (see the Procfile); this runs the same app on
    a threaded stdlib server. SIGTERM stops it like Ctrl-C: no new requests, acknowledged work finished.
    """
    from bot.app import create_app
    from bot.wsgi import database_health, make_server, make_wsgi_app
    from progressbot.wsgi import form_app
    from storage.db import make_read_session_factory

    _require(ctx, socket_mode=False)
    factory = ctx.session_factory
    port = ctx.settings.port if port is None else port
    app = create_app(ctx.settings, factory)
    forms = form_app(ctx.settings, factory, app)
    wsgi_app = make_wsgi_app(
        app, health=database_health(make_read_session_factory(factory.kw["bind"])), forms=forms
    )
    try:
        server = make_server(wsgi_app, host, port)
    except OSError as exc:
        app.progressbot_shutdown(0)
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    with StopSignal() as stop:
        serving = threading.Thread(target=server.serve_forever, name="http-server", daemon=True)
        serving.start()
        click.echo(f"progressbot web: listening on http://{host}:{server.server_port}/slack/events", err=True)
        if forms is not None:
            click.echo(
                f"progressbot web: update form for leads outside Slack at {ctx.settings.public_url}/u/…",
                err=True,
            )
        click.echo(f"progressbot web: stopping on {stop.wait()} (finishing acknowledged work)", err=True)
        server.shutdown()  # no new requests
        server.server_close()
        finished = app.progressbot_shutdown(ctx.settings.shutdown_timeout)
    click.echo(
        f"progressbot web: stopped{'' if finished else ' (some work left for the next start)'}", err=True
    )


def _start_scheduler(ctx: CliContext, client) -> object | None:
    """The scheduler's jobs in this process, on APScheduler's BackgroundScheduler (its own thread)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from progressbot.scheduler import create_scheduler

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
    """Run the bot over Socket Mode (no public URL needed) with the reminder scheduler, in one process.

    SIGTERM stops it like Ctrl-C: no new requests, acknowledged work finished, the scheduler shut down.
    """
    from bot.app import create_app
    from progressbot.scheduler import stop_scheduler
    from progressbot.socket_mode import make_socket_handler, stop_socket_handler

    _require(ctx, socket_mode=True)
    app = create_app(ctx.settings, ctx.session_factory, socket_mode=True)
    handler = make_socket_handler(app, ctx.settings)
    with StopSignal() as stop:
        scheduler = None if no_scheduler else _start_scheduler(ctx, app.client)
        click.echo("progressbot run: connecting to Slack over Socket Mode", err=True)
        handler.connect()  # returns once connected; the socket client works on its own threads
        click.echo(f"progressbot run: stopping on {stop.wait()} (finishing acknowledged work)", err=True)
        deadline = Deadline(ctx.settings.shutdown_timeout)
        stop_socket_handler(handler, deadline.left())
        finished = app.progressbot_shutdown(deadline.left())
        if scheduler is not None:
            finished = stop_scheduler(scheduler, deadline.left()) and finished
    click.echo(
        f"progressbot run: stopped{'' if finished else ' (some work left for the next start)'}", err=True
    )
    if not finished:
        exit_now(0)


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
