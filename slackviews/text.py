"""Text the bot posts: escaping and Slack's size limits.

Slack reads ``<!channel>``, ``<@U123>`` and ``<https://x|label>`` as control sequences in message text
and mrkdwn. Anything a person typed must go through ``escape`` before the bot reposts it, so a
``<!channel>`` in a progress update shows as text and pings nobody. Slack's own rule: replace ``&``,
``<`` and ``>`` with ``&amp;``, ``&lt;`` and ``&gt;`` (and nothing else).
"""

from __future__ import annotations

import re

# Slack's limits (https://docs.slack.dev/reference/block-kit): we refuse or truncate before Slack does.
PROGRESS_TEXT_LIMIT = 3000  # our own limit for an update, equal to a section's text limit
SECTION_TEXT_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 40_000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
PLAIN_TEXT_LIMIT = 150  # button labels, option text, header text
OPTION_DESCRIPTION_LIMIT = 75
EVIDENCE_URL_LIMIT = 2000
EVIDENCE_NOTE_LIMIT = 2000
COMMAND_TEXT_LIMIT = 500


def escape(text: str | None) -> str:
    """Escape &, < and > so user text can never become a mention or a link."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str | None) -> str:
    """Slack's entities back to what the person typed (message and command text arrive escaped).

    Once, and ``&amp;`` last, so a person who typed ``&lt;`` gets ``&lt;`` back, not ``<``.
    """
    if not text:
        return ""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Cut plain text (before it is escaped: escaping after cutting never splits an entity)."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


_OPEN_ENTITY = re.compile(r"&[a-z]{0,4}$")


def truncate_mrkdwn(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Cut text that is already mrkdwn: never inside an entity (``&amp;``) or a ``<…>`` link or mention."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    entity = _OPEN_ENTITY.search(cut)
    if entity:
        cut = cut[: entity.start()]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + ellipsis


def excerpt(text: str | None, limit: int = 200) -> str:
    """A one-line, escaped excerpt of user text, for lists and confirmations."""
    flat = " ".join((text or "").split())
    return escape(truncate(flat, limit))


def plain(text: str, limit: int = PLAIN_TEXT_LIMIT) -> dict:
    """A plain_text object cut to ``limit`` (plain_text is shown literally, so no escaping)."""
    return {"type": "plain_text", "text": truncate(text or " ", limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict:
    """A mrkdwn object; ``text`` must already be escaped where it holds user input."""
    return {"type": "mrkdwn", "text": truncate_mrkdwn(text or " ", limit) or " "}


def too_long_message(what: str, length: int, limit: int) -> str:
    return f"{what} is {length:,} characters; the limit is {limit:,}. Please shorten it and try again."
