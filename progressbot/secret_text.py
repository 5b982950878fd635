"""Masking secrets in text a person or a log will see: error messages, log lines, tracebacks.

Settings are echoed in error messages so a person can see what they typed wrong; a value can carry a
credential even where none belongs (``DATABASE_URL=user:password@host/db`` with the scheme forgotten,
``PROGRESSBOT_PUBLIC_URL=https://admin:password@host``). Rather than trusting each message to leave it
out, every configuration and command-line error, and every log record (``bot.logs``), passes through
``hide_secrets``: the password of anything shaped like ``user:password@host`` becomes ``***`` and
anything shaped like a Slack token becomes ``[redacted]``.
"""

from __future__ import annotations

import re

SLACK_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
# ``user:password@`` after a scheme's ``//``, or at the start of a word (a URL without its scheme).
# The password runs to the last ``@`` before the host, so ``p@ss`` typed unencoded is masked whole.
_USERINFO = re.compile(r"(?P<user>(?:(?<=//)|(?<![^\s'\"(<=,;]))[^\s:/@'\"]+):(?P<password>[^\s/'\"]*)@")


def hide_secrets(text: str) -> str:
    text = SLACK_TOKEN.sub("[redacted]", text)
    return _USERINFO.sub(lambda m: f"{m.group('user')}:***@", text)
