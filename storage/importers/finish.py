"""Stage 5 of the importer: once every row is read, number the actions the plan left unnumbered, tell
duplicate refs apart, settle leads now that the whole plan says who leads on their own, and say what
could not be read (unknown RAG values, abbreviations nobody explains, inherited leads)."""

from __future__ import annotations

import re

from storage.importers.actions import ActionReader, Warnings
from storage.importers.leads import abbreviations, key, split_known_head, standalone_parts
from storage.importers.model import GlossaryEntry, ParsedAction
from storage.importers.segments import title_of

_QUALIFIERS = {"interim", "acting", "temporary", "temp", "chair", "lead", "tbc", "vacant"}


def finish(reader: ActionReader, glossary: list[GlossaryEntry]) -> list[str]:
    """Tidy the reader's actions in place; returns the lead abbreviations the plan never explains."""
    actions, warnings = reader.actions, reader.warnings
    glossary.extend(abbreviations_in_brackets(actions, glossary))
    warn_unknown_rags(reader.found.unknown_rags, ", ".join(reader.scheme.labels), warnings)
    generate_refs(actions, warnings)
    deduplicate_refs(actions, warnings)
    split_lead_heads(actions, glossary, warnings)
    unexplained = unexplained_abbreviations(actions, glossary)
    inherited = [a.ref for a in actions if a.lead_inherited]
    if inherited:
        warnings.add(
            f"{len(inherited)} action(s) with an empty Lead cell took the lead of the action "
            f"above them under the same outcome: {', '.join(r or '' for r in inherited)}"
        )
    for action in actions:
        if not action.title:
            action.title = title_of(action.text) or f"Action {action.ref}"
            if not action.text:
                warnings.add(f"{action.where}: {action.ref} has no action text")
    # Reported now that every action has its final ref.
    for where, action, rag in reader.found.rag_conflicts:
        warnings.add(
            f"{where}: a continuation row of {action.ref} ({short(action.title)}) says {rag} "
            f"but the action says {action.rag}; kept {action.rag}"
        )
    return unexplained


def short(title: str, width: int = 50) -> str:
    if len(title) <= width:
        return f"'{title}'"
    return "'" + title[:width].rsplit(" ", 1)[0] + "…'"


def warn_unknown_rags(unknown: dict[str, list[str]], scheme: str, warnings: Warnings) -> None:
    for value, places in unknown.items():
        where = places[0] if len(places) == 1 else f"{places[0]} and {len(places) - 1} more row(s)"
        warnings.add(f"{where}: unknown RAG {value} (the plan's scheme is {scheme}); left empty")


def generate_refs(actions: list[ParsedAction], warnings: Warnings) -> None:
    """Number the actions with no ref per top-level section ("1.1", "1.2" … in area One)."""
    missing = [a for a in actions if not a.ref]
    if not missing:
        return
    taken = {a.ref for a in actions if a.ref}
    counters: dict[str, int] = {}
    # A section with no number of its own (a Recommendation or Area column's text) is numbered by its
    # place among the plan's sections, as a heading with no number is.
    tops: list = []
    for action in actions:
        top = _top(action.section)
        if top is not None and all(top is not t for t in tops):
            tops.append(top)
    lettered_tops = {
        id(t)
        for t in (_top(a.section) for a in missing)
        if all(_LETTERED.match(a.title) for a in missing if _top(a.section) is t)
    }
    for action in missing:
        top = _top(action.section)
        number = top.ref if top is not None and top.ref else ""
        if top is not None and not number:
            number = str(next(i for i, t in enumerate(tops, 1) if t is top))
        prefix = f"{number}." if number else ""
        lettered = _LETTERED.match(action.title)
        if lettered and id(top) in lettered_tops:
            # "a) Appoint …" under "Phase 1 – …": the plan letters its actions within the section: "1a"
            ref = f"{number}{lettered.group(1).casefold()}"
            if ref not in taken:
                action.title = lettered.group(2)
                taken.add(ref)
                action.ref, action.ref_generated = ref, False
                continue
        counters[prefix] = counters.get(prefix, 0) + 1
        ref = f"{prefix}{counters[prefix]}"
        while ref in taken:
            counters[prefix] += 1
            ref = f"{prefix}{counters[prefix]}"
        taken.add(ref)
        action.ref, action.ref_generated = ref, True
    numbered = [a for a in missing if a.ref_generated]
    if numbered:
        warnings.add(
            f"the plan gives no action refs for {len(numbered)} action(s): numbered them per "
            f"section ({numbered[0].ref}, ...)"
        )


_LETTERED = re.compile(r"^\(?([a-zA-Z])\)\s+(\S.*)$", re.S)


def _top(section):
    while section is not None and section.parent is not None:
        section = section.parent
    return section


def deduplicate_refs(actions: list[ParsedAction], warnings: Warnings) -> None:
    seen: dict[str, int] = {}
    for action in actions:
        ref = action.ref or ""
        seen[ref] = seen.get(ref, 0) + 1
        if seen[ref] > 1:
            action.ref = f"{ref} ({seen[ref]})"
            warnings.add(f"{action.where}: duplicate ref {ref}: this one is stored as '{action.ref}'")


_SMALL = {"of", "and", "for", "the", "to", "in", "&", "with", "at", "on", "-", "–"}


