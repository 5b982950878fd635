"""Stopping the long-running processes (``web``, ``run``, ``worker``) cleanly on SIGTERM as on Ctrl-C.

Platforms that run a Procfile (and systemd, Docker, Kubernetes) stop a process with SIGTERM, then
SIGKILL after a grace period (30 s on Heroku). Python's default for SIGTERM is to die at once, so
``sigterm_as_interrupt`` turns it into the KeyboardInterrupt that Ctrl-C raises, and each command's
``except KeyboardInterrupt`` does the same orderly stop for both: stop taking new work, finish what
was acknowledged (up to ``PROGRESSBOT_SHUTDOWN_TIMEOUT``), shut the scheduler down, exit 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt in the main thread (as SIGINT does)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def ignoring_interrupts() -> Iterator[None]:
    """While stopping: a second Ctrl-C or SIGTERM does not cut the orderly stop short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def within(timeout: float, step: Callable[[], object], what: str) -> bool:
    """Run ``step`` in a thread and give it ``timeout`` seconds; False (logged) if it is still running."""
    done = threading.Event()

    def run() -> None:
        try:
            step()
        finally:
            done.set()

    threading.Thread(target=run, name=f"stopping-{what}", daemon=True).start()
    if done.wait(max(0.0, timeout)):
        return True
    log.warning("%s did not finish within %.0f s", what, timeout)
    return False


class Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())


def exit_now(code: int = 0) -> None:
    """Exit even though a non-daemon thread (a job still running past the timeout) would keep us alive.

    The work it was doing is safe to cut: every pass resumes from the database on the next start.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
