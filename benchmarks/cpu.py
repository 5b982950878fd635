"""CPU per submission, by thread, in ``progressbot web`` and in the no-op Bolt app (``benchmarks/ack.py``'s
pair), read from ``/proc`` (Linux only): CPU time, not wall time, so a busy machine barely moves it.

Both servers run as in ``ack.py`` (their own processes, the fake Slack in a third), but started through
this script's ``--serve`` mode, which gives every Python thread its name in the kernel (``prctl``) so
``/proc/PID/task/*/comm`` tells them apart. Request threads (one per connection) are gone by the time
they are read: their CPU is the process's total (which keeps exited threads' time) minus the threads
still alive. Per app it sends ``--requests`` signed submissions from ``--concurrency`` clients, waits
until progressbot's outbox has sent every confirmation, and prints the CPU of each kind of thread
divided by the number of submissions.

    python benchmarks/cpu.py [--requests 2000] [--concurrency 20] [--database-url URL] [--json]
    python benchmarks/cpu.py --yappi web ...     # also profile progressbot's burst (yappi, CPU clock)
    python benchmarks/cpu.py --profile web ...   # or sample it with py-spy (collapsed stacks)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import webload
from ack import burst, wait_for_outbox
from webload import ROOT, Target, seed, shape_arguments, stop, submission, target_for

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# Kinds of thread, by the start of their name (as the kernel keeps it: 15 characters).
KINDS = (
    ("group-commit", "group-commit writer"),
    ("outbox-drainer", "outbox drainer"),
    ("outbox", "outbox senders"),
    ("slack-after-ack", "after-ack pool"),
    ("read-deadlines", "read deadlines"),
    ("http-server", "accept loop"),
)


def _name_threads() -> None:
    """Make every Python thread started from now on carry its name into the kernel."""
    import ctypes
    import threading

    libc = ctypes.CDLL(None, use_errno=True)
    original = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

    def named(self) -> None:
        libc.prctl(15, self.name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
        original(self)

    threading.Thread._bootstrap_inner = named  # type: ignore[attr-defined]


def _yappi_on_signals(path: str) -> None:
    """SIGUSR1 starts yappi (CPU clock, every thread); SIGUSR2 stops it and writes its stats to ``path``."""
    import signal

    import yappi

    yappi.set_clock_type("cpu")

    def start(*_: object) -> None:
        yappi.clear_stats()
        yappi.start(builtins=True)

    def dump(*_: object) -> None:
        yappi.stop()
        yappi.get_func_stats().save(path, type="pstat")

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, dump)


def serve(which: str) -> None:
    _name_threads()
    if os.environ.get("CPU_YAPPI"):
        _yappi_on_signals(os.environ["CPU_YAPPI"])
    if which == "noop":
        sys.argv = [str(ROOT / "benchmarks" / "noop_app.py")]
        import runpy

        runpy.run_path(sys.argv[0], run_name="__main__")
        return
    # As the ``progressbot`` command runs: the repository first, not this folder (its report.py would
    # hide the report package).
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT), *(p for p in sys.path if p and Path(p).resolve() != here)]
    from progressbot.cli import main

    sys.argv = ["progressbot", "web", "--host", "127.0.0.1", "--port", "0"]
    main()


def _stat(path: str) -> tuple[str, float]:
    with open(path) as f:
        raw = f.read()
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return name, (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def cpu_by_kind(pid: int) -> dict[str, float]:
    """Seconds of CPU per kind of thread; ``request threads`` is what no live thread accounts for."""
    _, total = _stat(f"/proc/{pid}/stat")
    kinds: dict[str, float] = defaultdict(float)
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            name, cpu = _stat(f"/proc/{pid}/task/{task}/stat")
        except OSError:  # exited meanwhile
            continue
        if task == str(pid):
            kinds["main"] += cpu
            continue
        kind = next((label for prefix, label in KINDS if name.startswith(prefix)), None)
        kinds[kind or "other live threads"] += cpu
    kinds["request threads"] = total - sum(kinds.values())
    kinds["process total"] = total
    return dict(kinds)


def start(which: str, fake_url: str, database_url: str, yappi: str | None = None):
    env = webload.web_env(fake_url, database_url)
    if which == "noop":
        env = {**os.environ, "SLACK_SIGNING_SECRET": webload.SECRET, "SLACK_API_URL": fake_url}
    if yappi:
        env["CPU_YAPPI"] = yappi
    return webload.start([sys.executable, __file__, "--serve", which], env)


def measure(which: str, args: argparse.Namespace, fake_url: str, targets: list[Target]) -> dict:
    yappi_out = f"{tempfile.gettempdir()}/cpu-{which}.pstat" if args.yappi == which else None
    proc, url = start(which, fake_url, args.database_url, yappi_out)
    profiler = None
    try:
        for n in range(20):  # warm-up: imports, pools, compiled statements
            webload.send(url, f"W{which[0]}{n}", submission(target_for(targets, n), f"W{which[0]}{n}"))
        if which == "web":
            wait_for_outbox(fake_url, args.database_url, {f"W{which[0]}{n}" for n in range(20)})
        time.sleep(0.5)
        if args.profile == which:
            import subprocess

            out = f"{tempfile.gettempdir()}/cpu-{which}.{args.profile_format}"
            profiler = subprocess.Popen(
                ["py-spy", "record", "--pid", str(proc.pid), "--threads", "--rate", "250",
                 "--format", args.profile_format, "--output", out],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)
        if yappi_out:
            os.kill(proc.pid, 10)  # SIGUSR1
            time.sleep(0.5)
        before = cpu_by_kind(proc.pid)
        labels = [f"C{which[0]}{n:06d}" for n in range(args.requests)]
        sent, elapsed = burst(
            url,
            [(lab, submission(target_for(targets, k), lab)) for k, lab in enumerate(labels)],
            args.concurrency,
        )
        during = cpu_by_kind(proc.pid)
        if which == "web":
            wait_for_outbox(fake_url, args.database_url, {s.label for s in sent if s.acked is not None})
        time.sleep(0.3)
        after = cpu_by_kind(proc.pid)
        if yappi_out:
            os.kill(proc.pid, 12)  # SIGUSR2
            for _ in range(600):
                if os.path.exists(yappi_out) and time.time() - os.path.getmtime(yappi_out) > 2:
                    break
                time.sleep(0.1)
            print(f"yappi profile of {which} (pstats, CPU clock): {yappi_out}", file=sys.stderr)
        if profiler is not None:
            profiler.send_signal(2)
            profiler.wait(timeout=60)
            print(f"profile of {which}: {out}", file=sys.stderr)
    finally:
        stop(proc)
    failed = sum(1 for s in sent if s.acked is None)
    n = len(sent)

    def per(a: dict, b: dict) -> dict[str, float]:
        return {k: round((b.get(k, 0) - a.get(k, 0)) / n * 1000, 3) for k in sorted(b, key=lambda k: -b[k])}

    return {
        "app": which,
        "requests": n,
        "failed": failed,
        "req_per_s": round(n / elapsed, 1),
        "cpu_ms_per_request_during_burst": per(before, during),
        "cpu_ms_per_request_until_confirmed": per(before, after),
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", help="default: a fresh SQLite file (a PostgreSQL one is emptied)")
    parser.add_argument("--apps", default="web,noop", help="comma-separated: web, noop")
    parser.add_argument("--profile", choices=("web", "noop"), help="sample this app with py-spy")
    parser.add_argument("--yappi", choices=("web", "noop"), help="profile this app with yappi (CPU clock)")
    parser.add_argument("--profile-format", default="raw", choices=("raw", "flamegraph", "speedscope"))
    parser.add_argument("--json", action="store_true")
    shape_arguments(parser)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    args.database_url = args.database_url or f"sqlite:///{tmp.name}/cpu.db"
    targets = seed(args.database_url, fresh=True, leads=args.leads, actions_per_lead=args.actions_per_lead)
    results = []
    with webload.fake_slack() as fake_url:
        for which in args.apps.split(","):
            results.append(measure(which, args, fake_url, targets))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    db = re.sub(r"//[^@/]*@", "//", args.database_url.split("?")[0]).split(":")[0]
    print(f"{db}; {args.concurrency} clients; load average {load}; CPU ms per request")
    for r in results:
        print(f"\n{r['app']}: {r['requests']} requests, {r['failed']} failed, {r['req_per_s']} req/s")
        during, until = r["cpu_ms_per_request_during_burst"], r["cpu_ms_per_request_until_confirmed"]
        print(f"  {'thread':24} {'burst':>7} {'+drain':>7}")
        for kind in until:
            print(f"  {kind:24} {during.get(kind, 0):7.3f} {until[kind]:7.3f}")


if __name__ == "__main__":
    main()
