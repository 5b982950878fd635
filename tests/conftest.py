"""Shared fixtures.

- ``session``: a Session inside an outer transaction that is rolled back after the test
  (SQLAlchemy's "Joining a Session into an External Transaction" recipe). Tests marked
  ``storage`` get it on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too.
- ``database``: a fresh, migrated SQLite file with its own engine and session factory, for tests
  where the code under test opens its own sessions or threads (the Slack app, jobs, the CLI).
- ``now``: a fixed, aware instant. Nothing here reads the wall clock or sleeps.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from progressbot.config import Settings
from storage.db import create_db_engine, make_session_factory, upgrade
from storage.models import Base

FIXTURES = Path(__file__).parent / "fixtures"
LONDON = ZoneInfo("Europe/London")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
pytest_plugins = [
    "tests.support.fakeslack",
    "tests.support.bot_harness",
    "tests.support.smtpserver",
    "tests.support.form_harness",
    "tests.support.browser",
]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if PG_URL and metafunc.definition.get_closest_marker("storage"):
            backends.append("postgresql")
        metafunc.parametrize("db_backend", backends, scope="session")


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the real Alembic migrations once (not the new-database shortcut); each test copies the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}", migrate_new=True)
    return path


@pytest.fixture(scope="session")
def _engines(_migrated_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory):
    engines: dict[str, Engine] = {}

    def get(backend: str) -> Engine:
        if backend not in engines:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("shared") / "shared.db"
                shutil.copy(_migrated_sqlite_template, path)
                engines[backend] = create_db_engine(f"sqlite:///{path}")
            else:
                engine = create_db_engine(PG_URL)
                with engine.begin() as conn:
                    Base.metadata.drop_all(conn)
                    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                upgrade(engine, migrate_new=True)
                engines[backend] = engine
        return engines[backend]

    yield get
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def engine(_engines, db_backend: str) -> Engine:
    return _engines(db_backend)


@pytest.fixture
def session(engine: Engine):
    """A session whose every commit is a SAVEPOINT inside one outer transaction, rolled back."""
    with engine.connect() as connection:
        outer = connection.begin()
        sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()


@pytest.fixture
def session_factory(session: Session) -> sessionmaker[Session]:
    """A factory whose sessions join the test's outer transaction (single-threaded code only)."""
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@dataclass
class Database:
    url: str
    engine: Engine
    session_factory: sessionmaker[Session]


@pytest.fixture
def database(_migrated_sqlite_template: Path, tmp_path: Path):
    path = tmp_path / "progressbot.db"
    shutil.copy(_migrated_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    yield Database(url=url, engine=engine, session_factory=make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def now() -> dt.datetime:
    """Monday 23 November 2026, 10:00 in London: a working day, inside sending hours."""
    return dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(
        database_url=database.url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        slack_app_token="xapp-test-token",
        timezone="Europe/London",
        digest_channel="C0DIGEST",
    )
