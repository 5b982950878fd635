"""SQLite database files: created private, and read with the standard library alone.

No SQLAlchemy here: ``read_quickly`` lets a short read-only command (``plan show``) answer from a
SQLite file through ``sqlite3`` without loading SQLAlchemy and the models, which cost more start-up
than the whole rest of the command. It applies only when nothing but reading is needed: a plain
``sqlite:///`` URL, an existing file, a schema at the newest revision. Anything else (PostgreSQL, a
new file, a schema to upgrade, any error) returns None and the caller takes the usual path, which
creates, upgrades and reports problems as always.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from storage.schema import head_revisions

# The name operators know these warnings by (they were ``storage.db``'s before this module existed).
log = logging.getLogger("storage.db")

BUSY_TIMEOUT_SECONDS = 30  # at least 5 s: a writer waits for another process instead of failing

T = TypeVar("T")
# "run(sql, params) -> rows": plain SQL with :name parameters (see storage.plan_rows).
Run = Callable[[str, Mapping[str, Any]], list[tuple[Any, ...]]]

# sqlite:///relative.db or sqlite:////absolute.db, and nothing else: no query options, no URI filename,
# no %-escapes, no in-memory database (SQLAlchemy would read those differently, or they are not files).
_PLAIN_SQLITE_URL = re.compile(r"sqlite(?:\+pysqlite)?:///(?P<path>[^?#%]+)")


def create_private_file(path: Path) -> None:
    """Create the database file readable and writable by its owner only (0600), if it is new.

    An existing file keeps its mode (an administrator may have chosen it); one that others can read
    is logged once, so the choice is visible.
    """
    if path.exists():
        _warn_if_shared(path)
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created by another process meanwhile
        return
    except OSError:  # e.g. the folder is missing: SQLite reports that when it connects
        return
    os.close(fd)


def _warn_if_shared(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("database file %s is readable by others (mode %o); chmod 600 it", path, mode)


def plain_sqlite_path(url: str) -> Path | None:
    """The file a plain ``sqlite:///`` URL names; None for any other URL."""
    found = _PLAIN_SQLITE_URL.fullmatch(url)
    if found is None or found["path"] in ("", ":memory:") or found["path"].startswith("file:"):
        return None
    return Path(found["path"])


def read_quickly(url: str, work: Callable[[Run], T]) -> T | None:
    """``work(run)`` in one read transaction on the SQLite file ``url`` names, through ``sqlite3``.

    None, without calling ``work`` or after it failed on a database error, when this does not apply:
    not a plain SQLite URL, no such file, a schema not at the newest revision, or any ``sqlite3``
    error. Errors ``work`` raises itself (a plan not found) propagate.
    """
    path = plain_sqlite_path(url)
    if path is None or not path.is_file():
        return None
    try:
        # mode=rw: the existing file only, never a new one. Not mode=ro, which would leave the -wal and
        # -shm files behind; this connection only reads (query_only), and SQLite tidies up on close.
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
        )
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA query_only=1")
        conn.execute("BEGIN")  # one snapshot for every statement; deferred: never waits for a writer
        at = {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}
        if at != head_revisions():
            return None
        _warn_if_shared(path)  # as opening it the usual way would (once: the usual way is not taken now)
        return work(lambda sql, params: conn.execute(sql, dict(params)).fetchall())
    except sqlite3.Error:
        return None
    finally:
        conn.close()  # nothing was written: closing ends the transaction
