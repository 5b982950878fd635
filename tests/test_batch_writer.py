"""The group-commit writer's own connection (``storage.batch.BatchConnection``), on SQLite and PostgreSQL.

It runs SQLAlchemy's compiled statements through the DB-API driver, so it must write exactly what the
same batch writes through SQLAlchemy (``SessionBatch``): the same update rows and the same outbox rows.
A key already used is skipped, owes nothing, and does not cost the others their updates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.direct import NotPlain, Prepared, Submitted, write_batch
from slackviews.update_modal import ModalMetadata, read_submission
from storage.batch import BatchConnection, RepeatedKey, SessionBatch
from storage.db import write_engine
from storage.models import Action, ActionLead, OutboxItem, Person, Plan, RagState, Update

pytestmark = pytest.mark.storage


@pytest.fixture
def seeded(engine):
    """A committed plan with one action led by one person (removed afterwards: the engine is shared)."""
    tag = uuid.uuid4().hex[:8]
    with Session(engine) as session, session.begin():
        plan = Plan(name=f"batch-{tag}", title="Batch writer")
        for rank, (label, colour, done) in enumerate(
            [("Red", "#FF0000", False), ("Amber", "#FFC000", False), ("Blue", "#0070C0", True)]
        ):
            plan.rag_states.append(
                RagState(label=label, rank=rank, colour=colour, meaning=label, is_complete=done, aliases=[])
            )
        lead = Person(display_name="Batch Lead", name="Batch Lead", slack_user_id=f"U{tag}")
        session.add_all([plan, lead])
        session.flush()
        action = Action(
            plan_id=plan.id, ref="9.1", position=0, title="Batch & <co>", due_date=dt.date(2027, 1, 1)
        )
        action.leads.append(ActionLead(person_id=lead.id))
        session.add(action)
        session.flush()
        ids = {"plan": plan.id, "action": action.id, "lead": lead.id, "uid": lead.slack_user_id}
    yield ids
    with Session(engine) as session, session.begin():
        session.execute(delete(OutboxItem))
        session.execute(delete(Update).where(Update.action_id == ids["action"]))
        session.execute(delete(ActionLead).where(ActionLead.action_id == ids["action"]))
        session.execute(delete(Action).where(Action.id == ids["action"]))
        session.execute(delete(RagState).where(RagState.plan_id == ids["plan"]))
        session.execute(delete(Plan).where(Plan.id == ids["plan"]))
        session.execute(delete(Person).where(Person.id == ids["lead"]))


def _submitted(
    ids,
    key: str,
    now: dt.datetime,
    *,
    rag: str = "Amber",
    reminder: int | None = None,
    text: str = "Done: {key} & <more>",
    evidence: str | None = "https://example.org/e",
) -> Submitted:
    values = {
        "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": rag}}},
        "progress": {"value": {"type": "plain_text_input", "value": text.format(key=key)}},
        "evidence": {"value": {"type": "url_text_input", "value": evidence}},
        "proposed_due": {"value": {"type": "datepicker", "selected_date": None}},
    }
    submission, errors = read_submission(values)
    assert not errors
    metadata = ModalMetadata.loads(json.dumps({"action_id": ids["action"], "reminder_message_id": reminder}))
    return Submitted(ids["uid"], metadata, submission, key, now, 2.5)


def _stored(engine, ids) -> tuple[list[dict], list[tuple]]:
    with Session(engine) as session:
        updates = session.scalars(select(Update).where(Update.action_id == ids["action"]).order_by(Update.id))
        skip = {"id", "created_at"}
        rows = [
            {c.key: getattr(u, c.key) for c in Update.__table__.columns if c.key not in skip} for u in updates
        ]
        outbox = [
            (
                o.kind,
                o.payload,
                o.coalesce_key,
                o.attempts,
                round((o.not_before - o.created_at).total_seconds()),
            )
            for o in session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        ]
    return rows, outbox


def _clear(engine, ids) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(OutboxItem))
        session.execute(delete(Update).where(Update.action_id == ids["action"]))


def _both_ways(engine, seeded, batch):
    """The batch written through SQLAlchemy, then (after clearing) through the writer's own
    connection; both outcomes, and what SQLAlchemy stored, which the writer must have stored too."""
    with write_engine(engine).begin() as conn:
        via_sqlalchemy = write_batch(SessionBatch(conn), batch())
    expected = _stored(engine, seeded)
    _clear(engine, seeded)
    writer = BatchConnection(write_engine(engine))
    try:
        via_driver = writer.transaction(lambda c: write_batch(c, batch()))
    finally:
        writer.close()
    assert _stored(engine, seeded) == expected
    return via_sqlalchemy, via_driver, expected


def test_the_writers_connection_writes_what_sqlalchemy_writes(engine, seeded, now):
    def batch():
        return [_submitted(seeded, f"k{n}", now, rag=rag) for n, rag in enumerate(["Amber", "red", "Blue"])]

    via_sqlalchemy, via_driver, expected = _both_ways(engine, seeded, batch)
    assert (
        [type(o) for o in via_driver] == [type(o) for o in via_sqlalchemy] == [Prepared, Prepared, NotPlain]
    )
    assert [p.row for p in via_driver[:2]] == [p.row for p in via_sqlalchemy[:2]]
    rows, outbox = expected
    assert [r["rag"] for r in rows] == ["Amber", "Red"]  # canonicalised; the completion went to Bolt
    assert rows[0]["submitted_at"] == now and rows[0]["author_id"] == seeded["lead"]
    # Each DM, then one Home refresh for the person (coalesced), after its delay; in coalescing-key order.
    assert [(kind, key, delay) for kind, _, key, _, delay in outbox] == [
        ("slack_call", None, 0),
        ("slack_call", None, 0),
        ("home_refresh", f"home:{seeded['uid']}", 2),
    ]


# Text that array literals and JSON must carry through unchanged: quotes, backslashes, braces, commas,
# the word NULL, accents, an emoji, a new line.
AWKWARD = 'He said "done" {key}, C:\\plans\\{{x}} NULL é 🚀\nnext line'


@pytest.mark.parametrize("size", [1, 4])
def test_awkward_text_and_missing_values_store_as_sqlalchemy_stores_them(engine, seeded, now, size):
    """PostgreSQL takes the batch as one array per column: every value survives the trip whatever it
    holds, a column of only missing values included, and a batch of one as well as several."""

    def batch():
        return [
            _submitted(
                seeded, f"w{n}", now, text=AWKWARD, evidence=None if n % 2 == 0 else "https://e.org/a?b=c&d"
            )
            for n in range(size)
        ]

    via_sqlalchemy, via_driver, expected = _both_ways(engine, seeded, batch)
    assert [type(o) for o in via_driver] == [type(o) for o in via_sqlalchemy] == [Prepared] * size
    rows, outbox = expected
    assert [r["text"] for r in rows] == [AWKWARD.format(key=f"w{n}") for n in range(size)]
    assert [r["evidence_url"] for r in rows] == [
        None if n % 2 == 0 else "https://e.org/a?b=c&d" for n in range(size)
    ]
    assert len(outbox) == size + 1  # a DM each, one Home refresh


def test_a_used_key_is_skipped_and_costs_the_others_nothing(engine, seeded, now):
    writer = BatchConnection(write_engine(engine))
    again = [_submitted(seeded, key, now) for key in ("new1", "used", "new2", "new1")]
    try:
        first = writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "used", now)]))
        assert isinstance(first[0], Prepared)
        try:
            outcomes = writer.transaction(lambda c: write_batch(c, again))
        except RepeatedKey:  # SQLite cannot say which: the group commit then writes each alone
            assert engine.dialect.name == "sqlite"
            assert [r["idempotency_key"] for r in _stored(engine, seeded)[0]] == ["used"]  # rolled back
            outcomes = [writer.transaction(lambda c, item=item: write_batch(c, [item]))[0] for item in again]
    finally:
        writer.close()
    assert [type(o) for o in outcomes] == [Prepared, NotPlain, Prepared, NotPlain]
    rows, outbox = _stored(engine, seeded)
    assert [r["idempotency_key"] for r in rows] == ["used", "new1", "new2"]
    assert sum(1 for kind, *_ in outbox if kind == "slack_call") == 3  # one DM per update, none for repeats


def test_the_writer_keeps_its_plans_and_gives_its_connection_back_as_it_found_it(engine, seeded, now):
    """PostgreSQL planned the writer's prepared statements again on every execution (about 0.9 ms of
    server CPU per check); the writer's connection keeps one plan, and only while the writer has it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    writer = BatchConnection(write_engine(engine))
    try:
        writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "plans", now)]))
        writer._cursor.execute("SHOW plan_cache_mode")
        assert writer._cursor.fetchone()[0] == "force_generic_plan"
        backend = writer._pooled.driver_connection.info.backend_pid
    finally:
        writer.close()
    pooled = write_engine(engine).raw_connection()  # the pool hands the same connection out again
    try:
        assert pooled.driver_connection.info.backend_pid == backend
        assert pooled.driver_connection.autocommit is False
        cursor = pooled.driver_connection.cursor()
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'progressbot_batch_insert'")
        assert cursor.fetchone()[0] == 0  # the writer's own prepared insert went with it
    finally:
        pooled.close()


