"""Keep tokens, secrets and the form's links out of every log line.

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
# The update form's links (/u/TOKEN) are credentials: access-log lines and errors name the path only.
FORM_LINK_PATTERN = re.compile(r"/u/[A-Za-z0-9._~%-]+")
REDACTED = "[redacted]"

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return FORM_LINK_PATTERN.sub("/u/" + REDACTED, TOKEN_PATTERN.sub(REDACTED, text))


def install_redaction(settings: Settings) -> None:
    """Idempotent; secrets from several settings objects (tests build many) accumulate."""
    global _installed
    with _lock:
        for secret in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            getattr(settings, "secret_key", ""),
            _smtp_password(settings),
        ):
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


def _smtp_password(settings: Settings) -> str:
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(getattr(settings, "smtp_url", "") or "").password or "")
    except ValueError:
        return ""
