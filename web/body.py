"""Reading a form POST's body: a size cap and a deadline, before a byte of it is parsed.

The reading itself is the Slack edge's (``bot.edge.read_body``): one deadline for the whole body, held
by a watchdog that stops the socket's reading side, so a client trickling a byte at a time cannot keep
a thread past it, under the stdlib server and gunicorn alike.
"""

from __future__ import annotations

import time

from bot.edge import ReadDeadlines, Refused, read_body

MAX_FORM_BYTES = 256 * 1024  # 3,000 characters per field, percent-encoded, for dozens of actions
READ_TIMEOUT_SECONDS = 20.0  # a phone on a slow line; a client trickling bytes is cut off after this

_DEADLINES = ReadDeadlines()


class BodyRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def read_form_body(
    environ: dict, *, limit: int = MAX_FORM_BYTES, timeout: float = READ_TIMEOUT_SECONDS
) -> bytes:
    if not (environ.get("CONTENT_LENGTH") or "").strip():
        raise BodyRefused(411, "a form needs a Content-Length")
    try:
        return read_body(
            environ, limit=limit, timeout=timeout, deadlines=_DEADLINES, started=time.monotonic()
        )
    except Refused as refused:
        raise BodyRefused(refused.status, str(refused)) from None
