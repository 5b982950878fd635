"""The direct route's statements (``bot.direct``), run by the group-commit writer on a connection it keeps.

A burst of update-modal submissions is written a batch at a time: a read of what the checks need (only
for the (action, submitter) pairs the writer does not remember), one insert of the updates, which
checks again everything they relied on, and of their outbox rows, one commit. At that rate
SQLAlchemy's own bookkeeping was most of the writer's CPU (measured per batch: a transaction through
an engine cost about 220 µs of CPU on SQLite and 640 µs on PostgreSQL, one on the driver's connection
12 µs and 190 µs; and per row, building and processing the parameters). So ``BatchConnection`` keeps
one pooled connection for the writer and runs the statements (``storage.batch_sql``) through the
DB-API driver directly, and ``SessionBatch`` runs the check and SQLAlchemy's insert through an
SQLAlchemy ``Connection`` (a session bound to one connection, in tests), in one transaction.

Nothing about what is written changes: every value goes through its column type's bind processor (and
every value read through its result processor), so the rows are those the listener writes
(``tests/test_direct_route.py`` and ``tests/test_batch_writer.py`` compare them). SQLite transactions
begin IMMEDIATE, on a connection the engine configured (WAL, busy timeout); PostgreSQL commits as
configured (``synchronous_commit``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, literal_column
from sqlalchemy.engine import Connection

from storage.batch_sql import (
    CHECK,
    CHECK_FIELDS,
    OUTBOX_VALUES,
    UPDATE_COLUMNS,
    Expected,
    pg_insert_sql,
    scheme_text_sql,
    sqlite_insert_sql,
)
from storage.many_rows import CompiledInsert
from storage.models import OutboxItem, Update
from storage.outbox import Owed
from storage.outbox import _params as owed_params

log = logging.getLogger(__name__)
T = TypeVar("T")

_POSTCOMPILE = re.compile(r"\(__\[POSTCOMPILE_(\w+)\]\)")


def _insert_updates(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = Update.__table__
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.idempotency_key])


# For SessionBatch: the keys returned are those inserted (a used key is skipped).
_INSERT_MANY = {
    dialect: _insert_updates(dialect).returning(Update.idempotency_key)
    for dialect in ("sqlite", "postgresql")
}


# A row of ``CHECK``: its columns by name, cheaply, and the plan's scheme as text (``scheme_text_sql``).
CheckRow = namedtuple("CheckRow", (*CHECK_FIELDS, "scheme_text"), defaults=(None,))  # type: ignore[misc]


class SessionBatch:
    """The batch's statements through an SQLAlchemy ``Connection``, inside its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def check(self, action_ids: list[int], uids: list[str]) -> Iterable[Any]:
        return self.conn.execute(CHECK, {"action_ids": action_ids, "uids": uids})

    # Nothing is remembered between batches: every batch is checked in its own transaction.
    remembered = None

    def insert(
        self, rows: list[dict[str, Any]], owed: list[tuple[str, Owed]], expected: list[Expected] | None = None
    ) -> set[str]:
        """Insert the updates, skipping a used key, and what each new one owes (``owed``: the key of
        the update that owes it, and the item); the keys inserted. ``expected`` needs no second look
        here: the check ran in the same transaction."""
        from storage import outbox as outbox_store

        created = {r.idempotency_key for r in self.conn.execute(_INSERT_MANY[self.conn.dialect.name], rows)}
        outbox_store.insert_owed(self.conn, owed_in_order(owed, created))
        return created


def owed_in_order(owed: list[tuple[str, Owed]], created: set[str]) -> list[Owed]:
    """What the new updates owe, in coalescing-key order: two writers (processes) inserting the same
    key (one person's Home refresh) then wait for each other instead of deadlocking."""
    return sorted((item for key, item in owed if key in created), key=lambda item: item.key or "")


class RepeatedKey(Exception):
    """SQLite skipped some update of a batch (a key already used, or something it relied on changed)
    and cannot say which: the batch is rolled back and written again one by one."""


