"""The outbox sender of ``progressbot web``: a child process that does the Slack work updates owe.

Why a process: a confirmation DM costs about as much CPU (slack_sdk over urllib, a connection per
call) as acknowledging the submission that owes it. In the web process, under a burst, every DM sent
is CPU taken from the acknowledgements, on the one interpreter lock. In a process of its own it runs
on another core, and the web process only answers Slack and commits.

Nothing changes about what is owed or how it is done: the web process commits outbox rows with each
update; this process runs the same ``bot.outbox.Drainer`` (claims are conditional and leased, so
it never doubles the worker's drain or another web process's). The web process wakes it through a
pipe, a byte per response that owed something; it also looks every ``SWEEP_SECONDS``.

When the pipe closes (the web process stopped, or was killed with ``kill -9``), the sender finishes
what is due, within the shutdown timeout, and exits. SIGINT is left to the web process (Ctrl-C reaches
the whole process group); SIGTERM stops it like the pipe closing.

Run by ``progressbot web`` (``SenderProcess``); gunicorn's workers drain in process, as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)


class SenderProcess:
    """The web process's handle on its sender: ``kick`` (something was owed), ``stop``.

    Stands in for ``Services.drainer``: the web process calls the same two methods.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> SenderProcess:
        env = {**os.environ, "DATABASE_URL": self.database_url}
        self._proc = subprocess.Popen([sys.executable, "-m", "bot.sender"], stdin=subprocess.PIPE, env=env)
        assert self._proc.stdin is not None
        os.set_blocking(self._proc.stdin.fileno(), False)
        return self

    def kick(self) -> None:
        proc = self._proc
        if proc is None or self._stopped:
            return
        try:
            os.write(proc.stdin.fileno(), b".")  # type: ignore[union-attr]
        except BlockingIOError:  # the pipe is full of kicks: it is awake
            pass
        except (BrokenPipeError, ValueError, OSError):
            self._restart()

    def _restart(self) -> None:
        """The sender died (it never should): start another; the outbox kept everything."""
        with self._lock:
            if self._stopped or (self._proc is not None and self._proc.poll() is None):
                return
            log.error(
                "the outbox sender stopped (exit %s); starting it again", self._proc and self._proc.returncode
            )
            self.start()

    def stop(self, timeout: float) -> bool:
        """Close the pipe: the sender finishes what is due and exits. True if it did within ``timeout``."""
        self._stopped = True
        proc = self._proc
        if proc is None:
            return True
        with contextlib.suppress(OSError):
            proc.stdin.close()  # type: ignore[union-attr]
        try:
            return proc.wait(timeout=timeout) == 0
        except subprocess.TimeoutExpired:
            log.warning("the outbox sender is still finishing; it exits when done")
            return False


class _Stop(Exception):
    pass


def _on_term(signum, frame) -> None:
    raise _Stop


def main() -> None:
    from bot.outbox import Drainer
    from bot.services import Services
    from bot.slack_client import make_client
    from progressbot.config import Settings
    from storage.db import open_database

    settings = Settings.from_env()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    from bot.logs import install_redaction

    install_redaction(settings)
    _engine, factory = open_database(settings.database_url, migrate=False)
    services = Services(settings=settings, session_factory=factory, client=make_client(settings))
    drainer = Drainer(services)
    services.drainer = drainer
    drainer.start()
    try:
        while os.read(0, 4096):
            drainer.kick()
    except _Stop:
        pass
    started = time.monotonic()
    finished = drainer.stop(settings.shutdown_timeout)
    services.executor.shutdown(wait=False, cancel_futures=True)
    log.info(
        "outbox sender stopped in %.1f s%s", time.monotonic() - started, "" if finished else " (work left)"
    )
    sys.exit(0 if finished else 1)


if __name__ == "__main__":
    main()
