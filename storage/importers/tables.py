"""Stage 2 of the importer: blocks -> logical tables.

Groups the rows of every table into units (an action table, possibly split over pages or sheets; a
RAG key; a glossary; a document history), carrying the section headings that sit between tables,
and gives every row that is not an action-table data row its role in the account at once (headers,
title lines, key, glossary and history rows, rows that fit no table). Key, glossary and history
tables are recognised as whole tables, by their header row or their shape at the start of a table,
never by a word inside a cell of an action table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.importers.account import Account, quote
from storage.importers.cards import Card, read_card
from storage.importers.cards import runs as card_runs
from storage.importers.headers import (
    Columns,
    action_header,
    glossary_header,
    headerless_glossary,
    history_header,
    sub_header,
)
from storage.importers.model import Block, BodyText, Cell, Notice, Table
from storage.importers.ragkey import is_key_row, looks_like_key
from storage.importers.sections import HEADING


@dataclass(frozen=True)
class RowItem:
    """A data row of an action table. ``top``: the first row of a table that continues the one
    before it (after a repeated header, or a headerless table of the same width)."""

    row: list[Cell]
    where: str
    top: bool = False
    # The other rows of an action given as a card (a table of its own, label | value): (where, text).
    # They share the fate of the action row in the account.
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TextItem:
    kind: str  # heading | strapline
    text: str
    source: str  # "body:Heading2", "table 3 row 1": headings of one style are sections alike


@dataclass
class Unit:
    """One logical table (possibly split over pages), with section headings found between its parts."""

    kind: str  # action | glossary | history | key
    columns: Columns | dict[str, int] = field(default_factory=dict)
    items: list[RowItem | TextItem] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)  # glossary, history and key rows

    def data_rows(self) -> list[list[Cell]]:
        return [i.row for i in self.items if isinstance(i, RowItem)]


@dataclass
class Grouped:
    units: list[Unit]
    front: list[str]  # text before the first action table: the cover, for the title and dates
    notices: list[str]
    skipped: list[tuple[str, str]]  # (where, text) of rows that fit no table


_NOT_A_SECTION = re.compile(
    r"\b(key|glossary|abbreviations?|acronyms|history|appendix|contents|version)\b", re.I
)


def is_body_heading(block: BodyText) -> bool:
    """A heading between action tables: "Improvement Area Three : Our Processes", or a Word heading
    style, unless it introduces the key, the glossary or an appendix."""
    if HEADING.match(block.text):
        return True
    return (
        (block.style.casefold().startswith("heading") or block.heading is not None)
        and len(block.text) < 150
        and not _NOT_A_SECTION.search(block.text)
    )


_KEY_TITLE = re.compile(r"^(rag |status )?key\b|^key to\b", re.I)


def is_key_title(row: list[Cell]) -> bool:
    texts = [c.text for c in row if c.text]
    return len(texts) == 1 and bool(_KEY_TITLE.match(texts[0])) and len(texts[0]) < 40


_GENERIC_SHEET = re.compile(r"^\s*(sheet|tab|page)\s*\d*\s*$", re.I)
_VERSION = re.compile(r"^v?\d{1,3}(\.\d{1,3}){0,2}[a-z]?$|^draft|^final", re.I)
_DATE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\b(19|20)\d\d\b")


def _fits(unit: Unit, row: list[Cell]) -> bool:
    """A row that goes on a glossary or a history table: its key cells hold what the header names."""
    columns = unit.columns if isinstance(unit.columns, dict) else {}

    def text(name: str) -> str:
        index = columns.get(name)
        return row[index].text if index is not None and index < len(row) else ""

    if sum(1 for c in row if c.text) < 2:
        return False
    if unit.kind == "history":
        return bool(_VERSION.match(text("version")) or _DATE.search(text("date")))
    return bool(text("abbreviation")) and len(text("abbreviation")) <= 40


def _row_text(row: list[Cell]) -> str:
    return " | ".join(c.text for c in row if c.text)


class Grouper:
    def __init__(self, account: Account) -> None:
        self.account = account
        self.units: list[Unit] = []
        self.front: list[str] = []
        self.notices: list[str] = []
        self.skipped: list[tuple[str, str]] = []
        self.current: Unit | None = None
        self.started = False  # an action table has been seen: headings between tables now matter
        self.lead_in: list[TextItem] = []  # a heading (and strapline) right before the first table
        self.first_unit: Unit | None = None
        self.last_text = ""
        self.next_top = False
        self.sheet = ""  # the Excel sheet being read, until its first action header
        self.sheet_marks: list[tuple[Unit, int, str]] = []  # (unit, item index, sheet) where a sheet starts
        self.sheet_headings: set[str] = set()  # sheets the reader already made headings ("Phase 1")
        self.header_row: list[Cell] | None = None  # the action header just read, for a second header row
        # Title lines at the top of a later sheet, held until the sheet shows whether a header follows them.
        self.sheet_title: list[tuple[list[Cell], str]] = []

    def group(self, blocks: list[Block]) -> Grouped:
        for block in blocks:
            if isinstance(block, Notice):
                self.notices.append(block.text)
            elif isinstance(block, BodyText):
                self._body(block)
            else:
                self._table(block)
                self.last_text = ""
        self._flush_sheet_title()
        self._place_lead_in()
        self._place_sheet_names()
        return Grouped(self.units, self.front, self.notices, self.skipped)

    # -- paragraphs between tables
    def _body(self, block: BodyText) -> None:
        self.last_text = block.text
        if block.style == "sheet":
            self.sheet_headings.add(block.text)
        last = self._last_action()
        if self.started and last is not None:
            if is_body_heading(block):
                last.items.append(TextItem("heading", block.text, f"body:{block.style}"))
            elif last.items and isinstance(last.items[-1], TextItem) and last.items[-1].kind == "heading":
                last.items.append(TextItem("strapline", block.text, "body"))
            return
        if self.started:
            return
        self.front.append(block.text)
        if is_body_heading(block):
            self.lead_in = [TextItem("heading", block.text, f"body:{block.style}")]
        elif len(self.lead_in) == 1:
            self.lead_in.append(TextItem("strapline", block.text, "body"))
        else:
            self.lead_in = []

    def _last_action(self) -> Unit | None:
        return next((u for u in reversed(self.units) if u.kind == "action"), None)

    def _place_lead_in(self) -> None:
        # The heading above the first table is a section only when later tables get headings of the same
        # style: otherwise it is the title of the whole table ("OFSTED RECOMMENDATIONS – ILACS 2019").
        if self.first_unit is None or not self.lead_in:
            return
        later = {
            i.source for u in self.units if u.kind == "action" for i in u.items if isinstance(i, TextItem)
        }
        if self.lead_in[0].source in later or HEADING.match(self.lead_in[0].text):
            self.first_unit.items[:0] = self.lead_in
            if not self.lead_in[0].source.startswith("body"):
                self.account.record(self.lead_in[0].source, "heading")  # a table row above the header

    # -- tables
    def _place_sheet_names(self) -> None:
        """Action tables on several sheets with names of their own ("Urgent and emergency care",
        "Maternity"): each sheet's name heads the actions on it. One sheet's name is the plan's."""
        marks = [
            m for m in self.sheet_marks if m[2] not in self.sheet_headings and not _GENERIC_SHEET.match(m[2])
        ]
        if len({name for _, _, name in marks}) < 2:
            return
        for unit, index, name in reversed(marks):
            unit.items.insert(index, TextItem("heading", name.strip(), "sheet"))

    def _table(self, block: Table) -> None:
        self.sheet = block.sheet
        runs = card_runs(block.rows)
        cards = [read_card(block, run) for run in runs]
        if any(cards):
            for run, card in zip(runs, cards, strict=True):
                if card is not None:
                    self._card(block, card)
                else:  # the rest of the block, read as rows
                    numbers = [block.row_numbers[i] if block.row_numbers else i + 1 for i in run]
                    self._rows(Table([block.rows[i] for i in run], block.name, numbers, block.sheet))
            return
        self._rows(block)

    def _card(self, block: Table, card: Card) -> None:
        """One action given as a table of its own: a row of the action table its labels head."""
        current = self.current
        same = (
            current is not None and current.kind == "action" and current.columns.header == card.columns.header
        )
        if not same:
            current = Unit("action", card.columns)
            self.units.append(current)
            self.first_unit = self.first_unit or current
        self.current = current
        self.started = True
        self.next_top = False
        wheres = [block.where(i) for i in card.indexes]
        texts = [_row_text(block.rows[i]) for i in card.indexes]
        parts = tuple((w, t) for n, (w, t) in enumerate(zip(wheres, texts, strict=True)) if n != card.main)
        current.items.append(RowItem(card.values, wheres[card.main], parts=parts))

    def _rows(self, block: Table) -> None:
        if not self.started and not (block.rows and action_header(block.rows[0])):
            self.lead_in = []  # another table came between the heading and the plan
        seen = 0  # non-empty rows of this block so far
        fresh = True  # a new table may start here: the top of a block, after a blank row or a title line
        whole: str | None = None  # the whole table is a key or a glossary
        for index, row in enumerate(block.rows):
            filled = sum(1 for c in row if c.text)
            if not filled:
                fresh = True
                continue
            where = block.where(index)
            if whole is not None:
                self._record_whole(whole, row, where)
            else:
                whole = self._row(block, row, where, seen=seen, fresh=fresh or seen < 3)
            seen += 1
            fresh = filled == 1

    def _record_whole(self, kind: str, row: list[Cell], where: str) -> None:
        """A row of a key or glossary table recognised as a whole (its rows are already in the unit) or
        of one that goes on under its title or header."""
        if kind == "key-table":
            self.account.record(where, "key")
            return
        self.account.record(where, kind)
        if self.current is not None and self.current.kind == kind:
            self.current.rows.append(row)

    def _row(self, block: Table, row: list[Cell], where: str, *, seen: int, fresh: bool) -> str | None:
        """Give one non-empty row its place; returns a kind when the whole rest of the table is that kind."""
        header = action_header(row)
        if header is not None:
            self._action_header(header, row, where)
            self.header_row = row
            return None
        if self._sub_header(row, where):
            return None
        self.header_row = None
        in_actions = self.current is not None and self.current.kind == "action"
        if (fresh or not in_actions) and self._table_header(row, where):
            return None
        if is_key_title(row):
            # "Key" / "RAG key" on its own row: the rows below it are the key, not actions.
            self._start(Unit("key"), where, "key")
            return None
        if self.current is not None and self.current.kind == "key":
            if is_key_row(row):
                self._record_whole("key", row, where)
                return None
            self.current = None  # anything else ends the key
        if seen == 0:
            whole = self._table_start(block, row, where)
            if whole is not None:
                return whole
        self._place(row, where)
        return None

    def _action_header(self, header: Columns, row: list[Cell], where: str) -> None:
        self.account.record(where, "header")
        current = self.current
        if current is not None and current.kind == "action" and current.columns.roles == header.roles:
            # The same header repeated: the table goes on after a page break (a new sheet is no page break),
            # unless a heading stands between the two: then the rows below it are its own.
            headed = (
                bool(current.items)
                and isinstance(current.items[-1], TextItem)
                and (current.items[-1].kind in ("heading", "strapline"))
            )
            self.next_top = not self.sheet and not headed
        else:
            self.current = current = Unit("action", header)
            self.units.append(current)
            self.first_unit = self.first_unit or current
            self.next_top = False
        if self.sheet:
            self.sheet_marks.append((current, len(current.items), self.sheet))
            self._title_heading(current)
            self.sheet = ""
        self.started = True

    def _title_heading(self, unit: Unit) -> None:
        """A later sheet's title block above its own header: title lines, and the one that names a section
        ("Priority 2: Permanence for children in care") heads the sheet's actions, instead of its name."""
        titles = [(row, where) for row, where in self.sheet_title]
        self.sheet_title = []
        for _, where in titles:
            self.account.record(where, "header")
        named = [(_row_text(row), where) for row, where in titles if HEADING.match(_row_text(row))]
        if named:
            unit.items.append(TextItem("heading", named[0][0], named[0][1]))
            self.sheet_headings.add(self.sheet)

    def _flush_sheet_title(self) -> None:
        """Title lines of a sheet that turned out to have no header of its own are rows like any other."""
        held, self.sheet_title = self.sheet_title, []
        for row, where in held:
            self._place_now(row, where)

    def _sub_header(self, row: list[Cell], where: str) -> bool:
        """The second row of a two-row header, right under the first: the columns it names replace the
        merged ones above it."""
        current = self.current
        if self.header_row is None or current is None or current.kind != "action":
            return False
        columns = sub_header(self.header_row, row)
        if columns is None:
            return False
        if current.items and current.columns.header != columns.header:
            self.current = current = Unit("action", columns)  # not the header the table had so far
            self.units.append(current)
        current.columns = columns
        self.header_row = None
        self.account.record(where, "header")
        return True

    def _table_header(self, row: list[Cell], where: str) -> bool:
        for kind, detect in (("glossary", glossary_header), ("history", history_header)):
            found = detect(row)
            if found:
                self._start(Unit(kind, found), where, kind)
                return True
        return False

    def _start(self, unit: Unit, where: str, role: str) -> None:
        self.current = unit
        self.units.append(unit)
        self.account.record(where, role)

    def _table_start(self, block: Table, row: list[Cell], where: str) -> str | None:
        """The first row of a table: it continues the action table before it, or starts a table of its own."""
        if self._continues(row):
            self.next_top = self.current is not None and self.current.kind == "action"
            return None
        if looks_like_key(block.rows, self.last_text):
            self._start(Unit("key", rows=list(block.rows)), where, "key")
            return "key-table"
        found = headerless_glossary(block.rows, self.last_text)
        if found is not None:
            self._start(Unit("glossary", found, rows=[row]), where, "glossary")
            return "glossary"
        self.current = None
        return None

    def _continues(self, row: list[Cell]) -> bool:
        """A table with no header continues the one before when it has the same columns."""
        current = self.current
        if current is None or current.kind == "key":
            return False
        if current.kind == "action":
            return len(row) == len(current.columns.header)
        width = max(current.columns.values(), default=0) + 1
        return len(row) >= width

    def _place(self, row: list[Cell], where: str) -> None:
        if self.sheet and self.started and sum(1 for c in row if c.text) == 1:
            self.sheet_title.append((row, where))  # the top of a new sheet: a title block?
            return
        self._flush_sheet_title()
        self._place_now(row, where)

    def _place_now(self, row: list[Cell], where: str) -> None:
        current = self.current
        if current is not None and current.kind in ("glossary", "history") and not _fits(current, row):
            self.current = current = None  # a title line or another table after the glossary or history
        if current is not None and current.kind == "action":
            current.items.append(RowItem(row, where, self.next_top))
            self.next_top = False
        elif current is not None:
            current.rows.append(row)
            self.account.record(where, current.kind)
        elif not self.started:
            self._front_row(row, where)
        else:
            self.account.record(where, "skipped", _row_text(row))
            self.skipped.append((where, quote(_row_text(row))))

    def _front_row(self, row: list[Cell], where: str) -> None:
        """Title lines and tables above the plan: the cover, read for the plan's title and dates."""
        texts = [c.text for c in row if c.text]
        self.front.extend(texts)
        self.account.record(where, "header")
        # "Priority 3: Manageable caseloads" across the table, above its header row
        if len(texts) == 1 and HEADING.match(texts[0]):
            self.lead_in = [TextItem("heading", texts[0], where)]
