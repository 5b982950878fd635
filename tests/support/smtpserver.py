"""A real SMTP server (aiosmtpd) on an ephemeral port, for the email tests.

It keeps every message it accepts, parsed, and can be told to answer a stage with a given reply a
number of times first ("451 4.3.0 Try again later" once, then 250), so the tests see real SMTP
dialogues: retries on 4xx, a permanent 5xx refusal, a dropped connection.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


@dataclass
class Inbox:
    """The aiosmtpd handler: scripted refusals first, then it accepts and keeps the message."""

    messages: list[Received] = field(default_factory=list)
    replies: dict[str, deque[str]] = field(default_factory=dict)
    dialogues: list[str] = field(default_factory=list)  # every reply given, in order ("RCPT 451", ...)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def script(self, stage: str, *replies: str) -> None:
        """``stage`` is "RCPT" or "DATA"; each reply is used once, in order, before 250s resume."""
        self.replies.setdefault(stage, deque()).extend(replies)

    def _scripted(self, stage: str) -> str | None:
        queue = self.replies.get(stage)
        reply = queue.popleft() if queue else None
        self.dialogues.append(f"{stage} {reply[:3] if reply else '250'}")
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._scripted("RCPT")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self._scripted("DATA")
        if reply:
            return reply
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        with self._arrived:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` messages have arrived (mail sent from another thread), or fail."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} emails, got {len(self.messages)}")
            return list(self.messages)


class _EphemeralController(Controller):
    """aiosmtpd's Controller on port 0: learn the port the system chose before the readiness check."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    inbox: Inbox
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?starttls=false&timeout=5"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = _EphemeralController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield SmtpServer(inbox=inbox, host="127.0.0.1", port=controller.port)
    finally:
        controller.stop()
