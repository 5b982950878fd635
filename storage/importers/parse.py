"""From blocks to a parsed plan: find the tables, join the ones split at page breaks, read the actions.

Pass 1 groups rows into logical tables (action, glossary, history, RAG key), carrying section
headings that sit between tables. Pass 2 reads the action rows in order, keeping the current section,
outcome and objective, and folding continuation rows into the action they continue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dateutil import parser as dateparser

from storage.importers.headers import action_header, glossary_header, history_header
from storage.importers.leads import abbreviations, is_note, key, split_people, standalone_parts
from storage.importers.model import (
    Block,
    BodyText,
    Cell,
    GlossaryEntry,
    HistoryRow,
    ParsedAction,
    ParsedPlan,
    ParsedSection,
)
from storage.importers.ragkey import looks_like_key, scheme_from_key, scheme_from_values
from storage.importers.segments import (
    Piece,
    cell_segments,
    has_inline_ref,
    parse_action_cell,
    plain_segments,
    starts_with_plain_ref,
    title_of,
)
from storage.rag import RagScheme

_HEADING = re.compile(
    r"^(improvement area|area|phase|priority|theme|workstream|section|recommendation|strand|part)\s+"
    r"(\d+|[ivx]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z])\b\s*[:.\-–]?",
    re.I,
)
_NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"])}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_MONTH_YEAR = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?)\s+(20\d\d)\b", re.I)


@dataclass
class _Unit:
    kind: str  # action | glossary | history | key
    columns: dict[str, int] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    items: list[tuple[str, object, str]] = field(default_factory=list)  # (kind, row|text, where)


class _Warnings(list):
    def add(self, message: str) -> None:
        if message not in self:
            self.append(message)


def parse_blocks(blocks: list[Block], *, filename: str, reference_date: dt.date | None) -> ParsedPlan:
    units, front = _group(blocks)
    warnings = _Warnings()
    glossary = [e for u in units if u.kind == "glossary" for e in _glossary(u)]
    history = [h for u in units if u.kind == "history" for h in _history(u)]
    action_units = [u for u in units if u.kind == "action"]
    key_units = [u for u in units if u.kind == "key" and u.items]
    if key_units:
        scheme, notes = scheme_from_key([row for _, row, _ in key_units[0].items])
        warnings.extend(notes)
    else:
        rag_values = [
            row[u.columns["rag"]].text
            for u in action_units if "rag" in u.columns
            for kind, row, _ in u.items if kind == "row" and u.columns["rag"] < len(row)
        ]
        scheme = scheme_from_values(rag_values)
    reader = _ActionReader(scheme, glossary, warnings)
    for unit in action_units:
        reader.read(unit)
    reader.finish()

    cover = front[:30]
    title = next((t for t in cover if "plan" in t.casefold() and len(t.split()) <= 12), "")
    organisation = next(
        (t for t in cover if re.search(r"council|borough|county|authority|trust", t, re.I) and len(t.split()) <= 12), "")
    start = _first_month(cover)
    issued = [h.issued for h in history if h.issued]
    if reference_date is None:
        reference_date = _reference_from_text("\n".join(front + [h.summary for h in history]))
    if reference_date is None:
        reference_date = max(issued) if issued else start
    if reference_date is None:
        year = next((m.group(0) for t in cover if (m := re.search(r"\b20\d\d\b", t))), None)
        reference_date = dt.date(int(year), 1, 1) if year else None
    if reference_date is None and reader.actions:
        warnings.add("the document gives no date: short timescales ('May 23', 'within 3 months') are read "
                     "against today; pass --reference-date to fix that")
    return ParsedPlan(
        source_filename=filename,
        title=title or filename.rsplit(".", 1)[0],
        organisation=organisation,
        reference_date=reference_date,
        start_date=start,
        scheme=scheme,
        sections=reader.sections,
        actions=reader.actions,
        glossary=glossary,
        history=history,
        warnings=list(warnings),
        document_date=max(issued) if issued else reference_date,
        unexplained_abbreviations=reader.unexplained,
    )


def _reference_from_text(text: str) -> dt.date | None:
    from storage.timescales import reference_date_from_text

    return reference_date_from_text(text)


def _first_month(lines: list[str]) -> dt.date | None:
    for line in lines:
        match = _MONTH_YEAR.search(line)
        if match and len(line.split()) <= 12:
            try:
                return dateparser.parse(f"1 {match.group(1)} {match.group(match.lastindex)}").date()
            except (ValueError, OverflowError):
                continue
    return None


# ---------------------------------------------------------------- pass 1: logical tables


def _group(blocks: list[Block]) -> tuple[list[_Unit], list[str]]:
    units: list[_Unit] = []
    front: list[str] = []
    current: _Unit | None = None
    last_text = ""
    started = False  # an action table has been seen: headings between tables now matter
    for block in blocks:
        if isinstance(block, BodyText):
            if started and _HEADING.match(block.text) and units:
                _last_action(units).items.append(("heading", block.text, "body"))
            elif started and units and _last_action(units).items and _last_action(units).items[-1][0] == "heading":
                _last_action(units).items.append(("strapline", block.text, "body"))
            elif not started:
                front.append(block.text)
            last_text = block.text
            continue
        for index, row in enumerate(block.rows):
            where = f"{block.name} row {index + 1}"
            header = action_header(row)
            if header:
                if not (current and current.kind == "action" and current.columns == header):
                    current = _Unit("action", header, [c.text for c in row])
                    units.append(current)
                started = True
                continue
            for kind, detect in (("glossary", glossary_header), ("history", history_header)):
                found = detect(row)
                if found:
                    current = _Unit(kind, found)
                    units.append(current)
                    break
            else:
                if _is_key_title(row):
                    # "Key" / "RAG key" on its own row: the rows below it are the key, not actions.
                    current = _Unit("key")
                    units.append(current)
                    continue
                if index == 0 and not _continues(current, row):
                    if looks_like_key(block.rows, last_text):
                        units.append(_Unit("key", items=[("row", r, block.name) for r in block.rows]))
                        current = None
                        break
                    current = None
                if current is not None:
                    current.items.append(("row", row, where))
                elif not started:
                    front.extend(c.text for c in row if c.text)
                continue
        last_text = ""
    return units, front


def _is_key_title(row: list[Cell]) -> bool:
    texts = [c.text for c in row if c.text]
    return len(texts) == 1 and bool(re.match(r"^(rag |status )?key\b|^key to\b", texts[0], re.I)) \
        and len(texts[0]) < 40


def _last_action(units: list[_Unit]) -> _Unit:
    return next(u for u in reversed(units) if u.kind == "action")


def _continues(current: _Unit | None, row: list[Cell]) -> bool:
    """A table with no header continues the one before when it has the same columns."""
    if current is None or current.kind == "key":
        return False
    width = len(current.header) if current.kind == "action" else max(current.columns.values(), default=0) + 1
    return len(row) == width if current.kind == "action" else len(row) >= width


def _glossary(unit: _Unit) -> list[GlossaryEntry]:
    cols = unit.columns
    entries = []
    for _, row, _ in unit.items:
        def get(name: str, row=row) -> str:
            i = cols.get(name)
            return row[i].text.strip() if i is not None and i < len(row) else ""

        if get("abbreviation"):
            entries.append(GlossaryEntry(get("abbreviation"), get("title"), get("name")))
    return entries


def _history(unit: _Unit) -> list[HistoryRow]:
    cols = unit.columns
    rows = []
    for _, row, _ in unit.items:
        def get(name: str, row=row) -> str:
            i = cols.get(name)
            return row[i].text.strip() if i is not None and i < len(row) else ""

        if not (get("version") or get("date")):
            continue
        try:
            issued = dateparser.parse(get("date"), dayfirst=True).date() if get("date") else None
        except (ValueError, OverflowError):
            issued = None
        rows.append(HistoryRow(issued, get("version"), get("summary"), get("author")))
    return rows


# ---------------------------------------------------------------- pass 2: actions


def section_number(title: str, fallback: int) -> str:
    match = _HEADING.match(title)
    if match:
        word = match.group(2).casefold()
        if word.isdigit():
            return str(int(word))
        if word in _NUMBER_WORDS:
            return str(_NUMBER_WORDS[word])
        if word in _ROMAN:
            return str(_ROMAN[word])
        return word.upper()
    return str(fallback)


def _kind_of(title: str) -> str:
    word = title.split()[0].casefold() if title.split() else ""
    return {"improvement": "area", "area": "area", "phase": "phase", "priority": "priority", "theme": "theme",
            "recommendation": "recommendation", "workstream": "workstream"}.get(word, "section")


class _ActionReader:
    def __init__(self, scheme: RagScheme, glossary: list[GlossaryEntry], warnings: _Warnings) -> None:
        self.scheme = scheme
        self.warnings = warnings
        self.glossary_keys = {key(e.abbreviation) for e in glossary} | {key(e.title) for e in glossary if e.title}
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
        self.unexplained: list[str] = []
        self.prev_leads: list[str] = []
        self.prev_times: list[str] = []

    # -- sections
    def _heading(self, title: str) -> None:
        if self.awaiting_strapline and self.heading and not _HEADING.match(title):
            self.heading.description = title
            self.awaiting_strapline = False
            return
        number = section_number(title, len([s for s in self.sections if s.parent is None]) + 1)
        self.heading = ParsedSection(_kind_of(title), title, ref=number)
        self.sections.append(self.heading)
        self.section = self.heading
        self.outcome, self.objective = "", ""
        self.awaiting_strapline = True

    def _recommendation(self, ref: str, text: str) -> None:
        if self.section is not None and self.section.kind == "recommendation" and text[:1].islower():
            self.section.title = f"{self.section.title} {text}"
            return
        ref = ref.rstrip(".").strip() or None
        section = ParsedSection("recommendation", text or f"Recommendation {ref}", ref=ref, parent=self.heading)
        self.sections.append(section)
        self.section = section

    # -- the table
    def read(self, unit: _Unit) -> None:
        cols = unit.columns
        rows = [row for kind, row, _ in unit.items if kind == "row"]
        action_col = cols["action"]
        self.has_ref_col = "ref" in cols
        cells = [r[action_col] for r in rows if action_col < len(r) and r[action_col].text]
        # Bold refs are deliberate; plain "1.1 " openings count only when most rows have one, because
        # a numbered sentence now and then is just a numbered sentence.
        plain = sum(1 for c in cells if starts_with_plain_ref(c))
        self.inline_refs = not self.has_ref_col and (
            any(has_inline_ref(c) for c in cells) or (plain >= 2 and plain * 2 >= len(cells)))
        rec = cols.get("recommendation")
        # The unnamed column before "Recommendation" holds its number ("1", "4.") in the 2019 plan.
        self.rec_ref_col = rec - 1 if rec and not unit.header[rec - 1].strip() else None
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
        self.awaiting_strapline = False
        if self.rec_ref_col is not None or "recommendation" in cols:
            ref_text = row[self.rec_ref_col].text if self.rec_ref_col is not None else ""
            rec_text = cell("recommendation").text
            if ref_text or rec_text:
                self._recommendation(ref_text, rec_text)
        self._carry("outcome", cell("outcome").text)
        self._carry("objective", cell("objective").text)

        row_ref = cell("ref").text.strip().rstrip(".") if self.has_ref_col else ""
        action_cell = cell("action")
        parsed = parse_action_cell(action_cell, refs_in_use=self.inline_refs or self.has_ref_col)
        pieces = parsed.pieces
        if self.has_ref_col:
            pieces = self._ref_column_pieces(parsed, row_ref)
        lead_segs = [s for s in plain_segments(cell("lead")) if not self._note(s, where)]
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
            self._continue(parsed, cell, lead_segs, time_segs, rag, rag_raw, where)
            return
        n = len(pieces)
        if n > 1 and not self.inline_refs and not self.has_ref_col and n not in (len(lead_segs), len(time_segs)):
            # More pieces than leads or timescales: one action whose text runs over several lines,
            # and several timescales are its milestones.
            pieces = [Piece(None, pieces[0].text, [*pieces[0].extras, *(p.full_text for p in pieces[1:])])]
            n = 1
        inherit = not lead_segs and not cell("lead").continued and not cell("lead").text and not cell("outcome").text and self.outcome_group
        if inherit:
            # Plans leave the Lead cell empty under an outcome whose officer leads the rows below.
            lead_segs = list(self.outcome_group[-1].leads)
        progress = _paired(cell("progress"), n)
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
                objective=self.objective,
                success_criteria=success[i],
                leads=self._people(leads),
                lead_segments=list(leads),
                timescale=timescale,
                progress=progress[i],
                rag=rag,
                rag_raw=rag_raw,
                where=where,
                lead_inherited=bool(inherit),
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

    def _ref_column_pieces(self, parsed, row_ref: str) -> list[Piece]:
        if not row_ref:
            return []
        extras = [*parsed.loose, *(p.full_text for p in parsed.pieces)]
        parsed.loose = []  # consumed here: the ref column says the whole cell is this one action
        first = extras.pop(0) if extras else ""
        while extras and extras[0][:1].islower():  # a sentence carried onto the next line
            first = f"{first} {extras.pop(0)}"
        return [Piece(row_ref, first, extras)]

    def _is_heading_cell(self, index: int, c: Cell, cols: dict[str, int]) -> bool:
        if _HEADING.match(c.text):
            return True
        before_action = index < cols["action"] and index not in (cols.get("outcome"), cols.get("objective"))
        return (c.bold or c.span > 1) and (before_action or index == 0) and len(c.text) < 400

    def _carry(self, name: str, text: str) -> None:
        """Outcome and objective cells cover the rows below them until the next one is written."""
        if not text:
            return
        group = self.outcome_group if name == "outcome" else self.objective_group
        current = getattr(self, name)
        if current and (text[:1].islower() or not current.rstrip().endswith((".", "!", "?"))) and \
                text[:1].islower():
            joined = f"{current} {text}"
            setattr(self, name, joined)
            for action in group:
                setattr(action, name, joined)
            return
        setattr(self, name, text)

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
                self.warnings.add(f"{where}: RAG fill #{c.fill} matches no state of the "
                                  f"{'/'.join(self.scheme.labels)} scheme; left empty")
        if text:
            self.warnings.add(f"{where}: unknown RAG '{text}' (the plan's scheme is "
                              f"{', '.join(self.scheme.labels)}); left empty")
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
        self._generate_refs()
        self._deduplicate_refs()
        self._abbreviations()
        inherited = [a.ref for a in self.actions if a.lead_inherited]
        if inherited:
            self.warnings.add(f"{len(inherited)} action(s) with an empty Lead cell took the lead of the action "
                              f"above them under the same outcome: {', '.join(inherited)}")
        for action in self.actions:
            if not action.title:
                action.title = title_of(action.text) or f"Action {action.ref}"
                if not action.text:
                    self.warnings.add(f"{action.where}: {action.ref} has no action text")
        # Reported now that every action has its final ref.
        for where, action, rag in self.rag_conflicts:
            self.warnings.add(f"{where}: a continuation row of {action.ref} ({_short(action.title)}) says {rag} "
                              f"but the action says {action.rag}; kept {action.rag}")

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
        self.warnings.add(f"the plan gives no action refs for {len(missing)} action(s): numbered them per "
                          f"section ({missing[0].ref}, ...)")

    def _deduplicate_refs(self) -> None:
        seen: dict[str, int] = {}
        for action in self.actions:
            ref = action.ref or ""
            seen[ref] = seen.get(ref, 0) + 1
            if seen[ref] > 1:
                action.ref = f"{ref} ({seen[ref]})"
                self.warnings.add(f"{action.where}: duplicate ref {ref}: this one is stored as '{action.ref}'")

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
