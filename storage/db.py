"""Engine and session factory, and the Alembic upgrade that runs at start-up.

The caller owns the session: ``with session_factory.begin() as session:`` in a listener, a job or a CLI
command, then pass ``session`` into storage functions, which never commit and never open sessions.

SQLite specifics, all on purpose:
- A unit of work opened explicitly (``with session_factory.begin() as session:``, the house style for
  writing) starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so two writers (threads
  or processes) queue on SQLite's busy timeout instead of one failing with "database is locked" when
  its read snapshot turns out stale (WAL cannot upgrade it). A session that only begins by itself on
  its first query (``with session_factory() as session:``, the house style for reading) starts a plain
  ``BEGIN``, reads beside a writer and holds no lock, so reads nest and never wait. Read-only paths
  that may run long (a report, the Home tab) use ``make_read_session_factory``, plain ``BEGIN`` always.
- WAL with ``synchronous=NORMAL``: a commit survives a crash of the process (kill -9); only a power cut
  can lose the last transactions. The busy timeout is ``BUSY_TIMEOUT_SECONDS``.
- A new database file is created 0600 (readable by its owner only); SQLite gives its -wal and -shm
  files the same mode.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from storage.schema import MIGRATIONS_DIR, head_revisions
from storage.sqlite_file import BUSY_TIMEOUT_SECONDS, create_private_file

log = logging.getLogger(__name__)

BEGIN_OPTION = "sqlite_begin"  # execution option: "IMMEDIATE" (default) or "DEFERRED"


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached; the person is told to try again."""


def normalise_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out (postgres://) and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_db_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": BUSY_TIMEOUT_SECONDS})
        in_memory = parsed.database in (None, "", ":memory:") or str(parsed.database).startswith(
            "file::memory"
        )
        if not in_memory:
            create_private_file(Path(str(parsed.database)))
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, in_memory=in_memory)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A web process serves many requests at once (and its outbox drains beside them): room for them.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins, so SAVEPOINTs and
        # "BEGIN IMMEDIATE" behave (see SQLAlchemy's pysqlite "Serializable isolation" notes).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every SQLite test
        immediate = conn.get_execution_options().get(BEGIN_OPTION) == "IMMEDIATE"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class UnitOfWork(Session):
    """A session whose explicit transaction (``begin()``) is a write on SQLite: BEGIN IMMEDIATE."""

    def begin(self, nested: bool = False):
        if not nested and not self.in_transaction():
            self.info[BEGIN_OPTION] = "IMMEDIATE"
        return super().begin(nested)

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if (
            self.info.get(BEGIN_OPTION) == "IMMEDIATE"
            and isinstance(bind, Engine)
            and bind.dialect.name == "sqlite"
        ):
            return _immediate(bind)
        return bind


# One engine per (engine, BEGIN mode), so a session keeps one connection and each mode is built once.
_BEGINNING: dict[str, weakref.WeakKeyDictionary[Engine, Engine]] = {
    "IMMEDIATE": weakref.WeakKeyDictionary(),
    "DEFERRED": weakref.WeakKeyDictionary(),
}


def _beginning(engine: Engine, mode: str) -> Engine:
    """The engine whose SQLite transactions start with ``BEGIN <mode>``."""
    cache = _BEGINNING[mode]
    found = cache.get(engine)
    if found is None:
        found = cache[engine] = engine.execution_options(**{BEGIN_OPTION: mode})
    return found


def _immediate(engine: Engine) -> Engine:
    """The engine whose connections begin IMMEDIATE: its transactions take the write lock at once."""
    return _beginning(engine, "IMMEDIATE")


def write_engine(engine: Engine) -> Engine:
    """The engine whose transactions are writes: BEGIN IMMEDIATE on SQLite, the engine itself elsewhere."""
    return _immediate(engine) if engine.dialect.name == "sqlite" else engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions: ``factory.begin()`` writes (BEGIN IMMEDIATE on SQLite); ``factory()`` reads (BEGIN)."""
    return sessionmaker(engine, class_=UnitOfWork, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads only (on SQLite: a plain BEGIN, which never waits for a writer)."""
    return sessionmaker(read_engine(engine), expire_on_commit=False)


def read_engine(engine: Engine) -> Engine:
    """The engine whose transactions only read (on SQLite: a plain BEGIN); one per engine."""
    return _beginning(engine, "DEFERRED")


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


SCHEMA_LOCK_KEY = 0x70726F67  # "prog": PostgreSQL's advisory lock around schema changes


def upgrade(engine_or_url: Engine | str, *, migrate_new: bool = False) -> None:
    """Bring the schema to the newest revision (idempotent; runs at start-up when it is not there).

    A brand-new database (no tables at all) gets the models' schema in one go (``create_all``) and is
    stamped at the newest revision, Alembic's recipe for new databases: running every migration
    (SQLite's batch mode copies tables at each step) and loading Alembic took longer than the rest of
    an import. ``tests/test_storage_schema.py`` checks that both ways build the same schema, version
    table included, on SQLite and PostgreSQL. ``migrate_new`` runs the migrations anyway (that test's
    reference).
    """
    if isinstance(engine_or_url, str):
        engine = create_db_engine(engine_or_url)
        owns = True
    else:
        engine, owns = engine_or_url, False
    try:
        # Processes started together on a new database (a deploy starts web and worker at once) must not
        # both create it: the write lock (SQLite) or an advisory lock (PostgreSQL) lets one at a time
        # look, and the next finds the schema made.
        with write_engine(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            if not migrate_new and not inspect(conn).get_table_names():
                _create_at_head(conn)
                return
            from alembic import command

            cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if owns:
            engine.dispose()


def _create_at_head(conn: Connection) -> None:
    """The models' tables, and what ``alembic stamp head`` writes: Alembic's version table (as Alembic
    creates it) holding the newest revision. Alembic itself is not loaded for this."""
    from storage.models import Base

    Base.metadata.create_all(conn)
    version = Table(
        "alembic_version",
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(conn)
    conn.execute(version.insert(), [{"version_num": revision} for revision in sorted(head_revisions())])


def current_revisions(engine: Engine) -> set[str]:
    """What the database says it is at; empty for a new database."""
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except (OperationalError, ProgrammingError):  # no alembic_version table yet
        return set()


def open_database(url: str, *, migrate: bool = True) -> tuple[Engine, sessionmaker[Session]]:
    """The one way processes get a database: engine, migrations applied, session factory.

    A database already at the newest revision is left alone: one cheap query instead of Alembic's
    upgrade machinery at every command.
    """
    engine = create_db_engine(url)
    if migrate and current_revisions(engine) != head_revisions():
        upgrade(engine)
    return engine, make_session_factory(engine)


# The tables an import fills in bulk.
_IMPORTED_TABLES = (
    "plans",
    "sections",
    "actions",
    "action_leads",
    "people",
    "lead_aliases",
    "updates",
    "rag_states",
)


def refresh_statistics(session: Session) -> None:
    """After an import on PostgreSQL, ANALYZE the tables it filled, as PostgreSQL advises after a bulk
    load. Until autovacuum gets there (a minute or more, and never where it is turned off) the planner
    takes the tables for nearly empty and picks plans that read every row of them. Nothing on SQLite,
    whose planner needs no statistics for these lookups."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(_IMPORTED_TABLES)}"))
