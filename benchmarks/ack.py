"""Acknowledgement latency and throughput of ``progressbot web`` against a no-op Bolt app, side by side.

For each database (a fresh SQLite file, and PostgreSQL when ``--postgres URL`` is given) it starts the
fake Slack Web API, ``progressbot web`` and a no-op Bolt app (same server, same verified edge, same
Bolt settings; its listener only calls ack()), each in its own process. Then, for ``--rounds`` rounds
and alternating which goes first, it sends ``--requests`` signed ``view_submission`` requests from
``--concurrency`` clients to each. Every progressbot request is a distinct modal, so each stores an
update, committed before its acknowledgement. After each progressbot round it waits until the outbox
is empty (confirmations and Home refreshes sent), so no round shares the machine with the last one's
Slack work.

It prints, per app: p50/p95/p99/max acknowledgement latency and throughput, over all rounds and the
range across rounds; and for progressbot: whether every acknowledged update is in the database, and
the time from each acknowledgement to its confirmation DM reaching Slack (the outbox), with the time
until the last one arrived after the round's last acknowledgement.

Targets (issue 9): p99 <= 100 ms and throughput >= 80% of the no-op app, on SQLite and PostgreSQL.

    python benchmarks/ack.py [--requests 1000] [--rounds 5] [--concurrency 20] [--postgres URL] [--json]
                             [--gunicorn [--workers 2] [--threads 4]]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import webload
from webload import (
    Sent,
    confirmations,
    outbox_rows,
    percentile,
    seed,
    send,
    shape_arguments,
    start_noop,
    start_web,
    stop,
    stored_labels,
    submission,
    target_for,
)

P99_TARGET_MS = 100.0
THROUGHPUT_TARGET = 0.80


def burst(url: str, requests: list[tuple[str, object]], concurrency: int) -> tuple[list[Sent], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        sent = list(pool.map(lambda item: send(url, item[0], item[1]), requests))
    return sent, time.perf_counter() - started


def summarise(rounds: list[tuple[list[Sent], float]]) -> dict:
    latencies = [s.latency * 1000 for sent, _ in rounds for s in sent]
    per_round = [len(sent) / elapsed for sent, elapsed in rounds]
    p99s = [percentile([s.latency * 1000 for s in sent], 99) for sent, _ in rounds]
    return {
        "requests": len(latencies),
        "failures": sum(1 for sent, _ in rounds for s in sent if s.acked is None),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "p99_per_round_ms": [round(p, 1) for p in p99s],
        "throughput_rps": round(sum(len(s) for s, _ in rounds) / sum(e for _, e in rounds), 1),
        "throughput_per_round": [round(t, 1) for t in per_round],
    }


def wait_for_outbox(
    fake_url: str, database_url: str, labels: set[str], timeout: float = 300
) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        confirmed = confirmations(fake_url)
        if labels <= confirmed.keys() or time.monotonic() > deadline:
            return confirmed
        time.sleep(0.2)


def wait_for_quiet(database_url: str, timeout: float = 120) -> None:
    """Wait until the outbox is empty: the Home refreshes queued behind the confirmations are done.

    Otherwise the next round (either app's) would share the CPUs with the last round's Slack work, and
    measure that instead of its own burst.
    """
    deadline = time.monotonic() + timeout
    while outbox_rows(database_url) and time.monotonic() < deadline:
        time.sleep(0.2)


def run_database(database_url: str, args: argparse.Namespace) -> dict:
    targets = seed(database_url, fresh=True, leads=args.leads, actions_per_lead=args.actions_per_lead)
    server = (args.workers, args.threads) if args.gunicorn else None
    with webload.fake_slack() as fake_url:
        bot, bot_url = start_web(fake_url, database_url, gunicorn=server)
        noop, noop_url = start_noop(fake_url, gunicorn=server)
        try:
            for n in range(5):  # warm-up: first-request work (auth.test, imports, pools)
                send(noop_url, f"WN{n}", submission(target_for(targets, n), f"WN{n}"))
                send(bot_url, f"WP{n}", submission(target_for(targets, n), f"WP{n}"))
            results: dict[str, list] = {"noop": [], "progressbot": []}
            outbox_delays: list[float] = []
            drain_after_last_ack: list[float] = []
            acked_labels: set[str] = set()
            for r in range(args.rounds):
                order = ["noop", "progressbot"] if r % 2 == 0 else ["progressbot", "noop"]
                for name in order:
                    url = noop_url if name == "noop" else bot_url
                    labels = [f"R{r}{name[0].upper()}{n:06d}" for n in range(args.requests)]
                    sent, elapsed = burst(
                        url,
                        [(lab, submission(target_for(targets, k), lab)) for k, lab in enumerate(labels)],
                        args.concurrency,
                    )
                    results[name].append((sent, elapsed))
                    if name == "progressbot":
                        acked = {s.label: s.acked for s in sent if s.acked is not None}
                        acked_labels |= acked.keys()
                        confirmed = wait_for_outbox(fake_url, database_url, set(acked))
                        outbox_delays += [
                            confirmed[lab] - at for lab, at in acked.items() if lab in confirmed
                        ]
                        last_ack = max(acked.values(), default=time.monotonic())
                        last_confirmation = max((confirmed.get(lab, 0.0) for lab in acked), default=last_ack)
                        drain_after_last_ack.append(last_confirmation - last_ack)
                        wait_for_quiet(database_url)
            stored = stored_labels(database_url)
            confirmed = confirmations(fake_url)
        finally:
            stop(bot)
            stop(noop)
    p, n = summarise(results["progressbot"]), summarise(results["noop"])
    return {
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "server": f"gunicorn --workers {args.workers} --threads {args.threads}"
        if args.gunicorn
        else "progressbot web",
        "progressbot": p,
        "noop": n,
        "throughput_ratio": round(p["throughput_rps"] / n["throughput_rps"], 3),
        "acknowledged": len(acked_labels),
        "acknowledged_and_stored": len(acked_labels & stored),
        "acknowledged_and_confirmed": len(acked_labels & confirmed.keys()),
        "confirmation_after_ack_ms": {
            "p50": round(percentile(outbox_delays, 50) * 1000, 1),
            "p99": round(percentile(outbox_delays, 99) * 1000, 1),
            "max": round(max(outbox_delays, default=0) * 1000, 1),
        },
        "last_confirmation_after_last_ack_s": [round(d, 2) for d in drain_after_last_ack],
        "targets": {
            "p99_at_most_100ms": p["p99_ms"] <= P99_TARGET_MS,
            "throughput_at_least_80pct_of_noop": p["throughput_rps"]
            >= THROUGHPUT_TARGET * n["throughput_rps"],
            "every_acknowledged_update_stored": acked_labels <= stored,
        },
    }


def print_result(result: dict, args: argparse.Namespace) -> None:
    print(
        f"\n{result['database']}, {result['server']}: {args.rounds} rounds x {args.requests} signed view "
        f"submissions per app, {args.concurrency} concurrent clients, alternating order, "
        f"{args.leads} leads x {args.actions_per_lead} actions, "
        f"python {sys.version.split()[0]}"
    )
    print(
        f"{'':12} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'req/s':>8} {'failed':>7}  per round (p99 ms; req/s)"
    )
    for name in ("progressbot", "noop"):
        r = result[name]
        print(
            f"{name:12} {r['p50_ms']:>6.1f}ms {r['p95_ms']:>6.1f}ms {r['p99_ms']:>6.1f}ms {r['max_ms']:>6.1f}ms "
            f"{r['throughput_rps']:>8.1f} {r['failures']:>7}  {r['p99_per_round_ms']}; {r['throughput_per_round']}"
        )
    c = result["confirmation_after_ack_ms"]
    print(f"throughput progressbot / noop: {result['throughput_ratio']:.0%}")
    print(
        f"acknowledged {result['acknowledged']}, of which stored {result['acknowledged_and_stored']} and "
        f"confirmed by DM {result['acknowledged_and_confirmed']}"
    )
    print(
        f"confirmation DM after its ack: p50 {c['p50']} ms, p99 {c['p99']} ms, max {c['max']} ms; "
        f"last DM after the last ack of each round: {result['last_confirmation_after_last_ack_s']} s"
    )
    for target, met in result["targets"].items():
        print(f"target {target}: {'met' if met else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="per round, per app")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--postgres", metavar="URL", help="also run on this PostgreSQL database (it is emptied)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument(
        "--gunicorn", action="store_true", help="both apps under gunicorn (the Procfile's server) instead"
    )
    parser.add_argument("--workers", type=int, default=2, help="with --gunicorn (the Procfile's default)")
    parser.add_argument("--threads", type=int, default=4, help="with --gunicorn (the Procfile's default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    shape_arguments(parser)
    args = parser.parse_args()
    urls = []
    tmp = tempfile.TemporaryDirectory()
    if not args.no_sqlite:
        urls.append(f"sqlite:///{tmp.name}/bench.db")
    if args.postgres:
        urls.append(args.postgres)
    results = [run_database(url, args) for url in urls]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for result in results:
        print_result(result, args)


if __name__ == "__main__":
    main()
