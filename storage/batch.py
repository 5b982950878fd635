"""The direct route's statements (``bot.direct``), run by the group-commit writer on a connection it keeps.

A burst of update-modal submissions is written a batch at a time: one read of what the checks need, one
insert of the updates and their outbox rows, one commit. At that rate SQLAlchemy's own bookkeeping was
most of the writer's CPU (measured per batch: a transaction through an engine cost about 220 µs of CPU
on SQLite and 640 µs on PostgreSQL, one on the driver's connection 12 µs and 190 µs; and per row,
building and processing the parameters). So ``BatchConnection`` keeps one pooled connection for the
writer and runs the statements through the DB-API driver directly, and ``SessionBatch`` runs the same
checks and inserts through an SQLAlchemy ``Connection`` (a session bound to one connection, in tests).

Nothing about what is written changes: the SQL is SQLAlchemy's own, compiled once per dialect from the
same statements the ORM path runs, and every value goes through its column type's bind processor (and
every value read through its result processor), so the rows are those the listener writes
(``tests/test_direct_route.py`` compares them). SQLite transactions begin IMMEDIATE, on a connection
the engine configured (WAL, busy timeout); PostgreSQL commits as configured (``synchronous_commit``).
"""

from __future__ import annotations

import logging
import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, exists, func, select
from sqlalchemy.engine import Connection

from storage.many_rows import CompiledInsert
from storage.models import (
    Action,
    ActionLead,
    Challenge,
    ChallengeAnswer,
    OutboxItem,
    Person,
    Plan,
    RagState,
    Update,
)
from storage.outbox import Owed
from storage.outbox import _params as owed_params

log = logging.getLogger(__name__)
T = TypeVar("T")

# The columns of ``storage.updates.new_update``'s row, in the order the raw inserts take them.
UPDATE_COLUMNS = (
    "action_id",
    "author_id",
    "author_text",
    "on_behalf_of_id",
    "rag",
    "text",
    "evidence_url",
    "evidence_note",
    "proposed_due",
    "source",
    "submitted_at",
    "idempotency_key",
    "reminder_message_id",
)

# What the checks of a batch need, in one statement whatever the batch size: one row per action,
# RAG state and submitter who leads (or is a delegate of) the action, with:
# - the action, its plan and the state (``new_update`` checks the RAG against the plan's scheme);
# - the submitter (a lead or delegate is the author, on nobody's behalf, whatever their roles); NULL
#   columns when no submitter of the batch leads the action;
# - the earliest challenge still open on the action: an update submitted after it answers it.
# The batch's actions are named here too, not only in the outer query: otherwise PostgreSQL read every
# lead of the submitters (a scan of action_leads, growing with the plan) before keeping the batch's.
_LEAD = (
    select(ActionLead.action_id, Person.slack_user_id, Person.id, Person.display_name)
    .join(Person, Person.id == ActionLead.person_id)
    .where(
        Person.slack_user_id.in_(bindparam("uids", expanding=True)),
        ActionLead.action_id.in_(bindparam("action_ids", expanding=True)),
    )
    .subquery("lead")
)
_OPEN_SINCE = (
    select(func.min(Challenge.at))
    .where(Challenge.action_id == Action.id, ~exists().where(ChallengeAnswer.challenge_id == Challenge.id))
    .scalar_subquery()
)
CHECK = (
    select(
        Action.id,
        Action.ref,
        Action.title,
        Plan.name.label("plan_name"),
        _OPEN_SINCE.label("open_since"),
        _LEAD.c.slack_user_id.label("lead_uid"),
        _LEAD.c.id.label("lead_id"),
        _LEAD.c.display_name.label("lead_name"),
        RagState.label,
        RagState.rank,
        RagState.colour,
        RagState.meaning,
        RagState.is_complete,
        RagState.aliases,
    )
    .select_from(Action)
    .join(Plan, Plan.id == Action.plan_id)
    .outerjoin(_LEAD, _LEAD.c.action_id == Action.id)
    .outerjoin(RagState, RagState.plan_id == Plan.id)
    .where(Action.id.in_(bindparam("action_ids", expanding=True)))
    .order_by(Action.id, RagState.rank)
)
CHECK_FIELDS = tuple(c.name for c in CHECK.selected_columns)
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


# A row of ``CHECK``: its columns by name, cheaply.
CheckRow = namedtuple("CheckRow", CHECK_FIELDS)  # type: ignore[misc]


