"""Acknowledgement latency of ``progressbot web`` under concurrent modal submissions.

Starts a fake Slack Web API (tests/fakeslack.py) and two servers as separate processes:

1. ``progressbot web`` with a fresh SQLite database holding one plan, one lead and one action;
2. a no-op Bolt app (same WSGI server, same signature checks) whose view listener only calls ack().

Then sends N signed ``view_submission`` requests (each a distinct modal, so each stores an update) from C
concurrent clients to each server, and prints p50/p95/p99/max acknowledgement latency and throughput.
Targets from the issue: p99 < 300 ms at 20 concurrent clients, and at least half the no-op throughput.

    python benchmarks/ack.py [--requests 1000] [--concurrency 20] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import slack_signing as signing  # noqa: E402

SECRET = "bench-signing-secret"
LEAD = "U0LEAD"

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

NOOP_APP = """
import sys
from slack_bolt import App
from bot.wsgi import make_server, make_wsgi_app
from slack_sdk import WebClient
from concurrent.futures import ThreadPoolExecutor

app = App(client=WebClient(token="xoxb-bench", base_url=sys.argv[2]), signing_secret=sys.argv[1],
          token_verification_enabled=False, listener_executor=ThreadPoolExecutor(32))

@app.view("progress_update")
def submitted(ack):
    ack()

server = make_server(make_wsgi_app(app), "127.0.0.1", 0)
print(f"listening on http://127.0.0.1:{server.server_port}/slack/events", file=sys.stderr, flush=True)
server.serve_forever()
"""


def seed(database_url: str) -> int:
    from storage.db import open_database
    from storage.models import Action, ActionLead, Person, Plan, RagState

    engine, factory = open_database(database_url)
    with factory.begin() as session:
        plan = Plan(name="bench", title="Benchmark plan")
        for rank, (label, colour) in enumerate(
            [("Red", "#FF0000"), ("Amber", "#FFC000"), ("Green", "#00B050")]
        ):
            plan.rag_states.append(RagState(label=label, rank=rank, colour=colour, meaning=label, aliases=[]))
        session.add(plan)
        lead = Person(display_name="Bench Lead", name="Bench Lead", slack_user_id=LEAD)
        session.add(lead)
        session.flush()
        action = Action(
            plan_id=plan.id, ref="1.1", position=0, title="Benchmark action", due_date=dt.date(2027, 1, 1)
        )
        action.leads.append(ActionLead(person_id=lead.id))
        session.add(action)
        session.flush()
        action_id = action.id
    engine.dispose()
    return action_id


def start(
    cmd: list[str], env: dict[str, str], pattern: str = r"(http://127\.0\.0\.1:\d+/slack/events)"
) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(pattern, line)
        if match:
            return proc, match.group(1)
    raise RuntimeError(f"server did not start: {' '.join(cmd)}")


def submission(action_id: int, n: int, run: str) -> signing.Request:
    view = {
        "id": f"V{run}{n:07d}",
        "callback_id": "progress_update",
        "type": "modal",
        "title": {"type": "plain_text", "text": "Update 1.1"},
        "private_metadata": json.dumps({"action_id": action_id, "reminder_message_id": None}),
    }
    values = {
        "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": "Amber"}}},
        "progress": {"value": {"type": "plain_text_input", "value": f"Benchmark update {n}"}},
        "evidence": {"value": {"type": "url_text_input", "value": None}},
        "proposed_due": {"value": {"type": "datepicker", "selected_date": None}},
    }
    return signing.view_submission(view, values, user_id=LEAD)


def one(url: str, request: signing.Request) -> tuple[float, int, str]:
    started = time.perf_counter()
    status, _, body = signing.post(url, request, SECRET, timeout=30)
    return time.perf_counter() - started, status, body


def load(url: str, requests: list[signing.Request], concurrency: int) -> dict:
    for request in requests[:5]:  # warm-up: first-request work (auth.test, imports, pools)
        one(url, request)
    measured = requests[5:]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda r: one(url, r), measured))
    elapsed = time.perf_counter() - started
    latencies = sorted(r[0] * 1000 for r in results)
    failures = [r for r in results if r[1] != 200 or (r[2] and '"errors"' in r[2])]

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, round(p / 100 * (len(latencies) - 1)))]

    return {
        "requests": len(measured),
        "failures": len(failures),
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "max_ms": round(latencies[-1], 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "throughput_rps": round(len(measured) / elapsed, 1),
        "sample_failure": failures[0][2][:200] if failures else None,
    }


def count_updates(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import create_db_engine
    from storage.models import Update

    engine = create_db_engine(database_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Update)).scalar_one()
    engine.dispose()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    action_id = seed(database_url)
    expected = count_updates(database_url) + args.requests + 5
    procs = []
    try:
        # Each party in its own process, so the fake Slack's work does not slow the clients' threads.
        fake, fake_url = start(
            [sys.executable, "-c", FAKE_SLACK, str(ROOT)],
            dict(os.environ),
            pattern=r"fake slack on (\S+)",
        )
        procs.append(fake)
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_url,
            "DATABASE_URL": database_url,
            "PROGRESSBOT_LOG_LEVEL": "WARNING",
        }
        exe = str(Path(sys.executable).with_name("progressbot"))
        bot, bot_url = start([exe, "web", "--host", "127.0.0.1", "--port", "0"], env)
        procs.append(bot)
        noop, noop_url = start([sys.executable, "-c", NOOP_APP, SECRET, fake_url], env)
        procs.append(noop)
        total = args.requests + 5
        results = {
            "noop": load(noop_url, [submission(action_id, n, "N") for n in range(total)], args.concurrency)
        }
        started = time.perf_counter()
        results["progressbot"] = load(
            bot_url, [submission(action_id, n, "P") for n in range(total)], args.concurrency
        )
        # The updates are stored after the acknowledgements: wait until every one is in the database.
        while count_updates(database_url) < expected and time.perf_counter() - started < 120:
            time.sleep(0.05)
        results["all_stored_after_s"] = round(time.perf_counter() - started, 2)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    results["stored_updates"] = count_updates(database_url)
    results["concurrency"] = args.concurrency
    results["database"] = "sqlite" if database_url.startswith("sqlite") else database_url.split(":", 1)[0]
    p, n = results["progressbot"], results["noop"]
    results["targets"] = {
        "p99_under_300ms": p["p99_ms"] < 300,
        "throughput_at_least_half_noop": p["throughput_rps"] >= n["throughput_rps"] / 2,
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{args.requests} signed view submissions, {args.concurrency} concurrent clients, "
        f"database {results['database']}, python {sys.version.split()[0]}"
    )
    print(f"{'':12} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'req/s':>8} {'failed':>7}")
    for name in ("progressbot", "noop"):
        r = results[name]
        print(
            f"{name:12} {r['p50_ms']:>6.1f}ms {r['p95_ms']:>6.1f}ms {r['p99_ms']:>6.1f}ms {r['max_ms']:>6.1f}ms "
            f"{r['throughput_rps']:>8.1f} {r['failures']:>7}"
        )
    print(
        f"updates stored: {results['stored_updates']} of {args.requests + 5}, all in the database "
        f"{results['all_stored_after_s']} s after the first progressbot request"
    )
    for target, met in results["targets"].items():
        print(f"target {target}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
