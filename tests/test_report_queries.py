"""The report loads what it needs up front: its number of SQL queries does not grow with the plan."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from report.compile import compile_report
from report.publish import publish_version
from tests.support.report_factories import add_action, add_section, add_update, make_plan

pytestmark = pytest.mark.storage


def build(session, n: int):
    plan = make_plan(session, name=f"plan-{n}")
    sections = [add_section(session, plan, f"Section {i}") for i in range(3)]
    for i in range(n):
        action = add_action(
            session,
            plan,
            f"{i + 1}",
            section=sections[i % 3],
            leads=(f"Lead {i % 4}", "Shared"),
            due=dt.date(2026, 1 + i % 12, 1),
        )
        add_update(
            session, action, "Green", "first", at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), author="Jane"
        )
        add_update(
            session,
            action,
            ("Red", "Amber", None)[i % 3],
            "second",
            at=dt.datetime(2026, 3, 5, tzinfo=dt.UTC),
            author=f"Lead {i % 4}",
            on_behalf_of="Jane",
        )
    publish_version(session, plan, now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC), summary="v1", author="Me")
    session.expire_all()  # nothing preloaded: the report has to fetch everything itself
    return plan


def count_queries(session, plan, now) -> int:
    statements: list[str] = []
    engine = session.get_bind().engine

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        data = compile_report(session, plan, as_of=now, now=now)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert data.actions, "the plan should not be empty"
    return len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))])


def test_query_count_does_not_depend_on_the_number_of_actions(session, now):
    small = build(session, 5)
    large = build(session, 50)
    for plan in (small, large):
        session.refresh(plan)  # the plan row itself is the caller's; count what the report loads
    small_count = count_queries(session, small, now)
    large_count = count_queries(session, large, now)
    assert small_count == large_count
    assert small_count <= 12  # 7 for the plan and its updates, 4 for governance (storage.governance)
