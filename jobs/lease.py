"""The single-runner guard: at most one reminder (or digest) pass runs at a time, across processes.

A ``scheduler_leases`` row per guard name holds the current pass (``holder``, unique per pass) and an
expiry. Expiry is judged by the **database's clock**, never by the pass's ``now``: ``now`` is the
business moment a pass plans for, and an operator may replay any moment with ``--now``. Taking the
lease is one conditional UPDATE (or an INSERT racing on the primary key). Right before every message
it posts, the holder makes sure it renewed the lease less than ``RENEW_EVERY`` seconds ago (on the
pass's monotonic clock), renewing it if not: a live pass never looks dead, and a pass that stalled
past its expiry finds its lease taken over and stops before it posts again.

The holder string is also written on every message the pass claims (``reminder_messages.claimed_by``),
so in-doubt recovery can tell a live pass's messages (its lease row is current) from a dead one's.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.clock import database_now
from storage.models import SchedulerLease

log = logging.getLogger(__name__)

# Long enough for the slowest single send (Slack's 30 s timeout, a few capped Retry-After pauses) plus
# planning; short enough that the next 15-minute pass takes over from a crashed one.
DEFAULT_TTL = dt.timedelta(minutes=10)
# A post goes out at most this long after the lease was last renewed, so it always has most of the
# ttl left; renewing before every message instead costs a transaction each (a PostgreSQL pass paced
# at 100/s took 10% longer).
RENEW_EVERY = 5.0


class LeaseLost(RuntimeError):
    """The pass's lease expired and another pass took it: stop before posting anything else."""


def default_holder() -> str:
    """Unique per pass, so two threads of one process are two holders too."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def live_holders(session: Session) -> set[str]:
    """Holders of every lease that has not expired by the database's clock."""
    now = database_now(session)
    return set(session.scalars(select(SchedulerLease.holder).where(SchedulerLease.expires_at > now)))


class Lease:
    """What the holder gets. ``ensure_held()`` renews the lease when due and raises ``LeaseLost`` if it
    is gone. ``clock`` is the pass's monotonic clock (the sender's pacer shares it, so tests can move it)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        name: str,
        holder: str,
        ttl: dt.timedelta,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._factory, self.name, self.holder, self.ttl, self.clock = factory, name, holder, ttl, clock
        self._renewed: float | None = None

    def renew(self, session: Session) -> bool:
        """Push the expiry to the database's now + ttl, inside the caller's transaction; False if lost."""
        expires = database_now(session) + self.ttl
        renewed = session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
            .values(expires_at=expires)
        ).rowcount
        return bool(renewed)

    def ensure_held(self) -> None:
        now = self.clock()
        if self._renewed is not None and now - self._renewed < RENEW_EVERY:
            return
        with self._factory.begin() as session:
            if self.renew(session):
                self._renewed = now
                return
        log.error(
            "%s: lease lost (this pass stalled past its expiry); stopping before the next send", self.name
        )
        raise LeaseLost(f"{self.name}: another pass took over the lease")


def take_lease(
    factory: sessionmaker[Session], name: str, holder: str, ttl: dt.timedelta = DEFAULT_TTL
) -> bool:
    """Take ``name`` for ``holder`` if it is free, expired (by the database's clock) or already ours."""
    with factory.begin() as session:
        now = database_now(session)
        taken = session.execute(
            update(SchedulerLease)
            .where(
                SchedulerLease.name == name,
                (SchedulerLease.expires_at <= now) | (SchedulerLease.holder == holder),
            )
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount
        if taken:
            return True
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        except IntegrityError:
            return False  # held, and not expired: another pass is running
    return True


@contextmanager
def single_runner(
    factory: sessionmaker[Session],
    name: str,
    *,
    holder: str | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> Iterator[Lease | None]:
    """Yield a Lease when this pass may run ``name`` now, else None (another pass holds it)."""
    holder = holder or default_holder()
    if not take_lease(factory, name, holder, ttl):
        log.info("%s: another pass holds the lease; skipping this pass", name)
        yield None
        return
    try:
        yield Lease(factory, name, holder, ttl)
    finally:
        with factory.begin() as session:
            session.execute(
                delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
            )
