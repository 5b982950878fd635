"""The outbox table's storage functions, on SQLite and PostgreSQL: owe, claim, finish, retry, coalesce."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from storage import outbox as store
from storage.models import OutboxItem, Update

pytestmark = pytest.mark.storage

CALL = {"method": "chat_postMessage", "args": {"channel": "U1", "text": "hi"}}


def _rows(session: Session) -> list[OutboxItem]:
    session.expire_all()
    return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_owe_claim_and_finish(session):
    store.enqueue_all(session, [store.Owed("slack_call", CALL), store.Owed("slack_call", {**CALL, "n": 2})])
    claimed = store.claim(session, "w1", limit=10, lease=60)
    assert [(c.kind, c.payload, c.attempts) for c in claimed] == [
        ("slack_call", CALL, 1),
        ("slack_call", {**CALL, "n": 2}, 1),
    ]
    assert store.claim(session, "w2", limit=10, lease=60) == []  # held by w1: nobody else takes them
    store.finish(session, [claimed[0].id], "w2")  # not w2's to finish
    assert len(_rows(session)) == 2
    store.finish(session, [c.id for c in claimed], "w1")
    assert _rows(session) == [] and store.waiting(session) == 0


def test_a_lapsed_lease_is_taken_again(session):
    store.enqueue(session, "slack_call", CALL)
    [first] = store.claim(session, "dead", limit=5, lease=60)
    session.execute(update(OutboxItem).values(claimed_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    [again] = store.claim(session, "alive", limit=5, lease=60)
    assert again.id == first.id and again.attempts == 2
    store.finish(session, [again.id], "dead")  # the dead holder's late finish does nothing
    assert [r.claimed_by for r in _rows(session)] == ["alive"]


def test_work_owed_by_a_command_is_born_claimed_by_it(session):
    owed = store.enqueue_claimed(session, "announce", {"name": "challenge", "ids": [7]}, "cli", lease=60)
    assert (owed.kind, owed.payload, owed.attempts) == ("announce", {"name": "challenge", "ids": [7]}, 1)
    assert store.claim(session, "drainer", limit=5, lease=60) == []  # the command does it itself
    session.execute(update(OutboxItem).values(claimed_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    [taken] = store.claim(session, "drainer", limit=5, lease=60)  # the command died: its lease lapsed
    assert (taken.id, taken.attempts) == (owed.id, 2)


def test_coalesced_work_waits_in_one_row_until_claimed(session):
    for _ in range(5):
        store.enqueue(session, "home_refresh", {"user": "U1"}, key="home:U1")
    store.enqueue(session, "home_refresh", {"user": "U2"}, key="home:U2", delay=3600)
    assert [r.coalesce_key for r in _rows(session)] == ["home:U1", "home:U2"]
    [claimed] = store.claim(session, "w", limit=10, lease=60)  # U2's is not due for an hour
    assert claimed.payload == {"user": "U1"}
    store.enqueue(session, "home_refresh", {"user": "U1"}, key="home:U1")  # arrived while being done
    keys = [(r.coalesce_key, r.claimed_by) for r in _rows(session)]
    assert keys == [(None, "w"), ("home:U2", None), ("home:U1", None)]


def test_rows_of_the_kind_named_last_are_claimed_after_the_others(session):
    store.enqueue(session, "home_refresh", {"user": "U1"}, key="home:U1")
    store.enqueue(session, "slack_call", CALL)
    store.enqueue(session, "announce", {"name": "challenge", "ids": [1]})
    first = store.claim(session, "w", limit=2, lease=60, last="home_refresh")
    assert sorted(c.kind for c in first) == ["announce", "slack_call"]
    [then] = store.claim(session, "w", limit=2, lease=60, last="home_refresh")
    assert then.kind == "home_refresh"


def test_without_a_kind_named_last_rows_are_claimed_oldest_first(session):
    store.enqueue(session, "home_refresh", {"user": "U1"}, key="home:U1")
    store.enqueue(session, "slack_call", CALL)
    [first] = store.claim(session, "w", limit=1, lease=60)
    assert first.kind == "home_refresh"


def test_retry_later_releases_with_a_delay(session):
    store.enqueue(session, "slack_call", CALL)
    [claimed] = store.claim(session, "w", limit=5, lease=60)
    store.retry_later(session, claimed.id, "w", delay=3600, error="ratelimited")
    [row] = _rows(session)
    assert (row.claimed_by, row.last_error) == (None, "ratelimited")
    assert store.claim(session, "w", limit=5, lease=60) == []
    due_in = store.seconds_until_due(session)
    assert due_in is not None and 3000 < due_in <= 3600


def test_release_gives_back_what_a_dead_worker_held(session):
    store.enqueue_all(session, [store.Owed("slack_call", CALL) for _ in range(3)])
    store.claim(session, "host:1:dead", limit=2, lease=600)
    assert store.holders(session, "host:") == ["host:1:dead"]
    assert store.holders(session, "other:") == []
    assert store.release(session, "host:1:dead") == 2
    assert len(store.claim(session, "host:2:new", limit=5, lease=60)) == 3


def test_nothing_owed_means_nothing_due(session):
    assert store.seconds_until_due(session) is None
    store.enqueue(session, "slack_call", CALL)
    assert store.seconds_until_due(session) == 0


def test_two_connections_claiming_at_once_take_each_row_once(engine):
    """Real concurrent transactions (committed): every row goes to exactly one claimer."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox"))
    with Session(engine) as session, session.begin():
        store.enqueue_all(session, [store.Owed("slack_call", {**CALL, "n": n}) for n in range(40)])
    taken: dict[str, list[int]] = {}
    barrier = threading.Barrier(2)

    def claimer(name: str) -> None:
        got: list[int] = []
        barrier.wait()
        while True:
            with Session(engine) as session, session.begin():
                batch = store.claim(session, name, limit=3, lease=60)
            if not batch:
                break
            got += [c.id for c in batch]
        taken[name] = got

    threads = [threading.Thread(target=claimer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert sorted(taken["a"] + taken["b"]) == sorted(set(taken["a"] + taken["b"]))
        assert len(taken["a"]) + len(taken["b"]) == 40
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox"))


@pytest.mark.parametrize(
    "rags",
    [
        ["Red", "Blue", "Blue", "Amber", "Blue", None, "Blue"],
        ["Blue"],
        [None, "Green", "Blue", "Blue"],
    ],
)
def test_the_cheap_completion_check_agrees_with_the_full_one(session, rags):
    """An update's follow-ups ask whether it started a completion awaiting sign-off; answered from two
    index lookups, it must agree with reading the whole history, also for a backdated update."""
    from storage.signoff import AWAITING, completion, starts_awaited_completion
    from tests.support.jobs_factories import make_action, make_person, make_plan

    plan = make_plan(session)
    action = make_action(session, plan, "1.1", leads=[make_person(session, "Ann")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    times = [start + dt.timedelta(days=n) for n in range(len(rags))]
    times.append(start + dt.timedelta(days=2, hours=12))  # then one backdated between the 3rd and 4th
    for n, (rag, at) in enumerate(zip([*rags, "Blue"], times, strict=True)):
        update = Update(action_id=action.id, rag=rag, text=f"u{n}", source="slack", submitted_at=at)
        session.add(update)
        session.flush()
        state = completion(session, action)
        full = state.state == AWAITING and state.run[0].id == update.id
        assert starts_awaited_completion(session, action, update) is full, (n, rag)
