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
    for action in missing:
        top = action.section
        while top is not None and top.parent is not None:
            top = top.parent
        prefix = f"{top.ref}." if top is not None and top.ref else ""
        counters[prefix] = counters.get(prefix, 0) + 1
        ref = f"{prefix}{counters[prefix]}"
        while ref in taken:
            counters[prefix] += 1
            ref = f"{prefix}{counters[prefix]}"
        taken.add(ref)
        action.ref, action.ref_generated = ref, True
    warnings.add(
        f"the plan gives no action refs for {len(missing)} action(s): numbered them per "
        f"section ({missing[0].ref}, ...)"
    )


def deduplicate_refs(actions: list[ParsedAction], warnings: Warnings) -> None:
    seen: dict[str, int] = {}
    for action in actions:
        ref = action.ref or ""
        seen[ref] = seen.get(ref, 0) + 1
        if seen[ref] > 1:
            action.ref = f"{ref} ({seen[ref]})"
            warnings.add(f"{action.where}: duplicate ref {ref}: this one is stored as '{action.ref}'")


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
    for action in actions:
        leads, changed = _settled_leads(action, alone, glossary_keys, names, warnings)
        if changed:
            action.leads = leads
            action.lead_segments = list(leads)


def _settled_leads(
    action: ParsedAction, alone: set[str], glossary_keys: set[str], names: set[str], warnings: Warnings
) -> tuple[list[str], bool]:
    leads: list[str] = []
    changed = False
    for lead in action.leads:
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


def _bracketed_head(lead: str, alone: set[str], glossary_keys: set[str], names: set[str]) -> str | None:
    bracketed = re.fullmatch(r"(.+?)\s*\((.+)\)", lead)
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
