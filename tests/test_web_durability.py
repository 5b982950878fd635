"""Acknowledge only what is stored; the Slack work after the acknowledgement is durable (issue 9, 5-7).

An update is committed before its acknowledgement goes (modal, thread reply, RAG button); what it
owes Slack is an outbox row written in the same transaction, drained after the response, again at
start-up, and by the worker; claims are conditional; Home refreshes are cheap and coalesced; SQLite
writers wait for each other instead of failing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import socket
import threading

import pytest
from sqlalchemy import event, select, text, update

from bot.app import create_app
from bot.outbox import Drainer, drain_owed
from bot.services import Services
from bot.wsgi import make_server, make_wsgi_app
from storage import outbox as store
from storage.db import create_db_engine, make_session_factory
from storage.models import OutboxItem, Update
from tests.support import slack_signing as signing
from tests.support.bot_harness import JO, R2, SECRET, seed
from tests.support.waiting import wait_until


def _stored_texts(slack_app) -> list[str]:
    return [u.text for u in slack_app.updates()]


# --- committed before the acknowledgement ----------------------------------------------------------


def test_a_modal_update_is_in_the_database_when_its_acknowledgement_arrives(slack_app):
    held = slack_app.fake.hold("chat.postMessage")  # the confirmation DM stays in flight
    slack_app.command("update 3.2", JO)
    status, body = slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="Venue booked")
    assert status == 200 and "saved your update" in json.dumps(json.loads(body)["view"])
    assert _stored_texts(slack_app) == ["Venue booked"]  # read at once: no waiting for a background store
    [dm] = slack_app.fake.wait_for("chat.postMessage")
    held.set()
    assert dm.params["channel"] == JO


def test_a_thread_reply_is_in_the_database_when_its_200_arrives(slack_app):
    held = slack_app.fake.hold("chat.postMessage")
    assert slack_app.dm(JO, "Green – venue booked", ts="1700004000.000001", thread_ts=R2) == 200
    assert _stored_texts(slack_app) == ["venue booked"]
    assert slack_app.outbox_rows() >= 1  # the thread confirmation is owed, durably
    held.set()


def test_a_rag_button_update_is_in_the_database_when_its_200_arrives(slack_app):
    slack_app.dm(JO, "The venue is booked for May", ts="1700004100.000001", thread_ts=R2)
    [question] = slack_app.fake.wait_for("chat.postMessage")
    buttons = next(b for b in question.params["blocks"] if b["type"] == "actions")["elements"]
    held = slack_app.fake.hold("chat.update")
    status = slack_app.click(
        JO,
        buttons[2]["action_id"],
        buttons[2]["value"],
        channel="DU0JO",
        message_ts=question.response["ts"],
        thread_ts=R2,
    )
    assert status == 200
    assert [(u.rag, u.text) for u in slack_app.updates()] == [("Green", "The venue is booked for May")]
    held.set()


# --- the outbox: retried, re-drained on start, claimed once -----------------------------------------


def test_a_confirmation_that_slack_refused_for_now_is_retried(slack_app):
    slack_app.fake.fail_next("chat.postMessage", status=503, times=2)  # the client does not retry 5xx
    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="Venue booked")
    calls = slack_app.fake.wait_for("chat.postMessage", 3, timeout=15)
    assert [c.status for c in calls] == [503, 503, 200]
    assert "Venue booked" in json.dumps(calls[-1].params["blocks"])
    wait_until(lambda: slack_app.outbox_rows() == 0, what="the outbox to empty")


@pytest.fixture
def seeded_database(database, fake_slack, settings):
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    with database.session_factory.begin() as session:
        ids = seed(session)
    fake_slack.add_message("D" + JO, R2, text="Progress reminder")
    return settings, ids


def _serve(app):
    server = make_server(make_wsgi_app(app), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}/slack/events"


def _submit(url: str, action_id: int, text: str, view_id: str) -> dict:
    view = {
        "id": view_id,
        "callback_id": "progress_update",
        "private_metadata": json.dumps({"action_id": action_id, "reminder_message_id": None}),
        "title": {"type": "plain_text", "text": "Update"},
    }
    values = {
        "rag": {"value": {"selected_option": {"value": "Amber"}}},
        "progress": {"value": {"value": text}},
    }
    status, _, body = signing.post(url, signing.view_submission(view, values, user_id=JO), SECRET)
    assert status == 200, body
    return json.loads(body)


def test_what_a_stopped_process_owed_is_done_by_the_next_one(seeded_database, database, fake_slack):
    settings, ids = seeded_database
    first = create_app(settings, database.session_factory, start_outbox=False)  # dies before draining
    server, url = _serve(first)
    answer = _submit(url, ids["3.2"], "Owed when the process died", "V0DIED")
    server.shutdown()
    server.server_close()
    assert "saved" in json.dumps(answer["view"]).lower()
    with database.session_factory() as session:
        assert store.waiting(session) >= 1
    assert fake_slack.calls("chat.postMessage") == []

    second = create_app(settings, database.session_factory)  # the restart: its first pass does it
    try:
        [dm] = fake_slack.wait_for("chat.postMessage")
        assert dm.params["channel"] == JO and "Owed when the process died" in json.dumps(dm.params["blocks"])
        wait_until(lambda: _waiting(database) == 0, what="the outbox to empty")
    finally:
        second.progressbot_shutdown(5)


def _waiting(database) -> int:
    with database.session_factory() as session:
        return store.waiting(session)


def test_rows_claimed_by_a_dead_process_on_this_host_are_taken_at_once(seeded_database, database, fake_slack):
    settings, _ = seeded_database
    dead = _a_dead_pid()
    with database.session_factory.begin() as session:
        store.enqueue(
            session, "slack_call", {"method": "chat_postMessage", "args": {"channel": JO, "text": "owed"}}
        )
        session.execute(
            update(OutboxItem).values(
                claimed_by=f"{socket.gethostname()[:80]}:{dead}:feedfacefeed",
                claimed_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC),  # a lease that would never lapse
            )
        )
    app = create_app(settings, database.session_factory)
    try:
        [dm] = fake_slack.wait_for("chat.postMessage")
        assert dm.params["text"] == "owed"
    finally:
        app.progressbot_shutdown(5)


def _a_dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_rows_held_by_a_live_claim_elsewhere_are_left_alone(seeded_database, database, fake_slack):
    settings, _ = seeded_database
    with database.session_factory.begin() as session:
        store.enqueue(
            session, "slack_call", {"method": "chat_postMessage", "args": {"channel": JO, "text": "theirs"}}
        )
        session.execute(
            update(OutboxItem).values(
                claimed_by="another-host:1:0123456789ab", claimed_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
            )
        )
    services = Services(
        settings=settings, session_factory=database.session_factory, client=_client(fake_slack)
    )
    assert Drainer(services).drain() is True
    assert fake_slack.calls("chat.postMessage") == []


def _client(fake_slack):
    from slack_sdk import WebClient

    return WebClient(token="xoxb-test", base_url=fake_slack.url)


def test_two_processes_draining_at_once_send_each_message_once(seeded_database, database, fake_slack):
    settings, _ = seeded_database
    with database.session_factory.begin() as session:
        store.enqueue_all(
            session,
            [
                store.Owed(
                    "slack_call", {"method": "chat_postMessage", "args": {"channel": JO, "text": f"m{n}"}}
                )
                for n in range(60)
            ],
        )
    # Two "processes": separate engines (connection pools) and drainers on the same database file.
    engines = [create_db_engine(database.url) for _ in range(2)]
    drainers = [
        Drainer(
            Services(settings=settings, session_factory=make_session_factory(e), client=_client(fake_slack)),
            threads=3,
        )
        for e in engines
    ]
    threads = [threading.Thread(target=d.drain) for d in drainers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.dispose()
    texts = [c.params["text"] for c in fake_slack.calls("chat.postMessage")]
    assert sorted(texts) == sorted(f"m{n}" for n in range(60))  # every one, none twice
    assert _waiting(database) == 0


def test_the_worker_job_drains_what_web_processes_left(seeded_database, database, fake_slack):
    settings, _ = seeded_database
    with database.session_factory.begin() as session:
        store.enqueue(
            session, "slack_call", {"method": "chat_postMessage", "args": {"channel": JO, "text": "late"}}
        )
    assert drain_owed(settings, database.session_factory, _client(fake_slack), timeout=20) is True
    assert [c.params["text"] for c in fake_slack.calls("chat.postMessage")] == ["late"]


def test_a_question_whose_message_is_gone_falls_back_and_is_dropped(slack_app):
    slack_app.dm(JO, "The venue is booked for May", ts="1700004200.000001", thread_ts=R2)
    [question] = slack_app.fake.wait_for("chat.postMessage")
    buttons = next(b for b in question.params["blocks"] if b["type"] == "actions")["elements"]
    slack_app.fake.delete_message("DU0JO", question.response["ts"])  # deleted meanwhile
    slack_app.click(
        JO,
        buttons[1]["action_id"],
        buttons[1]["value"],
        channel="DU0JO",
        message_ts=question.response["ts"],
        thread_ts=R2,
    )
    posts = slack_app.fake.wait_for("chat.postMessage", 2)
    assert posts[-1].params["thread_ts"] == R2 and "Amber" in posts[-1].params["text"]  # the fallback
    failed = [c for c in slack_app.fake.calls("chat.update") if c.params["ts"] == question.response["ts"]]
    assert [c.response.get("error") for c in failed] == ["message_not_found"]
    wait_until(lambda: slack_app.outbox_rows() == 0, what="the outbox to empty")


# --- Home tabs: a cheap query, coalesced -----------------------------------------------------------


def test_a_burst_of_updates_owes_one_home_refresh(slack_app):
    services = slack_app.app.progressbot_services
    services.home_refresh_delay = 600  # nothing falls due during the test unless we say so
    slack_app.command("update 3.2", JO)
    view = slack_app.opened_view()
    for n in range(8):
        slack_app.submit({**view, "id": f"V0BURST{n}"}, user=JO, rag="Amber", text=f"step {n}")
    slack_app.fake.wait_for("chat.postMessage", 8)
    with slack_app.database.session_factory.begin() as session:
        rows = session.scalars(select(OutboxItem).where(OutboxItem.kind == "home_refresh")).all()
        assert [(r.coalesce_key, r.payload) for r in rows] == [("home:U0JO", {"user": JO})]
        session.execute(update(OutboxItem).values(not_before=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    services.drainer.kick()
    [publish] = slack_app.fake.wait_for("views.publish")
    assert "step 7" in json.dumps(publish.params["view"])
    wait_until(lambda: slack_app.outbox_rows() == 0, what="the outbox to empty")
    assert slack_app.fake.call_count("views.publish") == 1


def test_the_home_query_does_not_read_every_update(slack_app):
    from bot.features.home_tab import home

    services = slack_app.app.progressbot_services
    counts = []
    for extra in (1, 40):
        with slack_app.database.session_factory.begin() as session:
            for n in range(extra):
                session.add(
                    Update(
                        action_id=slack_app.ids["3.2"],
                        rag="Red" if n % 2 else "Green",
                        text=f"note {extra}-{n}",
                        source="cli",
                        submitted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n),
                    )
                )
        rows = []
        engine = slack_app.database.engine

        me = threading.get_ident()

        # Only this thread's statements: the app's own outbox drain may run on another thread meanwhile.
        def count(conn, cursor, statement, parameters, context, executemany, rows=rows, me=me):
            if threading.get_ident() == me:
                rows.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            view = home(services, JO)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(rows))
        assert f"note {extra}-{extra - 1}" in json.dumps(view)  # the latest update is what shows
    assert counts[0] == counts[1]


# --- SQLite: writers wait for each other -------------------------------------------------------------


def test_submissions_are_stored_while_another_process_writes_continuously(slack_app):
    other = create_db_engine(slack_app.database.url)  # another process's connection pool
    stop = threading.Event()
    writes = {"n": 0}

    def busy_writer():
        while not stop.is_set():
            with other.begin() as conn:
                conn.execute(text("UPDATE plans SET title = title"))
                writes["n"] += 1

    writer = threading.Thread(target=busy_writer, daemon=True)
    writer.start()
    try:
        wait_until(lambda: writes["n"] > 5, what="the other writer to get going")
        slack_app.command("update 3.2", JO)
        view = slack_app.opened_view()
        answers = []
        lock = threading.Lock()

        def submit(n: int) -> None:
            status, body = slack_app.submit(
                {**view, "id": f"V0BUSY{n:02d}"}, user=JO, rag="Red", text=f"busy {n}"
            )
            with lock:
                answers.append((status, json.loads(body)))

        workers = [threading.Thread(target=submit, args=(n,)) for n in range(20)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=60)
    finally:
        stop.set()
        writer.join(timeout=10)
        other.dispose()
    assert len(answers) == 20
    assert all(status == 200 and answer["response_action"] == "update" for status, answer in answers), answers
    assert sorted(_stored_texts(slack_app)) == sorted(f"busy {n}" for n in range(20))


def test_sqlite_write_transactions_begin_immediate(database):
    seen = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    with database.session_factory.begin() as session:  # a unit of work: it writes
        session.execute(text("SELECT 1"))
    with database.session_factory() as session:  # begins by itself on its first query: it reads
        session.execute(text("SELECT 1"))
    from storage.db import make_read_session_factory

    with make_read_session_factory(database.engine).begin() as session:
        session.execute(text("SELECT 1"))
    begins = [s for s in seen if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN"]
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_new_sqlite_file_and_its_wal_and_shm_are_private(tmp_path):
    from storage.db import open_database

    engine, factory = open_database(f"sqlite:///{tmp_path}/fresh.db")
    with factory.begin() as session:
        session.execute(text("SELECT 1"))
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
    engine.dispose()
    assert modes["fresh.db"] == "0o600"
    assert modes.get("fresh.db-wal") == "0o600" and modes.get("fresh.db-shm") == "0o600", modes
    os.umask(os.umask(0))  # (the process umask is untouched by any of this)


# --- the modal is gone: the person hears by DM ------------------------------------------------------


def test_an_update_that_could_not_be_stored_after_the_modal_closed_is_told_by_dm(
    fake_slack, settings, tmp_path, monkeypatch
):
    import bot.listeners.errors as errors

    monkeypatch.setattr(errors, "MODAL_ANSWER_SECONDS", 0)  # as if the store took longer than Slack waits
    broken = create_db_engine(f"sqlite:///{tmp_path}/missing-dir/nope.db")
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    app = create_app(settings, make_session_factory(broken))
    server, url = _serve(app)
    try:
        answer = _submit(url, 1, "my careful words", "V0GONE")
        assert answer["response_action"] == "errors" and "try again" in answer["errors"]["progress"]
        [dm] = fake_slack.wait_for("chat.postMessage")
        assert dm.params["channel"] == JO and "try again" in dm.params["text"]
    finally:
        server.shutdown()
        server.server_close()
        app.progressbot_shutdown(5)
        broken.dispose()
