"""Engine and session factory, and the Alembic upgrade that runs at start-up.

The caller owns the session: ``with session_factory.begin() as session:`` in a listener, a job or a CLI
command, then pass ``session`` into storage functions, which never commit and never open sessions.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


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
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
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
        conn.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(engine_or_url: Engine | str) -> None:
    """Apply every Alembic migration (idempotent; runs at every start-up)."""
    from alembic import command

    if isinstance(engine_or_url, str):
        engine = create_db_engine(engine_or_url)
        owns = True
    else:
        engine, owns = engine_or_url, False
    try:
        with engine.begin() as conn:
            cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        if owns:
            engine.dispose()


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?([\w\-]+|None)['\"]?", re.M)


def head_revisions() -> set[str]:
    """The newest migration(s), read from the scripts' own ``revision`` lines without loading Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(m.groups() for m in _REVISION.finditer(script.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            if found.get("down_revision") not in (None, "None"):
                parents.add(found["down_revision"])
    return revisions - parents


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
