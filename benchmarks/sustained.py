"""A sustained load on ``progressbot web``: R signed modal submissions a second for S seconds, open loop.

Requests are sent on a fixed schedule (not when the previous answer arrives), so a slow server is
not given a rest. Each stores an update, committed before its acknowledgement; each owes a
confirmation DM through the outbox. It reports whether every acknowledged update was stored, the
acknowledgement latency, and for each update the time from its acknowledgement to its confirmation
reaching (the fake) Slack.

Target (issue 9): 100 submissions a second for 30 s on PostgreSQL, every one stored, none waiting more
than 2 s after its acknowledgement for its confirmation.

    python benchmarks/sustained.py --database-url postgresql+psycopg://… [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import webload
from webload import (
    Sent,
    confirmations,
    percentile,
    seed,
    send,
    shape_arguments,
    start_web,
    stop,
    stored_labels,
    submission,
    target_for,
)

CONFIRMATION_TARGET_S = 2.0


def run(database_url: str, rate: float, seconds: float, leads: int, actions_per_lead: int) -> dict:
    targets = seed(database_url, fresh=True, leads=leads, actions_per_lead=actions_per_lead)
    with webload.fake_slack() as fake_url:
        web, url = start_web(fake_url, database_url)
        try:
            for n in range(5):
                send(url, f"W{n}", submission(target_for(targets, n), f"W{n}"))
            total = int(rate * seconds)
            sent: list[Sent] = []
            lock = threading.Lock()
            behind = []
            with ThreadPoolExecutor(max_workers=128) as pool:
                started = time.monotonic()
                for n in range(total):
                    due = started + n / rate
                    lag = due - time.monotonic()
                    if lag > 0:
                        time.sleep(lag)  # the open-loop schedule, not a measurement
                    else:
                        behind.append(-lag)
                    label, target = f"S{n:06d}", target_for(targets, n)

                    def one(label: str = label, target: webload.Target = target) -> None:
                        result = send(url, label, submission(target, label))
                        with lock:
                            sent.append(result)

                    pool.submit(one)
            send_seconds = time.monotonic() - started
            acked = {s.label: s.acked for s in sent if s.acked is not None}
            deadline = time.monotonic() + 120
            confirmed = confirmations(fake_url)
            while not acked.keys() <= confirmed.keys() and time.monotonic() < deadline:
                time.sleep(0.2)
                confirmed = confirmations(fake_url)
            stored = stored_labels(database_url)
        finally:
            stop(web)
    delays = [confirmed[label] - at for label, at in acked.items() if label in confirmed]
    latencies = [s.latency * 1000 for s in sent]
    return {
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "rate": rate,
        "seconds": seconds,
        "sent": len(sent),
        "offered_rate": round(len(sent) / send_seconds, 1),
        "client_fell_behind_by_ms_max": round(max(behind, default=0) * 1000, 1),
        "acknowledged": len(acked),
        "acknowledged_and_stored": len(acked.keys() & stored),
        "confirmed": len(acked.keys() & confirmed.keys()),
        "ack_ms": {
            p: round(percentile(latencies, q), 1) for p, q in (("p50", 50), ("p99", 99), ("max", 100))
        },
        "confirmation_after_ack_s": {
            p: round(percentile(delays, q), 3) for p, q in (("p50", 50), ("p99", 99), ("max", 100))
        },
        "targets": {
            "every_one_stored": len(acked) == len(sent) and acked.keys() <= stored,
            "every_confirmation_within_2s": bool(delays)
            and len(delays) == len(acked)
            and max(delays) <= CONFIRMATION_TARGET_S,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a fresh SQLite file (the target is for PostgreSQL)")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--json", action="store_true")
    shape_arguments(parser)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    result = run(
        args.database_url or f"sqlite:///{tmp.name}/sustained.db",
        args.rate,
        args.seconds,
        args.leads,
        args.actions_per_lead,
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['database']}: {args.rate:g} submissions/s for {args.seconds:g} s "
        f"(offered {result['offered_rate']}/s), python {sys.version.split()[0]}"
    )
    print(
        f"sent {result['sent']}, acknowledged {result['acknowledged']}, of which stored "
        f"{result['acknowledged_and_stored']} and confirmed by DM {result['confirmed']}"
    )
    a, c = result["ack_ms"], result["confirmation_after_ack_s"]
    print(f"acknowledgement: p50 {a['p50']} ms, p99 {a['p99']} ms, max {a['max']} ms")
    print(f"confirmation DM after its acknowledgement: p50 {c['p50']} s, p99 {c['p99']} s, max {c['max']} s")
    for target, met in result["targets"].items():
        print(f"target {target}: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
