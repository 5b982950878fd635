"""The newest schema revision, read from the migration scripts themselves (no Alembic, no SQLAlchemy).

``storage.db`` compares it with a database's ``alembic_version`` to skip Alembic when there is nothing
to do, and ``storage.sqlite_file`` to know a file is safe to read without SQLAlchemy. A test checks it
against Alembic's own ``ScriptDirectory`` heads.
"""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

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
