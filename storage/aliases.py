"""The key lead names are compared by, shared by the importer (glossary keys) and ``storage.people``
(alias keys). It imports nothing heavy: the importer reads a plan without SQLAlchemy or the models."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def alias_key(text: str | None) -> str:
    """Case, spaces, brackets and punctuation dropped: "DM (CIN)", "DM CIN", "D.M-CIN" -> "dmcin"."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub("", text)
