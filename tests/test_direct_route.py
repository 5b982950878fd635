"""The direct route (``bot.direct``) and group commit (``bot.group_commit``).

The direct route answers a plain update-modal submission without Bolt's dispatch chain. It must be
indistinguishable from the Bolt listener: the same update row, the same outbox rows, the same answer;
verified first (forged or stale requests are 401 and reach nothing); and every case it does not take
goes through the listener, which answers it as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading

import pytest
from sqlalchemy import select, text

from bot.app import create_app
from bot.group_commit import Declined, GroupCommit
from bot.wsgi import make_server, make_wsgi_app
from storage.models import OutboxItem, Update
from tests.support import slack_signing as signing
from tests.support.bot_harness import JO, R1, SAM, SECRET, seed
from tests.support.waiting import wait_until


@contextlib.contextmanager
def serving(wsgi_app):
    server = make_server(wsgi_app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclasses.dataclass
class Routes:
    direct_url: str  # progressbot's WSGI app: the direct route first
    bolt_url: str  # the same app with the direct route off: every request through Bolt
    app: object
    database: object
    ids: dict

    @property
    def pieces(self) -> int:
        """Submissions the direct route has committed."""
        gc = self.app.progressbot_services._group_commit
        return gc.pieces if gc is not None else 0

    def submit(self, url, *, action: str, user: str = JO, rag="Amber", text="Forum designed", **extra):
        view = {
            "id": extra.pop("view_id", None) or f"V{next(_views)}",
            "callback_id": "progress_update",
            "title": {"type": "plain_text", "text": f"Update {action}"},
            "private_metadata": json.dumps(
                {"action_id": self.ids[action], "reminder_message_id": extra.pop("reminder", None)}
            ),
        }
        values = {
            "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": rag} if rag else None}},
            "progress": {"value": {"type": "plain_text_input", "value": text}},
            "evidence": {"value": {"type": "url_text_input", "value": extra.pop("evidence", None)}},
            "proposed_due": {"value": {"type": "datepicker", "selected_date": extra.pop("proposed", None)}},
        }
        request = signing.view_submission(view, values, user_id=user)
        status, headers, body = signing.post(url, request, SECRET, **extra)
        return status, headers, body

    def updates(self) -> list[Update]:
        with self.database.session_factory() as session:
            return list(session.scalars(select(Update).order_by(Update.id)))

    def outbox(self) -> list[OutboxItem]:
        with self.database.session_factory() as session:
            return list(session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


_views = iter(range(1, 10**6))


@pytest.fixture
def routes(fake_slack, database, settings, now):
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    with database.session_factory.begin() as session:
        ids = seed(session)
    fake_slack.add_message("D" + JO, R1, text="Progress reminder")
    # No drainer: the outbox rows each path owes stay in the table to be compared.
    app = create_app(settings, database.session_factory, clock=lambda: now, start_outbox=False)
    with serving(make_wsgi_app(app)) as direct_url, serving(make_wsgi_app(app, direct=False)) as bolt_url:
        yield Routes(direct_url, bolt_url, app, database, ids)
    app.progressbot_shutdown(5)


def _row(update: Update) -> dict:
    skip = {"id", "idempotency_key", "created_at"}
    return {c.name: getattr(update, c.key) for c in Update.__table__.columns if c.name not in skip}


def test_the_direct_route_stores_and_answers_exactly_as_the_bolt_listener(routes):
    direct = routes.submit(routes.direct_url, action="3.2", reminder=routes.ids[R1], view_id="VSAME1")
    assert routes.pieces == 1  # it took the direct route
    direct_rows = [(o.kind, o.payload, o.coalesce_key) for o in routes.outbox()]
    with routes.database.session_factory.begin() as session:
        session.execute(text("DELETE FROM outbox"))
    via_bolt = routes.submit(routes.bolt_url, action="3.2", reminder=routes.ids[R1], view_id="VSAME2")
    assert routes.pieces == 1  # the second went through Bolt
    bolt_rows = [(o.kind, o.payload, o.coalesce_key) for o in routes.outbox()]

    assert direct[0] == via_bolt[0] == 200
    assert direct[1]["content-type"] == via_bolt[1]["content-type"]
    assert json.loads(direct[2]) == json.loads(via_bolt[2])
    assert json.loads(direct[2])["response_action"] == "update"
    first, second = routes.updates()
    assert _row(first) == _row(second)
    assert first.idempotency_key.startswith("slack-view:VSAME1:")
    assert second.idempotency_key.startswith("slack-view:VSAME2:")
    assert direct_rows == bolt_rows
    assert [kind for kind, _, _ in direct_rows] == ["slack_call", "reminder_refresh", "home_refresh"]


def test_a_lead_taken_off_the_action_after_an_update_is_refused_as_the_listener_refuses(routes):
    """Taking a lead off an action between two of their submissions refuses the second exactly as the
    listener does, and stores nothing. (On PostgreSQL the writer remembers who leads what; every
    remembered fact is checked again by the insert: ``tests/test_batch_writer.py``.)"""
    assert routes.submit(routes.direct_url, action="3.2", text="First")[0] == 200
    assert routes.pieces == 1
    with routes.database.session_factory.begin() as session:
        session.execute(text("DELETE FROM action_leads WHERE action_id = :a"), {"a": routes.ids["3.2"]})
    direct = routes.submit(routes.direct_url, action="3.2", text="Second")
    via_bolt = routes.submit(routes.bolt_url, action="3.2", text="Third")
    assert routes.pieces == 1  # the second was not written by the direct route
    assert [u.text for u in routes.updates()] == ["First"]
    assert direct[0] == via_bolt[0]
    assert json.loads(direct[2] or "{}") == json.loads(via_bolt[2] or "{}")


@pytest.mark.parametrize(
    "forgery",
    [
        {"signature_override": "v0=" + "0" * 64},
        {"timestamp": 1_000_000_000},  # signed, but long ago: a replay
    ],
)
def test_a_forged_or_stale_submission_is_401_and_reaches_nothing(routes, forgery):
    status, _, body = routes.submit(routes.direct_url, action="3.2", **forgery)
    assert (status, body) == (401, "")
    assert routes.pieces == 0
    assert routes.updates() == []
    assert routes.outbox() == []


def test_a_repeated_submission_is_stored_once_and_confirmed_once(routes):
    first = routes.submit(routes.direct_url, action="3.2", view_id="VREPEAT")
    again = routes.submit(routes.direct_url, action="3.2", view_id="VREPEAT")
    assert first[0] == again[0] == 200
    assert json.loads(first[2]) == json.loads(again[2])  # "Saved" both times
    assert len(routes.updates()) == 1
    assert routes.pieces == 1  # the repeat went to the listener, which found the first update
    assert [o.kind for o in routes.outbox()] == ["slack_call", "home_refresh"]  # owed once


@pytest.mark.parametrize(
    ("case", "kwargs", "stored"),
    [
        ("someone else's action", {"action": "3.2", "user": SAM}, 0),
        ("a new date proposed", {"action": "3.2", "proposed": "2027-06-30"}, 1),
        ("a completion to sign off", {"action": "3.2", "rag": "Blue", "evidence": "https://x.org/e"}, 1),
        ("a RAG the plan does not have", {"action": "3.2", "rag": "Purple"}, 0),
        ("a field to correct", {"action": "3.2", "text": "  "}, 0),
    ],
)
def test_what_is_not_the_plain_case_gets_the_listeners_answer(routes, case, kwargs, stored):
    direct = routes.submit(routes.direct_url, **kwargs)
    direct_updates = routes.updates()
    assert routes.pieces == 0, case
    assert len(direct_updates) == stored, case
    with routes.database.session_factory.begin() as session:
        session.execute(text("DELETE FROM outbox"))
    via_bolt = routes.submit(routes.bolt_url, **kwargs)
    assert direct[0] == via_bolt[0], case
    answer, bolt_answer = json.loads(direct[2] or "{}"), json.loads(via_bolt[2] or "{}")
    assert answer.get("response_action") == bolt_answer.get("response_action"), case
    assert answer.get("errors") == bolt_answer.get("errors"), case


# --- group commit ------------------------------------------------------------------------------------


def _writer(database, now, write_batch):
    app = create_app_for(database, now)
    return GroupCommit(app.progressbot_services, write_batch)


def create_app_for(database, now):
    from progressbot.config import Settings

    settings = Settings(database_url=database.url, slack_bot_token="xoxb-t", slack_signing_secret="s")
    return create_app(settings, database.session_factory, clock=lambda: now, start_outbox=False)


def _insert_people(conn, batch):
    outcomes = []
    for name in batch:
        if name == "decline":
            outcomes.append(Declined("not this one"))
            continue
        if name == "boom":
            conn.execute(text("SELECT * FROM no_such_table"))
        conn.execute(
            text("INSERT INTO people (display_name, created_at) VALUES (:n, '2026-01-01')"), {"n": name}
        )
        outcomes.append(name)
    return outcomes, []


def _people(database) -> list[str]:
    with database.engine.connect() as conn:
        return sorted(conn.execute(text("SELECT display_name FROM people")).scalars())


def test_concurrent_pieces_share_a_transaction_and_each_is_answered_after_the_commit(database, now):
    release = threading.Event()
    calls = []

    def write_batch(conn, batch):
        calls.append(list(batch))
        if len(calls) == 1:
            release.wait(10)  # the first batch holds the writer while the others queue up
        return _insert_people(conn, batch)[0]

    writer = _writer(database, now, write_batch)
    results: dict[str, object] = {}
    seen_after: dict[str, list[str]] = {}

    def submit(name):
        results[name] = writer.run(name)
        seen_after[name] = _people(database)  # what another connection sees once answered

    threads = [threading.Thread(target=submit, args=(f"p{i}",)) for i in range(6)]
    threads[0].start()
    wait_until(lambda: calls, what="the first batch to start")
    for t in threads[1:]:
        t.start()
    wait_until(lambda: len(writer._waiting) == 5, what="five pieces to queue")
    release.set()
    for t in threads:
        t.join(10)
    assert results == {f"p{i}": f"p{i}" for i in range(6)}
    assert [len(batch) for batch in calls] == [1, 5]
    assert writer.transactions == 2 and writer.pieces == 6
    for name, people in seen_after.items():
        assert name in people  # committed before it was answered


def test_a_failing_piece_fails_alone_and_a_declined_one_writes_nothing(database, now):
    release = threading.Event()
    calls = []

    def write_batch(conn, batch):
        calls.append(list(batch))
        if len(calls) == 1:
            release.wait(10)
        return _insert_people(conn, batch)[0]

    writer = _writer(database, now, write_batch)
    outcomes: dict[str, object] = {}

    def submit(name):
        try:
            outcomes[name] = writer.run(name)
        except Exception as exc:
            outcomes[name] = exc

    first = threading.Thread(target=submit, args=("first",))
    first.start()
    wait_until(lambda: calls, what="the first batch to start")
    rest = [threading.Thread(target=submit, args=(n,)) for n in ("ann", "boom", "decline", "bob")]
    for t in rest:
        t.start()
    wait_until(lambda: len(writer._waiting) == 4, what="four pieces to queue")
    release.set()
    for t in [first, *rest]:
        t.join(10)
    assert outcomes["first"] == "first"
    assert outcomes["ann"] == "ann" and outcomes["bob"] == "bob"
    assert isinstance(outcomes["decline"], Declined)
    assert "no_such_table" in str(outcomes["boom"])
    assert _people(database) == ["ann", "bob", "first"]
