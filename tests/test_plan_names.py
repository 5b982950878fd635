"""Plan names are matched in any case, everywhere, and two plans can't differ only in case."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from progressbot.cli import main
from storage.db import alembic_config, create_db_engine, make_session_factory, upgrade
from storage.importers import read_plan
from storage.models import Plan
from storage.plans import get_plan, import_plan
from storage.policy import find_plan
from tests.support.jobs_factories import make_action, make_person, make_plan
from tests.support.plan_builders import phase_plan_docx

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


@pytest.mark.storage
def test_two_plans_differing_only_in_case_cannot_be_stored(session):
    session.add(Plan(name="ilacs"))
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Plan(name="ILACS "))
        session.flush()


@pytest.mark.storage
def test_lookups_ignore_case_and_importing_in_another_case_merges(session, tmp_path):
    path = phase_plan_docx(tmp_path / "plan.docx")
    first = import_plan(session, read_plan(path), plan_name="ilacs", now=NOW)
    again = import_plan(session, read_plan(path), plan_name="ILACS", now=NOW)
    assert first.created and not again.created and again.plan.id == first.plan.id
    assert [p.name for p in session.scalars(select(Plan))] == ["ilacs"]
    for name in ("ILACS", "Ilacs", " ilacs "):
        assert get_plan(session, name).id == first.plan.id
        assert find_plan(session, name).id == first.plan.id


@pytest.fixture
def seeded(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "ilacs")
        make_action(s, plan, "1.1", leads=[make_person(s, "Ann", uid="UANN")], due=dt.date(2026, 12, 7))
        make_plan(s, "second")
    return database


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "show", "--plan", "ILACS"),
        ("policy", "show", "--plan", "Ilacs"),
        ("history", "1.1", "--plan", "ILACS"),
        ("summary", "--plan", "ILACS"),
        (
            "update",
            "1.1",
            "--plan",
            "iLaCs",
            "--rag",
            "Amber",
            "--text",
            "On track",
            "--at",
            "2026-11-20T09:00",
        ),
    ],
)
def test_every_command_finds_a_plan_in_any_case(seeded, args, monkeypatch):
    monkeypatch.setattr("progressbot.cli.record_commands._now", lambda: NOW)
    result = CliRunner().invoke(main, ["--database-url", seeded.url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "ilacs" in result.output.lower() or "Of 1 action" in result.output  # (summary shows the title)


def test_plans_that_already_differ_only_in_case_keep_working_after_the_upgrade(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_db_engine(url)
    with engine.begin() as conn:
        for name in ("ilacs", "ILACS"):
            conn.execute(
                text("INSERT INTO plans (name, title, organisation, policy, created_at, updated_at) "
                     "VALUES (:n, '', '', '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                {"n": name},
            )  # fmt: skip
    upgrade(engine)
    assert "'ilacs' and 'ILACS' differ only in case" in caplog.text
    factory = make_session_factory(engine)
    with factory() as s:
        assert get_plan(s, "ILACS").name == "ILACS" and get_plan(s, "ilacs").name == "ilacs"
        assert get_plan(s, "Ilacs").name == "ilacs"  # the first keeps the case-free name
    engine.dispose()
