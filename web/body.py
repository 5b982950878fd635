"""Reading a form POST's body: a size cap and a deadline, before a byte of it is parsed."""

from __future__ import annotations

import socket
import time

MAX_FORM_BYTES = 256 * 1024  # 3,000 characters per field, percent-encoded, for dozens of actions
READ_TIMEOUT_SECONDS = 20.0  # a phone on a slow line; a client trickling bytes is cut off after this


class BodyRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def read_form_body(
    environ: dict, *, limit: int = MAX_FORM_BYTES, timeout: float = READ_TIMEOUT_SECONDS
) -> bytes:
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        raise BodyRefused(411, "a form needs a Content-Length")
    if not raw.isascii() or not raw.isdigit():
        raise BodyRefused(400, "Content-Length is not a number")
    length = int(raw)
    if length > limit:
        raise BodyRefused(413, f"declared {length} bytes")
    stream = environ["wsgi.input"]
    read = getattr(stream, "read1", None) or stream.read  # one recv per call, so the deadline is checked
    sock = environ.get("gunicorn.socket") or environ.get("progressbot.socket")
    sock = sock if isinstance(sock, socket.socket) else None
    previous = sock.gettimeout() if sock is not None else None
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    got = 0
    try:
        while got < length:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BodyRefused(408, "body too slow")
            if sock is not None:
                sock.settimeout(left)  # each read waits at most until the deadline
            try:
                chunk = read(min(65536, length - got))
            except (TimeoutError, OSError):
                raise BodyRefused(408, "body too slow") from None
            if not chunk:
                raise BodyRefused(400, "body shorter than declared")
            chunks.append(chunk)
            got += len(chunk)
    finally:
        if sock is not None:
            sock.settimeout(previous)
    return b"".join(chunks)
