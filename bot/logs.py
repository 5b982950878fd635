"""Keep tokens and the signing secret out of every log line.

slack_sdk logs request headers (with the bearer token) at DEBUG, and an exception can carry a URL or a
header. Rather than trusting each caller, a log record factory rewrites every record as it is made:
the configured secrets and anything shaped like a Slack token become ``[redacted]``.
"""

from __future__ import annotations

import logging
import re
import threading

from progressbot.config import Settings

TOKEN_PATTERN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
REDACTED = "[redacted]"

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return TOKEN_PATTERN.sub(REDACTED, text)


def install_redaction(settings: Settings) -> None:
    """Idempotent; secrets from several settings objects (tests build many) accumulate."""
    global _installed
    with _lock:
        for secret in (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token):
            if secret and len(secret) >= 6:
                _secrets.add(secret)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed format string: leave it to the handler
                return record
            cleaned = redact(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, ()
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
