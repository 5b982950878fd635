"""Stopping the long-running processes (``web``, ``run``, ``worker``) cleanly on SIGTERM as on Ctrl-C.

Platforms that run a Procfile (and systemd, Docker, Kubernetes) stop a process with SIGTERM, then
SIGKILL after a grace period (30 s on Heroku). Python's default for SIGTERM is to die at once; under
``StopSignal`` both SIGTERM and Ctrl-C only ask to stop, and each command then does the same orderly
stop: stop taking new work, finish what was acknowledged (up to ``PROGRESSBOT_SHUTDOWN_TIMEOUT``),
shut the scheduler down, exit 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class StopSignal:
    """SIGTERM and SIGINT (Ctrl-C) ask the process to stop; the main thread waits for that.

    The handler only records the signal: that is all a signal handler can do safely (raising
    KeyboardInterrupt lands wherever the main thread happens to be, and APScheduler, for one, catches
    BaseException while it submits a job). A second signal while stopping changes nothing.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum

    def wait(self, poll: float = 0.2) -> str:
        """Block until a stop signal arrives; its name."""
        while self.received is None:
            time.sleep(poll)
        return signal.Signals(self.received).name


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
