"""The database server's clock: what leases and claims are judged by, across processes and hosts.

Business logic takes ``now`` as a parameter (a pass plans for a moment an operator may replay with
``--now``). Deciding whether another process's lease or claim is still live is different: that is real
elapsed time, and every process agrees on the database's clock. For SQLite, an embedded database, that
is the host's clock.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session


def database_now(session: Session) -> dt.datetime:
    """The database server's current time, aware, in UTC."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
    elif dialect == "sqlite":
        raw = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
        value = dt.datetime.fromisoformat(raw)
    else:
        value = session.execute(text("SELECT CURRENT_TIMESTAMP")).scalar_one()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
