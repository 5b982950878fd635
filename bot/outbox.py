"""Doing the outbox: the Slack work owed after an acknowledgement, done once, even across a crash.

What is owed (written by the listeners with the update, in the same transaction; ``owe_*`` below):

- ``slack_call``: one Web API call with its arguments, rendered when the update was stored (the
  confirmation DM, the answer in a reminder's thread, the RAG question replaced by the answer). A
  ``fallback`` call is tried once if Slack refuses the first for good (a deleted message).
- ``reminder_refresh``: re-render a reminder so the answered action shows "Updated: Amber".
- ``home_refresh``: re-publish a person's Home tab. Coalesced: one per person per
  ``HOME_REFRESH_DELAY`` seconds, whatever the number of updates. Claimed after every other kind
  that is due: rendering a Home tab costs many times a DM, and in a burst by many leads the
  confirmations would otherwise wait behind the Home tabs.
- ``announce``: what a governance event owes people (``bot.governance.ANNOUNCERS``): the board hears
  of a date request or a completion to sign off, a lead of a decision, a challenge, a sign-off or an
  edit, a challenger of the answer. Written by the update modal and thread replies, the governance
  buttons and modals, the update form (``web``) and the CLI. Each DM is recorded as a
  ``GovernanceNotice``, so an announcement re-run after a crash sends nobody the same DM twice.
- ``report``: a report someone asked for (``bot.report_requests``): rendered and uploaded to their DM,
  or dropped with a notice once it is too old to matter.

Who does it: the ``Drainer`` of each web (or Socket Mode) process, woken as each response is sent and
every ``SWEEP_SECONDS`` (which also picks up rows a dead process had claimed, once their lease lapses);
a start-up pass; and the worker's ``outbox-drain`` job. Claims are conditional, so two processes never
both do a row. Slack's answer decides a row's fate: done (deleted), retried later (rate limit, 5xx,
connection, a token error an admin must fix), or dropped after its fallback (it no longer matters:
the message is gone, the user left).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from storage import outbox as store

if TYPE_CHECKING:
    from bot.services import ReminderRefresher, Services

log = logging.getLogger(__name__)

SLACK_CALL = "slack_call"
REMINDER_REFRESH = "reminder_refresh"
HOME_REFRESH = "home_refresh"
ANNOUNCE = "announce"  # the board's notices of what an update set in motion (``bot.governance``)
REPORT = "report"  # a report someone asked for: rendered and uploaded (``bot.report_requests``)
HOME_REFRESH_DELAY = 3.0  # seconds: the Home tab of someone sending a burst is published once
ALLOWED_METHODS = frozenset({"chat_postMessage", "chat_update", "chat_postEphemeral", "views_update"})
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope"}
)
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
LEASE_SECONDS = 60.0
SWEEP_SECONDS = 15.0
# Results are recorded (done rows deleted) once every claimed row is done or half the room is, or
# after this long: one write transaction per batch of rows instead of one per row, which under a burst
# of submissions is CPU the acknowledgements need. A row done but not yet recorded is at worst done again by a process that
# takes it over after a crash: the same window as a row done just before its process died.
RECORD_WAIT_SECONDS = 0.25
MAX_ATTEMPTS = 14  # backoff 1 s … 10 min: about an hour of trying, then the row is dropped, loudly
SLACK_THREADS = 8


# --- owing work (inside the caller's transaction) ------------------------------------------------


def slack_call(method: str, fallback: dict[str, Any] | None = None, **args: Any) -> tuple[str, dict]:
    if method not in ALLOWED_METHODS:
        raise ValueError(f"{method} is not an outbox method")
    payload: dict[str, Any] = {"method": method, "args": args}
    if fallback is not None:
        payload["fallback"] = fallback
    return SLACK_CALL, payload


def announcement(name: str, ids: list[int], **extra: Any) -> tuple[str, dict]:
    """``bot.governance.ANNOUNCERS[name](services, *ids, **extra)``, owed (``extra``: JSON values)."""
    payload: dict[str, Any] = {"name": name, "ids": [int(i) for i in ids]}
    if extra:
        payload["extra"] = extra
    return ANNOUNCE, payload


def owe(
    session: Session,
    calls: list[tuple[str, dict]],
    *,
    reminder_message_id: int | None = None,
    home_of: str | None = None,
    home_delay: float = HOME_REFRESH_DELAY,
) -> None:
    """Everything an update (or an answer) owes Slack, in one statement."""
    store.enqueue_all(
        session,
        owed_items(calls, reminder_message_id=reminder_message_id, home_of=home_of, home_delay=home_delay),
    )


def owed_items(
    calls: list[tuple[str, dict]],
    *,
    reminder_message_id: int | None = None,
    home_of: str | None = None,
    home_delay: float = HOME_REFRESH_DELAY,
) -> list[store.Owed]:
    """The rows ``owe`` writes (``bot.direct`` writes them on its own connection)."""
    items = [store.Owed(kind, payload) for kind, payload in calls]
    if reminder_message_id:
        # Not coalesced: each refresh re-renders from the database, so a second one is harmless.
        items.append(store.Owed(REMINDER_REFRESH, {"reminder_message_id": int(reminder_message_id)}))
    if home_of:
        items.append(store.Owed(HOME_REFRESH, {"user": home_of}, key=f"home:{home_of}", delay=home_delay))
    return items


# --- doing it ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    done: bool
    delay: float = 0.0  # when not done: retry after this many seconds
    error: str = ""
    told: Any = None  # what the work said it did (an announcer's "2 leads"), for the command line


DONE = Outcome(done=True)


def _backoff(attempts: int) -> float:
    """1, 2, 4 … seconds after the 1st, 2nd, 3rd … attempt, at most 10 minutes."""
    return float(min(600, 2 ** max(0, attempts - 1)))


def worth_retrying(exc: SlackApiError) -> bool:
    """Slack may answer differently later (rate limit, 5xx, a token an admin must fix)."""
    error = str(exc.response.get("error") or "")
    status = getattr(exc.response, "status_code", 200)
    return error in TOKEN_ERRORS or error in TRANSIENT_ERRORS or status == 429 or status >= 500


def classify(exc: BaseException, attempts: int) -> Outcome | None:
    """Retry (an Outcome) or give up (None) after ``exc``."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "")
        status = getattr(exc.response, "status_code", 200)
        if error in TOKEN_ERRORS:
            log.error("Slack refused the bot's token (%s): fix SLACK_BOT_TOKEN or the app's scopes", error)
            return Outcome(done=False, delay=_backoff(attempts), error=error)
        if status == 429 or status >= 500 or error in TRANSIENT_ERRORS:
            retry_after = float(exc.response.headers.get("Retry-After", 0) or 0) if status == 429 else 0.0
            return Outcome(done=False, delay=max(retry_after, _backoff(attempts)), error=error or str(status))
        return None
    if isinstance(exc, OSError | SQLAlchemyError):  # connection refused/reset, timeouts, a busy database
        return Outcome(done=False, delay=_backoff(attempts), error=exc.__class__.__name__)
    log.error("outbox work failed unexpectedly", exc_info=exc)
    return Outcome(done=False, delay=_backoff(attempts), error=exc.__class__.__name__)