def abbreviations_in_brackets(
    actions: list[ParsedAction], glossary: list[GlossaryEntry]
) -> list[GlossaryEntry]:
    """ "Designated Clinical Officer (DCO)": the bracket gives the post's abbreviation, not another lead.
    The lead is the post, and the pair is a glossary entry of its own, so "DCO" alone elsewhere in the
    plan is the same person. Returns the entries the glossary did not have."""
    known = {key(e.abbreviation): e.title for e in glossary}
    found: dict[str, GlossaryEntry] = {}
    for action in actions:
        leads = []
        for lead in action.leads:
            match = re.fullmatch(r"(.+?)\s*\(([^()]{2,12})\)", lead)
            if match and _abbreviates(match.group(2), match.group(1), known):
                title, abbreviation = match.group(1).strip(), match.group(2).strip()
                if key(abbreviation) not in known:
                    found.setdefault(key(abbreviation), GlossaryEntry(abbreviation, title, ""))
                lead = title
            if lead not in leads:
                leads.append(lead)
        if leads != action.leads:
            action.leads, action.lead_segments = leads, list(leads)
    return list(found.values())


_WORD_BREAK = re.compile(r"[\s\-–]+")


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def _abbreviates(abbreviation: str, title: str, known: dict[str, str]) -> bool:
    """The bracket is the initials of the words before it ("DCS" for Director of Children's Services,
    "SENCo", "HoS"), or the glossary's abbreviation for exactly that title."""
    if key(known.get(key(abbreviation), "")) == key(title):
        return True
    words = [w for w in _WORD_BREAK.split(title) if w and w.casefold() not in _SMALL]
    initials = "".join(w[0] for w in words if w[0].isalnum()).casefold()
    letters = _NOT_ALNUM.sub("", abbreviation)
    capitals = "".join(ch for ch in letters if ch.isupper() or ch.isdigit())
    return len(initials) >= 2 and initials in (letters.casefold(), capitals.casefold())


def split_lead_heads(actions: list[ParsedAction], glossary: list[GlossaryEntry], warnings: Warnings) -> None:
    """A lead cell that opens with someone who leads other actions on their own ("DCS and key partner
    agencies And partnerships"): that person leads, and the rest is a note, not a person."""
    glossary_keys = {key(e.abbreviation) for e in glossary} | {key(e.title) for e in glossary if e.title}
    names = {key(e.name) for e in glossary if e.name}
    alone = set(glossary_keys)
    for action in actions:
        for lead in action.leads:
            if len(standalone_parts(lead) - {""}) == 1:
                alone.add(key(lead))
    alone.discard("")
    whole = {key(lead) for action in actions for lead in action.leads}
    for action in actions:
        leads, changed = _settled_leads(action, alone, glossary_keys, names, warnings, whole)
        if changed:
            action.leads = leads
            action.lead_segments = list(leads)


def _settled_leads(
    action: ParsedAction,
    alone: set[str],
    glossary_keys: set[str],
    names: set[str],
    warnings: Warnings,
    whole: set[str],  # every lead of the plan as written, whole
) -> tuple[list[str], bool]:
    leads: list[str] = []
    changed = False
    for lead in action.leads:
        pair = _post_and_lead(lead, whole)
        if pair:
            # "Head of Service, DCS" where DCS leads other actions on their own: two leads, not a post at DCS.
            changed = True
            leads.extend(p for p in pair if p not in leads)
            continue
        head = _bracketed_head(lead, alone, glossary_keys, names)
        if head is not None:
            # "DCS (Pat Jones)", "PSW (interim)": the bracket names the person or qualifies the post;
            # "Head of Service (Early Help)" names another post and stays whole.
            changed = True
            if head not in leads:
                leads.append(head)
            continue
        split = None if key(lead) in alone else split_known_head(lead, lambda p: key(p) in alone)
        if split is None:
            leads.append(lead)
            continue
        people, note = split
        changed = True
        leads.extend(p for p in people if p not in leads)
        if note:
            warnings.add(
                f"{action.where}: lead '{lead}' read as {' / '.join(people)}; '{note}' reads as a note, not a lead"
            )
    return leads, changed


_POST_THEN_ABBREVIATION = re.compile(r"(.+?),\s*([A-Z][A-Za-z]{0,2}[A-Z]{1,5})")


def _post_and_lead(lead: str, whole: set[str]) -> list[str]:
    match = _POST_THEN_ABBREVIATION.fullmatch(lead)
    if match and key(match.group(2)) in whole:
        return [match.group(1).strip(), match.group(2)]
    return []


_BRACKETED = re.compile(r"(.+?)\s*\((.+)\)")


def _bracketed_head(lead: str, alone: set[str], glossary_keys: set[str], names: set[str]) -> str | None:
    bracketed = _BRACKETED.fullmatch(lead)
    if (
        bracketed
        and key(lead) not in glossary_keys
        and key(bracketed.group(1)) in alone
        and (key(bracketed.group(2)) in names or bracketed.group(2).strip().casefold() in _QUALIFIERS)
    ):
        return bracketed.group(1)
    return None


def unexplained_abbreviations(actions: list[ParsedAction], glossary: list[GlossaryEntry]) -> list[str]:
    glossary_keys = {key(e.abbreviation) for e in glossary} | {key(e.title) for e in glossary if e.title}
    found: list[str] = []
    for action in actions:
        for lead in action.leads:
            if key(lead) in glossary_keys:
                continue
            # Only an abbreviation standing for a person ("DCS", "DCS and partners"); one inside a
            # role title ("HR Business Partner") names the role well enough.
            for abbr in abbreviations(lead):
                if abbr in standalone_parts(lead) and key(abbr) not in glossary_keys and abbr not in found:
                    # Warned about at import, unless the database already knows who it is.
                    found.append(abbr)
    return found
