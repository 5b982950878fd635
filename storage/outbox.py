"""The outbox: work owed to Slack after an acknowledgement, stored with the change that owes it.

A listener writes an update and its outbox rows in one transaction, then acknowledges. A drainer
(``bot.outbox``) claims rows, does them, and deletes them. Nothing here talks to Slack.

- Claims are conditional (``... WHERE claimed_until IS NULL OR claimed_until < now``), so two
  processes never both take a row; a claim is a lease, so a row whose process died is taken again
  once the lease has lapsed.
- Every time is the database's clock (``db_time``), never a process's: web processes on several hosts
  then agree on which lease has lapsed, whatever their clocks say.
- ``coalesce_key`` keeps one waiting row per key ("home:U0JO"): a burst of updates by one person
  owes one Home refresh. The key is cleared when the row is claimed, so work that arrives while it is
  being done gets a row of its own.

Storage functions take a session; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import FunctionElement

from storage.models import OutboxItem, UTCDateTime


class db_time(FunctionElement):
    """The database's clock now, plus ``seconds``."""

    type = UTCDateTime()
    name = "db_time"
    inherit_cache = True

    def __init__(self, seconds: float | BindParameter = 0.0) -> None:
        # The offset travels as text ("+3.000 seconds"): SQLite's modifier and PostgreSQL's interval.
        super().__init__(seconds if isinstance(seconds, BindParameter) else literal(offset(seconds)))


def offset(seconds: float) -> str:
    return f"{float(seconds):+.3f} seconds"


@compiles(db_time, "sqlite")
def _db_time_sqlite(element, compiler, **kw) -> str:
    # The same text form SQLAlchemy stores datetimes in on SQLite, so comparisons order correctly.
    return f"strftime('%Y-%m-%d %H:%M:%f', 'now', {compiler.process(element.clauses, **kw)})"


@compiles(db_time)
def _db_time_default(element, compiler, **kw) -> str:
    return f"(CURRENT_TIMESTAMP + CAST({compiler.process(element.clauses, **kw)} AS INTERVAL))"


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one


def _insert_statement(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = OutboxItem.__table__
    return (
        insert(table)
        .values(not_before=db_time(bindparam("after")), created_at=db_time(), attempts=0)
        .on_conflict_do_nothing(index_elements=[table.c.coalesce_key])
    )


# Built once: the hot path (every stored update owes a DM) pays only for executing it.
_INSERT = {name: _insert_statement(name) for name in ("sqlite", "postgresql")}


_INSERT_RETURNING = _INSERT["postgresql"].returning(OutboxItem.id)


@dataclass(frozen=True)
class Owed:
    kind: str
    payload: dict[str, Any]
    key: str | None = None  # coalesce: nothing more if a row with this key already waits
    delay: float = 0.0  # seconds before it is due


def enqueue_all(session: Session, items: list[Owed]) -> None:
    """Owe every item once the transaction commits, in one statement."""
    _insert(session, session.get_bind().dialect.name, items)


def insert_owed(conn: Connection, items: list[Owed]) -> None:
    """``enqueue_all`` on a Core connection inside its transaction (``bot.direct``, a batch of updates).

    On PostgreSQL with ``RETURNING``: SQLAlchemy then sends the rows as one multi-row ``INSERT``
    instead of a statement per row.
    """
    if conn.dialect.name == "postgresql" and len(items) > 1:
        conn.execute(_INSERT_RETURNING, [_params(i) for i in items]).all()
        return
    _insert(conn, conn.dialect.name, items)


def _insert(executor: Session | Connection, dialect: str, items: list[Owed]) -> None:
    if items:
        executor.execute(_INSERT[dialect], [_params(i) for i in items])


def _params(item: Owed) -> dict[str, Any]:
    return {"kind": item.kind, "payload": item.payload, "coalesce_key": item.key, "after": offset(item.delay)}


def enqueue(
    session: Session, kind: str, payload: dict[str, Any], *, key: str | None = None, delay: float = 0.0
) -> None:
    """Owe ``kind`` work once the transaction commits; with ``key``, nothing more if a row already waits."""
    enqueue_all(session, [Owed(kind, payload, key, delay)])


def enqueue_claimed(
    session: Session, kind: str, payload: dict[str, Any], worker: str, *, lease: float
) -> Claimed:
    """Owe ``kind`` work that this process will do itself once the transaction commits (the CLI).

    The row is born claimed by ``worker`` for ``lease`` seconds: nobody else takes it while this
    process does it, and if the process dies first the claim lapses and a drainer does it."""
    item_id = session.execute(
        insert(OutboxItem)
        .values(
            kind=kind,
            payload=payload,
            not_before=db_time(),
            created_at=db_time(),
            attempts=1,
            claimed_by=worker,
            claimed_until=db_time(lease),
        )
        .returning(OutboxItem.id)
    ).scalar_one()
    return Claimed(item_id, kind, payload, 1)


def _free():
    return or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < db_time())


