"""Column roles from a table's header row: the synonyms councils use for the same column, and the
shape of the cells under a column whose header is empty.

Rules are tried in order, so "Action/ Required Outcomes" is the action column (not the outcome) and
"Action No." is the ref column (not the action). A header row is recognised only when it reads like
one: short cells that name columns, never a data row that happens to say "Action 12" or mention a
version and a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from storage.importers.model import Cell

_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("links", re.compile(r"^links?\b")),
    (
        "ref",
        re.compile(
            r"^(ref|ref no|ref number|reference|no|number|#|item|item no|id|action (no|number|ref|id)|"
            r"rec(ommendation)? (no|number|ref)|ref #|action #|rec|line|(action |ref |reference )?code|"
            r"(row|task|item|issue|unique|line) ?(id|no|number|ref|#))$"
        ),
    ),
    # One column holding the progress text and the RAG ("Progress (RAG)", "Update and RAG status").
    (
        "progress_rag",
        re.compile(
            r"(?=.*\b(rag|brag|r ?a ?g|r/a/g)\b)(?=.*(progress|update|commentary|position|comments?\b|narrative))"
        ),
    ),
    (
        "rag",
        re.compile(
            r"\b(rag|r ?a ?g|r/a/g|brag|b/r/a/g)\b|^(rag |current |overall )?status$|^(rag )?rating$|"
            r"^traffic ?lights?( status)?$"
        ),
    ),
    (
        "progress",
        re.compile(
            r"progress|^(latest |current |monthly |quarterly )?updates?\b|\bupdates?$|^status updates?$|"
            r"commentary|^comments?\b|^(latest |last |most recent )?notes?$|\bposition\b|^narrative|^what has been done"
        ),
    ),
    (
        "lead",
        re.compile(
            r"\blead(s|ers?)?\b|responsib|\bowners?\b|^who\b|accountable|^(lead )?officers?\b|^by whom|"
            r"^assigned( to)?$|^assignees?$"
        ),
    ),
    (
        "timescale",
        re.compile(
            r"timescale|time ?frame|deadline|target date|^target$|by when|\bdue\b|"
            r"complet(ion|ed) (date|by)|^date (for|of|to be) complet|^(revised |original |new |end )?dates?$|"
            r"^when$|^end date|^timeline|^(revised|original|new|forecast) (target|completion|end)|"
            # "Milestones", "Key milestones", "Delivery date", "Implementation date": any other date
            # column is a due date unless it says when something started or was changed (_NOT_DUE).
            r"milestones?\b|\bdates?$|^completion$"
        ),
    ),
    (
        "action",
        re.compile(
            r"^(key |improvement |specific |planned |agreed |required |proposed )?"
            r"(actions?|tasks?|activit(y|ies)|deliverables?|interventions?|steps)\b|^action/|"
            r"^what (we will|will we|are we going to|needs? to|we are going to)\b|^what\b|"
            r"^how (will we|we will) (do|achieve|deliver)|^description( of (the )?action)?$|"
            r"^(task |action |item )?titles?$|^task names?$"
        ),
    ),
    (
        "success",
        re.compile(
            r"success|measures?\b|^evidence|^kpi|^how (will|do|would) we know|"
            r"^what (will|does|would) (good|success|it) look like"
        ),
    ),
    ("outcome", re.compile(r"outcomes?|^impact|^intended result|^expected result|^what difference")),
    ("objective", re.compile(r"objective|^aims?$|^goals?$")),
    (
        "recommendation",
        re.compile(
            r"recommendation|area for (improvement|development)|areas? for improvement|^priorit|^themes?$|"
            r"^improvement area|^phase|^workstream|^areas?$|^issues? identified|^findings?$|^key line|^bucket( name)?$"
        ),
    ),
]
# One pass that rules out most data cells before the rules are tried one by one.
_ANY_ROLE = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _RULES))


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern: "a|(b|c)|[|]d" -> a, (b|c), [|]d."""
    parts, current, depth, in_class, escaped = [], "", 0, False, False
    for ch in pattern:
        if escaped or ch == "\\":
            escaped = not escaped and ch == "\\"
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()":
            depth += 1 if ch == "(" else -1
        elif ch == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    return [*parts, current]


