"""kill -9 of ``progressbot web`` at random moments of a burst: is every acknowledged update stored?

Each round starts ``progressbot web``, sends a burst of signed modal submissions from ``--concurrency``
clients, and kills the process with SIGKILL once a random number of them have been acknowledged
(no handler runs, nothing is drained). It then checks the database for every acknowledged update, and
starts a new process to see the confirmations the dead one owed sent (its claims on outbox rows are
released at start-up). The same check runs as a test (tests/test_web_process.py).

    python benchmarks/kill9.py [--rounds 5] [--burst 1000] [--concurrency 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import webload
from webload import Target, confirmations, seed, send, start_web, stop, stored_labels, submission, target_for


def one_round(
    database_url: str, fake_url: str, targets: list[Target], r: int, args: argparse.Namespace
) -> dict:
    web, url = start_web(fake_url, database_url)
    kill_at = random.randint(args.burst // 20, args.burst // 2)
    acked: set[str] = set()
    lock = threading.Lock()

    def client(n: int) -> None:
        label = f"K{r}x{n:05d}"
        result = send(url, label, submission(target_for(targets, n), label), timeout=10)
        if result.acked is not None:
            with lock:
                acked.add(label)

    with ThreadPoolExecutor(args.concurrency) as pool:
        futures = [pool.submit(client, n) for n in range(args.burst)]
        while len(acked) < kill_at and not all(f.done() for f in futures):
            time.sleep(0.001)
        web.kill()
        killed_after = len(acked)
    web.wait()
    stored = stored_labels(database_url)
    restarted_at = time.monotonic()
    web, _ = start_web(fake_url, database_url)
    deadline = time.monotonic() + 120
    confirmed = confirmations(fake_url)
    while not acked <= confirmed.keys() and time.monotonic() < deadline:
        time.sleep(0.2)
        confirmed = confirmations(fake_url)
    drained = time.monotonic() - restarted_at
    stop(web)
    return {
        "killed_after_acks": killed_after,
        "acknowledged": len(acked),
        "lost": len(acked - stored),
        "confirmed_after_restart": len(acked & confirmed.keys()),
        "restart_drained_s": round(drained, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite:///{tmp.name}/kill9.db"
    targets = seed(database_url, fresh=True)
    print(
        f"{'round':>5} {'killed after':>13} {'acknowledged':>13} {'lost':>5} {'confirmed later':>16} {'drained in':>11}"
    )
    lost = 0
    with webload.fake_slack() as fake_url:
        for r in range(args.rounds):
            result = one_round(database_url, fake_url, targets, r, args)
            lost += result["lost"]
            print(
                f"{r + 1:>5} {result['killed_after_acks']:>13} {result['acknowledged']:>13} {result['lost']:>5} "
                f"{result['confirmed_after_restart']:>16} {result['restart_drained_s']:>10}s"
            )
    print(f"acknowledged updates lost: {lost} ({'target met' if lost == 0 else 'TARGET MISSED'})")


if __name__ == "__main__":
    main()
