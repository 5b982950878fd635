"""Keep tokens, secrets and the form's links out of every log line.

slack_sdk logs request headers (with the bearer token) at DEBUG, and an exception can carry a URL or a
header. Rather than trusting each caller, a log record factory rewrites every record as it is made:
the configured secrets, anything shaped like a Slack token and the password of anything shaped like
``user:password@host`` become ``[redacted]`` (``progressbot.config.hide_secrets``). The traceback of a logged
exception is formatted and cleaned the same way: an exception's message is text we did not write.
"""

from __future__ import annotations

import logging
import re
import threading

from progressbot.config import Settings, hide_secrets

# The update form's links (/u/TOKEN) are credentials: access-log lines and errors name the path only.
FORM_LINK_PATTERN = re.compile(r"/u/[A-Za-z0-9._~%-]+")
REDACTED = "[redacted]"

_FORMATTER = logging.Formatter()
_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return FORM_LINK_PATTERN.sub("/u/" + REDACTED, hide_secrets(text))


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
            if record.exc_info and record.exc_info[0] is not None:
                # Formatters use a record's exc_text when it is set, so the traceback is shown cleaned.
                record.exc_text = redact(_FORMATTER.formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _smtp_password(settings: Settings) -> str:
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(getattr(settings, "smtp_url", "") or "").password or "")
    except ValueError:
        return ""
