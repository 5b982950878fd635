"""What every listener needs, passed explicitly: settings, the session factory, the Slack client, a clock.

Listeners get a ``Services`` in ``register(app, services)``; nothing is global, so tests build one
with a fixed clock and a client pointed at the fake Slack server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_sdk import WebClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from progressbot.config import Settings

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


T = TypeVar("T")
# Few threads on purpose: writes take turns anyway, and every extra runnable thread takes interpreter
# time from the threads that acknowledge requests.
AFTER_ACK_THREADS = 4
MAX_DEFER_SECONDS = 0.25
_SQLITE_WRITER = threading.Lock()
WRITE_ATTEMPTS = 5


def _write_conflict(exc: OperationalError) -> bool:
    """SQLite's "database is locked": a writer raced us (WAL cannot upgrade a stale read snapshot)."""
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


@dataclass
class Services:
    settings: Settings
    session_factory: sessionmaker[Session]
    client: WebClient
    clock: Callable[[], dt.datetime] = field(default=utc_now)
    # Work after ack() (DMs, modals, uploads) runs here, not in Bolt's listener thread: Bolt clears a
    # sent acknowledgement when a listener raises after ack(), which would turn a delivered answer into a
    # timeout. Errors go to the same handler as @app.error (set by bot.listeners.errors.register).
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=AFTER_ACK_THREADS, thread_name_prefix="slack-after-ack"
        )
    )
    on_error: Callable[[Exception, dict], None] | None = None
    _sqlite: bool | None = field(default=None, repr=False)
    # Requests not yet acknowledged; work after ack() waits (a little) for them, see ``after_ack``.
    _in_flight: int = field(default=0, repr=False)
    _quiet: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @contextlib.contextmanager
    def acknowledging(self):
        """Wrap the handling of one HTTP request up to its acknowledgement (``bot.wsgi`` does)."""
        with self._quiet:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._quiet:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._quiet.notify_all()

    def transaction(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in one transaction; re-run it whole when SQLite reports a write conflict.

        On SQLite, write transactions in this process take turns (a lock), because SQLite allows one
        writer and a transaction that read first cannot start writing once another has committed
        (WAL's "database is locked" without waiting). Conflicts with other processes are retried:
        everything ``fn`` did is rolled back first, so nothing is half-written or doubled. A database
        that is really down still raises after the last attempt, and the person is told.
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._writer_turn(), self.session_factory.begin() as session:
                    return fn(session)
            except OperationalError as exc:
                if attempt == WRITE_ATTEMPTS or not _write_conflict(exc):
                    raise
                log.info("write conflict (attempt %d), retrying the transaction", attempt)
                time.sleep(random.uniform(0.005, 0.03) * attempt)
        raise AssertionError("unreachable")

    def _writer_turn(self):
        if self._sqlite is None:
            bind = self.session_factory.kw.get("bind")
            self._sqlite = bind is not None and bind.dialect.name == "sqlite"
        return _SQLITE_WRITER if self._sqlite else contextlib.nullcontext()

    def after_ack(self, body: dict, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` once the acknowledgement has gone; failures reach the person like any other."""

        def run() -> None:
            # Acknowledgements first: Slack gives them 3 s and retries or shows an error after that,
            # while this work only has to happen soon. Under a burst it waits, but never long.
            with self._quiet:
                self._quiet.wait_for(lambda: self._in_flight == 0, timeout=MAX_DEFER_SECONDS)
            try:
                fn(*args, **kwargs)
            except Exception as exc:  # handed to the one error handler, which logs and tells the person
                if self.on_error is None:
                    raise
                self.on_error(exc, body)

        return self.executor.submit(run)

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.now().astimezone(self.settings.tz).date()

    def dm_channel(self, slack_user_id: str) -> str:
        """The app's DM with a person (files need a channel id, not a user id)."""
        return self.client.conversations_open(users=slack_user_id)["channel"]["id"]

    def refresh_reminder(self, reminder_message_id: int | None) -> None:
        """Ask the scheduler's code to re-render a reminder so it shows "Updated: <RAG>"."""
        if not reminder_message_id:
            return
        try:
            from jobs import reminders
        except ImportError:  # the scheduler's module is not part of this build
            log.info("jobs.reminders is not available; reminder %s not refreshed", reminder_message_id)
            return
        refresh = getattr(reminders, "refresh_reminder_message", None)
        if refresh is None:
            log.info(
                "jobs.reminders has no refresh_reminder_message; reminder %s not refreshed",
                reminder_message_id,
            )
            return
        from slack_sdk.errors import SlackApiError

        try:
            self.transaction(lambda session: refresh(session, self.client, reminder_message_id))
        except SlackApiError as exc:
            # The update is stored and confirmed; only the old reminder keeps its button.
            log.warning("could not refresh reminder %s: %s", reminder_message_id, exc.response.get("error"))