# --- what the writer remembers ----------------------------------------------------------------------


def _change(engine, ids, what: str, now: dt.datetime) -> None:
    """Change one fact a remembered update relies on, as another process would, and commit."""
    from storage.models import Challenge
    from storage.rag import RagScheme, RagStateSpec, save_scheme

    with Session(engine) as session, session.begin():
        action, lead, plan = (
            session.get(m, ids[k]) for m, k in ((Action, "action"), (Person, "lead"), (Plan, "plan"))
        )
        if what == "no longer a lead":
            session.execute(delete(ActionLead).where(ActionLead.action_id == action.id))
        elif what == "lead renamed":
            lead.display_name = "Batch Lead (Police)"
        elif what == "Slack account moved":
            lead.slack_user_id = lead.slack_user_id + "X"
        elif what == "action retitled":
            action.title = "Batch & <co>, reworded"
        elif what == "action renumbered":
            action.ref = "9.1a"
        elif what == "plan renamed":
            plan.name = plan.name + "-renamed"
        elif what.startswith("scheme: "):
            states = [
                RagStateSpec("Red", 0, "#FF0000", "Red", False, ()),
                RagStateSpec("Amber", 1, "#FFC000", "Amber", False, ()),
                RagStateSpec("Blue", 2, "#0070C0", "Blue", True, ()),
            ]
            if what == "scheme: Amber recoloured":
                states[1] = RagStateSpec("Amber", 1, "#FF9900", "Amber", False, ())
            elif what == "scheme: Amber now completes":
                states[1] = RagStateSpec("Amber", 1, "#FFC000", "Amber", True, ())
            elif what == "scheme: an alias added":
                states[0] = RagStateSpec("Red", 0, "#FF0000", "Red", False, ("amber-ish",))
            save_scheme(session, plan, RagScheme("custom", tuple(states)))
        elif what == "a challenge opened":
            session.add(
                Challenge(
                    action_id=action.id,
                    question="Why?",
                    by_text="Chair",
                    source="cli",
                    at=now - dt.timedelta(minutes=1),
                )
            )
        else:  # pragma: no cover - a typo in the parameters
            raise AssertionError(what)


