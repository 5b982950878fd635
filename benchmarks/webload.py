"""What the web benchmarks (ack.py, sustained.py, kill9.py) and the kill -9 test share.

Each party runs in its own process, as in production: the fake Slack Web API
(``tests/support/fakeslack.py``), ``progressbot web`` on the database under test, and for comparison
a no-op Bolt app served by the same server and the same verified edge (``bot.wsgi``), whose view
listener only acknowledges. Requests are signed exactly as Slack signs them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import slack_signing as signing  # noqa: E402

SECRET = "bench-signing-secret"
LEAD = "U0LEAD"
URL_PATTERN = r"(http://127\.0\.0\.1:\d+/slack/events)"

FAKE_SLACK = """
import sys, threading
sys.path[:0] = sys.argv[1:2]
from tests.support.fakeslack import FakeSlack
fake = FakeSlack()
fake.views_must_exist = False
fake.start()
print(f"fake slack on {fake.url}", file=sys.stderr, flush=True)
threading.Event().wait()
"""


LEADS = 200  # a burst after a reminder: many leads answering at once
ACTIONS_PER_LEAD = 3


@dataclass(frozen=True)
class Target:
    """An action and the lead who updates it (the submitter, who gets the confirmation DM)."""

    action_id: int
    lead: str


def seed(
    database_url: str, *, fresh: bool = False, leads: int = LEADS, actions_per_lead: int = ACTIONS_PER_LEAD
) -> list[Target]:
    """One plan; ``leads`` leads (``LEAD`` is the first), each leading ``actions_per_lead`` actions.

    The targets come lead by lead in turn (every lead's first action, then every lead's second …), so
    consecutive submissions (``target_for``) go to different leads, as in a real burst: the
    confirmation DMs go to many channels and the Home tab of every lead is owed a refresh.
    """
    from sqlalchemy import text

    from storage.db import open_database, refresh_statistics
    from storage.models import Action, ActionLead, Base, Person, Plan, RagState

    if fresh and not database_url.startswith("sqlite"):
        from storage.db import create_db_engine

        engine = create_db_engine(database_url)
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    engine, factory = open_database(database_url)
    with factory.begin() as session:
        plan = Plan(name="bench", title="Benchmark plan")
        for rank, (label, colour) in enumerate(
            [("Red", "#FF0000"), ("Amber", "#FFC000"), ("Green", "#00B050")]
        ):
            plan.rag_states.append(RagState(label=label, rank=rank, colour=colour, meaning=label, aliases=[]))
        session.add(plan)
        people = [
            Person(
                display_name=f"Bench Lead {n}",
                name=f"Bench Lead {n}",
                slack_user_id=LEAD if n == 0 else f"U0L{n:05d}",
            )
            for n in range(leads)
        ]
        session.add_all(people)
        session.flush()
        actions: list[tuple[Action, Person]] = []
        for k in range(actions_per_lead):
            for n, lead in enumerate(people):
                action = Action(
                    plan_id=plan.id,
                    ref=f"{n + 1}.{k + 1}",
                    position=len(actions),
                    title=f"Benchmark action {n + 1}.{k + 1}",
                    due_date=dt.date(2027, 1, 1),
                )
                action.leads.append(ActionLead(person_id=lead.id))
                actions.append((action, lead))
        session.add_all([action for action, _ in actions])
        session.flush()
        refresh_statistics(session)  # as `progressbot import` leaves a plan on PostgreSQL
        targets = [Target(action.id, str(lead.slack_user_id)) for action, lead in actions]
    engine.dispose()
    return targets


def shape_arguments(parser) -> None:
    """``--leads`` and ``--actions-per-lead``: who the burst's submissions come from."""
    parser.add_argument("--leads", type=int, default=LEADS, help="leads submitting (default %(default)s)")
    parser.add_argument(
        "--actions-per-lead",
        type=int,
        default=ACTIONS_PER_LEAD,
        help="actions each leads (default %(default)s)",
    )


def target_for(targets: list[Target], n: int) -> Target:
    """The ``n``th submission's action: round the leads in turn."""
    return targets[n % len(targets)]


def start(cmd: list[str], env: dict[str, str], pattern: str = URL_PATTERN) -> tuple[subprocess.Popen, str]:
    """Start a process and wait for the line that says where it listens."""
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(pattern, line)
        if match:
            return proc, match.group(1)
    proc.wait(timeout=10)
    raise RuntimeError(f"did not start (exit {proc.returncode}): {' '.join(cmd)}")


def stop(proc: subprocess.Popen, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=5)


