"""The RAG of a row: from a RAG cell (a label, a symbol, or only the cell's fill), or taken out of a
progress cell that carries it ("… (RAG: Amber)", "Amber – forum designed", or the cell's fill)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.importers.model import Cell
from storage.rag import RagScheme

# What plans write in a RAG cell to mean "not rated": no warning for these.
NO_RAG = {"-", "–", "—", "n/a", "na", "n.a.", "tbc", "tbd", "?", "none", "not rated", "not applicable"}


@dataclass(frozen=True)
class RagRead:
    label: str | None
    raw: str  # the text or fill the RAG came from
    unknown: str | None = None  # a value that names no state of the scheme, for one warning per value


def read_rag(cell: Cell, scheme: RagScheme) -> RagRead:
    text = " ".join(cell.text.split())
    if text:
        label = scheme.parse(text) or _one_language_label(text, scheme)
        if label:
            return RagRead(label, text)
    if cell.fill:
        label = scheme.colour_to_label(cell.fill)
        if label:
            return RagRead(label, f"fill #{cell.fill}")
        if not text:
            return RagRead(None, "", f"fill #{cell.fill}")
    if text and text.casefold() not in NO_RAG:
        return RagRead(None, text, f"'{text}'")
    return RagRead(None, text)


_SLASH = re.compile(r"\s+/\s+")


def _one_language_label(text: str, scheme: RagScheme) -> str | None:
    """A RAG written in two languages ("Ambr / Amber", "Gwyrdd / Green"): the state the one part that
    names one names. Two parts naming two states ("Green / Amber") say nothing for sure."""
    parts = _SLASH.split(text)
    if len(parts) != 2:
        return None
    labels = {label for label in map(scheme.parse, parts) if label}
    return labels.pop() if len(labels) == 1 else None


_MARKED = re.compile(
    r"[\[(]?\s*\b(?:rag|r\.a\.g\.?|rag status|rag rating|status|rating)\s*(?:is|=|:|-|–|—)?\s*"
    r"(?P<label>[A-Za-z][A-Za-z ]{0,24}?|[✓✔↑↓x×-])\s*[\])]?\s*[.;]?\s*$",
    re.I,
)
_MARKED_START = re.compile(
    r"^\s*[\[(]?\s*(?:rag|rag status|status|rating)\s*(?:is|=|:|-|–|—)\s*(?P<label>[A-Za-z]+(?: [a-z]+)?)\s*[\])]?"
    r"\s*[.:;,\-–—]?\s*",
    re.I,
)
_LEADING = re.compile(r"^\s*[\[(]?(?P<label>[A-Za-z]+(?: [a-z]+)?)[\])]?\s*(?:[-–—:.;,]|\n)\s*")
_TRAILING = re.compile(r"\s*(?:[-–—:;,]\s*|\(|\[|\n)(?P<label>[A-Za-z]+(?: [a-z]+)?)[\])]?\s*[.]?\s*$")


_SPACE_RUN = re.compile(r"[ \t]{2,}")


def split_progress_rag(text: str, scheme: RagScheme, *, combined: bool) -> tuple[str | None, str]:
    """(label, the rest of the text). An explicit "RAG: Amber" anywhere at the start or end is always
    taken; a bare label at the start or end ("Amber – forum designed") only from a column whose header
    says it holds both (``combined``), because "Green spaces strategy agreed" is progress, not a RAG."""
    for pattern in (_MARKED, _MARKED_START) + ((_LEADING, _TRAILING) if combined else ()):
        match = pattern.search(text)
        if match is None:
            continue
        label = scheme.parse(match.group("label"))
        if label is None:
            continue
        rest = _SPACE_RUN.sub(" ", (text[: match.start()] + " " + text[match.end() :]).strip(" \n-–—:;,"))
        if match.start() == 0:
            rest = rest[:1].upper() + rest[1:]  # "Green – published …": the sentence now starts the cell
        return label, rest
    return None, text
