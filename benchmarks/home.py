"""Benchmark rendering a lead's Home tab: what the outbox's ``home_refresh`` costs per person.

    python benchmarks/home.py [--leads 200] [--actions-per-lead 3] [--renders 400] [--rounds 3]

Seeds a temporary SQLite file as ``benchmarks/webload.py`` does (one plan, ``--leads`` leads with
``--actions-per-lead`` actions each), then gives most actions a history: updates with a RAG, text-only
updates, an action with none. Then, over several rounds, renders the Home view (``home``, without
publishing it) of one lead after another and prints, per render: CPU (this thread's), wall time, and
the SQL statements run (a ``before_cursor_execute`` listener). A board member's render (the plan's
panel) is timed too, for scale. Compare two versions by running each one's copy of this file in turn.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # webload, after the packages it would shadow

from slack_sdk import WebClient
from sqlalchemy import event, insert, select
from webload import seed

from bot.features.home_tab import home
from bot.services import Services
from progressbot.config import Settings
from storage.db import create_db_engine, make_session_factory
from storage.models import Action, Role, Update

START = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)


def add_history(url: str, updates_per_action: int) -> None:
    """Most actions get ``updates_per_action`` updates (a RAG on every other one; the last has text);
    every seventh action has none. A board member to time the panel with."""
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        ids = list(s.scalars(select(Action.id).order_by(Action.position)))
        rows = [
            {
                "action_id": a,
                "rag": ("Red", "Amber", "Green")[(i + k) % 3] if k % 2 == 0 else None,
                "text": f"Progress note {k} on action {a}." if k % 3 != 1 else "",
                "source": "slack",
                "author_text": "bench",
                "submitted_at": START + dt.timedelta(days=7 * k, minutes=i),
            }
            for i, a in enumerate(ids)
            if i % 7
            for k in range(updates_per_action)
        ]
        s.execute(insert(Update), rows)
        s.add(Role(slack_user_id="U0BOARD", role="board"))
    engine.dispose()


def measure(
    services: Services, uids: list[str], renders: int, counter: list[int]
) -> tuple[float, float, float]:
    """(CPU ms, wall ms, statements) per render over ``renders`` renders cycling through ``uids``."""
    counter[0] = 0
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    for n in range(renders):
        home(services, uids[n % len(uids)])
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    return 1000 * cpu / renders, 1000 * wall / renders, counter[0] / renders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--actions-per-lead", type=int, default=3)
    parser.add_argument("--updates", type=int, default=6, help="updates per action (most actions)")
    parser.add_argument("--renders", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'home.db')}"
        targets = seed(url, leads=args.leads, actions_per_lead=args.actions_per_lead)
        add_history(url, args.updates)
        uids = sorted({t.lead for t in targets})
        engine = create_db_engine(url)
        counter = [0]

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_args) -> None:
            counter[0] += 1

        settings = Settings(
            database_url=url, slack_bot_token="xoxb-bench", slack_signing_secret="x", timezone="Europe/London"
        )
        services = Services(
            settings=settings,
            session_factory=make_session_factory(engine),
            client=WebClient(token="xoxb-bench"),
            clock=lambda: START + dt.timedelta(days=60),
        )
        measure(services, uids, min(50, args.renders), counter)  # warm caches (statements, schemes)
        lead, board = [], []
        for _ in range(args.rounds):
            lead.append(measure(services, uids, args.renders, counter))
            board.append(measure(services, ["U0BOARD"], 3, counter))
        services.executor.shutdown(wait=False)
        engine.dispose()
    load = os.getloadavg()[0]
    print(f"{len(uids)} leads x {args.actions_per_lead} actions, {args.rounds} rounds (load {load:.1f})")
    for name, rows in (("lead Home render", lead), ("board Home render", board)):
        cpu = [r[0] for r in rows]
        print(
            f"{name}: CPU {statistics.median(cpu):.2f} ms (range {min(cpu):.2f}-{max(cpu):.2f}), "
            f"wall {statistics.median(r[1] for r in rows):.2f} ms, {rows[0][2]:.1f} statements"
        )


if __name__ == "__main__":
    main()
