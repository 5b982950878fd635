"""Benchmark: one reminder pass over N leads against the fake Slack server with a rate limit set.

    python benchmarks/reminders.py [--leads 2000] [--limit 50] [--headroom 0.97]

The fake Slack answers chat.postMessage with 429 (Retry-After) past ``--limit`` calls per sliding second,
like Slack's workspace-wide limit. The sender paces itself to ``limit * headroom`` messages a second.
The pass should finish within ~1.2x the time the limit allows (N / limit seconds), with every lead
reached exactly once. Slack's real limit is about 1 message per second per channel plus a workspace
limit; the limit here is scaled up (50/s by default) so the run takes under a minute: the ratio, not the
absolute time, is the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.slack_client import make_client  # noqa: E402
from jobs.reminders import run_reminder_pass  # noqa: E402
from jobs.sender import Pacer, Sender  # noqa: E402
from progressbot.config import Settings  # noqa: E402
from storage.db import open_database  # noqa: E402
from tests.support.fakeslack import FakeSlack  # noqa: E402
from tests.support.jobs_factories import make_action, make_person, make_plan  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)  # Monday 09:30 in London


def seed(factory, leads: int) -> None:
    with factory.begin() as s:
        plan = make_plan(s, "benchmark")
        for i in range(leads):
            person = make_person(s, f"Lead {i}", uid=f"U{i:07d}")
            make_action(s, plan, f"{i}.1", leads=[person], due=dt.date(2026, 11, 23))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument(
        "--limit", type=int, default=50, help="fake Slack's chat.postMessage limit per second"
    )
    parser.add_argument("--headroom", type=float, default=0.97, help="sender rate = limit * headroom")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    engine, factory = open_database(url)
    seed(factory, args.leads)

    with FakeSlack() as fake:
        fake.rate_limit("chat.postMessage", per_window=args.limit, window=1.0, retry_after=1)
        client = make_client(Settings(slack_bot_token="xoxb-bench", slack_api_url=fake.url))
        rate = args.limit * args.headroom
        sender = Sender(client, pacer=Pacer(rate))
        started = time.perf_counter()
        result = run_reminder_pass(factory, client, NOW, sender=sender)
        elapsed = time.perf_counter() - started
        again_started = time.perf_counter()
        again = run_reminder_pass(factory, client, NOW + dt.timedelta(minutes=15), sender=sender)
        again_elapsed = time.perf_counter() - again_started
        calls = fake.calls("chat.postMessage")
        per_channel = Counter(m["channel"] for m in fake.messages)

    floor = args.leads / args.limit
    ratio = elapsed / floor
    throttled = sum(1 for c in calls if c.status == 429)
    print(f"leads:                 {args.leads}")
    print(f"fake Slack limit:      {args.limit} chat.postMessage/s (sliding 1 s window)")
    print(f"sender pace:           {rate:.1f} msg/s")
    print(f"pass time:             {elapsed:.2f} s (planning + ledger + sending)")
    print(f"limit allows:          {floor:.2f} s  -> ratio {ratio:.3f} (target <= 1.2)")
    print(
        f"messages sent:         {result.sent}; distinct leads reached: {len(per_channel)}; "
        f"max per lead: {max(per_channel.values(), default=0)}"
    )
    print(f"429 responses:         {throttled} (each pauses the whole pass for its Retry-After)")
    print(f"second pass:           sent {again.sent} in {again_elapsed:.2f} s (idempotent)")
    engine.dispose()
    tmp.cleanup()
    ok = (
        ratio <= 1.2
        and result.sent == args.leads
        and len(per_channel) == args.leads
        and max(per_channel.values()) == 1
        and again.sent == 0
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
