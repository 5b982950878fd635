"""The web process as it runs in production, in a subprocess: its port, SIGTERM, gunicorn, kill -9.

- ``--port 0`` binds a free port (not ``PORT``), and a busy port is one line, not a traceback (item 15);
- SIGTERM stops ``web``, ``worker`` and gunicorn's workers like Ctrl-C: acknowledged work (here a
  confirmation DM held in flight by the fake Slack) is finished, then exit 0 (item 8);
- kill -9 at a random moment of a burst: every acknowledged update is in the database, and the next
  process sends the confirmations the dead one owed (item 5).
"""

from __future__ import annotations

import json
import random
import re
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from storage import outbox as store
from storage.models import Update
from tests.support import slack_signing as signing
from tests.support.bot_harness import JO, seed
from tests.support.processes import executable, start
from tests.support.waiting import wait_until

SECRET = "process-secret"
URL = r"(http://127\.0\.0\.1:(\d+))"


@pytest.fixture
def env(database, fake_slack):
    with database.session_factory.begin() as session:
        ids = seed(session)
    values = {
        "DATABASE_URL": database.url,
        "SLACK_BOT_TOKEN": "xoxb-process",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.url,
        "PROGRESSBOT_LOG_LEVEL": "INFO",
        "PROGRESSBOT_SHUTDOWN_TIMEOUT": "30",
    }
    return values, ids


def _web(env: dict[str, str], *args: str):
    return start([executable("progressbot"), "web", "--host", "127.0.0.1", *args], env)


def _submission(action_id: int, label: str) -> signing.Request:
    view = {
        "id": f"V{label}",
        "callback_id": "progress_update",
        "private_metadata": json.dumps({"action_id": action_id, "reminder_message_id": None}),
        "title": {"type": "plain_text", "text": "Update"},
    }
    values = {
        "rag": {"value": {"selected_option": {"value": "Amber"}}},
        "progress": {"value": {"value": f"update {label}"}},
    }
    return signing.view_submission(view, values, user_id=JO)


def _saved(url: str, action_id: int, label: str) -> bool:
    try:
        status, _, body = signing.post(url, _submission(action_id, label), SECRET, timeout=30)
    except OSError:  # the process is gone
        return False
    return status == 200 and json.loads(body).get("response_action") == "update"


def _stored(database) -> set[str]:
    with database.session_factory() as session:
        return {t.removeprefix("update ") for t in session.scalars(select(Update.text))}


def _waiting(database) -> int:
    with database.session_factory() as session:
        return store.waiting(session)


# --- the port -----------------------------------------------------------------------------------------


def test_port_0_picks_a_free_port_even_when_PORT_is_taken(env):
    values, _ = env
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        web = _web({**values, "PORT": str(taken.getsockname()[1])}, "--port", "0")
        port = int(web.wait_for_line(URL).group(2))
        assert port not in (0, taken.getsockname()[1])
        web.proc.send_signal(signal.SIGTERM)
        assert web.wait() == 0
    finally:
        taken.close()


def test_a_busy_port_is_one_line_not_a_traceback(env):
    values, _ = env
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        web = _web(values, "--port", str(port))
        assert web.wait() == 2
    finally:
        taken.close()
    assert f"progressbot: error: cannot listen on 127.0.0.1:{port}" in web.output()
    assert "Traceback" not in web.output()


# --- SIGTERM ------------------------------------------------------------------------------------------


def _stop_while_a_confirmation_is_in_flight(running, fake_slack, database, action_id: int) -> None:
    url = running.wait_for_line(URL).group(1) + "/slack/events"
    held = fake_slack.hold("chat.postMessage")
    assert _saved(url, action_id, "in-flight")
    fake_slack.wait_for("chat.postMessage")  # the DM is being sent...
    running.proc.send_signal(signal.SIGTERM)  # ... when the platform stops the process
    running.wait_for_line(r"stopping|Handling signal: term|Worker exiting|Shutting down")
    assert running.proc.poll() is None  # it waits for the DM instead of dying with it
    held.set()
    assert running.wait() == 0
    [dm] = fake_slack.calls("chat.postMessage")
    assert dm.ok and "update in-flight" in json.dumps(dm.params["blocks"])
    assert "in-flight" in _stored(database)