# _ANY_ROLE tried at every position of every data cell is slow (some 80 alternatives, and lookaheads that
# scan the rest of the key from each position). On a key without a newline the same answer comes from
# trying the anchored alternatives ("^…", and those made only of "(?=.*…)" lookaheads) at the start only.
_LOOKAHEADS = re.compile(r"(?:\(\?=\.\*(?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\))+")
_SPLIT = [a for _, pattern in _RULES for a in _alternatives(pattern.pattern)]
_AT_START = [a for a in _SPLIT if a.startswith("^") or _LOOKAHEADS.fullmatch(a)]
_ANY_ROLE_AT_START = re.compile("|".join(f"(?:{a})" for a in _AT_START))
_ANY_ROLE_ANYWHERE = re.compile("|".join(f"(?:{a})" for a in _SPLIT if a not in _AT_START))


def _names_a_role(key: str) -> bool:
    """``_ANY_ROLE.search(key)``, quicker."""
    if "\n" in key:
        return bool(_ANY_ROLE.search(key))
    return bool(_ANY_ROLE_AT_START.match(key) or _ANY_ROLE_ANYWHERE.search(key))


# Columns that name people but do not lead ("Supporting officers", "Partners involved").
_NOT_LEAD = re.compile(r"support|partner|contribut|involved|consult|^other")
_REVISED = re.compile(r"\b(revised|new|current|forecast|updated|latest|amended|re-?profiled)\b")
_ORIGINAL = re.compile(r"\b(original|initial|baseline|previous|old)\b")
_START = re.compile(r"\bstart|^date (added|raised|opened|identified|agreed|logged)")
# Date columns that say when something happened to the row, not when the action is due.
_NOT_DUE = re.compile(
    r"\b(start(ed)?|modified|created|raised|added|logged|opened|identified|review(ed)?|last|birth|"
    r"inspection|meeting|closed|updated?|notes?|comments?|progress|status)\b"
)
_MILESTONES = re.compile(r"\bmilestones?\b")
# Lead columns that name an organisation ("Lead agency") or the councillor who oversees the work
# ("Lead member", "Portfolio holder"), not the officer who does it: leads only when no other column names one.
_NOT_OFFICER = re.compile(
    r"\b(agenc(y|ies)|organi[sz]ations?|directorates?|departments?|service areas?|bod(y|ies)|members?|"
    r"councillors?|cllrs?|portfolio)\b"
)
# A cell that is data, not a column name: "Action 12 Review …", "1.1 Develop…", a sentence.
_DATA_LIKE = re.compile(
    r"^(?:(?:action|rec(?:ommendation)?|ref|item|no)\.?\s*)?\d{1,3}(?:\.\d{1,2})*[a-z]?[.):]?\s+\S", re.I
)
_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?|spring|summer|autumn|winter|q[1-4]"
)

_MONTH_HEADER = re.compile(
    r"^(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?)[\s\-'’]*(\d\d|20\d\d)$",
    re.I,
)
MONTH_WORD = re.compile(rf"\b({_MONTHS})\b", re.I)


_HEADER_SPACE = re.compile(r"[\s\u00a0]+")


@lru_cache(maxsize=4096)
def normalise_header(text: str) -> str:
    text = _HEADER_SPACE.sub(" ", text).strip().strip(":*.").strip()
    return text.casefold()


def looks_like_data(text: str) -> bool:
    """A cell's text reads as data rather than a column name."""
    words = text.split()
    return (
        len(words) > 9
        or len(text) > 70
        or bool(_DATA_LIKE.match(text.strip()))
        or (text.rstrip().endswith(".") and len(words) > 4)
    )


