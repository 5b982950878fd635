"""The update form's server side: how long opening it and saving two actions take.

Starts the form app (the web process's ``/u/`` routes) on a fresh SQLite file on the threaded stdlib
server, then times, from one client, ``--rounds`` GETs of the page and POSTs that save two actions, each
POST a new update. Prints p50/p95/max per request and the page size. No email is sent (no SMTP set).

    python benchmarks/form.py [--rounds 300] [--actions 12]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.wsgi import make_server  # noqa: E402
from mail.links import Links  # noqa: E402
from progressbot.config import Settings  # noqa: E402
from storage.db import open_database  # noqa: E402
from tests.support.jobs_factories import make_action, make_person, make_plan  # noqa: E402
from web.app import FormApp  # noqa: E402

SECRET = "benchmark-secret-key-0123456789-abcdefgh"
HIDDEN = re.compile(r'name="(csrf|nonce)" value="([^"]+)"')


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--actions", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/form.db"
        engine, factory = open_database(url)
        with factory.begin() as s:
            plan = make_plan(s, "bench")
            pat = make_person(s, "Pat Partner")
            pat.email = "pat@example.org"
            ids = [
                make_action(s, plan, f"{n}.1", leads=[pat], due=dt.date(2027, 3, 31)).id
                for n in range(args.actions)
            ]
            pat_id, plan_id = pat.id, plan.id
        server = make_server(lambda e, s: [], "127.0.0.1", 0)
        base = f"http://127.0.0.1:{server.server_port}"
        settings = Settings(database_url=url, secret_key=SECRET, public_url=base)
        forms = FormApp(settings, factory)
        server.set_app(forms)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        path = "/u/" + Links(SECRET).make(pat_id, plan_id, "pat@example.org", dt.datetime.now(dt.UTC))
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        gets, posts, size = [], [], 0
        for n in range(args.rounds):
            t0 = time.perf_counter()
            conn.request("GET", path)
            page = conn.getresponse().read().decode()
            gets.append(time.perf_counter() - t0)
            size = len(page)
            fields = dict(HIDDEN.findall(page))
            fields |= {
                f"rag-{ids[0]}": "Green",
                f"text-{ids[0]}": f"Round {n}: done",
                f"rag-{ids[1]}": "Amber",
            }
            fields[f"text-{ids[1]}"] = f"Round {n}: " + "progress " * 40
            body = urlencode(fields).encode()
            t0 = time.perf_counter()
            conn.request(
                "POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            response = conn.getresponse()
            response.read()
            posts.append(time.perf_counter() - t0)
            assert response.status == 200, response.status
        server.shutdown()
        forms.shutdown()
        engine.dispose()
    for name, values in (("GET page", gets), ("POST 2 updates", posts)):
        print(
            f"{name:15} p50 {statistics.median(values) * 1000:6.1f} ms  p95 {pct(values, 0.95) * 1000:6.1f} ms  "
            f"max {max(values) * 1000:6.1f} ms"
        )
    print(f"page: {args.actions} actions, {size / 1024:.1f} KB of HTML (no other requests)")


if __name__ == "__main__":
    main()