CHANGES = [
    "no longer a lead",
    "lead renamed",
    "Slack account moved",
    "action retitled",
    "action renumbered",
    "plan renamed",
    "scheme: Amber recoloured",
    "scheme: Amber now completes",
    "scheme: an alias added",
    "a challenge opened",
]


@pytest.mark.parametrize("what", CHANGES)
def test_a_remembered_fact_that_changed_is_never_written_on_and_is_read_again(engine, seeded, now, what):
    """The writer remembers what it read about an action and its lead (the read costs a round trip on
    PostgreSQL, a statement on SQLite), and the insert checks every remembered fact against the tables
    as they are. Whatever changed since, the update is not written on the old facts: it goes to the
    listener's path (``NotPlain``), the pair is forgotten, and the next submission is checked afresh."""
    from storage.models import Challenge

    writer = BatchConnection(write_engine(engine))
    reads = []
    check = writer.check
    writer.check = lambda ids, uids: reads.append(ids) or check(ids, uids)  # type: ignore[method-assign]
    pair = (seeded["action"], seeded["uid"])
    try:
        assert isinstance(
            writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "m1", now)]))[0], Prepared
        )
        assert isinstance(
            writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "m2", now)]))[0], Prepared
        )
        assert len(reads) == 1 and pair in writer.remembered  # the second submission read nothing
        _change(engine, seeded, what, now)
        stale = writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "m3", now)]))[0]
        assert isinstance(stale, NotPlain), what
        assert len(reads) == 1 and pair not in writer.remembered, what
        uid = seeded["uid"] + ("X" if what == "Slack account moved" else "")
        fresh = writer.transaction(
            lambda c: write_batch(c, [dataclasses.replace(_submitted(seeded, "m4", now), uid=uid)])
        )[0]
        assert len(reads) == 2, what  # read again
    finally:
        writer.close()
        with Session(engine) as session, session.begin():
            session.execute(delete(Challenge).where(Challenge.action_id == seeded["action"]))
    rows, outbox = _stored(engine, seeded)
    keys = [r["idempotency_key"] for r in rows]
    assert keys[:2] == ["m1", "m2"] and "m3" not in keys, what
    dms = [payload for kind, payload, *_ in outbox if kind == "slack_call"]
    assert len(dms) == len(rows), what  # nothing owed for the update not written
    if what in ("no longer a lead", "scheme: Amber now completes", "a challenge opened"):
        assert isinstance(fresh, NotPlain) and keys == ["m1", "m2"], what  # the listener's path decides
        return
    assert isinstance(fresh, Prepared) and keys == ["m1", "m2", "m4"], what
    new_dm = json.dumps(dms[-1])
    if what == "lead renamed":
        assert rows[-1]["author_text"] == "Batch Lead (Police)"
    if what == "action retitled":
        assert "reworded" in new_dm
    if what == "action renumbered":
        assert "9.1a" in new_dm