def perform(services: Services, item: store.Claimed) -> Outcome:
    """Do one row; never raises. Acknowledgements in flight go first (``wait_for_quiet``)."""
    services.wait_for_quiet()
    try:
        told = _do(services, item.kind, item.payload)
    except Exception as exc:
        outcome = classify(exc, item.attempts)
        if outcome is not None and item.attempts < MAX_ATTEMPTS:
            log.info(
                "outbox %s %s: retrying in %.0f s (%s)", item.kind, item.id, outcome.delay, outcome.error
            )
            return outcome
        return _give_up(services, item, exc)
    return Outcome(done=True, told=told)


def _give_up(services: Services, item: store.Claimed, exc: Exception) -> Outcome:
    error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc.__class__.__name__
    fallback = item.payload.get("fallback")
    if fallback:
        try:
            _do(services, SLACK_CALL, fallback)
            log.info("outbox %s %s: %s; its fallback was sent", item.kind, item.id, error)
            return DONE
        except Exception as again:
            exc = again
    level = logging.INFO if isinstance(exc, SlackApiError) and item.attempts <= 1 else logging.WARNING
    log.log(level, "outbox %s %s dropped after %d attempt(s): %s", item.kind, item.id, item.attempts, error)
    return DONE


def _do(services: Services, kind: str, payload: dict[str, Any]) -> Any:
    if kind == SLACK_CALL:
        method = payload.get("method")
        if method not in ALLOWED_METHODS:
            raise ValueError(f"outbox row asks for {method!r}, which is not allowed")
        getattr(services.client, method)(**payload.get("args", {}))
    elif kind == REMINDER_REFRESH:
        services.refresh_reminder(int(payload["reminder_message_id"]))
    elif kind == HOME_REFRESH:
        from bot.features.home_tab import publish_home

        publish_home(services, str(payload["user"]))
    elif kind == REPORT:
        from bot.report_requests import deliver

        return deliver(services, payload)
    elif kind == ANNOUNCE:
        from bot.governance import ANNOUNCERS

        return ANNOUNCERS[str(payload["name"])](services, *payload["ids"], **payload.get("extra", {}))
    else:
        raise ValueError(f"unknown outbox kind {kind!r}")


