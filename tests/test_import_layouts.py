"""Plans in layouts unlike the samples (tests/support/layout_plans.py): every field of every action, the
account of every row, and the warnings that name what was left out."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.importers import read_plan
from storage.plans import import_plan, plan_payload
from tests.support import holdout_plans
from tests.support.layout_plans import BUILDERS, EXPECTED

assert holdout_plans  # its plans register in BUILDERS and EXPECTED


pytestmark = pytest.mark.storage

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
FIELDS = ("ref", "title", "leads", "due", "schedule", "rag", "progress", "section")


def _import(session, tmp_path, name):
    suffix = name.rsplit("-", 1)[-1]
    parsed = read_plan(BUILDERS[name](tmp_path / f"{name}.{suffix}"))
    result = import_plan(session, parsed, plan_name=name, now=NOW)
    return parsed, plan_payload(session, result.plan, warnings=result.warnings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_field_of_every_action(session, tmp_path, name):
    _, payload = _import(session, tmp_path, name)
    got = [tuple(a[f] for f in FIELDS) for a in payload["actions"]]
    assert got == [tuple(e) for e in EXPECTED[name]]