class SessionBatch:
    """The batch's statements through an SQLAlchemy ``Connection``, inside its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def check(self, action_ids: list[int], uids: list[str]) -> Iterable[Any]:
        return self.conn.execute(CHECK, {"action_ids": action_ids, "uids": uids})

    def insert(self, rows: list[dict[str, Any]], owed: list[tuple[str, Owed]]) -> set[str]:
        """Insert the updates, skipping a used key, and what each new one owes (``owed``: the key of
        the update that owes it, and the item); the keys inserted."""
        from storage import outbox as outbox_store

        created = {r.idempotency_key for r in self.conn.execute(_INSERT_MANY[self.conn.dialect.name], rows)}
        outbox_store.insert_owed(self.conn, owed_in_order(owed, created))
        return created


def owed_in_order(owed: list[tuple[str, Owed]], created: set[str]) -> list[Owed]:
    """What the new updates owe, in coalescing-key order: two writers (processes) inserting the same
    key (one person's Home refresh) then wait for each other instead of deadlocking."""
    return sorted((item for key, item in owed if key in created), key=lambda item: item.key or "")


class RepeatedKey(Exception):
    """Some update of a batch had a key already used: the batch is written again one by one."""


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
        from storage.outbox import _INSERT as OUTBOX_INSERT

        # SQLite: the statements as SQLAlchemy compiles them, one multi-row INSERT each (``CompiledInsert.many``).
        # PostgreSQL: one statement whatever the batch (``_pg_insert_sql``), its values processed the same way.
        self._updates: CompiledInsert | _Values
        if self.name == "sqlite":
            self._updates = CompiledInsert(_insert_updates("sqlite"), self.dialect, UPDATE_COLUMNS)
            outbox_keys = ("kind", "payload", "coalesce_key", "after")
            self._outbox = CompiledInsert(OUTBOX_INSERT["sqlite"], self.dialect, outbox_keys)
        else:
            self._updates = _Values(Update.__table__, self.dialect, UPDATE_COLUMNS)
            self._outbox_values = _Values(OutboxItem.__table__, self.dialect, _OUTBOX_VALUES)
        self._pg_insert: str | None = None

    # -- transactions

    def transaction(self, fn: Callable[[BatchConnection], T]) -> T:
        """``fn(self)`` in one write transaction, committed; rolled back (and the connection given
        back to the pool) if anything raises."""
        if self._pooled is None:
            self._pooled = self.engine.raw_connection()
            self._cursor = self._pooled.driver_connection.cursor()
            if self.name == "postgresql":
                self._pooled.driver_connection.autocommit = True
                self._generic_plans()
        try:
            if self.name == "sqlite":
                self._cursor.execute("BEGIN IMMEDIATE")
                result = fn(self)
                self._cursor.execute("COMMIT")
                return result
            # PostgreSQL: each statement is its own transaction (the connection autocommits). The check
            # reads, and the insert writes the updates and their outbox rows in one statement, which is
            # atomic and commits (``synchronous_commit`` as configured) before it answers. Nothing is
            # lost against one explicit transaction: at READ COMMITTED every statement sees what was
            # committed before it started anyway. Two round trips per batch instead of four.
            return fn(self)
        except BaseException:
            self._discard()
            raise

    def _generic_plans(self) -> None:
        """Plan the writer's two statements once. psycopg prepares them, but PostgreSQL's default then
        plans a prepared statement again for its values on every execution when it guesses that pays
        (it did here, every time): about 0.9 ms of the server's CPU per check, 0.2 ms with the plan
        kept, and the insert too. Both statements take arrays and look rows up by key, so one plan
        fits every batch. Only this connection, and only until it goes back to the pool."""
        try:
            self._cursor.execute("SET plan_cache_mode = force_generic_plan")
        except Exception as exc:  # PostgreSQL before 12 has no such setting: plans as before
            log.info("plan_cache_mode not set (%s)", exc.__class__.__name__)

    def _discard(self) -> None:
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
            CheckRow._make(
                value if p is None or value is None else p(value)
                for p, value in zip(processors, raw, strict=True)
            )
            for raw in self._cursor.fetchall()
        ]

    def _check_sql(self, n_actions: int, n_uids: int) -> tuple[str, list[str]]:
        """The check for this many actions and people; SQLite has no arrays, so one SQL per size."""
        key = (n_actions, n_uids) if self.name == "sqlite" else (0, 0)
        found = self._checks.get(key)
        if found is None:
            if self.name == "sqlite":
                sql = CHECK.compile(dialect=self.dialect).string
                sizes = {"uids": n_uids, "action_ids": n_actions}
                # Each list where it appears (a name may appear more than once), its values in that order.
                order = [m.group(1) for m in _POSTCOMPILE.finditer(sql)]
                if sorted(set(order)) != sorted(sizes):
                    raise RuntimeError(f"the check's lists are not where expected: {order}")
                sql = _POSTCOMPILE.sub(lambda m: "(" + ", ".join("?" * sizes[m.group(1)]) + ")", sql)
                found = (sql, order)
            else:
                sql = CHECK.compile(dialect=self.dialect).string
                for name in ("uids", "action_ids"):
                    sql = sql.replace(f"IN (__[POSTCOMPILE_{name}])", f"= ANY(%({name})s)")
                found = (sql, [])
            self._checks[key] = found
        return found

    def insert(self, rows: list[dict[str, Any]], owed: list[tuple[str, Owed]]) -> set[str]:
        """``SessionBatch.insert``."""
        if self.name == "postgresql":
            return self._insert_postgresql(rows, owed)
        cursor, updates, outbox = self._cursor, self._updates, self._outbox
        # One statement per table, whatever the batch size: each execution lets other threads have the
        # interpreter, and the writer then waits to get it back, so fewer executions mean shorter batches.
        params: list[Any] = []
        for row in rows:
            params += updates.params(row)
        cursor.execute(updates.many(len(rows)), params)
        if cursor.rowcount != len(rows):
            if len(rows) > 1:  # which key was used? Each alone says (``bot.group_commit`` falls back)
                raise RepeatedKey(f"{len(rows) - cursor.rowcount} of {len(rows)} keys already used")
            return set()
        items = owed_in_order(owed, {row["idempotency_key"] for row in rows})
        if items:
            params = []
            for item in items:
                params += outbox.params(owed_params(item))
            cursor.execute(outbox.many(len(items)), params)
        return {row["idempotency_key"] for row in rows}

    def _insert_postgresql(self, rows: list[dict[str, Any]], owed: list[tuple[str, Owed]]) -> set[str]:
        """One statement, one round trip: the updates, and (joined to the keys inserted) the outbox
        rows of those that were new, in coalescing-key order. The values go as one array per column, so
        the SQL is the same whatever the batch size: psycopg parses it once and PostgreSQL prepares it
        once. (A VALUES group per row made a new statement for every batch shape, which psycopg parsed
        again on every execution, about 2 ms a batch, and PostgreSQL planned again.)"""
        owed = sorted(owed, key=lambda pair: pair[1].key or "")
        update_columns = _columns([self._updates.params(row) for row in rows], len(UPDATE_COLUMNS))
        outbox = self._outbox_values
        owed_columns = _columns(
            [(n, key, *outbox.params(owed_params(item))) for n, (key, item) in enumerate(owed)],
            2 + len(_OUTBOX_VALUES),
        )
        if self._pg_insert is None:
            self._pg_insert = _pg_insert_sql(self.dialect)
        self._cursor.execute(self._pg_insert, [*update_columns, *owed_columns])
        return {key for (key,) in self._cursor.fetchall()}


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows of values as one list per column (empty lists when there are no rows)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


