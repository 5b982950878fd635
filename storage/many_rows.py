"""Plain rows into a table with less work per row than SQLAlchemy's executemany, and the same result.

``CompiledInsert`` is an INSERT compiled once for a dialect, with how a row of values becomes its
parameters: each value through its column type's bind processor, as SQLAlchemy does at execution.
Two users: the group-commit writer (``storage.batch``), and ``insert_many`` for an import's thousands of
actions, leads and updates on SQLite (SQLAlchemy's per-row parameter dictionaries cost more than
SQLite's own work: about a fifth of a second at 5,000 actions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


class NotPlain(Exception):
    """The statement needs SQLAlchemy at execution (a default computed per row, named parameters)."""


class CompiledInsert:
    """``statement`` (an INSERT on one table) compiled for ``dialect`` with values for ``keys``.

    Columns left out take their constant default, or the value the statement itself binds; a column
    whose default is computed per row (a function, a SQL expression) raises ``NotPlain``, since the
    rows would otherwise get none. ``remember``: convert each distinct value once per column (an
    import's timestamp, a due date, a RAG recur down the rows)."""

    def __init__(self, statement: Any, dialect: Any, keys: Sequence[str], *, remember: bool = False) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        if not compiled.positional:
            raise NotPlain("named parameters")
        self.sql = compiled.string
        self._many: dict[int, str] = {}
        table = statement.table
        self.parts: list[tuple[str | None, Any, Callable[[Any], Any] | None]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None and remember:
                processor = _remembering(processor)
            if bind.key in keys:
                self.parts.append((bind.key, None, processor))
                continue
            column = table.c.get(bind.key)
            default = column.default if column is not None else None
            if default is not None and not default.is_scalar:
                raise NotPlain(f"{bind.key}'s default is computed per row")
            value = default.arg if default is not None else bind.effective_value
            self.parts.append((None, value, processor))

    def many(self, n: int) -> str:
        """The statement inserting ``n`` rows at once (one VALUES group per row)."""
        sql = self._many.get(n)
        if sql is None:
            head, _, rest = self.sql.partition(" VALUES ")
            group, on, tail = rest.partition(" ON CONFLICT ")
            if not (head and group and on):
                raise RuntimeError(f"not an INSERT ... VALUES ... ON CONFLICT: {self.sql}")
            sql = self._many[n] = f"{head} VALUES {', '.join([group] * n)}{on}{tail}"
        return sql

    def params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for key, default, processor in self.parts:
            value = row[key] if key is not None else default
            out.append(processor(value) if processor is not None else value)  # None too, as SQLAlchemy does
        return tuple(out)


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """``session.execute(insert(table), rows)``, quicker on SQLite for many rows with the same keys.

    Anything it would not do the same way (rows with different columns, a column the table does not
    have, a default computed per row) goes through SQLAlchemy as before."""
    connection = session.connection()
    compiled = _compiled(connection.dialect, table, rows) if connection.dialect.name == "sqlite" else None
    if compiled is None:
        session.execute(insert(table), rows)
        return
    connection.exec_driver_sql(compiled.sql, [compiled.params(row) for row in rows])


def _compiled(dialect: Any, table: Table, rows: list[dict[str, Any]]) -> CompiledInsert | None:
    if not rows:
        return None
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows) or not all(k in table.c for k in keys):
        return None
    try:
        return CompiledInsert(insert(table), dialect, list(keys), remember=True)
    except NotPlain:
        return None


def _remembering(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process``, converting each distinct value once (by type and value, so 1, 1.0 and True stay
    apart); unhashable values (a JSON list) are converted every time."""
    done: dict[tuple[type, Any], Any] = {}

    def convert(value: Any) -> Any:
        try:
            return done[(type(value), value)]
        except KeyError:
            converted = done[(type(value), value)] = process(value)
            return converted
        except TypeError:  # unhashable
            return process(value)

    return convert
