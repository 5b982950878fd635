"""Reminders exactly once when passes overlap: two passes at once, a pass whose `now` is far from the
clock, a pass that stalls past its lease. Each worker has its own engine and thread, as two processes
would; on PostgreSQL too when TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import delete, select, update

from jobs.delivery import deliver, resolve_in_doubt
from jobs.lease import Lease, take_lease
from jobs.reminders import LOCK_NAME, PASS_KINDS, run_reminder_pass
from jobs.sender import Pacer, Sender
from storage.db import create_db_engine, make_session_factory, upgrade
from storage.models import Person, Plan, ReminderMessage, SchedulerLease
from tests.support.jobs_factories import RecordingClient, make_action, make_person, make_plan

MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # before any database clock: an expired lease
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def seed(factory, tag: str, leads: int) -> list[str]:
    uids = [f"U{tag}{i:03d}" for i in range(leads)]
    with factory.begin() as s:
        plan = make_plan(s, f"overlap-{tag}")
        for i, uid in enumerate(uids):
            person = make_person(s, f"Lead {tag} {i}", uid=uid)
            make_action(s, plan, f"{i}.1", leads=[person], due=dt.date(2026, 11, 23))
    return uids


def cleanup(factory, tag: str, uids: list[str]) -> None:
    with factory.begin() as s:
        s.execute(delete(ReminderMessage).where(ReminderMessage.slack_user_id.in_(uids)))
        s.execute(delete(SchedulerLease))
        s.execute(delete(Plan).where(Plan.name == f"overlap-{tag}"))
        s.execute(delete(Person).where(Person.slack_user_id.in_(uids)))


def two_passes_31_minutes_apart(url: str, uids: list[str]):
    """Pass A (at MON) is inside its first send when pass B (at MON + 31 min) starts and runs to the end;
    then A carries on. The issue's reproduction: 2 s apart on the clock, 31 minutes apart in `now`."""
    b_done = threading.Event()
    a_inside = threading.Event()
    client_a, client_b = RecordingClient(), RecordingClient()

    def a_first_post():
        a_inside.set()
        b_done.wait(timeout=30)

    client_a.before_post = a_first_post
    engines = [create_db_engine(url), create_db_engine(url)]
    results: dict[str, object] = {}

    def run(name, engine, client, now, start=None):
        if start is not None:
            start.wait(timeout=30)
        try:
            factory = make_session_factory(engine)
            results[name] = run_reminder_pass(factory, client, now, sender=Sender(client, pacer=Pacer(0)))
        finally:
            if name == "b":
                b_done.set()

    threads = [
        threading.Thread(target=run, args=("a", engines[0], client_a, MON)),
        threading.Thread(
            target=run, args=("b", engines[1], client_b, MON + dt.timedelta(minutes=31), a_inside)
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for engine in engines:
        engine.dispose()
    posts = [p["channel"] for p in client_a.posts + client_b.posts if p["channel"] in uids]
    return results, Counter(posts)


def a_pass_stalls_past_its_lease(url: str, uids: list[str]):
    """Pass A posts one message, then stalls (in its pacing wait) for longer than its lease: the test
    expires the lease on the database's clock. Pass B takes over and finishes. Then A wakes up."""
    a_stalled, b_done = threading.Event(), threading.Event()
    shared: list[dict] = []  # one Slack workspace for both passes
    client_a, client_b = RecordingClient(history=shared), RecordingClient(history=shared)
    clock = [0.0]  # pass A's monotonic clock

    def stall(_seconds: float) -> None:
        if not a_stalled.is_set():
            clock[0] += 11 * 60  # eleven minutes go by: longer than the lease
            a_stalled.set()
            b_done.wait(timeout=30)

    frozen = Pacer(1000.0, clock=lambda: clock[0], sleep=stall)  # every wait after the first one sleeps
    engine_a, engine_b = create_db_engine(url), create_db_engine(url)
    results: dict[str, object] = {}

    def run_a():
        factory = make_session_factory(engine_a)
        results["a"] = run_reminder_pass(factory, client_a, MON, sender=Sender(client_a, pacer=frozen))

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert a_stalled.wait(timeout=30)
        factory_b = make_session_factory(engine_b)
        with factory_b.begin() as s:  # A's lease runs out while it stalls
            s.execute(
                update(SchedulerLease).where(SchedulerLease.name == LOCK_NAME).values(expires_at=LONG_AGO)
            )
        results["b"] = run_reminder_pass(
            factory_b, client_b, MON + dt.timedelta(minutes=31), sender=Sender(client_b, pacer=Pacer(0))
        )
    finally:
        b_done.set()
        thread.join(60)
        engine_a.dispose()
        engine_b.dispose()
    posts = [p["channel"] for p in client_a.posts + client_b.posts if p["channel"] in uids]
    return results, Counter(posts)


def test_two_passes_31_minutes_apart_send_each_lead_one_dm_on_sqlite(database):
    uids = seed(database.session_factory, "S", 120)
    results, per_lead = two_passes_31_minutes_apart(database.url, uids)
    assert per_lead == Counter({uid: 1 for uid in uids})
    assert results["a"].sent == 120 and not results["b"].ran  # the live lease, whatever B's `now`


def test_a_pass_that_stalls_past_its_lease_stops_before_posting_again_on_sqlite(database):
    uids = seed(database.session_factory, "T", 30)
    results, per_lead = a_pass_stalls_past_its_lease(database.url, uids)
    assert per_lead == Counter({uid: 1 for uid in uids})
    a, b = results["a"], results["b"]
    assert (a.sent, a.stopped) == (1, "lease_lost")
    assert b.ran and b.sent == 29  # A's other claims were recovered as a dead pass's, and sent once
    with database.session_factory() as s:
        assert {m.status for m in s.scalars(select(ReminderMessage))} == {"sent"}


@pytest.fixture
def postgresql_leads():
    """Leads seeded in the TEST_DATABASE_URL database (committed, as two processes need), removed after."""
    engine = create_db_engine(PG_URL)
    upgrade(engine)
    factory = make_session_factory(engine)
    tag = uuid.uuid4().hex[:6].upper()
    seeded: list[str] = []

    def make(count: int) -> list[str]:
        seeded.extend(seed(factory, tag, count))
        return seeded

    yield make
    cleanup(factory, tag, seeded)
    engine.dispose()


@pytest.mark.storage
@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_two_passes_31_minutes_apart_send_each_lead_one_dm_on_postgresql(postgresql_leads):
    uids = postgresql_leads(120)
    results, per_lead = two_passes_31_minutes_apart(PG_URL, uids)
    assert per_lead == Counter({uid: 1 for uid in uids})
    assert results["a"].sent == 120 and not results["b"].ran


@pytest.mark.storage
@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_a_pass_that_stalls_past_its_lease_stops_before_posting_again_on_postgresql(postgresql_leads):
    uids = postgresql_leads(30)
    results, per_lead = a_pass_stalls_past_its_lease(PG_URL, uids)
    assert per_lead == Counter({uid: 1 for uid in uids})
    assert (results["a"].sent, results["a"].stopped, results["b"].sent) == (1, "lease_lost", 29)


# ---------------------------------------------------------------------- claims and in-doubt recovery


def _messages(factory, *rows: dict) -> list[int]:
    with factory.begin() as s:
        made = [
            ReminderMessage(
                slack_user_id=f"U{i}",
                kind="reminder",
                attempts=0,
                created_at=MON,
                payload={"text": "hi"},
                **row,
            )
            for i, row in enumerate(rows)
        ]
        s.add_all(made)
        s.flush()
        return [m.id for m in made]


def _status(factory) -> list[tuple[str, str | None]]:
    with factory() as s:
        return [
            (m.status, m.claimed_by) for m in s.scalars(select(ReminderMessage).order_by(ReminderMessage.id))
        ]


def test_only_pending_messages_are_claimed_and_only_claimed_ones_are_posted(database):
    factory = database.session_factory
    assert take_lease(factory, "other-pass-lease", "other-pass")
    ids = _messages(
        factory, {"status": "pending"}, {"status": "sending", "claimed_by": "other-pass"}, {"status": "sent"}
    )
    assert take_lease(factory, LOCK_NAME, "me")
    client = RecordingClient()
    stats = deliver(
        factory,
        Sender(client, pacer=Pacer(0)),
        Lease(factory, LOCK_NAME, "me", dt.timedelta(minutes=10)),
        ids,
        MON,
    )
    assert [p["channel"] for p in client.posts] == ["U0"]
    assert stats.sent == 1
    assert _status(factory) == [("sent", "me"), ("sending", "other-pass"), ("sent", None)]


def test_in_doubt_recovery_leaves_a_live_passs_messages_alone(database):
    factory = database.session_factory
    assert take_lease(factory, "progressbot-digest", "live-pass")  # live by the database's clock
    ids = _messages(
        factory,
        {"status": "sending", "claimed_by": "live-pass"},
        {"status": "sending", "claimed_by": "dead-pass"},  # no lease: the pass died (or finished)
        {"status": "sending", "claimed_by": None},  # given up by its pass: in doubt
    )
    delivered = RecordingClient()
    delivered.chat_postMessage(  # the dead pass's message did reach Slack
        channel="U1",
        text="hi",
        blocks=[],
        metadata={"event_type": "progressbot_reminder", "event_payload": {"reminder_message_id": ids[1]}},
    )
    assert resolve_in_doubt(factory, delivered, MON, kinds=PASS_KINDS) == (1, 1)
    assert _status(factory) == [("sending", "live-pass"), ("sent", "dead-pass"), ("pending", None)]
    with factory.begin() as s:  # the live pass's lease runs out on the database's clock: now it is dead
        s.execute(update(SchedulerLease).values(expires_at=LONG_AGO))
    assert resolve_in_doubt(factory, delivered, MON, kinds=PASS_KINDS) == (0, 1)
    assert _status(factory)[0] == ("pending", None)
