"""The ``progressbot`` command. Thin: parse arguments, call plain functions, print.

Each feature keeps its commands in its own module here and attaches them in ``register``.
Expected failures are one line on stderr and no traceback:

- ``UserError``, exit code 2: something a person must fix (an argument, a setting, the Slack token);
- ``TryAgainLater``, exit code 3: Slack could not be reached or kept rate limiting; the work is kept
  and the next run (or the worker's next pass) does it.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from functools import cached_property

import click

from progressbot.config import ConfigError, Settings, database_url, hide_secrets


class UserError(click.ClickException):
    """Bad input from the person at the keyboard: one clear line, exit 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(hide_secrets(message))  # what a person typed may hold a password

    def show(self, file=None) -> None:
        click.echo(f"progressbot: error: {self.message}", err=True)


class TryAgainLater(click.ClickException):
    """Slack could not take the work now; it is kept for the next run: one line, exit 3."""

    exit_code = 3

    def show(self, file=None) -> None:
        click.echo(f"progressbot: {self.message}", err=True)


@dataclass
class CliContext:
    settings: Settings
    database_url_override: str | None = None
    _opened: list = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.database_url_override or self.settings.database_url

    @cached_property
    def session_factory(self):
        """Open the database on first use, applying migrations (they are idempotent)."""
        from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

        from storage.db import open_database

        shown = _safe_url(self.database_url)
        try:
            engine, factory = open_database(self.database_url)
        except DBAPIError as exc:
            reason = (
                str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
            )
            raise UserError(f"cannot open the database {shown}: {reason}") from None
        except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
            raise UserError(
                f"cannot use the database URL {shown} ({exc}): give sqlite:///path/to/file.db, "
                "postgresql://user:pass@host/db, or a path to a SQLite file"
            ) from None
        self._opened.append(engine)
        return factory

    def read_quickly(self, work):
        """``work(run)`` (``run(sql, params) -> rows``, see ``storage.plan_rows``) on a SQLite file already
        at the newest schema, through the standard library's sqlite3: no SQLAlchemy to load, which is
        most of a short command's time. None when that does not apply (see
        ``storage.sqlite_file.read_quickly``); the caller then takes ``session_factory``.
        """
        if logging.getLogger().isEnabledFor(logging.INFO):
            return None  # -v: the usual path, whose SQLAlchemy and Alembic logging was asked for
        from storage.sqlite_file import read_quickly

        return read_quickly(self.database_url, work)

    def close(self) -> None:
        for engine in self._opened:
            engine.dispose()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable DATABASE_URL)"


pass_ctx = click.make_pass_decorator(CliContext)

GLOBAL_OPTION = "--database-url"


def hoist_global_options(args: list[str]) -> list[str]:
    """``--database-url`` may come after the subcommand too: move it in front (nothing after ``--``)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == GLOBAL_OPTION and i + 1 < len(args):
            front += args[i : i + 2]
            i += 2
            continue
        (front if arg.startswith(GLOBAL_OPTION + "=") else rest).append(arg)
        i += 1
    return front + rest


class ProgressbotGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))


@click.group(cls=ProgressbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    GLOBAL_OPTION,
    "database_url_text",
    envvar=None,
    default=None,
    help="Override DATABASE_URL for this command (a URL, or a path to a SQLite file); before or after the command.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
@click.version_option(package_name="progressbot")
@click.pass_context
def main(click_ctx: click.Context, database_url_text: str | None, verbose: bool) -> None:
    """progressbot: import an improvement plan, remind leads in Slack, compile the board report."""
    try:
        settings = Settings.from_env()
        override = database_url(database_url_text, name="--database-url") if database_url_text else None
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    # Long-running processes log at the configured level; one-shot commands already say what they did
    # on stdout, so they only log warnings unless asked.
    configured = getattr(logging, settings.log_level.upper(), logging.INFO)
    long_running = click_ctx.invoked_subcommand in {"web", "worker", "run"}
    logging.basicConfig(
        level=logging.DEBUG
        if verbose
        else (configured if long_running else max(configured, logging.WARNING)),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic announces every plugin at INFO; operators only need to hear from it when it fails.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    ctx = CliContext(settings=settings, database_url_override=override)
    click_ctx.obj = ctx
    click_ctx.call_on_close(ctx.close)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: CliContext) -> None:
    """Apply every migration (also done automatically at start-up)."""
    _ = ctx.session_factory
    click.echo(f"database is up to date: {_safe_url(ctx.database_url)}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@pass_ctx
def db_revision(ctx: CliContext, message: str) -> None:
    """For developers: write a new migration from the difference between the models and the database."""
    from alembic import command

    from storage.db import alembic_config

    _ = ctx.session_factory  # brings the database up to date first, so the diff is only the new change
    command.revision(alembic_config(ctx.database_url), message=message, autogenerate=True)


@main.group()
def leads() -> None:
    """The people who lead actions, and their links to Slack."""


@main.group()
def plan() -> None:
    """Inspect imported plans."""


@main.group()
def roles() -> None:
    """Grant or revoke the admin and board roles."""


def _register_features() -> None:
    from progressbot.cli import (
        action_commands,
        board_commands,
        job_commands,
        plan_commands,
        record_commands,
        report_commands,
        slack_commands,
    )

    for module in (
        plan_commands,
        record_commands,
        report_commands,
        slack_commands,
        job_commands,
        board_commands,
        action_commands,
    ):
        module.register(main)


_register_features()