# --- work a command owes and does itself (the CLI) -------------------------------------------------


@dataclass(frozen=True)
class OwedNow:
    item: store.Claimed
    worker: str


def owe_now(session: Session, work: tuple[str, dict], *, lease: float = LEASE_SECONDS) -> OwedNow:
    """Owe ``work`` in the caller's transaction, claimed by this process, which does it right after
    the commit (``do_now``) and can say what was done; if it dies first, a drainer does it."""
    worker = worker_name()
    kind, payload = work
    return OwedNow(store.enqueue_claimed(session, kind, payload, worker, lease=lease), worker)


def do_now(services: Services, owed: OwedNow) -> Outcome:
    """Do a row ``owe_now`` wrote (after its commit) and record the outcome as a drainer would."""
    outcome = perform(services, owed.item)

    def record(session: Session) -> None:
        if outcome.done:
            store.finish(session, [owed.item.id], owed.worker)
        else:
            store.retry_later(session, owed.item.id, owed.worker, delay=outcome.delay, error=outcome.error)

    services.transaction(record)
    return outcome


def drain_owed(
    settings: Any,
    session_factory: Any,
    client: Any,
    *,
    timeout: float,
    reminder_refresher: ReminderRefresher | None = None,
) -> bool:
    """One pass over whatever is owed, outside the Slack app (the worker's ``outbox-drain`` job).

    Without ``reminder_refresher`` a ``reminder_refresh`` row fails and waits for a process that has one.
    """
    from bot.services import Services

    services = Services(
        settings=settings,
        session_factory=session_factory,
        client=client,
        reminder_refresher=reminder_refresher,
    )
    drainer = Drainer(services, threads=2)
    try:
        return drainer.drain(deadline=time.monotonic() + timeout)
    finally:
        drainer.stop(0)
        services.executor.shutdown(wait=False)