# --- the writer's own connection ------------------------------------------------------------------


class _Values:
    """Values for ``keys`` of a row, each through its column type's bind processor (``after`` is text)."""

    def __init__(self, table: Any, dialect: Any, keys: Sequence[str]) -> None:
        self.parts = []
        for key in keys:
            column = table.c.get(key)
            processor = (
                column.type.dialect_impl(dialect).bind_processor(dialect) if column is not None else None
            )
            self.parts.append((key, None, processor))

    params = CompiledInsert.params


def _result_processors(dialect: Any) -> list[Callable[[Any], Any] | None]:
    return [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in CHECK.selected_columns]


class BatchConnection:
    """The group-commit writer's connection: taken from the engine's pool once and kept (given back,
    and a fresh one taken next time, after any error); statements run through the DB-API driver.

    Only the writer thread uses it, one transaction at a time (``transaction``).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.name = engine.dialect.name
        if self.name not in ("sqlite", "postgresql"):
            raise ValueError(f"no batch statements for {self.name}")
        self._pooled: Any = None
        self._cursor: Any = None
        self._checks: dict[tuple[int, int], tuple[str, list[str]]] = {}
        self._processors = _result_processors(self.dialect)
        # What the check read for an (action id, Slack user id), kept so the next batch need not read
        # it again: on PostgreSQL a round trip, and most of the database's work per batch; on SQLite
        # a statement, and every statement hands the interpreter to the request threads. Nothing
        # kept is trusted: the insert compares every fact the update relies on with the tables as
        # they are (``Expected``) and skips the update if any changed; the caller forgets the pair.
        self.remembered: dict[tuple[int, str], Any] | None = {}
        from storage.outbox import _INSERT as OUTBOX_INSERT

        # The updates' values, in ``UPDATE_COLUMNS`` order, through their columns' bind processors, for
        # ``sqlite_insert_sql`` or ``pg_insert_sql``. The outbox rows: on SQLite as SQLAlchemy compiles
        # their insert, one multi-row INSERT (``CompiledInsert.many``); on PostgreSQL in the same
        # statement as the updates, their values processed the same way.
        self._updates = _Values(Update.__table__, self.dialect, UPDATE_COLUMNS)
        self._sqlite_inserts: dict[int, str] = {}  # the insert's SQL by batch size
        if self.name == "sqlite":
            outbox_keys = ("kind", "payload", "coalesce_key", "after")
            self._outbox = CompiledInsert(OUTBOX_INSERT["sqlite"], self.dialect, outbox_keys)
        else:
            self._outbox_values = _Values(OutboxItem.__table__, self.dialect, OUTBOX_VALUES)
        self._insert_prepared = False  # on the connection held now (``_prepare_insert``)

    # -- transactions

    def transaction(self, fn: Callable[[BatchConnection], T]) -> T:
        """``fn(self)`` in one write transaction, committed; rolled back (and the connection given
        back to the pool) if anything raises."""
        if self._pooled is None:
            self._pooled = self.engine.raw_connection()
            self._cursor = self._pooled.driver_connection.cursor()
            self._insert_prepared = False
            if self.name == "postgresql":
                self._pooled.driver_connection.autocommit = True
                self._generic_plans()
        try:
            if self.name == "sqlite":
                self._cursor.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(self)
                except RepeatedKey:  # nothing wrong with the connection or what it remembers
                    self._cursor.execute("ROLLBACK")
                    raise
                self._cursor.execute("COMMIT")
                return result
            # PostgreSQL: each statement is its own transaction (the connection autocommits). The check
            # (only for what the writer does not remember) reads, and the insert checks again and writes
            # the updates and their outbox rows in one statement, which is atomic and commits
            # (``synchronous_commit`` as configured) before it answers. One round trip per batch.
            return fn(self)
        except RepeatedKey:
            raise
        except BaseException:
            self._discard()
            raise

    def _generic_plans(self) -> None:
        """Plan the writer's two statements once. Both are prepared, but PostgreSQL's default then
        plans a prepared statement again for its values on every execution when it guesses that pays
        (it did here, every time): about 0.9 ms of the server's CPU per check, 0.2 ms with the plan
        kept, and the insert too. Both take the batch whole and look rows up by key, so one plan fits
        every batch. Only this connection, and only until it goes back to the pool."""
        try:
            self._cursor.execute("SET plan_cache_mode = force_generic_plan")
        except Exception as exc:  # PostgreSQL before 12 has no such setting: plans as before
            log.info("plan_cache_mode not set (%s)", exc.__class__.__name__)

    def _discard(self) -> None:
        if self.remembered:
            self.remembered.clear()  # after an error, read everything afresh
        pooled, self._pooled, self._cursor = self._pooled, None, None
        try:
            pooled.rollback()
            self._give_back(pooled)
        except Exception as exc:  # a broken connection: the pool must not hand it out again
            log.info("batch connection dropped (%s)", exc.__class__.__name__)
            pooled.invalidate()

    def close(self) -> None:
        if self._pooled is not None:
            pooled, self._pooled, self._cursor = self._pooled, None, None
            self._give_back(pooled)

    def _give_back(self, pooled: Any) -> None:
        if self.name == "postgresql":
            try:  # as the pool's other users expect it: default plans, a transaction per unit of work
                if self._insert_prepared:
                    pooled.driver_connection.execute(f"DEALLOCATE {_INSERT_NAME}")
                    self._insert_prepared = False
                pooled.driver_connection.execute("RESET plan_cache_mode")
                pooled.driver_connection.autocommit = False
            except Exception as exc:  # not as expected: the pool must not hand it out again
                log.info("batch connection dropped (%s)", exc.__class__.__name__)
                pooled.invalidate()
                return
        pooled.close()

    # -- the statements

    def check(self, action_ids: list[int], uids: list[str]) -> Iterable[Any]:
        sql, order = self._check_sql(len(action_ids), len(uids))
        values = {"action_ids": action_ids, "uids": uids}
        if self.name == "sqlite":
            params: Any = [v for name in order for v in values[name]]
        else:
            params = values
        self._cursor.execute(sql, params)
        processors = self._processors
        return [
            CheckRow(
                *(
                    value if p is None or value is None else p(value)
                    for p, value in zip(processors, raw, strict=False)
                ),
                *raw[len(processors) :],  # the scheme's text, as it is
            )
            for raw in self._cursor.fetchall()
        ]

    def _check_sql(self, n_actions: int, n_uids: int) -> tuple[str, list[str]]:
        """The check for this many actions and people; SQLite has no arrays, so one SQL per size."""
        key = (n_actions, n_uids) if self.name == "sqlite" else (0, 0)
        found = self._checks.get(key)
        if found is None:
            with_scheme = CHECK.add_columns(literal_column(scheme_text_sql("plans.id", self.name)))
            sql = with_scheme.compile(dialect=self.dialect).string
            if self.name == "sqlite":
                sizes = {"uids": n_uids, "action_ids": n_actions}
                # Each list where it appears (a name may appear more than once), its values in that order.
                order = [m.group(1) for m in _POSTCOMPILE.finditer(sql)]
                if sorted(set(order)) != sorted(sizes):
                    raise RuntimeError(f"the check's lists are not where expected: {order}")
                sql = _POSTCOMPILE.sub(lambda m: "(" + ", ".join("?" * sizes[m.group(1)]) + ")", sql)
                found = (sql, order)
            else:
                for name in ("uids", "action_ids"):
                    sql = sql.replace(f"IN (__[POSTCOMPILE_{name}])", f"= ANY(%({name})s)")
                found = (sql, [])
            self._checks[key] = found
        return found

    def insert(
        self, rows: list[dict[str, Any]], owed: list[tuple[str, Owed]], expected: list[Expected] | None = None
    ) -> set[str]:
        """``SessionBatch.insert``, where each update is inserted only if what it relied on
        (``expected``, one per row) is unchanged."""
        if expected is None or len(expected) != len(rows):
            raise ValueError("the writer inserts only with what each update relied on")
        if self.name == "postgresql":
            return self._insert_postgresql(rows, owed, expected)
        cursor, updates, outbox = self._cursor, self._updates, self._outbox
        # One statement per table, whatever the batch size: each execution lets other threads have the
        # interpreter, and the writer then waits to get it back, so fewer executions mean shorter batches.
        params: list[Any] = []
        for n, (row, exp) in enumerate(zip(rows, expected, strict=True)):
            params += (n, *updates.params(row), *exp)
        sql = self._sqlite_inserts.get(len(rows))
        if sql is None:
            sql = self._sqlite_inserts[len(rows)] = sqlite_insert_sql(len(rows))
        cursor.execute(sql, params)
        if cursor.rowcount != len(rows):
            if len(rows) > 1:  # which one was skipped? Each alone says (``bot.group_commit`` falls back)
                raise RepeatedKey(f"{len(rows) - cursor.rowcount} of {len(rows)} updates not inserted")
            return set()
        items = owed_in_order(owed, {row["idempotency_key"] for row in rows})
        if items:
            params = []
            for item in items:
                params += outbox.params(owed_params(item))
            cursor.execute(outbox.many(len(items)), params)
        return {row["idempotency_key"] for row in rows}

    def _insert_postgresql(
        self, rows: list[dict[str, Any]], owed: list[tuple[str, Owed]], expected: list[Expected]
    ) -> set[str]:
        """One statement, one round trip: the updates whose checks still hold, and (joined to the keys
        inserted) the outbox rows of those that were new, in coalescing-key order. The rows go as
        one JSON text per table, so the SQL is the same whatever the batch size (prepared once,
        planned once) and the driver sends two strings, not an array per column (converting those
        was most of the writer's CPU per batch)."""
        owed = sorted(owed, key=lambda pair: pair[1].key or "")
        updates = [
            {"n": n, **dict(zip(UPDATE_COLUMNS, self._updates.params(row), strict=True)), **exp._asdict()}
            for n, (row, exp) in enumerate(zip(rows, expected, strict=True))
        ]
        outbox = self._outbox_values
        items = [
            {"n": n, "ukey": key, **dict(zip(OUTBOX_VALUES, outbox.params(owed_params(item)), strict=True))}
            for n, (key, item) in enumerate(owed)
        ]
        pgconn = self._pooled.driver_connection.pgconn
        if not self._insert_prepared:
            self._prepare_insert(pgconn)
        result = pgconn.exec_prepared(_INSERT_NAME.encode(), [_json(updates).encode(), _json(items).encode()])
        _raise_unless(result, "TUPLES_OK")
        return {result.get_value(row, 0).decode() for row in range(result.ntuples)}

    def _prepare_insert(self, pgconn: Any) -> None:
        """Prepare the insert once on this connection, through libpq itself: the statement is the same
        for every batch, and psycopg's cursor cost about as much CPU again per execution (its
        parameter adaptation and statement cache) as the call itself. Deallocated when the connection
        goes back to the pool (``_give_back``)."""
        sql = pg_insert_sql(self.dialect)
        _raise_unless(pgconn.prepare(_INSERT_NAME.encode(), sql.encode(), None), "COMMAND_OK")
        self._insert_prepared = True


_INSERT_NAME = "progressbot_batch_insert"


def _raise_unless(result: Any, status: str) -> None:
    """A libpq result whose status is not ``status``: the error psycopg would raise for it."""
    from psycopg.pq import ExecStatus

    if result.status != ExecStatus[status]:
        from psycopg.errors import error_from_result

        raise error_from_result(result)


def _json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def _json_value(value: Any) -> str:
    if isinstance(value, dt.date):  # datetimes too: ISO 8601, with the offset, which PostgreSQL reads
        return value.isoformat()
    from psycopg.types.json import Json, Jsonb

    if isinstance(value, Json | Jsonb):  # a JSON column's value: its text, as psycopg would send it
        return (value.dumps or json.dumps)(value.obj)
    raise TypeError(f"no JSON form for {type(value).__name__}")
