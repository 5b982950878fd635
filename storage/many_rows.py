"""Insert thousands of plain rows into one SQLite table with less work per row than SQLAlchemy's
executemany, and the same result.

``session.execute(insert(table), rows)`` builds a parameter dictionary per row and runs every value
through its column's bind processor: at 5,000 actions (and as many leads and updates) that was about a
fifth of a second of CPU, more than SQLite took to store them. ``insert_many`` compiles the statement
once, converts each value with the same bind processors SQLAlchemy would use (converting a value once
when it recurs down the column: the import's timestamp, a due date, a RAG) and hands the rows to the
driver's ``executemany`` as tuples. Anything it does not handle the same way (rows with different
columns, a column left to a Python-side default that is not a constant, a statement whose parameters
are not the column names) goes through SQLAlchemy as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """``session.execute(insert(table), rows)``, quicker on SQLite for many rows with the same keys."""
    connection = session.connection()
    plan = _plan(connection.dialect, table, rows) if connection.dialect.name == "sqlite" else None
    if plan is None:
        session.execute(insert(table), rows)
        return
    sql, getters = plan
    connection.exec_driver_sql(sql, [tuple([get(row) for get in getters]) for row in rows])


_Getter = Callable[[dict[str, Any]], Any]


def _plan(dialect: Any, table: Table, rows: list[dict[str, Any]]) -> tuple[str, list[_Getter]] | None:
    """The INSERT's SQL and, per parameter in order, how to get its value from a row; None when
    SQLAlchemy should do it."""
    if not rows:
        return None
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows) or not all(k in table.c for k in keys):
        return None
    # Columns the rows leave out: SQLAlchemy fills a constant default in; anything else (a function
    # called per row, a SQL expression) is left to it.
    left_out = [c for c in table.c if c.key not in keys and c.default is not None]
    if any(not c.default.is_scalar for c in left_out):
        return None
    defaults = {c.key: c.default.arg for c in left_out}
    compiled = insert(table).compile(dialect=dialect, column_keys=[*keys, *defaults])
    order = list(compiled.positiontup or [])
    if not compiled.positional or sorted(order) != sorted([*keys, *defaults]):
        return None
    getters: list[_Getter] = []
    for key in order:
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if key in defaults:
            value = process(defaults[key]) if process else defaults[key]
            getters.append(lambda _row, value=value: value)
        elif process is None:
            getters.append(lambda row, key=key: row[key])
        else:
            convert = _remembering(process)
            getters.append(lambda row, key=key, convert=convert: convert(row[key]))
    return compiled.string, getters


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