def test_a_database_error_in_the_insert_raises_writes_nothing_and_the_writer_goes_on(engine, seeded, now):
    """An insert the database refuses (here a reminder that does not exist: a foreign key) raises the
    driver's own error, so the group commit stores each piece alone; nothing of the batch is written,
    and the writer's next batch, on a fresh connection, is."""
    writer = BatchConnection(write_engine(engine))
    try:
        with pytest.raises(Exception) as refused:
            writer.transaction(
                lambda c: write_batch(
                    c, [_submitted(seeded, "ok", now), _submitted(seeded, "bad", now, reminder=987654)]
                )
            )
        assert "foreign key" in str(refused.value).lower()
        assert _stored(engine, seeded) == ([], [])
        outcome = writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "after", now)]))[0]
        assert isinstance(outcome, Prepared)
    finally:
        writer.close()
    assert [r["idempotency_key"] for r in _stored(engine, seeded)[0]] == ["after"]


def test_a_writer_whose_connection_was_killed_fails_that_batch_and_reconnects(engine, seeded, now):
    """PostgreSQL ended the writer's backend (a restart, a failover, an admin): the batch then raises
    (so the group commit answers it through the listener's path), nothing is half-written, and the
    next batch runs on a fresh connection, its insert prepared again."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to lose")
    writer = BatchConnection(write_engine(engine))
    try:
        assert isinstance(
            writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "k1", now)]))[0], Prepared
        )
        backend = writer._pooled.driver_connection.info.backend_pid
        with engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        import psycopg

        with pytest.raises(psycopg.DatabaseError):  # "server closed the connection unexpectedly"
            writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "k2", now)]))
        assert writer._pooled is None  # given up, not handed back to the pool as it was
        assert isinstance(
            writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "k3", now)]))[0], Prepared
        )
        assert writer._pooled.driver_connection.info.backend_pid != backend
    finally:
        writer.close()
    assert [r["idempotency_key"] for r in _stored(engine, seeded)[0]] == ["k1", "k3"]


def test_a_plan_without_states_of_its_own_is_remembered_and_checked_too(engine, seeded, now):
    """A plan with no RAG states uses the default scheme; its states' text is empty, on both sides of
    the check, and giving the plan states of its own is a change like any other."""
    from storage.rag import BUILTIN_SCHEMES, DEFAULT_SCHEME, save_scheme

    with Session(engine) as session, session.begin():
        session.execute(delete(RagState).where(RagState.plan_id == seeded["plan"]))
    writer = BatchConnection(write_engine(engine))
    try:
        first, second = (
            writer.transaction(lambda c, key=key: write_batch(c, [_submitted(seeded, key, now)]))[0]
            for key in ("d1", "d2")
        )
        assert isinstance(first, Prepared) and isinstance(second, Prepared)
        assert (seeded["action"], seeded["uid"]) in writer.remembered
        with Session(engine) as session, session.begin():
            save_scheme(session, session.get(Plan, seeded["plan"]), BUILTIN_SCHEMES[DEFAULT_SCHEME])
        stale = writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "d3", now)]))[0]
        fresh = writer.transaction(lambda c: write_batch(c, [_submitted(seeded, "d4", now)]))[0]
    finally:
        writer.close()
    assert isinstance(stale, NotPlain) and isinstance(fresh, Prepared)
    assert [r["idempotency_key"] for r in _stored(engine, seeded)[0]] == ["d1", "d2", "d4"]
