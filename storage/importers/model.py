"""The format-neutral shape every reader produces, and the parsed plan the importer hands to storage.

Readers (docx, xlsx, csv) only turn a file into ``Block``s: paragraphs and tables of ``Cell``s that
keep what the plans encode meaning in (bold runs, paragraphs, fills). Everything else is shared.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

from storage.importers.account import Account
from storage.rag import RagScheme

_Frozen = TypeVar("_Frozen")


def evolve(obj: _Frozen, **changes) -> _Frozen:
    """``dataclasses.replace`` for the importer's frozen per-row dataclasses, without re-running
    ``__init__`` (a copy of the instance dict): the fold makes one or two per row, and at 5,000 rows
    ``replace`` alone cost about a tenth of a second. Unknown names still raise, as with ``replace``."""
    unknown = changes.keys() - obj.__dataclass_fields__.keys()  # type: ignore[attr-defined]
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s) {', '.join(sorted(unknown))}")
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


@dataclass
class Para:
    runs: list[tuple[str, bool]]  # (text, bold)
    listed: bool = False  # a Word list item (numbering without a typed bullet)

    @property
    def text(self) -> str:
        if len(self.runs) == 1:  # most paragraphs: no join to build
            return self.runs[0][0]
        return "".join(t for t, _ in self.runs)

    @property
    def bold(self) -> bool:
        """Every visible character is bold (section headings, "Ofsted Improvement Action 3" tags)."""
        visible = [(t, b) for t, b in self.runs if t.strip()]
        return bool(visible) and all(b for _, b in visible)


@dataclass(slots=True)
class Cell:
    paras: list[Para] = field(default_factory=list)
    fill: str | None = None  # "RRGGBB" of the cell shading
    span: int = 1  # grid columns covered (merged horizontally)
    continued: bool = False  # merged with the cell above (vMerge): shows the text above, holds none
    # Readers never change a cell's paragraphs after building it, so its text is worked out once.
    text: str = field(init=False, repr=False, compare=False)
    segments: list | None = field(default=None, init=False, repr=False, compare=False)  # see cell_segments

    def __post_init__(self) -> None:
        paras = self.paras
        self.text = (paras[0].text if len(paras) == 1 else "\n".join(p.text for p in paras)).strip()

    @property
    def bold(self) -> bool:
        paras = [p for p in self.paras if p.text.strip()]
        return bool(paras) and all(p.bold for p in paras)

    @classmethod
    def of(cls, text: str, *, bold: bool = False, fill: str | None = None) -> Cell:
        lines = text.splitlines() if text else []
        return cls([Para([(line, bold)]) for line in lines], fill)


@dataclass
class Table:
    rows: list[list[Cell]]
    name: str = ""  # "table 3", "sheet 'Plan'": for warnings
    # Where each row came from, when not simply "row N" (hidden rows are left out of ``rows``).
    row_numbers: list[int] | None = None
    sheet: str = ""  # the Excel sheet the table is, by name

    def where(self, index: int) -> str:
        number = self.row_numbers[index] if self.row_numbers else index + 1
        return f"{self.name} row {number}"


@dataclass
class BodyText:
    """A paragraph outside tables. ``label`` is the number Word shows in front of a numbered
    paragraph ("4.1.", "b)"), ``level`` its list level, ``bullet`` a bulleted item; ``heading`` is the
    heading level of its style (1 for Heading 1)."""

    text: str
    bold: bool = False
    style: str = ""
    label: str = ""
    level: int | None = None
    bullet: bool = False
    heading: int | None = None


@dataclass
class Notice:
    """Something a reader left out on purpose (hidden rows, columns or sheets): becomes a warning."""

    text: str


Block = BodyText | Table | Notice


@dataclass
class ParsedSection:
    kind: str  # recommendation | area | phase | section
    title: str
    ref: str | None = None
    description: str = ""
    parent: ParsedSection | None = None


@dataclass
class ParsedAction:
    ref: str | None
    title: str
    text: str  # the full action text as written (tags and sub-items included)
    section: ParsedSection | None = None
    ref_generated: bool = False
    outcome: str = ""
    objective: str = ""
    success_criteria: str = ""
    leads: list[str] = field(default_factory=list)  # as written, split into people
    lead_segments: list[str] = field(default_factory=list)  # the Lead cell's pieces, before splitting
    timescale: str = ""
    progress: str = ""
    rag: str | None = None
    rag_raw: str = ""  # the text or fill the RAG came from
    where: str = ""  # "table 3 row 2": for warnings
    lead_inherited: bool = False  # the Lead cell was empty: the lead of the action above was used
    # Older dated progress columns ("Update (Jan 24)" beside "Update (Mar 24)"): (header, text).
    earlier_progress: list[tuple[str, str]] = field(default_factory=list)

    @property
    def description(self) -> str:
        parts = [self.text]
        if self.objective:
            parts.append(f"Objective: {self.objective}")
        if self.success_criteria:
            parts.append(f"Success criteria: {self.success_criteria}")
        return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class GlossaryEntry:
    abbreviation: str
    title: str
    name: str


@dataclass(frozen=True)
class HistoryRow:
    issued: dt.date | None
    version: str
    summary: str
    author: str


@dataclass
class ParsedPlan:
    source_filename: str
    title: str
    organisation: str
    reference_date: dt.date | None
    start_date: dt.date | None
    scheme: RagScheme
    sections: list[ParsedSection]
    actions: list[ParsedAction]
    glossary: list[GlossaryEntry] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The date the document speaks for (its latest issue, else its reference date): imported updates
    # are recorded as of then.
    document_date: dt.date | None = None
    # Lead abbreviations the plan has no glossary entry for ("DCS"); the import warns about those the
    # database cannot resolve either.
    unexplained_abbreviations: list[str] = field(default_factory=list)
    action_tables: int = 0  # logical action tables found (0 with no actions = "no action table")
    account: Account = field(default_factory=Account)  # the role of every row read
    list_plan: bool = False  # read from headed, numbered paragraphs rather than a table
    # The last day of the inspection the plan answers, when the cover says: "within 6 months of the
    # inspection" counts from it.
    inspection_date: dt.date | None = None