# Memoised: a pure function of the text, asked for every cell of every row (leads, dates and RAG words
# repeat down a 5,000-row sheet).
@lru_cache(maxsize=4096)
def header_role(text: str) -> str | None:
    key = normalise_header(text)
    if not key or looks_like_data(text):
        return None
    if not _names_a_role(key):
        return _bilingual_role(text)
    for role, pattern in _RULES:
        if pattern.search(key):
            if (
                role == "lead"
                and _NOT_LEAD.search(key)
                and not re.search(r"\blead|responsib|accountable", key)
            ):
                return None
            if role == "timescale" and (_START.search(key) or _generic_date(key)):
                return None  # a start date or the date an action was added says nothing about when it is due
            return role
    return _bilingual_role(text)


_TWO_LANGUAGES = re.compile(r"\s+/\s+|\s*\n\s*")


def _bilingual_role(text: str) -> str | None:
    """A header written in two languages ("Cam gweithredu / Action", "Swyddog arweiniol\nLead officer"):
    the role of the part that names one, when the parts do not name two different columns."""
    parts = [p for p in _TWO_LANGUAGES.split(text.strip()) if p.strip()]
    if len(parts) != 2:
        return None
    roles = {role for role in map(header_role, parts) if role}
    return roles.pop() if len(roles) == 1 else None


def _generic_date(key: str) -> bool:
    """A date column that only the generic "… date" rule matched, and that names another kind of date."""
    return key.endswith(("date", "dates")) and bool(_NOT_DUE.search(key))


@dataclass(frozen=True)
class Columns:
    """Which column holds what. ``roles`` is the main column per role; ``extra`` lists every column of a
    role that has several (dated progress columns, an original and a revised date), best first."""

    roles: dict[str, int]
    extra: dict[str, tuple[int, ...]] = field(default_factory=dict)
    header: tuple[str, ...] = ()
    rec_ref: int | None = None  # the unnamed column before "Recommendation" holding its number
    spans: tuple[int, ...] = ()  # grid columns each header cell covers (0: covered by the one before)

    def get(self, role: str, default: int | None = None) -> int | None:
        return self.roles.get(role, default)

    def __getitem__(self, role: str) -> int:
        return self.roles[role]

    def __contains__(self, role: object) -> bool:
        return role in self.roles

    def all(self, role: str) -> tuple[int, ...]:
        if role in self.extra:
            return self.extra[role]
        return (self.roles[role],) if role in self.roles else ()

    def same_table(self, other: Columns) -> bool:
        return self.roles == other.roles and self.header == other.header


def _rank(role: str, key: str, index: int) -> tuple[int, int]:
    """Higher first: a revised date beats the original; a dated or "latest" update beats an older one."""
    if role == "timescale":
        # A target date beats a column of intermediate milestones, which is read when it is the only one.
        plain = 0 if _ORIGINAL.search(key) or _MILESTONES.search(key) else 1
        return (2 if _REVISED.search(key) else plain, -index)
    if role in ("progress", "progress_rag", "rag"):
        if re.search(r"\b(latest|current|most recent|this (quarter|month|period|review))\b", key):
            return (10**7, index)
        if is_older_update(key):
            return (-1, index)
        dated = header_date(key)
        if dated is not None:
            return (dated, index)
        return (0 if re.search(r"^(comments?|notes?)\b", key) else 1, index)
    return (0, -index)


_OLDER = re.compile(r"\b(previous|prior|earlier)\b")


def is_older_update(header: str) -> bool:
    """ "Previous update", "Prior position": what a later column of the same table replaced."""
    return bool(_OLDER.search(header.casefold()))


def header_date(key: str) -> int | None:
    """A sortable number for "March 2025 update", "Update (Jan 24)", "Q3 24/25"; None when undated."""
    month = re.search(rf"\b({_MONTHS})\b", key, re.I)
    year = re.search(r"\b(20\d\d)\b|\b(\d\d)\b", key)
    if not month and not year:
        return None
    number = int(year.group(1) or year.group(2)) if year else 0
    number = number + 2000 if 0 < number < 100 else number
    return number * 100 + (_month_number(month.group(1)) if month else 0) + 1


