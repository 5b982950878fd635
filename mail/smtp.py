"""Sending over SMTP with the standard library, and what each refusal means.

``PROGRESSBOT_SMTP_URL`` says where and how:

- ``smtp://user:password@host:587?starttls=true``: STARTTLS (the default for ``smtp://``);
- ``smtps://user:password@host:465``: TLS from the first byte;
- ``smtp://host:25?starttls=false``: no TLS, allowed only to a server on this machine (a relay).

User name and password are percent-decoded. The password never appears in a ``repr``, a log line or an
error message. An SMTP answer sorts into one of four outcomes (``MailResult.outcome``):

- ``sent``;
- ``retry``: 4xx, a dropped or refused connection, a timeout; tried again a couple of times at once,
  then left for the next pass;
- ``bounced``: a permanent (5xx) refusal of the recipient or of the message: the lead is marked "email
  undeliverable" and admins hear about it;
- ``config``: our side is wrong (login refused, sender refused, no TLS where it was asked for): nobody
  is marked undeliverable and the message waits until an operator fixes the settings.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from progressbot.config import SmtpConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailResult:
    outcome: str  # sent | retry | bounced | config
    error: str | None = None
    code: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "sent"


def _text(message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(message.split())[:300]


def classify(exc: Exception) -> MailResult:
    """What an exception from smtplib means for the message and for the lead."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (550, b"refused"))
        return _by_code(code, f"recipient refused: {code} {_text(text)}", bounce=True)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailResult(
            "config", f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(
            exc.smtp_code, f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}", bounce=False
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return _by_code(
            exc.smtp_code, f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}", bounce=True
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        return MailResult("retry", f"cannot connect: {exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailResult("config", f"the SMTP server does not support it: {exc}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, f"SMTP error: {exc.smtp_code} {_text(exc.smtp_error)}", bounce=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailResult("config", f"the SMTP server's certificate was not accepted: {exc.verify_message}")
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError | TimeoutError):
        return MailResult("retry", f"connection: {exc.__class__.__name__}: {exc}")
    return MailResult("config", f"SMTP: {exc}")  # e.g. no login method both sides know


def _by_code(code: int, error: str, *, bounce: bool) -> MailResult:
    if 400 <= code < 500:
        return MailResult("retry", error, code)
    return MailResult("bounced" if bounce else "config", error, code)


@dataclass
class Mailer:
    """Sends one message at a time; a new connection each time (passes send few, far apart)."""

    config: SmtpConfig
    retries: int = 2
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def send(self, message: EmailMessage, *, sender: str, recipient: str) -> MailResult:
        result = MailResult("retry")
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            result = self._send_once(message, sender, recipient)
            if result.outcome != "retry":
                return result
            log.warning("email to lead failed (%s), attempt %s", result.error, attempt + 1)
        return result

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context()
        if cfg.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=context)  # raises SMTPNotSupportedError rather than go on in clear
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _send_once(self, message: EmailMessage, sender: str, recipient: str) -> MailResult:
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            return classify(exc)
        try:
            refused = smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
            if refused:  # only possible with several recipients; kept for completeness
                return classify(smtplib.SMTPRecipientsRefused(refused))
        except (smtplib.SMTPException, OSError) as exc:
            return classify(exc)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        return MailResult("sent")
