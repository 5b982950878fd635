"""``storage.many_rows.insert_many`` stores exactly what ``session.execute(insert(table), rows)`` stores:
the same values of the same SQLite types, defaults filled in the same way."""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import StatementError

from storage.db import open_database
from storage.many_rows import insert_many
from storage.models import Action, ActionLead, Person, Plan, Update

NOW = dt.datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=dt.UTC)
LONDON = ZoneInfo("Europe/London")


def _actions(count: int) -> list[dict]:
    return [
        {
            "id": i + 1,
            "plan_id": 1,
            "section_id": None,
            "ref": f"{i}.1",
            "ref_generated": i % 2 == 0,
            "position": i,
            "title": f"Action {i}",
            "timescale": "March 2026" if i % 3 else "",
            "due_date": dt.date(2026, 3, 31) if i % 3 else None,
            "schedule": "once",
            "milestones": ["2026-03-31"] if i % 3 else [],
            "recurrence": None,
            # The same instant written in two zones (one just before the clocks change), and a later one.
            "created_at": NOW if i % 2 else NOW.astimezone(LONDON),
            "updated_at": NOW + dt.timedelta(microseconds=i),
        }
        for i in range(count)
    ]


def _leads() -> list[dict]:
    # "position", "lead_text" and "kind" left out: their constant defaults are filled in.
    return [{"action_id": i + 1, "person_id": 1} for i in range(12)]


def _updates() -> list[dict]:
    return [
        {
            "id": i + 1,
            "action_id": i + 1,
            "rag": ("Red", None, "Green")[i % 3],
            "text": "é ✓ progress" if i else "",
            "source": "import",
            "submitted_at": NOW - dt.timedelta(days=i),
            "author_text": "import: plan.xlsx",
        }
        for i in range(12)
    ]


def _stored(path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        found = {}
        for table in ("actions", "action_leads", "updates"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            typed = ", ".join(f"{c}, typeof({c})" for c in columns)
            found[table] = conn.execute(f"SELECT {typed} FROM {table} ORDER BY rowid").fetchall()
        return found


def _fill(path, write) -> dict[str, list[tuple]]:
    engine, factory = open_database(f"sqlite:///{path}")
    with factory.begin() as session:
        session.add(Plan(id=1, name="p", name_key="p", title="P", source_filename="p.xlsx"))
        session.add(Person(id=1, display_name="Head of Service"))
        session.flush()
        for model, rows in ((Action, _actions(12)), (ActionLead, _leads()), (Update, _updates())):
            write(session, model.__table__, rows)
    engine.dispose()
    return _stored(path)


def test_insert_many_stores_what_sqlalchemy_stores(tmp_path, monkeypatch):
    by_sqlalchemy = _fill(
        tmp_path / "a.db", lambda session, table, rows: session.execute(insert(table), rows)
    )

    def own_way_only(session, table, rows):
        # These rows are insert_many's own to write: SQLAlchemy's executemany is not used for them.
        with monkeypatch.context() as patched:
            patched.setattr(session, "execute", None)
            insert_many(session, table, rows)

    by_insert_many = _fill(tmp_path / "b.db", own_way_only)
    assert by_insert_many == by_sqlalchemy
    assert len(by_insert_many["actions"]) == 12 and len(by_insert_many["action_leads"]) == 12
    with sqlite3.connect(tmp_path / "b.db") as conn:
        created = [row[0] for row in conn.execute("SELECT created_at FROM actions ORDER BY id")]
        leads = conn.execute("SELECT DISTINCT position, lead_text, kind FROM action_leads").fetchall()
    assert set(created) == {"2026-03-29 00:30:15.123456"}  # the same instant in any zone, stored in UTC
    assert leads == [(0, "", "lead")]  # the columns' constant defaults


def test_rows_insert_many_does_not_handle_go_through_sqlalchemy(tmp_path):
    """A column left to a per-row default (``created_at``'s clock) is SQLAlchemy's to fill; rows with
    different columns get SQLAlchemy's refusal."""
    no_clock = _actions(4)
    for row in no_clock:
        del row["created_at"]
    uneven = [{**row, "id": row["id"] + 10} for row in _actions(2)]
    del uneven[1]["timescale"]
    engine, factory = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    with factory.begin() as session:
        session.add(Plan(id=1, name="p", name_key="p", title="P", source_filename="p.xlsx"))
        session.flush()
        insert_many(session, Action.__table__, no_clock)
        with pytest.raises(StatementError, match="A value is required for bind parameter 'timescale'"):
            insert_many(session, Action.__table__, uneven)
    engine.dispose()
    with sqlite3.connect(tmp_path / "c.db") as conn:
        stored = conn.execute("SELECT id, created_at FROM actions ORDER BY id").fetchall()
    assert [row[0] for row in stored] == [1, 2, 3, 4]
    assert all(created for _, created in stored)  # the clock default ran for every row
