"""Two workers at once (a deploy mistake) never both send: the single-runner guard plus the ledger.

The guard is a lease row judged by the database's clock, on SQLite and on PostgreSQL (TEST_DATABASE_URL).
Each worker has its own engine and thread, as two processes would.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import delete, select, update

from jobs.lease import Lease, LeaseLost, database_now, single_runner, take_lease
from jobs.reminders import run_reminder_pass
from jobs.sender import Pacer, Sender
from storage.db import create_db_engine, make_session_factory, upgrade
from storage.models import Person, Plan, ReminderMessage, SchedulerLease
from tests.support.jobs_factories import RecordingClient, make_action, make_person, make_plan

MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # before any database clock: an expired lease
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def seed(factory, tag: str, leads: int = 6) -> list[str]:
    uids = [f"U{tag}{i}" for i in range(leads)]
    with factory.begin() as s:
        plan = make_plan(s, f"workers-{tag}")
        for i, uid in enumerate(uids):
            make_action(
                s,
                plan,
                f"{i}.1",
                leads=[make_person(s, f"Lead {tag} {i}", uid=uid)],
                due=dt.date(2026, 11, 23),
            )
    return uids


def race(url: str, uids: list[str], *, forced: bool = True) -> tuple[list, Counter]:
    """Worker A blocks inside its first send until worker B has tried (and failed) to run a pass."""
    b_done = threading.Event()
    client_a, client_b = RecordingClient(), RecordingClient()
    client_a.before_post = lambda: b_done.wait(timeout=30)
    results: dict[str, object] = {}
    engines = [create_db_engine(url), create_db_engine(url)]

    def worker(name, engine, client, started=None):
        factory = make_session_factory(engine)
        if started is not None:
            started.wait(timeout=30)
        try:
            results[name] = run_reminder_pass(factory, client, MON, sender=Sender(client, pacer=Pacer(0)))
        finally:
            if name == "b":
                b_done.set()

    a_inside = threading.Event()
    original = client_a.before_post

    def mark_then_wait():
        a_inside.set()
        original()

    client_a.before_post = mark_then_wait
    ta = threading.Thread(target=worker, args=("a", engines[0], client_a))
    tb = threading.Thread(target=worker, args=("b", engines[1], client_b, a_inside if forced else None))
    ta.start()
    tb.start()
    ta.join(60)
    tb.join(60)
    for engine in engines:
        engine.dispose()
    posts = [p for p in client_a.posts + client_b.posts if p["channel"] in uids]
    return [results["a"], results["b"]], Counter(p["channel"] for p in posts)


def test_two_workers_on_sqlite_never_both_send(database):
    uids = seed(database.session_factory, "S")
    (a, b), per_lead = race(database.url, uids)
    assert a.ran and not b.ran
    assert per_lead == Counter({uid: 1 for uid in uids})


def test_the_guard_is_free_again_after_a_pass(database):
    with single_runner(database.session_factory, "x") as first:
        assert first is not None
        with single_runner(database.session_factory, "x") as second:
            assert second is None
    with single_runner(database.session_factory, "x") as again:
        assert again is not None


def test_a_crashed_holders_lease_lapses_by_the_database_clock(database):
    assert take_lease(database.session_factory, "y", "dead-worker", dt.timedelta(minutes=10))
    with single_runner(database.session_factory, "y") as blocked:
        assert blocked is None
    with database.session_factory.begin() as s:  # ten minutes pass on the database's clock
        s.execute(update(SchedulerLease).where(SchedulerLease.name == "y").values(expires_at=LONG_AGO))
    with single_runner(database.session_factory, "y") as taken:
        assert taken is not None and taken.holder != "dead-worker"


def test_a_live_lease_blocks_a_pass_whatever_now_it_plans_for(database):
    """The issue's case: a pass's `now` 31 minutes (or a year) later must not make a live lease look old."""
    seed(database.session_factory, "L", leads=2)
    assert take_lease(database.session_factory, "progressbot-sender", "live-pass")
    client = RecordingClient()
    for later in (dt.timedelta(minutes=31), dt.timedelta(days=365)):
        result = run_reminder_pass(
            database.session_factory, client, MON + later, sender=Sender(client, pacer=Pacer(0))
        )
        assert not result.ran
    assert client.posts == []
    with database.session_factory() as s:
        expires = s.scalars(select(SchedulerLease.expires_at)).one()
        left = expires - database_now(s)
        assert dt.timedelta(minutes=9) < left <= dt.timedelta(minutes=10)


@pytest.mark.storage
@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set (PostgreSQL lease test)")
def test_two_workers_on_postgresql_never_both_send():
    engine = create_db_engine(PG_URL)
    upgrade(engine)
    factory = make_session_factory(engine)
    tag = uuid.uuid4().hex[:6].upper()
    uids = seed(factory, tag)
    try:
        (a, b), per_lead = race(PG_URL, uids)
        assert a.ran and not b.ran
        assert per_lead == Counter({uid: 1 for uid in uids})
        # And with no forced overlap, repeated concurrent passes still send nothing more.
        _, again = race(PG_URL, uids, forced=False)
        assert sum(again.values()) == 0
    finally:
        with factory.begin() as s:
            s.execute(delete(ReminderMessage).where(ReminderMessage.slack_user_id.in_(uids)))
            s.execute(delete(Plan).where(Plan.name == f"workers-{tag}"))
            s.execute(delete(Person).where(Person.slack_user_id.in_(uids)))
            assert s.scalar(select(Plan.id).where(Plan.name == f"workers-{tag}")) is None
        engine.dispose()


def test_a_pass_renews_its_lease_by_the_database_clock_and_notices_a_takeover(database):
    factory, ttl = database.session_factory, dt.timedelta(minutes=10)
    assert take_lease(factory, "z", "me", ttl)
    ticks = [0.0]  # the pass's monotonic clock
    lease = Lease(factory, "z", "me", ttl, clock=lambda: ticks[0])

    def expire() -> None:
        with factory.begin() as s:
            s.execute(update(SchedulerLease).where(SchedulerLease.name == "z").values(expires_at=LONG_AGO))

    expire()  # the pass stalled past its expiry, but nobody took over: renewing keeps it
    lease.ensure_held()
    with single_runner(factory, "z") as other:
        assert other is None  # renewed to the database's now + ttl
    expire()
    assert take_lease(factory, "z", "another-pass", ttl)
    ticks[0] += 11 * 60  # the pass stalled for eleven minutes
    with pytest.raises(LeaseLost):
        lease.ensure_held()  # and finds out before it posts again
