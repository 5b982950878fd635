"""Lead cells: which segments name people, how one cell names several, and which abbreviations the
plan never explains."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from storage.aliases import alias_key

_HARD_SPLIT = re.compile(r"\s*/\s*|\s*;\s*|\n+")
# "," "&" and "and" also join words inside one role title ("Service Manager Quality, Practice and
# Review"), so they only split a cell when every part is someone the plan or the database knows.
_SOFT_SPLIT = re.compile(r"\s*,\s*|\s*&\s*|\s+and\s+", re.I)
_ABBREVIATION = re.compile(r"\b[A-Z][A-Z0-9]{1,6}\b")
_NOTE_WORDS = re.compile(r"\b(to come|by exception|will|should|tbc|tbd|to be)\b", re.I)


@lru_cache(maxsize=4096)
def key(text: str) -> str:
    """The glossary key: people's alias key (``storage.aliases``). Memoised: the same leads and
    abbreviations are looked up again on every row of a plan."""
    return alias_key(text)


# Memoised, as the helpers below: a pure function of the text, asked of the same leads row after row.
@lru_cache(maxsize=4096)
def is_note(text: str) -> bool:
    """A remark in the lead column ("Issues to come to GABB by exception.") rather than a lead."""
    words = text.split()
    if len(words) > 10:
        return True
    if text.rstrip().endswith((".", "!")) and len(words) >= 4:
        return True
    return len(words) >= 4 and bool(_NOTE_WORDS.search(text))


def hard_parts(text: str) -> list[str]:
    """A lead cell's parts between "/", ";" and line breaks: always separate leads, whatever each holds."""
    return list(_hard_parts(text))


@lru_cache(maxsize=4096)
def _hard_parts(text: str) -> tuple[str, ...]:
    return tuple(p.strip(" ,.") for p in _HARD_SPLIT.split(text) if p.strip(" ,."))


def split_people(
    text: str, known: Callable[[str], bool], person: Callable[[str], bool] | None = None
) -> list[str]:
    """The people a lead cell names: split at "/", ";" and line breaks always, and at ",", "&" and "and"
    when every part is someone known or reads as a post title ("HR Business Partner and Workforce
    Development Manager"); "Head of Early Help and Prevention" stays one lead. ``person`` says whether an
    abbreviation after a comma names a person ("DCS") rather than the organisation of the post before it
    ("ICB"); by default, whether it is known."""
    people: list[str] = []
    for part in hard_parts(text):
        soft = soft_parts(part, person or known)
        if len(soft) > 1 and all(known(p) or is_post(p) for p in soft):
            people.extend(soft)
        else:
            people.append(part)
    return people


_POST_WORDS = re.compile(
    r"\b(director|manager|head|officer|lead|leader|partner|co-?ordinator|nurse|doctor|advis[eo]r|worker|"
    r"chair|commissioner|principal|superintendent|inspector|consultant|practitioner|administrator|analyst|"
    r"supervisor|executive|deputy|assistant|member|secretary|headteacher|governor|psychologist|therapist|"
    r"paediatrician|clinician|solicitor|specialist|planner|controller|chief|designated|champion)s?\b",
    re.I,
)


_ABBREVIATED_POST = re.compile(r"[A-Z][A-Za-z]{0,2}[A-Z]{1,5}")


def is_post(text: str) -> bool:
    """A post title ("Workforce Development Manager", "Head of Safeguarding") or an abbreviation for one
    ("DCS"): capitalised words with a word that names a post."""
    text = text.strip()
    if _ABBREVIATED_POST.fullmatch(text):
        return True
    return looks_like_lead(text) and bool(_POST_WORDS.search(text))


def abbreviations(text: str) -> list[str]:
    return _ABBREVIATION.findall(text)


def standalone_parts(text: str) -> set[str]:
    """The parts of a lead between "/", ";", ",", "&" and "and": "DCS and partners" -> {"DCS", "partners"}."""
    return {p for part in _HARD_SPLIT.split(text) for p in soft_parts(part)} or {""}


_SOFT_SEPARATOR = re.compile(r"(\s*,\s*|\s*&\s*|\s+and\s+)", re.I)
_BARE_ABBREVIATION = re.compile(r"[A-Z][A-Za-z]{0,2}[A-Z]{1,5}")


def soft_parts(text: str, known: Callable[[str], bool] = lambda _: False) -> list[str]:
    """The parts between ",", "&" and "and", with an unknown abbreviation after a comma kept on the post
    before it: "Head of Commissioning, ICB" and "Detective Sergeant, MASH" name one post in an
    organisation or team, not two leads."""
    pieces = _SOFT_SEPARATOR.split(text)
    parts: list[str] = []
    for index in range(0, len(pieces), 2):
        piece = pieces[index].strip(" ,.")
        separator = pieces[index - 1].strip() if index else ""
        if (
            parts
            and separator == ","
            and _is_place(piece)
            and not known(piece)
            and len(parts[-1].split()) >= 2
        ):
            parts[-1] = f"{parts[-1]}, {piece}"
        elif piece:
            parts.append(piece)
    return parts


