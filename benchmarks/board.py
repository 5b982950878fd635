"""Benchmark the board cycle: what the round adds to a reminder pass, and publishing the pack.

    python benchmarks/board.py [--actions 1000] [--leads 200] [--updates 20] [--rounds 5]

Builds a plan of N actions (each with one of L Slack-linked leads and U updates) in a temporary SQLite
file, with a board meeting whose call is due. Then, alternating the order over several rounds:

- planning a pass without the board round (``plan_reminders``) and with it (``plan_board_round`` too),
  on the call day at 10:00, so the difference is what the board cycle costs each pass;
- the call itself: one real pass (ledger, one DM per lead) against the fake Slack server, unpaced;
- the publication: compiling the pack as at the cut-off, rendering the DOCX and queuing deliveries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from jobs.board import plan_board_round
from jobs.board_publish import publish_pack
from jobs.planner import PlannerConfig, plan_reminders
from jobs.reminders import run_reminder_pass
from jobs.sender import Pacer, Sender
from jobs.state import load_snapshot
from storage.db import create_db_engine, make_session_factory, upgrade
from storage.meetings import add_meeting
from storage.models import Action, ActionLead, Meeting, Person, Plan, RagState, Update

BRAG = (
    ("Red", "#FF0000", False),
    ("Amber", "#FFC000", False),
    ("Green", "#00B050", False),
    ("Blue", "#0070C0", True),
)
CALL = dt.datetime(2027, 3, 19, 10, tzinfo=dt.UTC)  # the call day of a meeting on Tuesday 6 April 2027
AFTER = dt.datetime(2027, 3, 31, 0, 10, tzinfo=dt.UTC)


def build(url: str, n_actions: int, n_leads: int, n_updates: int) -> None:
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        plan = Plan(name="bench", title="Benchmark plan", board_channel="C0BOARD")
        s.add(plan)
        s.flush()
        for rank, (label, colour, complete) in enumerate(BRAG):
            s.add(RagState(plan_id=plan.id, label=label, rank=rank, colour=colour, is_complete=complete))
        people = [Person(display_name=f"Lead {i}", slack_user_id=f"UL{i:05d}") for i in range(n_leads)]
        s.add_all(people)
        s.flush()
        s.execute(
            insert(Action),
            [
                {
                    "plan_id": plan.id,
                    "ref": f"A{i}",
                    "position": i,
                    "title": f"Action {i}",
                    "schedule": "unknown",
                }
                for i in range(n_actions)
            ],
        )
        ids = list(s.scalars(select(Action.id).order_by(Action.position)))
        s.execute(
            insert(ActionLead),
            [{"action_id": a, "person_id": people[i % n_leads].id, "position": 0} for i, a in enumerate(ids)],
        )
        start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
        s.execute(
            insert(Update),
            [
                {
                    "action_id": a,
                    "rag": BRAG[(i + k) % 3][0],
                    "text": "Progress this period",
                    "source": "slack",
                    "submitted_at": start + dt.timedelta(days=7 * k, minutes=i),
                }
                for i, a in enumerate(ids)
                for k in range(n_updates)
            ],
        )
        add_meeting(
            s, plan, dt.date(2027, 4, 6), cutoff=dt.date(2027, 3, 30), today=dt.date(2027, 3, 1), now=start
        )
    engine.dispose()


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = PlannerConfig()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        build(url, args.actions, args.leads, args.updates)
        engine = create_db_engine(url)
        factory = make_session_factory(engine)
        without, with_board = [], []

        def reminders_only() -> None:
            with factory() as s:
                snapshot = load_snapshot(s, CALL)  # as the pass does: one snapshot for every planner
                plan_reminders(s, CALL, config=config, snapshot=snapshot)

        def with_round() -> None:
            with factory() as s:
                snapshot = load_snapshot(s, CALL)
                plan_reminders(s, CALL, config=config, snapshot=snapshot)
                plan_board_round(s, CALL, config=config, snapshot=snapshot)

        for n in range(args.rounds):  # alternate the order, so neither always runs on a warm cache
            pair = [(without, reminders_only), (with_board, with_round)]
            for bucket, fn in pair if n % 2 == 0 else reversed(pair):
                bucket.append(timed(fn))
        print(
            f"{args.actions} actions, {args.leads} leads, {args.actions * args.updates:,} updates (SQLite, {args.rounds} rounds)"
        )
        print(f"  plan a pass, reminders only:      median {statistics.median(without) * 1000:7.1f} ms")
        print(f"  plan a pass, with the board round: median {statistics.median(with_board) * 1000:7.1f} ms")

        from slack_sdk import WebClient

        from tests.support.fakeslack import FakeSlack

        with FakeSlack() as fake:
            client = WebClient(token="xoxb-bench", base_url=fake.url)
            sender = Sender(client, pacer=Pacer(0), sleep=lambda _s: None)
            fake.clock = CALL.timestamp
            began = time.perf_counter()
            result = run_reminder_pass(factory, client, CALL, sender=sender)
            call = time.perf_counter() - began
            print(f"  the call: one pass, {result.sent} DMs to the fake Slack (unpaced): {call:.2f} s")
            with factory() as s:
                meeting_id = s.scalars(select(Meeting.id)).one()
            began = time.perf_counter()
            published = publish_pack(factory, meeting_id, AFTER, config=config)
            publish = time.perf_counter() - began
            with factory() as s:
                size = len(s.get(Meeting, meeting_id).pack_docx or b"")
            print(
                f"  publish the pack (compile as at the cut-off, DOCX, queue): {publish:.2f} s, {size // 1024} KB"
            )
            assert published is not None
        engine.dispose()


if __name__ == "__main__":
    main()
