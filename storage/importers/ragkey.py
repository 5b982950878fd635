"""Choose a plan's RAG scheme from its key table ("Key to RAG status") or from the values it uses.

When the key's colour cells are empty (the 2019 Stockton plan), rows are matched to states by their
meaning words. A three-row key whose best row means "achieved" is read as Green = achieved,
Amber = on track, Red = not yet on track: the same plan marks finished work Green and work
"in development" Amber, so Green cannot mean merely "on track" there.
"""

from __future__ import annotations

import re

from storage.importers.model import Cell
from storage.rag import BUILTIN_SCHEMES, DEFAULT_SCHEME, FIVE_STATE_SYMBOLS, RagScheme, RagStateSpec

_MEANING_WORDS = re.compile(
    r"on track|complete|achiev|behind|delay|not started|off track|at risk|ahead|concern|progress", re.I
)


def looks_like_key(rows: list[list[Cell]], preceding_text: str) -> bool:
    if not rows or len(rows) > 8:
        return False
    if any(len([c for c in row if c.text]) > 3 for row in rows):
        return False
    if re.search(r"\bkey\b", preceding_text, re.I) and re.search(r"rag|status|rating", preceding_text, re.I):
        return True
    meaningful = sum(1 for row in rows if _MEANING_WORDS.search(" ".join(c.text for c in row)))
    return meaningful >= max(2, len(rows) - 1)


def is_key_row(row: list[Cell]) -> bool:
    """A row under a "Key" title: a colour, a symbol or label, or words about progress."""
    texts = [c.text for c in row if c.text]
    if not texts or len(texts) > 3:
        return False
    return (
        any(c.fill for c in row)
        or any(len(t) <= 6 for t in texts)
        or bool(_MEANING_WORDS.search(" ".join(texts)))
    )


def _classify(meaning: str) -> int | None:
    """3 complete, 2 on track/ahead, 1 some concern, 0 behind; None when the words say nothing."""
    text = meaning.casefold()
    if re.search(
        r"not (yet )?(on track|started|achiev|complete)|off track|behind|significant|will not|unlikely", text
    ):
        return 0
    if re.search(r"delay|at risk|concern|slipp|some risk|minor", text):
        return 1
    if re.search(r"on track|ahead|progress", text):
        return 2
    if re.search(r"achieved|complete|done|delivered|finished", text):
        return 3
    return None


def scheme_from_key(rows: list[list[Cell]]) -> tuple[RagScheme, list[str]]:
    entries = []  # (fill, token, meaning)
    for row in rows:
        texts = [c.text for c in row if c.text]
        fill = next((c.fill for c in row if c.fill), None)
        # Two cells: the short one is the symbol or label, the long one the meaning. One cell: a
        # symbol when it is that short, else a meaning next to an (empty) colour cell.
        if len(texts) >= 2:
            token, meaning = min(texts, key=len), max(texts, key=len)
        elif texts and len(texts[0]) <= 3:
            token, meaning = texts[0], ""
        else:
            token, meaning = "", texts[0] if texts else ""
        entries.append((fill, token, meaning))
    five = BUILTIN_SCHEMES["five-state"]
    brag = BUILTIN_SCHEMES["brag"]
    if any(tok.strip() in FIVE_STATE_SYMBOLS for _, tok, _ in entries):
        meanings = {five.parse(tok): m for _, tok, m in entries if five.parse(tok) and m}
        return five.with_meanings(meanings), []
    labelled: dict[str, str] = {}
    words: dict[str, list[str]] = {}  # label -> the key's own short words for it ("Not Started")
    for fill, tok, meaning in entries:
        label = brag.parse(tok) or brag.colour_to_label(fill)
        if label:
            labelled[label] = meaning
            words.setdefault(label, []).extend(w for w in (tok, meaning) if _is_word_for_state(w, label))
    if labelled:
        base = brag if "Blue" in labelled else BUILTIN_SCHEMES["rag"]
        return _with_key(base, labelled, words), []
    return _by_meaning([m for _, _, m in entries])


def _is_word_for_state(text: str, label: str) -> bool:
    """A short label the plan writes in its RAG cells ("Not Started", "At Risk"), not a sentence."""
    text = text.strip()
    return bool(text) and len(text.split()) <= 3 and len(text) <= 30 and _norm(text) != _norm(label)


def _norm(text: str) -> str:
    return " ".join(text.casefold().strip(" .:;").split())


def _with_key(
    base: RagScheme, meanings: dict[str, str], words: dict[str, list[str]] | None = None
) -> RagScheme:
    """The base scheme with the key's meanings; the key's own words for a state are aliases of it, and
    win over a built-in alias of another state ("Not Started" is Red when the key says so)."""
    words = words or {}
    claimed = {_norm(w): label for label, ws in words.items() for w in ws}
    states = tuple(
        RagStateSpec(
            s.label,
            s.rank,
            s.colour,
            meanings.get(s.label) or s.meaning,
            s.is_complete or _classify(meanings.get(s.label, "")) == 3,
            tuple(a for a in s.aliases if claimed.get(_norm(a), s.label) == s.label)
            + tuple(w for w in words.get(s.label, []) if w not in s.aliases),
        )
        for s in base.states
    )
    return RagScheme(base.name, states)


def _by_meaning(meanings: list[str]) -> tuple[RagScheme, list[str]]:
    classes = [_classify(m) for m in meanings]
    names = {3: "rag", 4: "brag", 5: "five-state"}
    if len(meanings) not in names or None in classes:
        return BUILTIN_SCHEMES[DEFAULT_SCHEME], [
            "the RAG key could not be matched to colours; using the default Blue/Red/Amber/Green scheme"
        ]
    base = BUILTIN_SCHEMES[names[len(meanings)]]
    ordered = sorted(range(len(meanings)), key=lambda i: classes[i])  # worst first, like ranks
    states = []
    for rank, index in enumerate(ordered):
        s = base.states[rank]
        complete = classes[index] == 3 and rank == len(ordered) - 1
        states.append(
            RagStateSpec(s.label, s.rank, s.colour, meanings[index], complete or s.is_complete, s.aliases)
        )
    return RagScheme(base.name, tuple(states)), []


def scheme_from_values(values: list[str]) -> RagScheme:
    """No key in the document: five-state when its symbols are used, else the default."""
    if any(v.strip() in FIVE_STATE_SYMBOLS for v in values):
        return BUILTIN_SCHEMES["five-state"]
    return BUILTIN_SCHEMES[DEFAULT_SCHEME]