def _is_place(piece: str) -> bool:
    """What follows a post after a comma to say where it is: "ICB", "MASH", "Exploitation", "Children's
    Services"; not another post ("Head of Safeguarding") or a person ("Pat Jones")."""
    if _BARE_ABBREVIATION.fullmatch(piece):
        return True
    words = piece.split()
    return (
        1 <= len(words) <= 2
        and looks_like_lead(piece)
        and not _POST_WORDS.search(piece)
        and not is_personal_name(piece)
    )


_CONTINUES = re.compile(r"(,|&|\band|\bof|\bfor|-|–)$", re.I)


def join_broken_lines(segments: list[str]) -> list[str]:
    """A title broken over two lines ("Head of", "Children's Services") is one lead, not two."""
    joined: list[str] = []
    for seg in segments:
        if joined and (seg[:1].islower() or _CONTINUES.search(joined[-1])):
            joined[-1] = f"{joined[-1]} {seg}"
        else:
            joined.append(seg)
    return joined


_SMALL_WORDS = {"of", "and", "for", "the", "to", "in", "&", "-", "–", "with", "at", "on"}


_SPACE = re.compile(r"\s+")


def looks_like_lead(text: str) -> bool:
    """A role title or a name ("Head of Safeguarding", "Police", "Jo Bloggs") rather than a phrase
    ("key partner agencies and partnerships", "partners"): its words are capitalised."""
    words = [w for w in _SPACE.split(text.strip()) if w]
    if not words:
        return False
    return (
        all(w[:1].isupper() or w[:1].isdigit() or w.casefold() in _SMALL_WORDS for w in words)
        and words[0].casefold() not in _SMALL_WORDS
    )


def split_known_head(text: str, known_alone: Callable[[str], bool]) -> tuple[list[str], str] | None:
    """ "DCS and key partner agencies And partnerships", where "DCS" leads other actions on its own:
    the lead is DCS and the rest is a note. Capitalised parts after the known head are leads too
    ("Head of Exploitation & Head of Safeguarding"). None when the cell does not start with a known lead."""
    parts = soft_parts(text, known_alone)
    if len(parts) < 2 or not known_alone(parts[0]):
        return None
    people = [parts[0]]
    notes: list[str] = []
    for part in parts[1:]:
        if not notes and (known_alone(part) or looks_like_lead(part)):
            people.append(part)
        else:
            notes.append(part)
    note = ""
    if notes:
        # The note as written, from where it starts ("key partner agencies And partnerships").
        start = text.find(notes[0])
        note = text[start:].strip(" ,.") if start >= 0 else " and ".join(notes)
    return people, note


# --- a person named with their post or address ----------------------------------------------------

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_HONORIFICS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "prof",
    "professor",
    "cllr",
    "councillor",
    "sir",
    "dame",
}
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*|[A-Z]\.?|O['’][A-Z][a-z]+|Mc[A-Z][a-z]+")
_SPACED_DASH = re.compile(r"\s+[–—-]\s+")


def is_personal_name(text: str) -> bool:
    """ "Sarah Okafor", "Dr Helen Marsh", "Mary-Jane O'Neill": two to four capitalised words (after an
    honorific), none of them a post word or an abbreviation; "DI Smith" and "Named Nurse" are not."""
    words = text.split()
    if words and words[0].rstrip(".").casefold() in _HONORIFICS:
        words = words[1:]
    return (
        2 <= len(words) <= 4
        and all(_NAME_WORD.fullmatch(w) for w in words)
        and not _POST_WORDS.search(" ".join(words))
    )


_EMPTY_BRACKETS = re.compile(r"[<(\[]\s*[>)\]]|mailto:")


def without_email(text: str) -> tuple[str, str | None]:
    """ "Priya Shah <priya.shah@x.gov.uk>" -> ("Priya Shah", the address); a cell that is only an address
    stays as it is, since the address is then all the plan says about who it is."""
    found = _EMAIL.search(text)
    if not found:
        return text, None
    rest = _EMAIL.sub("", text)
    rest = _EMPTY_BRACKETS.sub("", rest).strip(" ,;:-–<>()[]")
    return (rest, found.group(0)) if rest else (text, found.group(0))


_NAME_THEN_BRACKET = re.compile(r"(.+?)\s*\((.+)\)")


def name_and_post(text: str) -> tuple[str, str] | None:
    """The person and their post when a lead gives both: "Sarah Okafor (Director of Finance)", "Head of
    Early Help – Tom Reilly", "Tom Reilly – Head of Early Help". None when it is not one person's name
    with a post ("Police – DI Smith" names an agency and an officer; "Head of Service (Early Help)" a
    post): those stay as written."""
    bracketed = _NAME_THEN_BRACKET.fullmatch(text.strip())
    if bracketed and is_personal_name(bracketed.group(1)) and _POST_WORDS.search(bracketed.group(2)):
        return bracketed.group(1).strip(), bracketed.group(2).strip()
    parts = _SPACED_DASH.split(text.strip())
    if len(parts) != 2:
        return None
    first, second = (p.strip() for p in parts)
    if is_personal_name(second) and _POST_WORDS.search(first):
        return second, first
    if is_personal_name(first) and _POST_WORDS.search(second):
        return first, second
    return None
