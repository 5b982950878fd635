"""What every listener needs, passed explicitly: settings, the session factories, the Slack client, a clock.

Listeners get a ``Services`` in ``register(app, services)``; nothing is global, so tests build one
with a fixed clock and a client pointed at the fake Slack server.

The shape of a listener that stores something (DESIGN.md, habit 2): parse, then
``services.transaction`` writes the update *and* the Slack work it owes (``bot.outbox.owe``) in one
short transaction, then ack. The acknowledgement never claims more than the database holds, and the
owed work survives a crash. Only work after the acknowledgement that stores nothing and owes nothing
durable goes through ``after_ack``, in memory: opening a modal (its trigger is dead within 3 s), a
summary or card through ``response_url``, the Home tab on ``app_home_opened``, telling someone their
request failed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from bot.outbox import HOME_REFRESH_DELAY
from progressbot.config import Settings

if TYPE_CHECKING:
    from bot.group_commit import GroupCommit
    from bot.outbox import Drainer
    from bot.verified import Verified

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


T = TypeVar("T")
C = TypeVar("C")
# Few threads on purpose: every extra runnable thread takes interpreter time from the threads that
# acknowledge requests.
AFTER_ACK_THREADS = 4
MAX_DEFER_SECONDS = 0.5
_SQLITE_WRITER = threading.Lock()


class SentMessageRefresh(Protocol):
    """A sent message as it should read now (``jobs.reminders.ReminderRefresh``)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class ReminderRefresher:
    """How a sent reminder is re-rendered after an update, and how the new rendering is kept.

    Passed in by ``create_app`` (``jobs.reminders.render_refresh`` and ``record_refresh``), so the bot
    does not reach into the passes for them.
    """

    render: Callable[[Session, int], SentMessageRefresh | None]
    record: Callable[[Session, Any], None]


