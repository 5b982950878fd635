"""Section headings: "Improvement Area One : Our People", "Phase 2: Embed", "Recommendation 4 – …"."""

from __future__ import annotations

import re

HEADING = re.compile(
    r"^(improvement area|area|phase|priority|theme|workstream|section|recommendation|strand|part)\s+"
    r"(\d+|[ivx]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z])\b\s*[:.\-–]?",
    re.I,
)
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_KINDS = {
    "improvement": "area",
    "area": "area",
    "phase": "phase",
    "priority": "priority",
    "theme": "theme",
    "recommendation": "recommendation",
    "workstream": "workstream",
}


def section_number(title: str, fallback: int) -> str:
    match = HEADING.match(title)
    if match:
        word = match.group(2).casefold()
        if word.isdigit():
            return str(int(word))
        if word in NUMBER_WORDS:
            return str(NUMBER_WORDS[word])
        if word in _ROMAN:
            return str(_ROMAN[word])
        return word.upper()
    numbered = re.match(r"^(\d{1,2})[.):]?\s+\S", title)  # "2. Our practice"
    return numbered.group(1) if numbered else str(fallback)


def kind_of(title: str) -> str:
    word = title.split()[0].casefold() if title.split() else ""
    return _KINDS.get(word, "section")
