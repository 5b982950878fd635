"""Errors with messages meant for people: the CLI prints them on one line, Slack shows them."""

from __future__ import annotations


class ProgressbotError(Exception):
    """Base for expected failures. ``str(exc)`` is the sentence the person sees."""


class NotFound(ProgressbotError):
    """An unknown plan, action ref, person or alias."""


class InvalidInput(ProgressbotError):
    """Input that cannot be accepted: a RAG outside the scheme, text past a limit, a bad date.

    ``field`` names the input (for Slack modal errors next to the field); may be None.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Forbidden(ProgressbotError):
    """The person may not do this (not a lead of the action, not board or admin)."""


class ImportFailed(ProgressbotError):
    """A plan file could not be read; the message names the file and what is wrong."""