@contextmanager
def fake_slack() -> Iterator[str]:
    proc, url = start([sys.executable, "-c", FAKE_SLACK, str(ROOT)], dict(os.environ), r"fake slack on (\S+)")
    try:
        yield url
    finally:
        stop(proc)


def web_env(fake_url: str, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_url,
        "DATABASE_URL": database_url,
        "PROGRESSBOT_LOG_LEVEL": "WARNING",
    }


GUNICORN_URL = r"Listening at: (http://127\.0\.0\.1:\d+)"


def _gunicorn(
    app: str, env: dict[str, str], workers: int, threads: int, *extra: str
) -> tuple[subprocess.Popen, str]:
    exe = str(Path(sys.executable).with_name("gunicorn"))
    args = [exe, *extra, "--workers", str(workers), "--threads", str(threads), "--bind", "127.0.0.1:0", app]
    proc, base = start(args, env, GUNICORN_URL)
    return proc, base + "/slack/events"


def start_web(
    fake_url: str, database_url: str, *, gunicorn: tuple[int, int] | None = None
) -> tuple[subprocess.Popen, str]:
    """``progressbot web``, or with ``gunicorn=(workers, threads)`` the Procfile's gunicorn."""
    env = web_env(fake_url, database_url)
    if gunicorn:
        return _gunicorn(
            "progressbot.wsgi:application", env, *gunicorn, "-c", "python:progressbot.gunicorn_conf"
        )
    exe = str(Path(sys.executable).with_name("progressbot"))
    return start([exe, "web", "--host", "127.0.0.1", "--port", "0"], env)


def start_noop(fake_url: str, *, gunicorn: tuple[int, int] | None = None) -> tuple[subprocess.Popen, str]:
    """The no-op Bolt app (``benchmarks/noop_app.py``) on the same kind of server."""
    env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_url}
    if gunicorn:
        return _gunicorn("noop_app:application", env, *gunicorn, "--chdir", str(ROOT / "benchmarks"))
    return start([sys.executable, str(ROOT / "benchmarks" / "noop_app.py")], env)


def submission(target: Target, label: str) -> signing.Request:
    """A signed view_submission of a distinct modal (so each stores an update) with text ``label``,
    by the action's lead."""
    view = {
        "id": f"V{label}",
        "callback_id": "progress_update",
        "type": "modal",
        "title": {"type": "plain_text", "text": "Update"},
        "private_metadata": json.dumps({"action_id": target.action_id, "reminder_message_id": None}),
    }
    values = {
        "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": "Amber"}}},
        "progress": {"value": {"type": "plain_text_input", "value": f"Benchmark update {label}"}},
        "evidence": {"value": {"type": "url_text_input", "value": None}},
        "proposed_due": {"value": {"type": "datepicker", "selected_date": None}},
    }
    return signing.view_submission(view, values, user_id=target.lead)


@dataclass
class Sent:
    label: str
    started: float  # time.monotonic()
    acked: float | None  # when the answer arrived, if it was a "Saved" acknowledgement
    status: int
    latency: float


def send(url: str, label: str, request: signing.Request, timeout: float = 30) -> Sent:
    started = time.monotonic()
    try:
        status, _, body = signing.post(url, request, SECRET, timeout=timeout)
    except OSError:
        return Sent(label, started, None, 0, time.monotonic() - started)
    done = time.monotonic()
    saved = status == 200 and '"errors"' not in body
    return Sent(label, started, done if saved else None, status, done - started)


def confirmations(fake_url: str) -> dict[str, float]:
    """label -> when its confirmation DM reached the fake Slack (time.monotonic(), same clock)."""
    base = fake_url.rsplit("/api/", 1)[0]
    with urllib.request.urlopen(f"{base}/_calls?method=chat.postMessage", timeout=30) as resp:
        calls = json.loads(resp.read())
    found: dict[str, float] = {}
    for call in calls:
        if not call["ok"]:
            continue
        match = re.search(r"Benchmark update ([A-Za-z0-9-]+)", json.dumps(call["params"].get("blocks") or []))
        if match:
            found.setdefault(match.group(1), call["time"])
    return found


def stored_labels(database_url: str) -> set[str]:
    from sqlalchemy import select

    from storage.db import create_db_engine
    from storage.models import Update

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            texts = conn.execute(select(Update.text)).scalars().all()
    finally:
        engine.dispose()
    return {t[len("Benchmark update ") :] for t in texts if t.startswith("Benchmark update ")}


def outbox_rows(database_url: str) -> int:
    """Outbox rows still owed (done rows are deleted): DMs, reminder edits and Home refreshes."""
    from sqlalchemy import func, select

    from storage.db import create_db_engine
    from storage.models import OutboxItem

    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(OutboxItem)).scalar_one()
    finally:
        engine.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")