@dataclass
class Services:
    settings: Settings
    session_factory: sessionmaker[Session]
    client: WebClient
    clock: Callable[[], dt.datetime] = field(default=utc_now)
    # Work after ack() that owes nothing durable (modals, summaries, error messages). Errors go to the
    # same handler as @app.error (set by bot.listeners.errors.register).
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=AFTER_ACK_THREADS, thread_name_prefix="slack-after-ack"
        )
    )
    on_error: Callable[[Exception, Verified | None], None] | None = None
    drainer: Drainer | None = None
    reminder_refresher: ReminderRefresher | None = None
    # Seconds a Home refresh waits so that a burst of updates by one person publishes it once.
    home_refresh_delay: float = HOME_REFRESH_DELAY
    _group_commit: GroupCommit | None = field(default=None, repr=False)
    _sqlite: bool | None = field(default=None, repr=False)
    _reader: sessionmaker[Session] | None = field(default=None, repr=False)
    _pending: set[Future] = field(default_factory=set, repr=False)
    # Requests not yet answered; the outbox and work after ack() yield to them (a little).
    _in_flight: int = field(default=0, repr=False)
    _quiet: threading.Condition = field(default_factory=threading.Condition, repr=False)

    # --- the database ---------------------------------------------------------------------------

    @property
    def read_factory(self) -> sessionmaker[Session]:
        """Sessions for reads only: on SQLite they never wait for a writer (see ``storage.db``)."""
        if self._reader is None:
            bind = self.session_factory.kw.get("bind")
            if bind is not None and hasattr(bind, "execution_options") and hasattr(bind, "pool"):
                from storage.db import make_read_session_factory

                self._reader = make_read_session_factory(bind)
            else:  # a factory bound to one connection (tests): reads share it
                self._reader = self.session_factory
        return self._reader

    def transaction(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` in one write transaction and commit.

        On SQLite the transaction begins IMMEDIATE (``storage.db``): a writer in another process is
        waited for (the busy timeout), never raced. Writers of this process also take turns on a
        lock first, because a thread waiting on the lock is handed the turn at once, while one
        waiting in SQLite's busy handler polls with sleeps of up to 100 ms.
        """
        with self._writer_turn(), self.session_factory.begin() as session:
            return fn(session)

    @property
    def group_commit(self) -> GroupCommit:
        """The writer that stores concurrent direct-route submissions in one transaction (``bot.direct``)."""
        if self._group_commit is None:
            from bot.direct import group_commit

            with self._quiet:
                if self._group_commit is None:
                    self._group_commit = group_commit(self)
        return self._group_commit

    def batch_transaction(self, batch_conn: Any, fn: Callable[[Any], T]) -> T:
        """``connection_transaction`` on the group-commit writer's own connection
        (``storage.batch.BatchConnection``): the same rules, this process's writer turn included."""
        with self._writer_turn():
            return batch_conn.transaction(fn)

    def connection_transaction(self, fn: Callable[[Connection], T]) -> T:
        """``transaction`` for SQLAlchemy Core: ``fn(connection)`` in one write transaction, committed.

        The same rules (BEGIN IMMEDIATE and this process's writer turn on SQLite), without an ORM
        session: the direct route (``bot.direct``) runs only prepared Core statements.
        """
        engine = self.session_factory.kw.get("bind")
        if not isinstance(engine, Engine):  # a factory bound to one connection (tests): use the session's
            with self._writer_turn(), self.session_factory.begin() as session:
                return fn(session.connection())
        from storage.db import write_engine

        with self._writer_turn(), write_engine(engine).begin() as conn:
            return fn(conn)

    def check_then_write(self, check: Callable[[Session], C], write: Callable[[Session, C], T]) -> T:
        """Read and check, then write what was checked.

        On SQLite the check runs in a read transaction and the write in a short IMMEDIATE one, so the
        database's single write lock (and this process's writer lock) is held only for the inserts.
        PostgreSQL has no such lock: one transaction, one connection checkout, fewer round trips.
        """
        if self._is_sqlite():
            with self.read_factory.begin() as session:
                checked = check(session)
            return self.transaction(lambda session: write(session, checked))
        return self.transaction(lambda session: write(session, check(session)))

    def _is_sqlite(self) -> bool:
        if self._sqlite is None:
            bind = self.session_factory.kw.get("bind")
            self._sqlite = bind is not None and bind.dialect.name == "sqlite"
        return self._sqlite

    def _writer_turn(self):
        return _SQLITE_WRITER if self._is_sqlite() else contextlib.nullcontext()

    # --- requests and what follows them ----------------------------------------------------------

    def request_started(self) -> None:
        """A verified HTTP request is being handled (``bot.edge``)."""
        with self._quiet:
            self._in_flight += 1

    def response_sent(self) -> None:
        """Its response has gone: owed work may start (the drainer is woken)."""
        with self._quiet:
            self._in_flight -= 1
            if self._in_flight <= 0:
                self._quiet.notify_all()
        if self.drainer is not None:
            self.drainer.kick()

    def wait_for_quiet(self, timeout: float = MAX_DEFER_SECONDS) -> None:
        """Acknowledgements first: Slack gives them 3 s, work after them only has to happen soon."""
        with self._quiet:
            self._quiet.wait_for(lambda: self._in_flight <= 0, timeout=timeout)

    def owed(self) -> None:
        """Outbox rows were committed: drain soon (after the response, which ``wait_for_quiet`` awaits;
        in HTTP mode ``response_sent`` kicks again, Socket Mode has only this)."""
        if self.drainer is not None:
            self.drainer.kick()

    def after_ack(
        self,
        verified: Verified | None,
        fn: Callable[..., Any],
        *args: Any,
        quiet: bool = False,
        **kwargs: Any,
    ) -> Future:
        """Run ``fn`` once the acknowledgement has gone; a failure reaches the person (``quiet``: the log).

        ``verified`` (``bot.verified``) is where that person can be reached; anything else (a raw body)
        is ignored, so a failure is only logged.
        """
        from bot.verified import Verified

        if not isinstance(verified, Verified):
            verified = None

        def run() -> None:
            self.wait_for_quiet()
            try:
                fn(*args, **kwargs)
            except Exception as exc:
                if quiet or self.on_error is None:
                    log.warning("work after the acknowledgement failed", exc_info=exc)
                    return
                self.on_error(exc, verified)

        future = self.executor.submit(run)
        with self._quiet:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future) -> None:
        with self._quiet:
            self._pending.discard(future)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop: wait for requests in flight, work after ack() and the outbox, within ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._quiet:
            self._quiet.wait_for(lambda: self._in_flight <= 0, timeout=timeout)
            pending = list(self._pending)
        _done, not_done = wait(pending, timeout=max(0.0, deadline - time.monotonic()))
        self.executor.shutdown(wait=False, cancel_futures=True)
        drained = True
        if self.drainer is not None:
            drained = self.drainer.stop(max(0.0, deadline - time.monotonic()))
        finished = not not_done and drained
        if not finished:
            log.warning("stopped with work unfinished; the outbox is drained on the next start")
        return finished

    # --- small helpers ---------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.now().astimezone(self.settings.tz).date()

    def dm_channel(self, slack_user_id: str) -> str:
        """The app's DM with a person (files need a channel id, not a user id)."""
        return self.client.conversations_open(users=slack_user_id)["channel"]["id"]

    def refresh_reminder(self, reminder_message_id: int | None) -> None:
        """Re-render a reminder so it shows "Updated: <RAG>" (the outbox's ``reminder_refresh``)."""
        if not reminder_message_id:
            return
        if self.reminder_refresher is None:
            # Only a Services built without create_app (a test, a one-off script) lacks it; fail the
            # outbox row loudly rather than mark a reminder refreshed that never was.
            raise RuntimeError("this Services has no reminder_refresher (create_app passes one)")
        refresher = self.reminder_refresher
        with self.read_factory.begin() as session:
            refresh = refresher.render(session, reminder_message_id)
        if refresh is None:
            return
        self.client.chat_update(
            channel=refresh.channel, ts=refresh.ts, text=refresh.text, blocks=refresh.blocks
        )
        self.transaction(lambda session: refresher.record(session, refresh))