def worker_name() -> str:
    """``host:pid:random``: unique per process start, so a restarted process can tell its predecessor."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def orphaned(holder: str, me: str) -> bool:
    """A holder on this host that is no longer running: a dead pid, or this pid in an earlier life."""
    try:
        host, pid_text, _token = holder.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != me.rsplit(":", 2)[0] or holder == me:
        return False
    return pid == os.getpid() or not _alive(pid)


class Drainer:
    """Claims due rows and does them on a few threads; one per process (see the module doc)."""

    def __init__(
        self,
        services: Services,
        *,
        threads: int = SLACK_THREADS,
        lease: float = LEASE_SECONDS,
        sweep: float = SWEEP_SECONDS,
    ) -> None:
        self.services = services
        self.name = worker_name()
        self.threads = threads
        self.lease = lease
        self.sweep = sweep
        self._wake = threading.Condition()
        self._kicked = True  # the first pass runs at start-up
        self._stopping = False
        self._running: dict[int, Future] = {}
        self._results: list[tuple[int, Outcome]] = []
        self._first_result_at: float | None = None  # time.monotonic() of the oldest unrecorded result
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox")
        self._full = False  # the last look found more due than there was room for
        self._thread: threading.Thread | None = None

    # -- control
    def start(self) -> Drainer:
        if self._thread is None:
            self.release_orphans()
            self._thread = threading.Thread(target=self._loop, name="outbox-drainer", daemon=True)
            self._thread.start()
        return self

    def release_orphans(self) -> int:
        """Rows claimed by a process on this host that has died (kill -9, a crash) are due again now,
        instead of when their lease lapses; a process on another host is left to its lease."""
        host = self.name.rsplit(":", 2)[0]
        try:
            with self.services.read_factory.begin() as session:
                dead = [h for h in store.holders(session, host + ":") if orphaned(h, self.name)]
            released = sum(self.services.transaction(lambda s, h=h: store.release(s, h)) for h in dead)
        except SQLAlchemyError as exc:
            log.warning("outbox: database unavailable at start-up (%s)", exc.__class__.__name__)
            return 0
        if released:
            log.info("outbox: %d row(s) left by a stopped process are due again", released)
        return released

    def kick(self) -> None:
        """Something was owed and its acknowledgement has gone: look now."""
        with self._wake:
            self._kicked = True
            self._wake.notify()

    def stop(self, timeout: float) -> bool:
        """Finish what is claimed and drain what is due, within ``timeout``; True if all was done."""
        deadline = time.monotonic() + timeout
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        try:
            finished = self._wait_running(deadline) and self.drain(deadline=deadline)
        except SQLAlchemyError as exc:  # the rows stay owed; the next start (or the worker) does them
            log.warning("outbox: database unavailable while stopping (%s)", exc.__class__.__name__)
            finished = False
        self._pool.shutdown(wait=False, cancel_futures=True)
        return finished

    def _wait_running(self, deadline: float) -> bool:
        for item_id, future in list(self._running.items()):
            try:
                self._record([(item_id, future.result(timeout=max(0.0, deadline - time.monotonic())))])
            except Exception:  # still running at the deadline: its lease lapses, another pass does it
                return False
        return True

    # -- one synchronous pass (the worker's job, a stop, tests)
    def drain(self, *, deadline: float | None = None) -> bool:
        """Do every due row on this drainer's threads; True once none is due, False at ``deadline``."""
        while deadline is None or time.monotonic() < deadline:
            claimed = self._claim(self.threads * 4)
            if not claimed:
                return True
            futures = [(item.id, self._pool.submit(perform, self.services, item)) for item in claimed]
            results = []
            for item_id, future in futures:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    results.append((item_id, future.result(timeout=timeout)))
                except Exception:  # the deadline: unrecorded rows keep their claim until the lease lapses
                    break
            self._record(results)
            if len(results) < len(futures):
                return False
        return False

    # -- the background loop
    def _loop(self) -> None:
        now = time.monotonic()
        next_renewal, next_look = now + self.lease / 3, now
        while True:
            with self._wake:
                timeout = min(next_renewal, next_look, self._record_at()) - time.monotonic()
                if not (self._kicked or self._stopping) and timeout > 0:
                    self._wake.wait(timeout)
                kicked, self._kicked = self._kicked, False
                stopping = self._stopping
                results = []
                if stopping or time.monotonic() >= self._record_at():
                    results, self._results, self._first_result_at = self._results, [], None
            try:
                retry_in = self._record(results)
                if retry_in is not None:
                    next_look = min(next_look, time.monotonic() + retry_in)
                if results and self._full:
                    next_look = time.monotonic()  # threads were freed and more may be due
                if time.monotonic() >= next_renewal:
                    self._renew()
                    next_renewal = time.monotonic() + self.lease / 3
                if stopping:
                    return
                if kicked or time.monotonic() >= next_look:
                    self.services.wait_for_quiet()
                    next_look = time.monotonic() + self._fill()
            except SQLAlchemyError as exc:  # the database is away: look again on the next sweep
                log.warning("outbox: database unavailable (%s)", exc.__class__.__name__)
                next_look = time.monotonic() + self.sweep

    def _enough_results(self) -> bool:
        """Every claimed row is done, or half the room: record them, so the room is filled again
        while the threads still have rows to do."""
        done = len(self._results)
        return done >= len(self._running) or done >= self.threads * 2

    def _record_at(self) -> float:
        """When the results waiting should be recorded (call with ``_wake`` held): at once when there
        are enough (``_enough_results``), else ``RECORD_WAIT_SECONDS`` after the first; never when there
        are none."""
        if not self._results:
            return float("inf")
        if self._enough_results():
            return 0.0
        assert self._first_result_at is not None
        return self._first_result_at + RECORD_WAIT_SECONDS

    def _fill(self) -> float:
        """Claim what is due into the free threads; the seconds until it is worth looking again."""
        capacity = self.threads * 4
        room = capacity - len(self._running)
        # Claim when at least half the room is free: under a burst, one claim per batch of rows
        # instead of one per row done.
        self._full = room < capacity // 2
        if self._full:
            return self.sweep
        claimed = self._claim(room)
        for item in claimed:
            future = self._pool.submit(perform, self.services, item)
            self._running[item.id] = future
            future.add_done_callback(lambda f, item_id=item.id: self._finished(item_id, f))
        if len(claimed) == room:
            self._full = True
            return 0.0  # there may be more due
        with self.services.read_factory.begin() as session:
            due_in = store.seconds_until_due(session)
        return self.sweep if due_in is None else min(self.sweep, max(0.05, due_in))

    def _finished(self, item_id: int, future: Future) -> None:
        outcome = DONE if future.cancelled() or future.exception() else future.result()
        with self._wake:
            first = not self._results
            if first:
                self._first_result_at = time.monotonic()
            self._results.append((item_id, outcome))
            if first or self._enough_results():
                self._wake.notify()  # the loop's timer changes: record now, or RECORD_WAIT_SECONDS on

    # -- database steps, each one short transaction
    def _claim(self, limit: int) -> list[store.Claimed]:
        return self.services.transaction(
            lambda session: store.claim(session, self.name, limit=limit, lease=self.lease, last=HOME_REFRESH)
        )

    def _record(self, results: list[tuple[int, Outcome]]) -> float | None:
        """Delete what is done, release what is to be retried; the soonest retry, if any."""
        if not results:
            return None

        def write(session: Session) -> None:
            store.finish(session, [i for i, o in results if o.done], self.name)
            for item_id, outcome in results:
                if not outcome.done:
                    store.retry_later(session, item_id, self.name, delay=outcome.delay, error=outcome.error)

        self.services.transaction(write)
        for item_id, _ in results:
            self._running.pop(item_id, None)
        return min((o.delay for _, o in results if not o.done), default=None)

    def _renew(self) -> None:
        ids = list(self._running)
        if ids:
            self.services.transaction(lambda session: store.extend(session, ids, self.name, lease=self.lease))
