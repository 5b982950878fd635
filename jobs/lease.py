"""The single-runner guard: at most one reminder or digest pass runs at a time, across processes.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated connection for
the length of the pass; the server drops it if the process dies. SQLite: a ``scheduler_leases`` row with
an expiry, taken with one conditional UPDATE (or INSERT); a crashed holder's lease lapses after ``ttl``.
A pass that cannot take the guard does nothing: the other runner is doing the work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import SchedulerLease

log = logging.getLogger(__name__)

DEFAULT_TTL = dt.timedelta(minutes=30)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"progressbot:{name}".encode()).digest()[:8], "big", signed=True)


def default_holder() -> str:
    """Unique per pass, so two threads of one process are two holders too."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """What the holder gets: ``renew()`` keeps a long SQLite pass from losing its lease.

    The pass's ``now`` is fixed, but a pass paced at 1 message/s over 2,000 leads runs for half an hour,
    so renewal adds the time elapsed on the monotonic clock to the ``now`` the pass started with.
    """

    def __init__(
        self,
        factory: sessionmaker[Session] | None,
        name: str,
        holder: str,
        ttl: dt.timedelta,
        now: dt.datetime,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._factory, self.name, self.holder, self.ttl = factory, name, holder, ttl
        self._now, self._monotonic = now, monotonic
        self._started = monotonic()

    def renew(self) -> None:
        if self._factory is None:
            return  # the advisory lock lives as long as its connection
        current = self._now + dt.timedelta(seconds=self._monotonic() - self._started)
        with self._factory.begin() as session:
            session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=current + self.ttl)
            )


def _engine(factory: sessionmaker[Session]) -> Engine:
    bind = factory.kw.get("bind")
    if bind is None:
        raise ValueError("the session factory has no engine bound")
    return bind if isinstance(bind, Engine) else bind.engine


@contextmanager
def single_runner(
    factory: sessionmaker[Session],
    name: str,
    now: dt.datetime,
    *,
    holder: str | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> Iterator[Lease | None]:
    """Yield a Lease when this process may run ``name`` now, else None."""
    holder = holder or default_holder()
    engine = _engine(factory)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(name)}).scalar()
            conn.commit()
            if not got:
                log.info("%s: another worker holds the lock; skipping this pass", name)
                yield None
                return
            try:
                yield Lease(None, name, holder, ttl, now)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(name)})
                conn.commit()
        return
    if not _take_lease(factory, name, holder, now, ttl):
        log.info("%s: lease held by another worker; skipping this pass", name)
        yield None
        return
    try:
        yield Lease(factory, name, holder, ttl, now)
    finally:
        with factory.begin() as session:
            session.execute(
                delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
            )


def _take_lease(
    factory: sessionmaker[Session], name: str, holder: str, now: dt.datetime, ttl: dt.timedelta
) -> bool:
    with factory.begin() as session:
        taken = session.execute(
            update(SchedulerLease)
            .where(
                SchedulerLease.name == name,
                (SchedulerLease.expires_at < now) | (SchedulerLease.holder == holder),
            )
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount
        if taken:
            return True
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        except IntegrityError:
            return False
    return True
