"""An after-ack executor the tests can wait on: "all the work queued after acknowledgements is done".

The app runs DMs, modal updates and bookkeeping after ``ack()`` in ``Services.executor``. A test that
acts on a message the app just sent (replying in its thread, say) waits for that work to finish on a
condition, never on a clock.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor


class IdleTrackingExecutor(ThreadPoolExecutor):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pending = 0
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._changed:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending == 0, timeout=timeout):
                raise AssertionError(f"{self._pending} task(s) after ack still running")
