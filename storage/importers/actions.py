"""Pass 2 of the parser: read action rows in order into sections and actions.

Keeps the current section, outcome and objective as it goes (they cover the rows below them), splits
rows holding several actions, folds continuation rows into the action they continue, then numbers
actions the plan left unnumbered and tells duplicate refs apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.importers.leads import (
    abbreviations,
    is_note,
    join_broken_lines,
    key,
    split_known_head,
    split_people,
    standalone_parts,
)
from storage.importers.model import Cell, GlossaryEntry, ParsedAction, ParsedSection
from storage.importers.segments import (
    Piece,
    cell_segments,
    has_action_label,
    has_inline_ref,
    parse_action_cell,
    plain_segments,
    starts_with_plain_ref,
    title_of,
)
from storage.rag import RagScheme

HEADING = re.compile(
    r"^(improvement area|area|phase|priority|theme|workstream|section|recommendation|strand|part)\s+"
    r"(\d+|[ivx]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z])\b\s*[:.\-–]?",
    re.I,
)
_NUMBER_WORDS = {
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
# What plans write in a RAG cell to mean "not rated": no warning for these.
_NO_RAG = {"-", "–", "—", "n/a", "na", "n.a.", "tbc", "tbd", "?", "none", "not rated", "not applicable"}
_QUALIFIERS = {"interim", "acting", "temporary", "temp", "chair", "lead", "tbc", "vacant"}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


@dataclass
class Unit:
    """One logical table (possibly split over pages), with section headings found between its parts."""

    kind: str  # action | glossary | history | key
    columns: dict[str, int] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    items: list[tuple[str, object, str]] = field(default_factory=list)  # (kind, row|text, where)


class Warnings(list):
    """Warnings in the order found, each once."""

    def add(self, message: str) -> None:
        if message not in self:
            self.append(message)


def section_number(title: str, fallback: int) -> str:
    match = HEADING.match(title)
    if match:
        word = match.group(2).casefold()
        if word.isdigit():
            return str(int(word))
        if word in _NUMBER_WORDS:
            return str(_NUMBER_WORDS[word])
        if word in _ROMAN:
            return str(_ROMAN[word])
        return word.upper()
    numbered = re.match(r"^(\d{1,2})[.):]?\s+\S", title)  # "2. Our practice"
    return numbered.group(1) if numbered else str(fallback)


def _kind_of(title: str) -> str:
    word = title.split()[0].casefold() if title.split() else ""
    return {
        "improvement": "area",
        "area": "area",
        "phase": "phase",
        "priority": "priority",
        "theme": "theme",
        "recommendation": "recommendation",
        "workstream": "workstream",
    }.get(word, "section")


class ActionReader:
    def __init__(self, scheme: RagScheme, glossary: list[GlossaryEntry], warnings: Warnings) -> None:
        self.scheme = scheme
        self.warnings = warnings
        self.glossary_keys = {key(e.abbreviation) for e in glossary} | {
            key(e.title) for e in glossary if e.title
        }
        self.glossary_names = {key(e.name) for e in glossary if e.name}
        self.sections: list[ParsedSection] = []
        self.actions: list[ParsedAction] = []
        self.heading: ParsedSection | None = None
        self.section: ParsedSection | None = None
        self.outcome_group: list[ParsedAction] = []
        self.objective_group: list[ParsedAction] = []
        self.outcome = ""
        self.objective = ""
        self.last_row: list[ParsedAction] = []
        self.awaiting_strapline = False
        self.last_tail = "text"
        self.rag_conflicts: list[tuple[str, ParsedAction, str]] = []
        self.unknown_rags: dict[str, list[str]] = {}  # value -> where: one warning per distinct value
        self.unexplained: list[str] = []
        self.prev_leads: list[str] = []
        self.prev_times: list[str] = []

    # -- sections
    def _heading(self, title: str) -> None:
        if self.awaiting_strapline and self.heading and not HEADING.match(title):
            self.heading.description = title
            self.awaiting_strapline = False
            return
        number = section_number(title, len([s for s in self.sections if s.parent is None]) + 1)
        self.heading = ParsedSection(_kind_of(title), title, ref=number)
        self.sections.append(self.heading)
        self.section = self.heading
        self.outcome, self.objective = "", ""
        self.outcome_group, self.objective_group = [], []
        self.awaiting_strapline = True

    def _recommendation(self, ref: str, text: str) -> None:
        if self.section is not None and self.section.kind == "recommendation" and text[:1].islower():
            self.section.title = f"{self.section.title} {text}"
            return
        numbered = re.match(r"^(?:recommendation\s+)?(\d{1,2}|[A-Z])[.):]\s+(?=\S)", text, re.I)
        if numbered and not ref.strip():
            ref = numbered.group(1)  # "1. Improve the timeliness…": the number is in the text
        ref = ref.rstrip(".").strip() or None
        section = ParsedSection(
            "recommendation", text or f"Recommendation {ref}", ref=ref, parent=self.heading
        )
        self.sections.append(section)
        self.section = section

    # -- the table
    def read(self, unit: Unit) -> None:
        cols = unit.columns
        rows = [row for kind, row, _ in unit.items if kind == "row"]
        action_col = cols["action"]
        self.has_ref_col = "ref" in cols
        cells = [r[action_col] for r in rows if action_col < len(r) and r[action_col].text]
        # Bold refs are deliberate; plain "1.1 " openings count only when most rows have one, because
        # a numbered sentence now and then is just a numbered sentence.
        plain = sum(1 for c in cells if starts_with_plain_ref(c))
        self.action_labels = any(has_action_label(c) for c in cells)
        self.inline_refs = not self.has_ref_col and (
            any(has_inline_ref(c) for c in cells) or (plain >= 2 and plain * 2 >= len(cells))
        )
        rec = cols.get("recommendation")
        # The unnamed column before "Recommendation" holds its number ("1", "4.") in the 2019 plan.
        self.rec_ref_col = (
            rec - 1 if rec and rec - 1 < len(unit.header) and not unit.header[rec - 1].strip() else None
        )
        for kind, payload, where in unit.items:
            if kind == "row":
                self._row(payload, cols, where)
            elif kind == "heading":
                self.awaiting_strapline = False
                self._heading(payload)
            elif kind == "strapline" and self.awaiting_strapline and self.heading:
                self.heading.description = payload
                self.awaiting_strapline = False

    def _row(self, row: list[Cell], cols: dict[str, int], where: str) -> None:
        def cell(role: str) -> Cell:
            i = cols.get(role)
            return row[i] if i is not None and i < len(row) else Cell()

        filled = [(i, c) for i, c in enumerate(row) if c.text]
        if not filled and not any(c.fill for c in row):
            return
        if len(filled) == 1 and self._is_heading_cell(*filled[0], cols):
            self._heading(filled[0][1].text)
            return
        if len(filled) == 1 and self.awaiting_strapline and self.heading and filled[0][0] < cols["action"]:
            # The line under a heading that an export turned into a row of its own.
            self.heading.description = filled[0][1].text
            self.awaiting_strapline = False
            return
        self.awaiting_strapline = False
        if self.rec_ref_col is not None or "recommendation" in cols:
            ref_col = self.rec_ref_col
            ref_text = row[ref_col].text if ref_col is not None and ref_col < len(row) else ""
            rec_text = cell("recommendation").text
            if ref_text or rec_text:
                self._recommendation(ref_text, rec_text)
        self._carry("outcome", cell("outcome").text)
        self._carry("objective", cell("objective").text)

        row_ref = cell("ref").text.strip().rstrip(".") if self.has_ref_col else ""
        action_cell = cell("action")
        parsed = parse_action_cell(
            action_cell, refs_in_use=self.inline_refs or self.has_ref_col, labelled=self.action_labels
        )
        pieces = parsed.pieces
        if self.has_ref_col:
            pieces = self._ref_column_pieces(parsed, row_ref, plain_segments(cell("ref")))
        lead_segs = [s for s in join_broken_lines(plain_segments(cell("lead"))) if not self._note(s, where)]
        time_segs = plain_segments(cell("timescale"))
        # A cell merged with the one above (vMerge) holds the same lead or timescale for this row.
        if cell("lead").continued:
            lead_segs = list(self.prev_leads)
        if cell("timescale").continued:
            time_segs = list(self.prev_times)
        if pieces:
            self.prev_leads, self.prev_times = lead_segs, time_segs
        rag, rag_raw = self._rag(cell("rag"), where)
        if not pieces:
            # Merged cells repeat what the action above already has; only written text continues it.
            self._continue(
                parsed,
                cell,
                [] if cell("lead").continued else lead_segs,
                [] if cell("timescale").continued else time_segs,
                rag,
                rag_raw,
                where,
            )
            return
        n = len(pieces)
        if (
            n > 1
            and not self.inline_refs
            and not self.has_ref_col
            and n not in (len(lead_segs), len(time_segs))
        ):
            # More pieces than leads or timescales: one action whose text runs over several lines,
            # and several timescales are its milestones.
            pieces = [Piece(None, pieces[0].text, [*pieces[0].extras, *(p.full_text for p in pieces[1:])])]
            n = 1
        lead_cell = cell("lead")
        inherit = bool(self.outcome_group) and not (
            lead_segs or lead_cell.text or lead_cell.continued or cell("outcome").text
        )
        if inherit:
            # Plans leave the Lead cell empty under an outcome whose officer leads the rows below.
            lead_segs = list(self.outcome_group[-1].leads)
        progress = _paired(cell("progress"), n)
        if n > 1:
            # One RAG paragraph per action of the row pairs them; otherwise the cell rates them all.
            rag_texts = _paired(cell("rag"), n)
            rags = (
                [self._rag(Cell.of(t), where) for t in rag_texts]
                if len(set(rag_texts)) > 1
                else [(rag, rag_raw)] * n
            )
        paired_objectives = _paired(cell("objective"), n)
        objectives = paired_objectives if n > 1 and len(set(paired_objectives)) == n else None
        success = _paired(cell("success"), n)
        self.last_row = []
        for i, piece in enumerate(pieces):
            leads = [lead_segs[i]] if n > 1 and len(lead_segs) == n else lead_segs
            timescale = time_segs[i] if n > 1 and len(time_segs) == n else "  ".join(time_segs)
            action = ParsedAction(
                ref=piece.ref,
                title=title_of(piece.text) or title_of(piece.full_text),
                text=piece.full_text if n > 1 else self._whole_text(parsed, piece),
                section=self.section,
                outcome=self.outcome,
                # One objective paragraph per action of the row pairs them; otherwise all share it.
                objective=objectives[i] if objectives else self.objective,
                success_criteria=success[i],
                leads=self._people(leads),
                lead_segments=list(leads),
                timescale=timescale,
                progress=progress[i],
                rag=rags[i][0] if n > 1 else rag,
                rag_raw=rags[i][1] if n > 1 else rag_raw,
                where=where,
                lead_inherited=inherit,
            )
            if parsed.outcome and (n == 1 or i == n - 1):
                action.outcome = "\n".join(filter(None, [action.outcome, *parsed.outcome]))
            self.actions.append(action)
            self.last_row.append(action)
        self.last_tail = "outcome" if parsed.ends_in_outcome else "text"
        if cell("outcome").text:
            self.outcome_group = list(self.last_row)
        else:
            self.outcome_group.extend(self.last_row)
        if cell("objective").text:
            self.objective_group = list(self.last_row)
        else:
            self.objective_group.extend(self.last_row)

    @staticmethod
    def _whole_text(parsed, piece: Piece) -> str:
        text = piece.full_text
        if parsed.loose:
            text = "\n".join([*parsed.loose, text])
        return text

    def _ref_column_pieces(self, parsed, row_ref: str, ref_segs: list[str]) -> list[Piece]:
        if not row_ref:
            return []
        refs = [r.strip().rstrip(".") for r in ref_segs]
        texts = [*parsed.loose, *(p.full_text for p in parsed.pieces)]
        if len(refs) > 1 and all(_looks_like_ref(r) for r in refs) and len(texts) == len(refs):
            # "1.1" and "1.2" in one ref cell, one paragraph each in the action cell: one action each.
            parsed.loose = []
            return [Piece(r, t) for r, t in zip(refs, texts, strict=True)]
        extras = [*parsed.loose, *(p.full_text for p in parsed.pieces)]
        parsed.loose = []  # consumed here: the ref column says the whole cell is this one action
        first = extras.pop(0) if extras else ""
        while extras and extras[0][:1].islower():  # a sentence carried onto the next line
            first = f"{first} {extras.pop(0)}"
        return [Piece(row_ref, first, extras)]

    def _is_heading_cell(self, index: int, c: Cell, cols: dict[str, int]) -> bool:
        if HEADING.match(c.text):
            return True
        if index == cols.get("ref") and not _looks_like_ref(c.text):
            return True  # "Early Help and Front Door" alone in the ref column: a section, not a ref
        before_action = index < cols["action"] and index not in (cols.get("outcome"), cols.get("objective"))
        if (
            self.has_ref_col
            and index == cols["action"]
            and c.bold
            and len(c.text) < 150
            and "\n" not in c.text
            and not c.text.rstrip().endswith(".")
        ):
            return True  # a bold line alone in the action column of a plan with a ref column: a heading
        return (c.bold or c.span > 1) and (before_action or index == 0) and len(c.text) < 400

    def _carry(self, name: str, text: str) -> None:
        """Outcome and objective cells cover the rows below them until the next one is written."""
        if not text:
            return
        group = self.outcome_group if name == "outcome" else self.objective_group
        current = getattr(self, name)
        if current and text[:1].islower():  # the sentence above continues after a page break
            joined = f"{current} {text}"
            setattr(self, name, joined)
            for action in group:
                setattr(action, name, joined)
            return
        setattr(self, name, text)
        if name == "outcome":
            self.objective = ""  # objectives sit under an outcome: a new outcome starts afresh

    def _note(self, text: str, where: str) -> bool:
        if is_note(text):
            self.warnings.add(f"{where}: '{text}' in the lead column reads as a note, not a lead; left out")
            return True
        return False

    def _people(self, segments: list[str]) -> list[str]:
        people: list[str] = []
        for seg in segments:
            for person in split_people(seg, lambda p: key(p) in self.glossary_keys):
                if person not in people:
                    people.append(person)
        return people

    def _rag(self, c: Cell, where: str) -> tuple[str | None, str]:
        text = " ".join(c.text.split())
        if text:
            label = self.scheme.parse(text)
            if label:
                return label, text
        if c.fill:
            label = self.scheme.colour_to_label(c.fill)
            if label:
                return label, f"fill #{c.fill}"
            if not text:
                self.unknown_rags.setdefault(f"fill #{c.fill}", []).append(where)
        if text and text.casefold() not in _NO_RAG:
            self.unknown_rags.setdefault(f"'{text}'", []).append(where)
        return None, text

    def _continue(self, parsed, cell, lead_segs, time_segs, rag, rag_raw, where) -> None:
        """A row with no action of its own finishes the previous action (a page break cut it)."""
        if not self.last_row:
            if parsed.cell_text or lead_segs:
                self.warnings.add(f"{where}: text before the first action was skipped")
            return
        last = self.last_row[-1]
        for text in parsed.loose:
            if self.last_tail == "outcome":
                last.outcome = _join(last.outcome, text)
            elif text[:1].islower() and not last.text.rstrip().endswith((".", ":", "!", "?")):
                last.text = f"{last.text} {text}"
                if last.title and last.text.startswith(last.title):
                    last.title = title_of(last.text)
            else:
                last.text = f"{last.text}\n{text}".strip()
        if parsed.outcome:
            last.outcome = "\n".join(filter(None, [last.outcome, *parsed.outcome]))
        for name in ("progress", "success"):
            extra = cell(name).text
            if extra:
                field_name = "success_criteria" if name == "success" else "progress"
                joined = _join(getattr(last, field_name), extra)
                setattr(last, field_name, joined)
        if time_segs:
            last.timescale = "  ".join(filter(None, [last.timescale, *time_segs]))
        for person in self._people(lead_segs):
            if person not in last.leads:
                last.leads.append(person)
        last.lead_segments.extend(s for s in lead_segs if s not in last.lead_segments)
        if rag:
            for action in self.last_row:
                if action.rag is None:
                    action.rag, action.rag_raw = rag, rag_raw
                elif action.rag != rag:
                    self.rag_conflicts.append((where, action, rag))

    # -- after the last table
    def finish(self) -> None:
        self._warn_unknown_rags()
        self._generate_refs()
        self._deduplicate_refs()
        self._split_lead_heads()
        self._abbreviations()
        inherited = [a.ref for a in self.actions if a.lead_inherited]
        if inherited:
            self.warnings.add(
                f"{len(inherited)} action(s) with an empty Lead cell took the lead of the action "
                f"above them under the same outcome: {', '.join(inherited)}"
            )
        for action in self.actions:
            if not action.title:
                action.title = title_of(action.text) or f"Action {action.ref}"
                if not action.text:
                    self.warnings.add(f"{action.where}: {action.ref} has no action text")
        # Reported now that every action has its final ref.
        for where, action, rag in self.rag_conflicts:
            self.warnings.add(
                f"{where}: a continuation row of {action.ref} ({_short(action.title)}) says {rag} "
                f"but the action says {action.rag}; kept {action.rag}"
            )

    def _warn_unknown_rags(self) -> None:
        scheme = ", ".join(self.scheme.labels)
        for value, places in self.unknown_rags.items():
            where = places[0] if len(places) == 1 else f"{places[0]} and {len(places) - 1} more row(s)"
            self.warnings.add(f"{where}: unknown RAG {value} (the plan's scheme is {scheme}); left empty")

    def _generate_refs(self) -> None:
        missing = [a for a in self.actions if not a.ref]
        if not missing:
            return
        taken = {a.ref for a in self.actions if a.ref}
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
        self.warnings.add(
            f"the plan gives no action refs for {len(missing)} action(s): numbered them per "
            f"section ({missing[0].ref}, ...)"
        )

    def _deduplicate_refs(self) -> None:
        seen: dict[str, int] = {}
        for action in self.actions:
            ref = action.ref or ""
            seen[ref] = seen.get(ref, 0) + 1
            if seen[ref] > 1:
                action.ref = f"{ref} ({seen[ref]})"
                self.warnings.add(
                    f"{action.where}: duplicate ref {ref}: this one is stored as '{action.ref}'"
                )

    def _split_lead_heads(self) -> None:
        """A lead cell that opens with someone who leads other actions on their own ("DCS and key partner
        agencies And partnerships"): that person leads, and the rest is a note, not a person."""
        alone = set(self.glossary_keys)
        for action in self.actions:
            for lead in action.leads:
                if len(standalone_parts(lead) - {""}) == 1:
                    alone.add(key(lead))
        alone.discard("")
        for action in self.actions:
            leads: list[str] = []
            changed = False
            for lead in action.leads:
                bracketed = re.fullmatch(r"(.+?)\s*\((.+)\)", lead)
                if (
                    bracketed
                    and key(lead) not in self.glossary_keys
                    and key(bracketed.group(1)) in alone
                    and (
                        key(bracketed.group(2)) in self.glossary_names
                        or bracketed.group(2).strip().casefold() in _QUALIFIERS
                    )
                ):
                    # "DCS (Pat Jones)", "PSW (interim)": the bracket names the person or qualifies the post;
                    # "Head of Service (Early Help)" names another post and stays whole.
                    changed = True
                    if bracketed.group(1) not in leads:
                        leads.append(bracketed.group(1))
                    continue
                split = None if key(lead) in alone else split_known_head(lead, lambda p: key(p) in alone)
                if split is None:
                    leads.append(lead)
                    continue
                people, note = split
                changed = True
                leads.extend(p for p in people if p not in leads)
                if note:
                    self.warnings.add(
                        f"{action.where}: lead '{lead}' read as {' / '.join(people)}; "
                        f"'{note}' reads as a note, not a lead"
                    )
            if changed:
                action.leads = leads
                action.lead_segments = list(leads)

    def _abbreviations(self) -> None:
        reported: set[str] = set()
        for action in self.actions:
            for lead in action.leads:
                if key(lead) in self.glossary_keys:
                    continue
                # Only an abbreviation standing for a person ("DCS", "DCS and partners"); one inside a
                # role title ("HR Business Partner") names the role well enough.
                for abbr in abbreviations(lead):
                    if abbr not in standalone_parts(lead):
                        continue
                    if key(abbr) not in self.glossary_keys and abbr not in reported:
                        reported.add(abbr)
                        # Warned about at import, unless the database already knows who it is.
                        self.unexplained.append(abbr)


def _looks_like_ref(text: str) -> bool:
    """ "1.1", "A2", "3.2a", "Action 4", "Rec 3", "B": a few characters or words with a number in them."""
    words = text.split()
    return len(words) <= 2 and (any(ch.isdigit() for ch in text) or len(text.strip(" .)")) <= 2)


def _short(title: str, width: int = 50) -> str:
    if len(title) <= width:
        return f"'{title}'"
    return "'" + title[:width].rsplit(" ", 1)[0] + "…'"


def _paired(c: Cell, n: int) -> list[str]:
    """Split a cell across n actions of one row when it has exactly one paragraph per action."""
    if n > 1:
        segs = [s.text for s in cell_segments(c)]
        if len(segs) == n:
            return segs
    return [c.text] * n


def _join(a: str, b: str) -> str:
    if not a:
        return b
    if b[:1].islower() and not a.rstrip().endswith((".", "!", "?", ":")):
        return f"{a} {b}"
    return f"{a}\n{b}"