def test_sigterm_stops_web_after_the_work_it_acknowledged(env, fake_slack, database):
    values, ids = env
    web = _web(values, "--port", "0")
    try:
        _stop_while_a_confirmation_is_in_flight(web, fake_slack, database, ids["3.2"])
        assert "progressbot web: stopped" in web.output()
    finally:
        web.stop()


def test_sigterm_stops_a_gunicorn_worker_after_it_drained(env, fake_slack, database):
    values, ids = env
    gunicorn = start(
        [
            executable("gunicorn"),
            "-c",
            "python:progressbot.gunicorn_conf",
            "--workers",
            "1",
            "--threads",
            "4",
            "--bind",
            "127.0.0.1:0",
            "progressbot.wsgi:application",
        ],
        values,
    )
    try:
        port = int(gunicorn.wait_for_line(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1))
        gunicorn.lines.append(f"http://127.0.0.1:{port}\n")  # what _stop_while… looks for
        gunicorn._queue.put(f"http://127.0.0.1:{port}\n")
        _stop_while_a_confirmation_is_in_flight(gunicorn, fake_slack, database, ids["3.2"])
        assert "progressbot: worker stopped" in gunicorn.output()
    finally:
        gunicorn.stop()


def test_sigterm_stops_the_worker_cleanly(env):
    values, _ = env
    worker = start([executable("progressbot"), "worker"], values)
    try:
        worker.wait_for_line(r"progressbot worker: scheduling")
        worker.proc.send_signal(signal.SIGTERM)
        assert worker.wait() == 0, worker.output()
        assert "progressbot worker: stopped" in worker.output()
        assert "Traceback" not in worker.output(), worker.output()
    finally:
        worker.stop()


# --- kill -9 ------------------------------------------------------------------------------------------


def test_kill_9_during_a_burst_loses_no_acknowledged_update(env, fake_slack, database):
    values, ids = env
    web = _web(values, "--port", "0")
    url = web.wait_for_line(URL).group(1) + "/slack/events"
    acknowledged: set[str] = set()
    lock = threading.Lock()
    kill_after = random.randint(20, 120)  # a random moment of the burst
    killed = threading.Event()

    def client(n: int) -> None:
        label = f"k{n:04d}"
        if not killed.is_set() and _saved(url, ids["3.2"], label):
            with lock:
                acknowledged.add(label)

    try:
        with ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(client, n) for n in range(600)]
            wait_until(lambda: len(acknowledged) >= kill_after or all(f.done() for f in futures), timeout=60)
            web.proc.kill()  # SIGKILL: no handler, no drain, no goodbye
            killed.set()
        assert web.wait() == -signal.SIGKILL
    finally:
        web.stop()
    assert len(acknowledged) >= kill_after
    missing = acknowledged - _stored(database)
    assert not missing, f"{len(missing)} acknowledged updates lost: {sorted(missing)[:5]}"

    # The next process sends every confirmation the dead one owed (its claims are released at start).
    restarted = _web(values, "--port", "0")
    try:
        restarted.wait_for_line(URL)

        def confirmed() -> set[str]:
            found = set()
            for call in fake_slack.calls("chat.postMessage"):
                match = re.search(r"update (k\d{4})", json.dumps(call.params.get("blocks") or []))
                if call.ok and match:
                    found.add(match.group(1))
            return found

        wait_until(lambda: acknowledged <= confirmed(), timeout=60, what="every confirmation")
        wait_until(lambda: _waiting(database) == 0, timeout=30, what="the outbox to empty")
        restarted.proc.send_signal(signal.SIGTERM)
        assert restarted.wait() == 0
    finally:
        restarted.stop()


def test_stop_signal_records_sigterm_and_ctrl_c_instead_of_dying():
    import os

    from progressbot.lifecycle import StopSignal

    for sig in (signal.SIGTERM, signal.SIGINT):
        before = signal.getsignal(sig)
        with StopSignal() as stop:
            os.kill(os.getpid(), sig)
            assert stop.wait(poll=0.01) == signal.Signals(sig).name
            os.kill(os.getpid(), sig)  # a second one while stopping changes nothing
            assert stop.received == sig
        assert signal.getsignal(sig) is before  # restored afterwards
