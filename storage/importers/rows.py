"""Stage 3 of the importer: each data row of an action table gets a role, from the row alone and what
its table says about all its rows (which columns hold what, whether refs are in use).

The role is ``heading``, ``strapline`` (a single line that describes the heading above it, when there
is one), ``action`` (the row starts one or more actions) or ``continuation`` (more text for the action
above). Everything a row says is read here once, into a frozen ``RowRead``; ``actions.py`` folds the
reads into sections and actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.importers.headers import (
    MONTH_WORD,
    Columns,
    header_date,
    is_older_update,
    normalise_header,
    with_unnamed_columns,
)
from storage.importers.leads import hard_parts, is_note, join_broken_lines
from storage.importers.model import Cell, evolve
from storage.importers.ragcells import NO_RAG, RagRead, read_rag, split_progress_rag
from storage.importers.sections import HEADING
from storage.importers.segments import (
    ActionCell,
    Piece,
    has_action_label,
    has_inline_ref,
    parse_action_cell,
    plain_segments,
    starts_with_plain_ref,
    strip_label,
)
from storage.importers.tables import RowItem, Unit
from storage.rag import RagScheme

_EMPTY = Cell()
# A row that is only a footnote or a note under the table ("* Target date revised at …", "Note: …",
# "Source: …"), written in the first column or across the table: neither a section nor an action.
FOOTNOTE = re.compile(
    r"^\s*(\*{1,3}\s*\S|[†‡§¹²³⁴]|\[\d{1,2}\]\s|notes?\s*[:\-–]|n\.?b\.?[:\s]|sources?\s*:)", re.I
)
# A totals or summary line under the table ("Total: 12 actions, 8 green", "Summary – 3 complete").
TOTALS = re.compile(r"^\s*((grand\s+)?totals?|summary|overall)\s*(\d|[:\-–(])|^\s*\d+\s+actions?\b", re.I)
# The label of a totals row, whatever its cells beside it count ("Total open actions", "Number of actions").
TOTAL_LABEL = re.compile(
    r"^\s*(grand\s+)?totals?(\s+(number\s+of\s+)?((open|closed|completed?|live|all)\s+)?actions?\b|\s*$)|"
    r"^\s*(number|count|no\.?)\s+of\s+((open|closed|completed?|live)\s+)?actions\b",
    re.I,
)
NO_READ = RagRead(None, "")


@dataclass(frozen=True)
class UnitInfo:
    """What a whole action table says about its rows."""

    columns: Columns
    scheme: RagScheme
    has_ref_col: bool
    inline_refs: bool
    labelled: bool
    parents: frozenset[str] = (
        frozenset()
    )  # rows that head the lettered actions under them ("1" over "a", "b")
    summaries: frozenset[str] = frozenset()  # rows with a ref and a name only, over actions that say more
    state_progress: bool = False  # the Progress column holds only task states (a task-list export)

    @classmethod
    def of(cls, unit: Unit, scheme: RagScheme) -> UnitInfo:
        columns = unit.columns if isinstance(unit.columns, Columns) else Columns(dict(unit.columns))
        rows = unit.data_rows()
        columns = with_unnamed_columns(columns, rows, lambda c: _is_rag_cell(c, scheme))
        columns = _without_machine_keys(columns, rows)
        columns = _merged_group_column(columns, rows)
        action = columns["action"]
        cells = [r[action] for r in rows if action < len(r) and r[action].text]
        has_ref_col = "ref" in columns
        # Bold refs are deliberate; plain "1.1 " openings count only when most rows have one, because
        # a numbered sentence now and then is just a numbered sentence.
        plain = sum(1 for c in cells if starts_with_plain_ref(c))
        inline = not has_ref_col and (
            any(has_inline_ref(c) for c in cells) or (plain >= 2 and plain * 2 >= len(cells))
        )
        parents = _parent_rows(unit, columns) if has_ref_col else frozenset()
        # In a plan that numbers its actions in the text, an unnumbered line is detail, never a heading.
        summaries = frozenset() if inline else _summary_rows(unit, columns) - parents
        labelled = any(has_action_label(c) for c in cells)
        progress = columns.get("progress")
        states = [
            r[progress].text for r in rows if progress is not None and progress < len(r) and r[progress].text
        ]
        state_progress = len(states) >= 2 and all(_TASK_STATE.fullmatch(t) for t in states)
        return cls(columns, scheme, has_ref_col, inline, labelled, parents, summaries, state_progress)


# A machine's key for a row ("kT0vXQ2mV0yZ9h3bRZpLqGUAF0dS", a Planner task ID; a GUID): unique, but no
# ref anyone says or types.
_MACHINE_KEY = re.compile(
    r"(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_\-]{16,}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", re.I
)


def _without_machine_keys(columns: Columns, rows: list[list[Cell]]) -> Columns:
    """A ref column that holds only machine keys is no ref column: such a plan is numbered per section."""
    ref = columns.get("ref")
    if ref is None:
        return columns
    texts = [r[ref].text for r in rows if ref < len(r) and r[ref].text]
    if not texts or not all(_MACHINE_KEY.fullmatch(t.strip()) for t in texts):
        return columns
    roles = {k: v for k, v in columns.roles.items() if k != "ref"}
    return Columns(roles, columns.extra, columns.header, columns.rec_ref, columns.spans)


def _merged_group_column(columns: Columns, rows: list[list[Cell]]) -> Columns:
    """A column before the action column whose header names no role ("Quality statement", "Domain") and
    whose cells are merged down over several actions groups them: it is read as a Recommendation column
    (a section per cell) when the table has none."""
    if "recommendation" in columns:
        return columns
    action = columns["action"]
    taken = set(columns.roles.values()) | ({columns.rec_ref} if columns.rec_ref is not None else set())
    for index in range(action):
        if index in taken or index >= len(columns.header) or not columns.header[index].strip():
            continue
        cells = [r[index] for r in rows if index < len(r)]
        texts = [c.text for c in cells if c.text]
        merged = sum(1 for c in cells if c.continued)
        if merged and len(texts) >= 2 and all(len(t) <= 200 for t in texts):
            roles = {**columns.roles, "recommendation": index}
            return Columns(roles, columns.extra, columns.header, columns.rec_ref, columns.spans)
    return columns


_SUB_REF = re.compile(r"^\(?([a-z]|[ivx]{1,4})[.)]?$")


def is_sub_ref(ref: str, parent: str) -> bool:
    """ "a", "(b)", "iv", "1.2", "1a" under "1": the ref of an action under a numbered recommendation."""
    ref = ref.strip()
    return bool(_SUB_REF.match(ref)) or (
        ref.startswith(parent) and len(ref) > len(parent) and not ref[len(parent)].isdigit()
    )


# A recommendation's number, with the prefix some plans give it: "1", "B", "IV", "SEND 1", "R3", "AFI-2".
_PARENT_REF = re.compile(r"(?:[A-Za-z]{1,8}[ \-]?)?(?:\d{1,2}|[A-Z]|[IVX]{1,4})")


def _parent_rows(unit: Unit, columns: Columns) -> frozenset[str]:
    """Rows whose ref is a number or letter (with or without a prefix) and which say nothing but their
    text, when the row after them has a sub-ref ("1" above "a", "b"; "SEND 1" above "SEND 1.a"): a
    recommendation heading its actions, not an action."""
    items = [i for i in unit.items if isinstance(i, RowItem)]
    cells = [Cells(i.row, columns) for i in items]
    parents = set()
    for index, (item, row) in enumerate(zip(items, cells, strict=True)):
        ref = row("ref").text.strip().rstrip(".")
        if not _PARENT_REF.fullmatch(ref) or index + 1 >= len(items):
            continue
        said = any(row(role).text for role in ("lead", "timescale", "progress", "progress_rag", "rag"))
        if not said and row("action").text and is_sub_ref(cells[index + 1]("ref").text.rstrip("."), ref):
            parents.add(item.where)
    return frozenset(parents)


_SAYS = ("lead", "timescale", "progress", "progress_rag", "rag")


def _summary_rows(unit: Unit, columns: Columns) -> frozenset[str]:
    """Rows that give a short name (and a ref, in a plan with refs) and nothing else, right above a row
    that says who, when or how it is going, in a table whose rows mostly do: the summary rows of a
    task-list export ("1 | Leadership and governance" over "2 | Refresh the board's terms of reference |
    DCS | 30/04/2025"), or a section name typed in the action column. They head the rows below them;
    each is named in a warning, in case it was an action after all."""
    items = [i for i in unit.items if isinstance(i, RowItem)]
    cells = [Cells(i.row, columns) for i in items]
    said = [any(row(role).text for role in _SAYS) for row in cells]
    if sum(said) * 2 < len(said):
        return frozenset()  # most rows say nothing more than their name: those are the plan's actions
    ref = columns.get("ref")
    wanted = {columns.get("action"), *([ref] if ref is not None else [])}
    found = set()
    for index, (item, row) in enumerate(zip(items, cells, strict=True)):
        name = row("action").text
        only = {i for i, c in enumerate(item.row) if c.text} == wanted
        short = 0 < len(name.split()) <= 10 and "\n" not in name and not name.rstrip().endswith(".")
        below = (
            index + 1 < len(items) and said[index + 1] and (ref is None or bool(cells[index + 1]("ref").text))
        )
        if only and short and below and not item.top:
            found.add(item.where)
    return frozenset(found)


def _is_rag_cell(cell: Cell, scheme: RagScheme) -> bool:
    if cell.text:
        return scheme.parse(cell.text) is not None or cell.text.casefold() in NO_RAG
    return bool(cell.fill and scheme.colour_to_label(cell.fill))


@dataclass(frozen=True)
class Cells:
    """A row's cells by role; a missing cell reads as empty."""

    row: list[Cell]
    columns: Columns

    def __call__(self, role: str) -> Cell:
        # Asked some twenty times a row: the roles' dict directly, not through Columns.get.
        index = self.columns.roles.get(role)
        row = self.row
        return row[index] if index is not None and index < len(row) else _EMPTY

    def every(self, role: str) -> list[Cell]:
        """The cells of every column of a role, in column order (the main one when it has only one)."""
        indexes = sorted(self.columns.all(role))
        return [self.row[i] for i in indexes if i < len(self.row)] or [self(role)]

    def best(self, role: str) -> tuple[Cell, list[tuple[str, Cell]]]:
        """The best-ranked non-empty cell of a role with several columns (the revised date, the latest
        update), and the other non-empty ones with their headers."""
        found = [
            (self.columns.header[i] if i < len(self.columns.header) else "", self.row[i])
            for i in self.columns.all(role)
            if i < len(self.row) and (self.row[i].text or self.row[i].fill)
        ]
        if not found:
            return self(role), []
        return found[0][1], found[1:]


@dataclass(frozen=True)
class RowRead:
    item: RowItem
    role: str  # heading | action | continuation | note
    cells: Cells
    text: str = ""  # the heading text
    strapline: str = ""  # the row's only text, before the action column: the line under a heading?
    parsed: ActionCell | None = None
    pieces: tuple[Piece, ...] = ()
    row_ref: str = ""
    rec_ref: str = ""
    rec_text: str = ""
    leads: tuple[str, ...] = ()
    times: tuple[str, ...] = ()
    lead_continued: bool = False
    time_continued: bool = False
    rag: RagRead = NO_READ
    progress: str = ""
    earlier: tuple[tuple[str, str], ...] = ()  # (header, text) of older dated progress columns
    notes: tuple[str, ...] = field(default=())  # warnings about this row
    refs_in_use: bool = False  # the table numbers its actions (a ref column or refs in the text)

    @property
    def where(self) -> str:
        return self.item.where


def read_row(item: RowItem, info: UnitInfo) -> RowRead:
    cells = Cells(item.row, info.columns)
    filled = [(i, c) for i, c in enumerate(item.row) if c.text]
    if item.where in info.parents:
        return RowRead(
            item, "heading", cells, text=cells("action").text, row_ref=cells("ref").text.strip().rstrip(".")
        )
    if item.where in info.summaries:
        name = cells("action").text
        said = (
            f"'{cells('ref').text} | {name}' gives a ref and a name only"
            if info.has_ref_col
            else f"'{name}' gives a name only"
        )
        note = f"{item.where}: {said}: read as a section heading over the actions below it"
        return RowRead(item, "heading", cells, text=name, notes=(note,))
    if (
        len(filled) == 1
        and (filled[0][0] == 0 or filled[0][1].span > 1)
        and (FOOTNOTE.match(filled[0][1].text) or TOTALS.match(filled[0][1].text))
    ):
        return RowRead(item, "note", cells, text=filled[0][1].text)
    if (
        filled
        and not cells("ref").text
        and TOTAL_LABEL.match(filled[0][1].text)
        and len(filled[0][1].text.split()) <= 6
    ):
        # "Total open actions | 4 | 1 green, 1 amber …": a label and counts under the table, in any column
        return RowRead(item, "note", cells, text=filled[0][1].text)
    if len(filled) == 1 and _is_heading_cell(*filled[0], info, top=item.top):
        return RowRead(item, "heading", cells, text=filled[0][1].text)
    parsed = parse_action_cell(
        cells("action"), refs_in_use=info.inline_refs or info.has_ref_col, labelled=info.labelled
    )
    row_ref = clean_ref(cells("ref").text) if info.has_ref_col else ""
    pieces = list(parsed.pieces)
    if info.has_ref_col:
        pieces = ref_column_pieces(parsed, row_ref, plain_segments(cells("ref")))
    leads, notes = [], []
    for cell in cells.every("lead"):  # "Executive lead" and "Operational lead" both lead
        found, said = lead_segments(cell, item.where)
        leads.extend(found)
        notes.extend(said)
    times = [one_language_date(t) for t in plain_segments(cells("timescale"))] or _timeline(cells)
    rag, progress, earlier = _rag_and_progress(cells, info)
    read = RowRead(
        item,
        "continuation",
        cells,
        parsed=parsed,
        row_ref=row_ref,
        rec_ref=cells.row[info.columns.rec_ref].text
        if info.columns.rec_ref is not None and info.columns.rec_ref < len(cells.row)
        else "",
        rec_text=cells("recommendation").text,
        leads=tuple(leads),
        times=tuple(times),
        lead_continued=cells("lead").continued,
        time_continued=cells("timescale").continued,
        rag=rag,
        progress=progress,
        earlier=tuple(earlier),
        notes=tuple(notes),
        refs_in_use=info.inline_refs or info.has_ref_col,
    )
    pieces = _unref_action(read, pieces, info)
    strapline = filled[0][1].text if len(filled) == 1 and filled[0][0] < info.columns["action"] else ""
    if pieces:
        return evolve(read, role="action", pieces=tuple(pieces), strapline=strapline)
    return evolve(read, strapline=strapline)


def _unref_action(read: RowRead, pieces: list[Piece], info: UnitInfo) -> list[Piece]:
    """A row whose text reads as the rest of the action above (no ref in a ref column, or a sentence
    starting in lower case) continues it, unless the row is plainly an action of its own: its own text
    and its own lead or timescale, and not at the top of a table that continues the one before (that
    row is the rest of an action a page break cut)."""
    if pieces or read.row_ref or read.item.top:
        return pieces
    parsed = read.parsed
    if parsed is None or not parsed.loose:
        return pieces
    if not ((read.leads and not read.lead_continued) or (read.times and not read.time_continued)):
        return pieces
    if not (info.has_ref_col or info.inline_refs or parsed.loose[0][:1].islower()):
        return pieces

    texts = [*parsed.loose]
    parsed.loose = []
    return [Piece(None, texts[0], texts[1:])]


def ref_column_pieces(parsed: ActionCell, row_ref: str, ref_segs: list[str]) -> list[Piece]:
    """The actions of a row in a plan with a ref column: one per ref, or the whole cell as one."""
    if not row_ref:
        return []
    refs = [clean_ref(r) for r in ref_segs]
    texts = [*parsed.loose, *(p.full_text for p in parsed.pieces)]
    if len(refs) > 1 and all(looks_like_ref(r) for r in refs) and len(texts) == len(refs):
        # "1.1" and "1.2" in one ref cell, one paragraph each in the action cell: one action each.
        parsed.loose = []
        return [Piece(r, t) for r, t in zip(refs, texts, strict=True)]
    extras = [*parsed.loose, *(p.full_text for p in parsed.pieces)]
    parsed.loose = []  # consumed here: the ref column says the whole cell is this one action
    first = strip_label(extras.pop(0), row_ref) if extras else ""
    while extras and extras[0][:1].islower():  # a sentence carried onto the next line
        first = f"{first} {extras.pop(0)}"
    return [Piece(row_ref, first, extras)]


_REF_TAIL = re.compile(r"[\s.*†‡]+$")


def clean_ref(text: str) -> str:
    """The ref as the plan means it: "1.2*" (a footnote mark) and "3." are "1.2" and "3"."""
    return _REF_TAIL.sub("", text.strip())


def looks_like_ref(text: str) -> bool:
    """ "1.1", "A2", "3.2a", "Action 4", "Rec 3", "B": a few characters or words with a number in them."""
    words = text.split()
    return len(words) <= 2 and (any(ch.isdigit() for ch in text) or len(text.strip(" .)")) <= 2)


def _is_heading_cell(index: int, c: Cell, info: UnitInfo, *, top: bool = False) -> bool:
    cols = info.columns
    if HEADING.match(c.text):
        return True
    if info.has_ref_col and index == cols["action"] and not top and _title_like(c.text):
        return True  # "LEADERSHIP", "Early Help and Front Door" alone in the action column: a section
    if index == cols.get("ref") and not looks_like_ref(c.text):
        return True  # "Early Help and Front Door" alone in the ref column: a section, not a ref
    before_action = index < cols["action"] and index not in (cols.get("outcome"), cols.get("objective"))
    if (
        info.has_ref_col
        and index == cols["action"]
        and c.bold
        and len(c.text) < 150
        and "\n" not in c.text
        and not c.text.rstrip().endswith(".")
    ):
        return True  # a bold line alone in the action column of a plan with a ref column: a heading
    return (c.bold or c.span > 1) and (before_action or index == 0) and len(c.text) < 400


_SMALL_WORDS = {"of", "and", "the", "for", "to", "in", "on", "at", "with", "a", "an", "&", "-", "–"}


def _title_like(text: str) -> bool:
    """A short line in capitals or title case, not a sentence: how plans write a section's name."""
    words = text.split()
    if not words or len(words) > 8 or "\n" in text or text.rstrip().endswith((".", ":", ";", ",")):
        return False
    if text.isupper():
        return True
    significant = [w for w in words if w.casefold() not in _SMALL_WORDS]
    return bool(significant) and all(w[:1].isupper() or not w[:1].isalpha() for w in significant)


def lead_segments(cell: Cell, where: str) -> tuple[list[str], list[str]]:
    """The Lead cell's paragraphs (a title broken over two lines joined again), without the parts that
    read as a note rather than a lead, each with a warning. A paragraph is judged part by part (between
    "/" and ";"), so a long cell naming two posts is two leads, not one note."""
    segments: list[str] = []
    notes: list[str] = []
    for segment in join_broken_lines(plain_segments(cell)):
        parts = hard_parts(segment)
        kept = [p for p in parts if not is_note(p)]
        notes.extend(
            f"{where}: '{p if len(parts) > 1 else segment}' in the lead column reads as a note, not a lead; left out"
            for p in parts
            if is_note(p)
        )
        if kept:
            segments.append(segment if len(kept) == len(parts) else " / ".join(kept))
    return segments, notes


def _rag_and_progress(cells: Cells, info: UnitInfo) -> tuple[RagRead, str, list[tuple[str, str]]]:
    """The row's RAG and progress text: the best of several progress columns (latest date first), with
    the RAG taken out of a combined "Progress (RAG)" column when there is no RAG column of its own."""
    rag_cell, _ = cells.best("rag")
    rag = read_rag(rag_cell, info.scheme) if "rag" in info.columns else NO_READ
    progress_role = "progress_rag" if "progress_rag" in info.columns else "progress"
    best, others = cells.best(progress_role)
    if "progress_rag" in info.columns and "progress" in info.columns:
        plain, plain_others = cells.best("progress")
        others = [*others, *([("", plain)] if plain.text else []), *plain_others]
    text = "" if _MEASURE.fullmatch(best.text) else best.text
    if info.state_progress and _TASK_STATE.fullmatch(text):
        # A task list's state ("Not started", "In progress", "Completed") under a Progress header: a
        # state, not progress text; a completed one is the RAG when the row gives none.
        state, text = text, ""
        if rag.label is None and info.scheme.parse(state):
            rag = RagRead(info.scheme.parse(state), state)
    if rag.label is None:
        label, rest = split_progress_rag(text, info.scheme, combined=progress_role == "progress_rag")
        if label is not None:
            rag, text = RagRead(label, best.text), rest
        elif progress_role == "progress_rag" and best.fill and info.scheme.colour_to_label(best.fill):
            rag = RagRead(info.scheme.colour_to_label(best.fill), f"fill #{best.fill}")
    earlier: list[tuple[str, str]] = []
    extra: list[str] = []
    for header, cell in others:
        if not cell.text or _MEASURE.fullmatch(cell.text) or (text and is_older_update(header)):
            continue  # the update a later column replaced is history, not part of the progress
        if _dated(header):
            earlier.append((header, cell.text))
        else:
            extra.append(f"{header.strip() or 'Comments'}: {cell.text}" if text else cell.text)
    return rag, "\n".join(filter(None, [text, *extra])), earlier


# What marks a month in a Gantt chart: a fill, or a short mark ("x", "●", "✓", "Start"). A sentence under a
# month is that month's update, not a mark.
_MARK = re.compile(r"\S{1,10}")


def _timeline(cells: Cells) -> list[str]:
    """In a Gantt chart, the action is due at the end of the last month whose cell is marked (a short mark
    or a fill other than white)."""
    marked = [
        cells.columns.header[i]
        for i in cells.columns.all("timeline")
        if i < len(cells.row)
        and (_MARK.fullmatch(cells.row[i].text) or (cells.row[i].fill or "FFFFFF").upper() != "FFFFFF")
    ]
    return marked[-1:]


_TWO_PARTS = re.compile(r"\s+/\s+")
_DAY_MONTH = re.compile(r"\b\d{1,2}[/.]\d{1,2}\b")


_YEAR = re.compile(r"\b20\d\d\b")


def one_language_date(text: str) -> str:
    """A date written in two languages ("Medi 2025 / September 2025"): the part whose month the reader
    knows, when the other part gives the same year and no month it knows (so it is the same date, not a
    second one: "March 2021 / November 2020" and "31 July 2020 / Ongoing" stay as they are)."""
    parts = _TWO_PARTS.split(text)
    if len(parts) != 2:
        return text
    known = [bool(MONTH_WORD.search(p) or _DAY_MONTH.search(p)) for p in parts]
    years = [set(_YEAR.findall(p)) for p in parts]
    if known.count(True) == 1 and years[0] and years[0] == years[1]:
        return parts[known.index(True)]
    return text


_TASK_STATE = re.compile(
    r"\s*(not started|not yet started|in progress|started|completed?|done|on hold|deferred|cancelled|closed)\s*",
    re.I,
)
# A progress cell that is only a percentage ("60%") is a measure of how far, not the progress text.
_MEASURE = re.compile(r"\s*\d{1,3}(\.\d+)?\s*%\s*")


def _dated(header: str) -> bool:
    return header_date(normalise_header(header)) is not None