# The outbox row of an owed item, as the PostgreSQL batch insert takes it (after its number and the key
# of the update that owes it): the values ``storage.outbox``'s insert gives its columns.
_OUTBOX_VALUES = ("kind", "coalesce_key", "payload", "after")


def _pg_insert_sql(dialect: Any) -> str:
    """The batch insert, taking an array per column; each array is cast to its column's own type."""
    table = Update.__table__
    update_types = [f"{table.c[name].type.compile(dialect)}[]" for name in UPDATE_COLUMNS]
    columns = ", ".join(UPDATE_COLUMNS)
    unnest_updates = ", ".join(f"%b::{t}" for t in update_types)
    outbox = OutboxItem.__table__
    owed_types = [
        "INTEGER[]",  # the item's place in the batch
        f"{table.c.idempotency_key.type.compile(dialect)}[]",  # the key of the update that owes it
        f"{outbox.c.kind.type.compile(dialect)}[]",
        f"{outbox.c.coalesce_key.type.compile(dialect)}[]",
        f"{outbox.c.payload.type.compile(dialect)}[]",
        "VARCHAR[]",  # the delay, as an interval's text
    ]
    unnest_owed = ", ".join(f"%b::{t}" for t in owed_types)
    # ``storage.outbox``'s insert: not_before and created_at by the database's clock (``db_time``).
    return (
        f"WITH u AS (INSERT INTO updates ({columns}) "
        f"SELECT {columns} FROM unnest({unnest_updates}) WITH ORDINALITY AS v ({columns}, ord) ORDER BY ord "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key), "
        "o AS (INSERT INTO outbox (kind, coalesce_key, payload, not_before, attempts, created_at) "
        "SELECT v.kind, v.coalesce_key, v.payload, CURRENT_TIMESTAMP + CAST(v.after AS INTERVAL), 0, "
        "CURRENT_TIMESTAMP "
        f"FROM unnest({unnest_owed}) AS v (n, ukey, kind, coalesce_key, payload, after) "
        "JOIN u ON u.idempotency_key = v.ukey ORDER BY v.n "
        "ON CONFLICT (coalesce_key) DO NOTHING) "
        "SELECT idempotency_key FROM u"
    )
