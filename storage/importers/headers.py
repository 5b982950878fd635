"""Column roles from header text: the synonyms councils use for the same column.

Rules are tried in order, so "Action/ Required Outcomes" is the action column (not the outcome) and
"Action No." is the ref column (not the action).
"""

from __future__ import annotations

import re

from storage.importers.model import Cell

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("links", re.compile(r"^links?\b")),
    (
        "ref",
        re.compile(
            r"^(ref|ref no|reference|no|number|#|item|id|action (no|number|ref)|rec(ommendation)? no)$"
        ),
    ),
    ("rag", re.compile(r"\b(rag|r ?a ?g|brag)\b|^(rag |current |overall )?status$|^rating$")),
    (
        "progress",
        re.compile(
            r"progress|^(latest |current )?updates?\b|^status updates?$|commentary|^comments?\b|^notes?$"
        ),
    ),
    ("lead", re.compile(r"\blead|responsib|\bowners?\b|^who$|accountable|^officer")),
    (
        "timescale",
        re.compile(
            r"timescale|time ?frame|deadline|target date|^target$|by when|\bdue\b|"
            r"complet(ion|ed) (date|by)|^date (for|of|to be) complet|^dates?$|^when$|^end date|^timeline"
        ),
    ),
    ("action", re.compile(r"^(key |improvement )?actions?\b|^action/|^tasks?$|^what\b|^activity")),
    ("success", re.compile(r"success|measures?\b|^evidence|^kpi|^how (will|do) we know")),
    ("outcome", re.compile(r"outcomes?|^impact")),
    ("objective", re.compile(r"objective|^aims?$")),
    (
        "recommendation",
        re.compile(
            r"recommendation|area for (improvement|development)|^priorit|^themes?$|"
            r"^improvement area|^phase|^workstream|^areas?$"
        ),
    ),
]


def normalise_header(text: str) -> str:
    text = re.sub(r"[\s\u00a0]+", " ", text).strip().strip(":*.").strip()
    return text.casefold()


def header_role(text: str) -> str | None:
    key = normalise_header(text)
    if not key or len(key) > 60:
        return None
    for role, pattern in _RULES:
        if pattern.search(key):
            return role
    return None


def action_header(row: list[Cell]) -> dict[str, int] | None:
    """The column of each role when ``row`` is the header of an action table, else None."""
    roles: dict[str, int] = {}
    named = 0
    for index, cell in enumerate(row):
        if not cell.text:
            continue
        named += 1
        role = header_role(cell.text)
        if role and role not in roles:
            roles[role] = index
        elif role == "rag" and "rag" in normalise_header(cell.text):
            roles[role] = index  # "RAG" beats a plain "Status" column (often "In progress" and such)
    if "action" not in roles or named < 3:
        return None
    if not ({"lead", "timescale", "rag", "progress"} & roles.keys()):
        return None
    # A header is mostly headings: a data row that happens to say "Action" somewhere is not one.
    if len([r for r in roles if r != "links"]) < max(2, (named + 1) // 2):
        return None
    return roles


def _cells_match(row: list[Cell], patterns: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = normalise_header(cell.text)
        for name in patterns:
            if name not in found and re.search(patterns_map[name], key):
                found[name] = index
    return found


patterns_map = {
    "abbreviation": r"^(abbreviation|acronym|abbrev|initials|short ?name|alias|key)s?$",
    "title": r"^(title|role|job title|post|position|meaning|stands for|full title|description)s?$",
    "name": r"^(name|officer|person|full name|lead|post holder|postholder)s?$",
    "date": r"date",
    "version": r"version|^v(er)?\.? ?no",
    "summary": r"summary|changes|description|comment",
    "author": r"author|by$|owner",
}


def glossary_header(row: list[Cell]) -> dict[str, int] | None:
    found = _cells_match(row, ["abbreviation", "title", "name"])
    if "abbreviation" in found and ({"title", "name"} & found.keys()):
        return found
    return None


def history_header(row: list[Cell]) -> dict[str, int] | None:
    found = _cells_match(row, ["date", "version", "summary", "author"])
    if "version" in found and "date" in found:
        return found
    return None
