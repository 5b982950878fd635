"""Running ``progressbot`` (or gunicorn) as a real process in a test, and reading what it says."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def executable(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@dataclass
class Running:
    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue = field(default_factory=queue.Queue)

    def wait_for_line(self, pattern: str, timeout: float = 30) -> re.Match:
        """The first line (so far or to come) of stderr matching ``pattern``; fails after ``timeout``."""
        regex = re.compile(pattern)
        for line in self.lines:
            if match := regex.search(line):
                return match
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if match := regex.search(line):
                return match
        raise AssertionError(f"no line matching {pattern!r}; stderr so far:\n{self.output()}")

    def output(self) -> str:
        return "".join(self.lines)

    def wait(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start(args: list[str], env: dict[str, str]) -> Running:
    proc = subprocess.Popen(
        args,
        env={**os.environ, **env},
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    running = Running(proc)

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            running.lines.append(line)
            running._queue.put(line)
        running._queue.put(None)

    running._reader = threading.Thread(target=read, daemon=True)  # type: ignore[attr-defined]
    running._reader.start()  # type: ignore[attr-defined]
    return running
