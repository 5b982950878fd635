"""Meetings and the board cycle's ledger in the database: on SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set. Each test runs inside a transaction that is rolled back."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from jobs.board import build_round, plan_board_round
from jobs.board_publish import publish_pack
from jobs.planner import PlannerConfig
from jobs.reminders import run_reminder_pass
from storage.errors import InvalidInput
from storage.meetings import (
    add_meeting,
    find_meeting,
    list_meetings,
    move_meeting,
    remove_meeting,
    round_started,
    set_board_channel,
)
from storage.models import BoardPost, Meeting, ReminderEntry, ReportVersion
from tests.support.jobs_factories import add_update, grant, make_action, make_person, make_plan, quick_sender

pytestmark = pytest.mark.storage
D = dt.date
NOW = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
TODAY = D(2027, 3, 1)


@pytest.fixture
def plan(session):
    p = make_plan(session, "council")
    ann = make_person(session, "Ann", uid="UANN")
    make_action(session, p, "1.1", leads=[ann], due=D(2027, 12, 31))
    return p


def test_one_scheduled_meeting_per_plan_and_date_even_past_the_code(session, plan):
    add_meeting(session, plan, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
    with pytest.raises(InvalidInput, match="already has a meeting on 2027-04-06"):
        add_meeting(session, plan, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
    with pytest.raises(IntegrityError), session.begin_nested():  # the partial unique index itself
        session.add(Meeting(plan_id=plan.id, date=D(2027, 4, 6), cutoff=D(2027, 3, 30), status="scheduled"))
        session.flush()
    # A cancelled meeting does not hold its date.
    session.add(Meeting(plan_id=plan.id, date=D(2027, 4, 6), cutoff=D(2027, 3, 30), status="cancelled"))
    session.flush()
    assert [m.status for m in list_meetings(session, plan)] == ["scheduled", "cancelled"]
    assert find_meeting(session, plan, D(2027, 4, 6)).status == "scheduled"


def test_removing_before_anything_was_sent_deletes_and_after_cancels(session, plan):
    early = add_meeting(session, plan, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
    assert not round_started(session, early)
    assert remove_meeting(session, early, now=NOW) == "deleted"
    assert list_meetings(session, plan) == []
    late = add_meeting(session, plan, D(2027, 5, 4), cutoff=D(2027, 4, 26), today=TODAY, now=NOW)
    action = plan.actions[0]
    session.add(
        ReminderEntry(
            action_id=action.id,
            person_id=action.leads[0].person_id,
            due_date=late.date,
            kind="board_call",
            step=late.id,
            status="sent",
            sent_at=NOW,
        )
    )
    session.flush()
    assert round_started(session, late)
    assert remove_meeting(session, late, now=NOW) == "cancelled"
    assert (late.status, late.cancelled_at) == ("cancelled", NOW)


def test_moving_carries_the_calls_rows_and_refuses_a_published_meeting(session, plan):
    meeting = add_meeting(session, plan, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
    action = plan.actions[0]
    for kind in ("board_call", "board_moved"):
        session.add(
            ReminderEntry(
                action_id=action.id,
                person_id=action.leads[0].person_id,
                due_date=meeting.date,
                kind=kind,
                step=meeting.id,
                status="sent",
            )
        )
    session.flush()
    move_meeting(session, meeting, D(2027, 4, 13), cutoff=D(2027, 4, 6), today=TODAY, now=NOW)
    rows = {e.kind: e.due_date for e in session.scalars(select(ReminderEntry))}
    assert rows == {"board_call": D(2027, 4, 13), "board_moved": D(2027, 4, 6)}
    assert (meeting.moved_from, meeting.moved_at) == (D(2027, 4, 6), NOW)
    meeting.published_at = NOW
    with pytest.raises(InvalidInput, match="has already been published"):
        move_meeting(session, meeting, D(2027, 4, 20), cutoff=D(2027, 4, 13), today=TODAY, now=NOW)


def test_a_board_channel_is_a_channel_id(session, plan):
    assert set_board_channel(session, plan, " c0123abcd ") == "C0123ABCD"
    with pytest.raises(InvalidInput, match="not a Slack channel id"):
        set_board_channel(session, plan, "U0123ABCD")
    assert set_board_channel(session, plan, "off") is None


def test_the_round_reads_answers_with_aware_times_and_ignores_imported_rows(session, plan):
    meeting = add_meeting(session, plan, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
    action = plan.actions[0]
    imported = add_update(session, action, dt.datetime(2027, 3, 10, tzinfo=dt.UTC))
    imported.source = "import"
    session.flush()
    now = dt.datetime(2027, 3, 20, 10, tzinfo=dt.UTC)
    rnd = build_round(session, meeting, now, config=PlannerConfig())
    assert [len(lead.outstanding) for lead in rnd.leads] == [1]
    add_update(session, action, dt.datetime(2027, 3, 19, 12, tzinfo=dt.UTC))
    rnd = build_round(session, meeting, now, config=PlannerConfig())
    (asked,) = rnd.leads[0].asked
    assert asked.answered_at == dt.datetime(2027, 3, 19, 12, tzinfo=dt.UTC)
    assert asked.answered_at.utcoffset() == dt.timedelta(0)


def test_a_pass_calls_then_publishes_once_on_this_database(session, session_factory, plan, fake_slack):
    grant(session, "UBOARD", "board")
    plan.board_channel = "C0BOARD"
    meeting = add_meeting(session, plan, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
    session.commit()
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    call = dt.datetime(2027, 3, 19, 10, tzinfo=dt.UTC)
    fake_slack.clock = call.timestamp
    assert run_reminder_pass(session_factory, client, call, sender=quick_sender(client)).sent == 1
    assert run_reminder_pass(session_factory, client, call, sender=quick_sender(client)).sent == 0
    after = dt.datetime(2027, 3, 31, 9, 30, tzinfo=dt.UTC)
    fake_slack.clock = after.timestamp
    with session_factory() as s:
        (due,) = plan_board_round(s, after, config=PlannerConfig()).publications
    result = run_reminder_pass(session_factory, client, after, sender=quick_sender(client))
    assert (result.board.published, result.board.sent) == (1, 2)
    # A second claim (another worker, a replayed pass) finds the meeting taken.
    assert publish_pack(session_factory, due.meeting.id, after, config=PlannerConfig()) is None
    session.expire_all()
    version = session.scalars(select(ReportVersion)).one()
    assert (version.version, version.source) == ("Board 6 April 2027", "board")
    assert session.get(Meeting, meeting.id).version_id == version.id
    assert sorted((p.target, p.status) for p in session.scalars(select(BoardPost))) == [
        ("C0BOARD", "sent"),
        ("UBOARD", "sent"),
    ]
    assert len(session.get(Meeting, meeting.id).pack_docx) > 10_000


def test_version_labels_fit_the_widened_column(session, plan):
    label = "Corporate Parenting and Improvement Board 30 September 2027"
    session.add(
        ReportVersion(
            plan_id=plan.id, version=label, published_at=NOW, as_of=NOW, source="board", snapshot={}
        )
    )
    session.flush()
    assert session.scalar(select(ReportVersion.version)) == label


def test_the_migration_keeps_an_existing_databases_history(tmp_path):
    """Upgrading a database made by the first migration keeps its rows (SQLite rebuilds the table)."""
    from alembic import command

    from storage.db import alembic_config, create_db_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO plans (id, name, title, organisation, policy, created_at, updated_at) "
                "VALUES (1, 'p', '', '', '{}', '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO report_versions (plan_id, version, published_at, as_of, summary, author, "
                "source, snapshot) VALUES (1, '5.0', '2026-01-01', '2026-01-01', 's', 'a', 'import', '{}')"
            )
        )
    engine.dispose()
    command.upgrade(alembic_config(url), "head")
    engine = create_db_engine(url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT version, summary FROM report_versions")).all() == [("5.0", "s")]
        assert conn.execute(text("SELECT board_channel FROM plans")).scalar() is None
    engine.dispose()


def test_a_meetings_round_takes_the_same_number_of_queries_whatever_the_plans_size(session):
    from sqlalchemy import event

    def count_for(n: int) -> int:
        p = make_plan(session, f"plan-{n}")
        for i in range(n):
            lead = make_person(session, f"Lead {n}-{i}", uid=f"UR{n}X{i}")
            action = make_action(session, p, f"{i}", leads=[lead], due=D(2027, 12, 31))
            add_update(session, action, dt.datetime(2027, 3, 10, tzinfo=dt.UTC))
        meeting = add_meeting(session, p, D(2027, 4, 6), cutoff=D(2027, 3, 30), today=TODAY, now=NOW)
        statements: list[str] = []
        conn = session.connection()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(conn, "before_cursor_execute", listener)
        try:
            build_round(session, meeting, dt.datetime(2027, 3, 19, 10, tzinfo=dt.UTC), config=PlannerConfig())
        finally:
            event.remove(conn, "before_cursor_execute", listener)
        return len(statements)

    assert count_for(3) == count_for(30)