def _month_number(word: str) -> int:
    word = word[:3].casefold()
    months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    seasons = {"spr": 4, "sum": 7, "aut": 10, "win": 12, "q1": 6, "q2": 9, "q3": 12, "q4": 3}
    if word in months:
        return months.index(word) + 1
    return seasons.get(word[:3] if not word.startswith("q") else word[:2], 0)


def action_header(row: list[Cell]) -> Columns | None:
    """The column of each role when ``row`` is the header of an action table, else None."""
    texts = [(index, cell.text) for index, cell in enumerate(row) if cell.text]
    named = len(texts)
    if named < 3:
        return None
    # A header row names columns; "Action 12 Review …" or "1.1 Develop …" is a data row.
    if any(_DATA_LIKE.match(text.strip()) for _, text in texts):
        return None
    # At least half the named cells must have a role (below); a data row gives up as soon as too many do
    # not, before the rules are tried on the rest of its cells.
    months = [index for index, text in texts if _MONTH_HEADER.match(text.strip())]
    if len(months) >= 3:
        # A Gantt chart: one column per month, its cells marked while the action runs.
        texts = [(index, text) for index, text in texts if index not in months]
        named -= len(months)
    else:
        months = []
    misses_left = named - max(2, (named + 1) // 2)
    found: dict[str, list[tuple[tuple[int, int], int]]] = {}
    for index, text in texts:
        role = header_role(text)
        if role is None or role == "links":
            misses_left -= 1
            if misses_left < 0:
                return None
        if role:
            found.setdefault(role, []).append((_rank(role, normalise_header(text), index), index))
    if "rag" in found and any("rag" in normalise_header(row[i].text) for _, i in found["rag"]):
        # "RAG" beats a plain "Status" column (often "In progress" and such)
        found["rag"] = [(r, i) for r, i in found["rag"] if "rag" in normalise_header(row[i].text)]
    _people_leads(found, row)
    _promote_action(found)
    if "action" not in found or not ({"lead", "timescale", "rag", "progress", "progress_rag"} & found.keys()):
        return None
    # A header is mostly headings: a data row that happens to say "Action" somewhere is not one.
    role_cells = sum(len(v) for k, v in found.items() if k != "links")
    if role_cells < max(2, (named + 1) // 2):
        return None
    ordered = {
        role: tuple(i for _, i in sorted(v, key=lambda x: x[0], reverse=True)) for role, v in found.items()
    }
    roles = {
        role: (min(cols) if role in ("action", "ref", "lead") else cols[0]) for role, cols in ordered.items()
    }
    extra = {role: cols for role, cols in ordered.items() if len(cols) > 1}
    if months:
        roles["timeline"], extra["timeline"] = months[0], tuple(months)
    return Columns(roles, extra, tuple(c.text for c in row), spans=tuple(c.span for c in row))


def _people_leads(found: dict[str, list[tuple[tuple[int, int], int]]], row: list[Cell]) -> None:
    """ "Lead agency" (or "Lead member") beside "Lead officer": the officer leads; the agency is where they
    work, the member oversees."""
    leads = found.get("lead", [])
    people = [(r, i) for r, i in leads if not _NOT_OFFICER.search(normalise_header(row[i].text))]
    if people and len(people) < len(leads):
        found["lead"] = people


def _promote_action(found: dict[str, list[tuple[tuple[int, int], int]]]) -> None:
    """No Action column: the recommendation, objective or outcome column is what each row does."""
    if "action" in found:
        return
    for role in ("recommendation", "objective", "outcome"):
        if role in found:
            found["action"] = found.pop(role)
            return


# ---------------------------------------------------------------- unnamed columns, by their cells

_REF_SHAPE = re.compile(
    r"^(?:(?:action|rec|ref|no)\.?\s*)?(?:[A-Z]{1,2}\d{0,2}(?:\.\d{1,2}){0,2}[a-z]?|\d{1,2}(?:\.\d{1,2}){0,3}[a-z]?|"
    r"[ivx]{1,5}|[a-z])[.)]?$",
    re.I,
)


def is_ref_shaped(text: str) -> bool:
    """ "1", "1.1", "2a", "A", "B2", "iv", "Action 4": the shape of an action ref."""
    return bool(_REF_SHAPE.match(text.strip()))


def with_unnamed_columns(columns: Columns, rows: list[list[Cell]], is_rag: Callable[[Cell], bool]) -> Columns:
    """Give a role to columns whose header cell is empty, from the shape of the cells under them:
    refs (A, B, 1.1, 2a) make a ref column; RAG words or fills make a RAG column. A header cell spanning
    several columns ("Action" over a number column and a text column) names the one its cells fit."""
    roles = dict(columns.roles)
    # Section rows (one filled cell across the table) say nothing about the column's shape.
    data = [r for r in rows[:200] if sum(1 for c in r if c.text) > 1]
    _spread(roles, columns.spans, data)
    rec = roles.get("recommendation")
    rec_ref = columns.rec_ref
    header = columns.header
    if rec and rec - 1 < len(header) and not header[rec - 1].strip() and rec - 1 not in roles.values():
        rec_ref = rec - 1  # the number of the recommendation, beside it (the 2019 Stockton plan)
    taken = set(roles.values()) | ({rec_ref} if rec_ref is not None else set())
    for index, name in enumerate(header):
        if name.strip() or index in taken:
            continue
        values = [r[index] for r in data if index < len(r) and (r[index].text or r[index].fill)]
        texts = [c.text for c in values if c.text]
        if "ref" not in roles and len(texts) >= 2 and _share(texts, is_ref_shaped) >= 0.8:
            roles["ref"] = index
        elif "rag" not in roles and len(values) >= 2 and _share(values, is_rag) >= 0.8:
            roles["rag"] = index
    return Columns(roles, columns.extra, header, rec_ref, columns.spans)


def _spread(roles: dict[str, int], spans: tuple[int, ...], data: list[list[Cell]]) -> None:
    for role, index in list(roles.items()):
        span = spans[index] if index < len(spans) else 1
        if span <= 1:
            continue
        covered = [i for i in range(index, index + span) if i == index or i not in roles.values()]
        texts = {i: [r[i].text for r in data if i < len(r) and r[i].text] for i in covered}
        if role == "action" and "ref" not in roles:
            refs = [i for i in covered if len(texts[i]) >= 2 and _share(texts[i], is_ref_shaped) >= 0.8]
            if refs and len(covered) > 1:
                roles["ref"] = refs[0]
                covered.remove(refs[0])
        # The covered column holding the most text is the one the header names.
        roles[role] = max(covered, key=lambda i: (sum(len(t) for t in texts[i]), -i))


def _share(items: list, test) -> float:
    return sum(1 for item in items if test(item)) / len(items) if items else 0.0


# ---------------------------------------------------------------- glossary and history tables

_GLOSSARY = {
    "abbreviation": re.compile(
        r"^(abbreviations?|acronyms?|abbrev|initials|short ?names?|alias(es)?|terms?)$"
    ),
    "title": re.compile(
        r"^(titles?|roles?|job titles?|posts?|positions?|meanings?|stands for|full titles?|descriptions?|"
        r"full (name|form|term)|definitions?)$"
    ),
    "name": re.compile(r"^(names?|officers?|persons?|full names?|leads?|post ?holders?)$"),
}
_HISTORY = {
    "version": re.compile(
        r"^(document |doc |plan )?(version|ver|v|issue|revision|rev)( no| number| #)?$|^v(er)?\.? ?no$"
    ),
    "date": re.compile(
        r"^(date( issued| of issue| approved| of change| of revision| published| amended)?|issue date|"
        r"issued|revision date|approved on|date of version)$"
    ),
    "summary": re.compile(
        r"^(summary( of (changes?|amendments?))?|changes?( made)?|description( of (changes?|amendments?))?|"
        r"comments?|details|reason( for (change|revision))?|amendments?( made)?|notes?)$"
    ),
    "author": re.compile(
        r"^(author|by|owner|updated by|amended by|approved by|prepared by|editor|reviewed by)$"
    ),
}


def _whole_cells(row: list[Cell], patterns: dict[str, re.Pattern[str]]) -> tuple[dict[str, int], int]:
    found: dict[str, int] = {}
    named = 0
    for index, cell in enumerate(row):
        if not cell.text:
            continue
        named += 1
        key = normalise_header(cell.text)
        for name, pattern in patterns.items():
            if name not in found and len(key) <= 40 and pattern.match(key):
                found[name] = index
                break
    return found, named


def glossary_header(row: list[Cell]) -> dict[str, int] | None:
    found, named = _whole_cells(row, _GLOSSARY)
    if "abbreviation" in found and ({"title", "name"} & found.keys()) and len(found) * 2 >= named:
        return found
    return None


def history_header(row: list[Cell]) -> dict[str, int] | None:
    found, named = _whole_cells(row, _HISTORY)
    if "version" in found and "date" in found and len(found) * 2 >= named:
        return found
    return None


_ABBREVIATION = re.compile(r"^[A-Za-z&()./\- ]{2,14}$")


_GLOSSARY_TITLE = re.compile(
    r"^(glossary|(list of |key to )?(abbreviations|acronyms)|terms used|abbreviations used)\b", re.I
)


def headerless_glossary(rows: list[list[Cell]], title: str = "") -> dict[str, int] | None:
    """A table of abbreviations with no header row: "DCS | Director of Children's Services" on every row.
    Under a "Glossary" or "Abbreviations" line, any short term with its meaning beside it will do
    ("HT | Headteacher")."""
    titled = bool(_GLOSSARY_TITLE.match(title.strip()))
    filled: list[list[Cell]] = []
    for row in rows:
        cells = [c for c in row if c.text]
        if cells and len(cells) not in (2, 3):
            return None  # a glossary row names an abbreviation and what it stands for, little else
        if cells:
            filled.append(cells)
    if len(filled) < 3:
        return None

    def abbreviation_row(cells: list[Cell]) -> bool:
        short, long = cells[0].text, cells[1].text
        capitals = sum(1 for ch in short if ch.isupper())
        if titled:
            return bool(_ABBREVIATION.match(short)) and len(long) > len(short)
        return (
            bool(_ABBREVIATION.match(short))
            and capitals >= 2
            and len(short.split()) <= 3
            and len(long.split()) >= 2
        )

    if _share(filled, abbreviation_row) < 0.8:
        return None
    first = next(row for row in rows if any(c.text for c in row))
    positions = [i for i, c in enumerate(first) if c.text]
    found = {"abbreviation": positions[0], "title": positions[1]}
    if len(positions) > 2:
        found["name"] = positions[2]
    return found


def sub_header(header: list[Cell], row: list[Cell]) -> Columns | None:
    """The header when ``row`` is the lower half of a two-row header ("Timescale" merged over "Start |
    End", "Progress" over "Previous update | Progress this quarter"): every cell of ``row`` with text sits
    under a merged header cell or an empty one and names a column. Each sub-column is named by its own
    text when that names a role, else by the group's ("Timescale – End")."""
    if len(row) != len(header):
        return None
    group = ""
    names: list[str] = []
    under_group = False
    for top, low in zip(header, row, strict=True):
        if top.span != 0:  # a cell of its own; 0: covered by the merged cell before it
            group = top.text if top.span > 1 else ""
        if not low.text:
            names.append(top.text)
            continue
        if (top.text and not group) or not _looks_like_header_cell(low.text):
            return None
        under_group = under_group or bool(group)
        names.append(low.text if header_role(low.text) else f"{group} – {low.text}".strip(" –"))
    if not under_group:
        return None
    return action_header([Cell.of(n) for n in names])


def _looks_like_header_cell(text: str) -> bool:
    return (
        len(text) <= 40 and "\n" not in text and not _DATA_LIKE.match(text) and not re.search(r"\d{3,}", text)
    )
