"""The migrations and the models agree, and the column types behave the same on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from storage.models import Base, Plan

pytestmark = pytest.mark.storage


def test_migrations_match_models(session):
    """A model change without a migration fails here (alembic's own comparison, empty diff)."""
    context = MigrationContext.configure(session.connection())
    assert compare_metadata(context, Base.metadata) == []


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
