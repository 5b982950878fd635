"""What the import test sets share (layout, outsider, reviewer and round-four plans): the clock, the
fields every action is checked on, and building a set's plan file and importing it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from storage.importers import ParsedPlan, read_plan
from storage.plans import import_plan, plan_payload

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
FIELDS = ("ref", "title", "leads", "due", "schedule", "rag", "progress", "section")

Builders = dict[str, Callable[[Path], Path]]


def built(builders: Builders, tmp_path: Path, name: str) -> Path:
    """The plan file ``name`` ("priority-sheets-xlsx": its kind is the last part) written in ``tmp_path``."""
    return builders[name](tmp_path / f"{name}.{name.rsplit('-', 1)[-1]}")


def imported(builders: Builders, session, tmp_path: Path, name: str) -> tuple[ParsedPlan, dict]:
    """The plan read, and stored as plan ``name``: what the reader found, and the stored plan's payload."""
    parsed = read_plan(built(builders, tmp_path, name))
    result = import_plan(session, parsed, plan_name=name, now=NOW)
    return parsed, plan_payload(session, result.plan, warnings=result.warnings)


def fields(payload: dict) -> list[tuple]:
    """Each action's ``FIELDS``, in order."""
    return [tuple(a[f] for f in FIELDS) for a in payload["actions"]]
