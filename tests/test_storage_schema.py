"""The migrations and the models agree, and the column types behave the same on every backend."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from storage.db import create_db_engine, current_revisions, head_revisions, upgrade
from storage.models import Base, Plan
from tests.conftest import PG_URL

pytestmark = pytest.mark.storage


def test_migrations_match_models(session):
    """A model change without a migration fails here (alembic's own comparison, empty diff). Server
    defaults, which it does not compare, are compared by the next test."""
    context = MigrationContext.configure(session.connection())
    assert compare_metadata(context, Base.metadata) == []


@pytest.fixture
def blank_engines(db_backend, tmp_path):
    """Engines on empty databases of the backend: SQLite files, or PostgreSQL schemas of their own."""
    made, schemas = [], []

    def make():
        if db_backend == "sqlite":
            engine = create_db_engine(f"sqlite:///{tmp_path / f'{len(made)}.db'}")
        else:
            schema = f"blank_{uuid.uuid4().hex[:12]}"
            with create_db_engine(PG_URL).begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            schemas.append(schema)
            engine = create_db_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()
    if schemas:
        cleaner = create_db_engine(PG_URL)
        with cleaner.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        cleaner.dispose()


def _plain(value):
    """Reflected values as comparable data (an index's ``WHERE`` comes back as a clause object)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def _schema(engine) -> dict:
    """Everything the database says about its tables (but their columns' order), and what they hold."""
    with engine.connect() as conn:
        found = inspect(conn)
        tables = sorted(found.get_table_names())
        return {
            table: {
                "columns": sorted(
                    (
                        {k: str(v) if k == "type" else v for k, v in c.items()}
                        for c in found.get_columns(table)
                    ),
                    key=lambda c: c["name"],
                ),
                "primary key": found.get_pk_constraint(table),
                "foreign keys": sorted(found.get_foreign_keys(table), key=repr),
                "indexes": sorted(_plain(found.get_indexes(table)), key=repr),
                "unique": sorted(found.get_unique_constraints(table), key=repr),
                "checks": sorted(found.get_check_constraints(table), key=repr),
                "rows": sorted(conn.execute(text(f"SELECT * FROM {table}")).all(), key=repr),
            }
            for table in tables
        }


def test_a_new_database_gets_the_schema_the_migrations_build(blank_engines):
    """``upgrade`` creates a new database from the models and stamps it (no migrations run): the result
    is what running every migration builds, constraint names, defaults, indexes and version table too."""
    migrated, created = blank_engines(), blank_engines()
    upgrade(migrated, migrate_new=True)
    upgrade(created)
    assert current_revisions(created) == head_revisions()
    reference = _schema(migrated)
    assert len(reference) > 20 and reference["alembic_version"]["rows"]
    assert _schema(created) == reference


def test_processes_starting_together_on_a_new_database_create_it_once(blank_engines):
    """A deploy starts web and worker at once on an empty database: each start-up's ``upgrade`` runs
    at the same moment, and both must come up (one creates the schema, the other finds it made)."""
    engine = blank_engines()
    ready = threading.Barrier(3)
    errors: list[BaseException] = []

    def start() -> None:
        ready.wait()
        try:
            upgrade(engine)
        except BaseException as exc:  # the test reports any start-up that failed
            errors.append(exc)

    starts = [threading.Thread(target=start) for _ in range(3)]
    for thread in starts:
        thread.start()
    for thread in starts:
        thread.join(60)
    assert errors == []
    assert current_revisions(engine) == head_revisions()
    assert _schema(engine)["alembic_version"]["rows"] == [
        (revision,) for revision in sorted(head_revisions())
    ]


def test_datetimes_come_back_aware_utc(session):
    london = dt.timezone(dt.timedelta(hours=1))
    created = dt.datetime(2026, 6, 1, 9, 30, tzinfo=london)
    session.add(Plan(name="p", created_at=created, updated_at=created))
    session.flush()
    session.expire_all()
    got = session.scalars(select(Plan.created_at)).one()
    assert got == created
    assert got.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(session):
    session.add(Plan(name="naive", created_at=dt.datetime(2026, 1, 1), updated_at=dt.datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_an_import_leaves_postgresql_statistics_that_know_the_rows(session, db_backend):
    """Without ANALYZE, PostgreSQL (autovacuum off, or not there yet) plans for nearly empty tables."""
    from storage.db import refresh_statistics
    from tests.support.report_factories import add_action, make_plan

    plan = make_plan(session, "stats")
    for n in range(40):
        add_action(session, plan, f"1.{n}", leads=(f"Lead {n}",))
    session.flush()
    refresh_statistics(session)  # on SQLite: nothing to do, and nothing fails
    if db_backend != "postgresql":
        return
    counted = dict(
        session.execute(
            text(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('actions', 'action_leads', 'people')"
            )
        ).all()
    )
    assert counted["actions"] >= 40 and counted["action_leads"] >= 40 and counted["people"] >= 40, counted