def _claim_statement():
    table = OutboxItem.__table__
    free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < db_time())
    due = (
        select(table.c.id)
        .where(table.c.not_before <= db_time(), free)
        .order_by(case((table.c.kind == bindparam("last_kind"), 1), else_=0), table.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()), free)
        .values(
            claimed_by=bindparam("worker"),
            claimed_until=db_time(bindparam("lease")),
            coalesce_key=None,
            attempts=table.c.attempts + 1,
        )
        .returning(table.c.id, table.c.kind, table.c.payload, table.c.attempts)
    )


# Built once, run on the session's connection: under a burst the drainer claims and deletes a batch
# of rows many times a second, and building an ORM statement cost more than running it.
_CLAIM = _claim_statement()
_FINISH = delete(OutboxItem.__table__).where(
    OutboxItem.__table__.c.id.in_(bindparam("ids", expanding=True)),
    OutboxItem.__table__.c.claimed_by == bindparam("worker"),
)


def claim(
    session: Session, worker: str, *, limit: int, lease: float, last: str | None = None
) -> list[Claimed]:
    """Take up to ``limit`` due rows for ``lease`` seconds, oldest first but rows of kind ``last`` after
    every other kind; rows another process holds are skipped."""
    params = {"limit": limit, "worker": worker, "lease": offset(lease), "last_kind": last}
    rows = session.connection().execute(_CLAIM, params)
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def extend(session: Session, ids: list[int], worker: str, *, lease: float) -> None:
    """Keep the claim on rows still being worked on (a slow Slack call must not let another take them)."""
    if ids:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.claimed_by == worker)
            .values(claimed_until=db_time(lease))
            .execution_options(synchronize_session=False)
        )


def finish(session: Session, ids: list[int], worker: str) -> None:
    """Done (or dropped): delete the rows this worker still holds."""
    if ids:
        session.connection().execute(_FINISH, {"ids": ids, "worker": worker})


def retry_later(session: Session, item_id: int, worker: str, *, delay: float, error: str) -> None:
    """Release the claim; the row is due again after ``delay`` seconds."""
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None, not_before=db_time(delay), last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )


def holders(session: Session, prefix: str) -> list[str]:
    """The workers (``claimed_by``) starting with ``prefix`` that hold rows now."""
    return list(
        session.scalars(
            select(OutboxItem.claimed_by)
            .where(OutboxItem.claimed_by.startswith(prefix, autoescape=True))
            .distinct()
        )
    )


def release(session: Session, worker: str) -> int:
    """Give back every row ``worker`` holds (it is known to be dead); they are due again at once."""
    return session.execute(
        update(OutboxItem)
        .where(OutboxItem.claimed_by == worker)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def seconds_until_due(session: Session) -> float | None:
    """How long until the next unclaimed row falls due (0 if one is due now); None if none waits."""
    earliest, now = session.execute(
        select(func.min(OutboxItem.not_before), db_time()).where(OutboxItem.claimed_by.is_(None))
    ).one()
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())


def waiting(session: Session) -> int:
    """Rows not yet done (for health checks, tests and benchmarks)."""
    return session.scalar(select(func.count()).select_from(OutboxItem)) or 0
