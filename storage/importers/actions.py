"""Stage 4 of the importer: fold the rows' roles, in order, into sections and actions.

The fold carries a small frozen ``Context`` from row to row: the current section, the outcome and
objective that cover the rows below them, the actions of the last action row (what a continuation row
continues) and the lead and timescale a merged cell repeats. Each role has its own small step; the
account records the role each row finally played.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.importers.account import Account
from storage.importers.leads import is_post, split_people
from storage.importers.model import Cell, GlossaryEntry, ParsedAction, ParsedSection, evolve
from storage.importers.pairing import join_text, paired
from storage.importers.ragcells import RagRead, read_rag
from storage.importers.rows import TOTAL_LABEL, TOTALS, RowRead, UnitInfo, read_row
from storage.importers.sections import HEADING, kind_of, section_number
from storage.importers.segments import Piece, title_of
from storage.importers.tables import RowItem, TextItem, Unit
from storage.rag import RagScheme

__all__ = ["ActionReader", "Context", "Warnings", "section_number"]


class Warnings(list):
    """Warnings in the order found, each once."""

    def add(self, message: str) -> None:
        if message not in self:
            self.append(message)


class Group:
    """The actions an outcome (or objective) cell covers so far, as a context sees them: the first
    ``n`` of a list that only ever grows at its end, shared with the contexts before. A new tuple per
    row copied the whole group each time (quadratic: 0.09 s over 5,000 rows with no outcome column)."""

    __slots__ = ("_items", "_n")

    def __init__(self, items: list[ParsedAction] | None = None) -> None:
        self._items = items if items is not None else []
        self._n = len(self._items)

    def plus(self, made: list[ParsedAction]) -> Group:
        if len(self._items) != self._n:  # a later context grew the list already: branch off a copy
            return Group([*self._items[: self._n], *made])
        self._items.extend(made)  # contexts sharing the list still see only their first n
        return Group(self._items)

    def __iter__(self):
        return iter(self._items[: self._n])

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: int) -> ParsedAction:
        return self._items[range(self._n)[index]]  # negative indexes count from this context's end

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Group) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Context:
    heading: ParsedSection | None = None
    section: ParsedSection | None = None
    outcome: str = ""
    objective: str = ""
    outcome_group: Group = field(default_factory=lambda: Group())  # the actions the outcome cell covers
    objective_group: Group = field(default_factory=lambda: Group())
    last_row: tuple[ParsedAction, ...] = ()  # what a continuation row continues
    last_tail: str = "text"  # "outcome": text continuing the last action cell on the next page is outcome
    prev_leads: tuple[str, ...] = ()  # what a vertically merged Lead cell repeats
    prev_times: tuple[str, ...] = ()
    awaiting_strapline: bool = False
    parent_ref: str = ""  # the number of the recommendation row over lettered actions ("1" over "a")


@dataclass
class _Found:
    sections: list[ParsedSection] = field(default_factory=list)
    actions: list[ParsedAction] = field(default_factory=list)
    rag_conflicts: list[tuple[str, ParsedAction, str]] = field(default_factory=list)
    unknown_rags: dict[str, list[str]] = field(default_factory=dict)  # value -> where


_NUMBERED_RECOMMENDATION = re.compile(r"^(?:recommendation\s+)?(\d{1,2}|[A-Z])[.):]\s+(?=\S)", re.I)


class ActionReader:
    """Reads the action tables in order; ``finish.py`` numbers and tidies what it found."""

    def __init__(
        self, scheme: RagScheme, glossary: list[GlossaryEntry], warnings: Warnings, account: Account
    ) -> None:
        self.scheme = scheme
        self.warnings = warnings
        self.account = account
        self.glossary_keys = _glossary_keys(glossary)
        # Glossary abbreviations that stand for a person or a post ("DCS"), not an organisation ("ICB").
        self.person_keys = frozenset(_key(e.abbreviation) for e in glossary if e.name or is_post(e.title))
        self.people_in: dict[str, tuple[str, ...]] = {}  # see _people_in
        self.found = _Found()
        self.context = Context()

    @property
    def sections(self) -> list[ParsedSection]:
        return self.found.sections

    @property
    def actions(self) -> list[ParsedAction]:
        return self.found.actions

    def read(self, unit: Unit) -> None:
        info = UnitInfo.of(unit, self.scheme)
        ctx = self.context
        for item in unit.items:
            if isinstance(item, TextItem):
                ctx = self._text(ctx, item)
            else:
                ctx = self.fold(ctx, read_row(item, info))
        self.context = ctx

    # -- one row
    def fold(self, ctx: Context, read: RowRead) -> Context:
        ctx = self._fold(ctx, read)
        if read.item.parts:
            # The other rows of a card share the action row's fate: fields of the action, or skipped with it.
            role = self.account.roles.get(read.where, "skipped")
            for where, text in read.item.parts:
                self.account.record(
                    where, "continuation" if role in ("action", "continuation") else role, text
                )
        return ctx

    def _fold(self, ctx: Context, read: RowRead) -> Context:
        for note in read.notes:
            self.warnings.add(note)
        if read.rag.unknown:
            self.found.unknown_rags.setdefault(read.rag.unknown, []).append(read.where)
        if read.role == "note":
            self.account.record(read.where, "skipped", read.text)
            kind = "a total" if TOTALS.match(read.text) or TOTAL_LABEL.match(read.text) else "a note"
            self.warnings.add(f"{read.where} skipped: '{_quote_row(read.item)}' is {kind}, not an action")
            return ctx
        if read.role == "heading":
            self.account.record(read.where, "heading")
            if read.row_ref:  # a numbered recommendation row over its lettered actions
                return self._heading(ctx, read.text, ref=read.row_ref, kind="recommendation")
            return self._heading(ctx, read.text)
        if read.strapline and ctx.awaiting_strapline and ctx.heading is not None:
            # The line under a heading that an export turned into a row of its own.
            ctx.heading.description = read.strapline
            self.account.record(read.where, "heading")
            return evolve(ctx, awaiting_strapline=False)
        if ctx.awaiting_strapline:  # a copy per row adds up over 5,000 rows
            ctx = evolve(ctx, awaiting_strapline=False)
        ctx = self._recommendation(ctx, read)
        ctx = self._carry(
            ctx, "outcome", read.cells("outcome").text, top=read.item.top and read.role != "action"
        )
        ctx = self._carry(ctx, "objective", read.cells("objective").text, top=False)
        if read.role == "action":
            return self._actions(ctx, read)
        return self._continue(ctx, read)

    def _text(self, ctx: Context, item: TextItem) -> Context:
        if item.kind == "heading":
            ctx = self._heading(evolve(ctx, awaiting_strapline=False), item.text)
            # A sheet's name heads its actions; a heading row at the top of the sheet is a section of its
            # own, not a description of the sheet.
            return evolve(ctx, awaiting_strapline=False) if item.source == "sheet" else ctx
        if ctx.awaiting_strapline and ctx.heading is not None:
            ctx.heading.description = item.text
            return evolve(ctx, awaiting_strapline=False)
        return ctx

    # -- sections
    def _heading(self, ctx: Context, title: str, *, ref: str = "", kind: str = "") -> Context:
        if not ref and ctx.awaiting_strapline and ctx.heading is not None and not HEADING.match(title):
            ctx.heading.description = title  # a second heading line right under the first describes it
            return evolve(ctx, awaiting_strapline=False)
        number = ref or section_number(title, len([s for s in self.found.sections if s.parent is None]) + 1)
        heading = ParsedSection(kind or kind_of(title), title, ref=number)
        self.found.sections.append(heading)
        return evolve(
            ctx,
            heading=heading,
            section=heading,
            outcome="",
            objective="",
            outcome_group=Group(),
            objective_group=Group(),
            awaiting_strapline=not ref,
            parent_ref=ref,
        )

    def _recommendation(self, ctx: Context, read: RowRead) -> Context:
        ref, text = read.rec_ref, read.rec_text
        if not (ref or text):
            return ctx
        section = ctx.section
        if (
            section is not None
            and section.kind == "recommendation"
            and (ref or None) == (section.ref or None)
            and text == section.title
        ):
            return ctx  # the group's name repeated on every row of it (an export): the same section
        if section is not None and section.kind == "recommendation" and text[:1].islower():
            section.title = f"{section.title} {text}"
            return ctx
        numbered = _NUMBERED_RECOMMENDATION.match(text)
        if numbered and not ref.strip():
            ref = numbered.group(1)  # "1. Improve the timeliness…": the number is in the text
        ref = ref.rstrip(".").strip() or None
        new = ParsedSection("recommendation", text or f"Recommendation {ref}", ref=ref, parent=ctx.heading)
        self.found.sections.append(new)
        return evolve(ctx, section=new)

    def _carry(self, ctx: Context, name: str, text: str, *, top: bool) -> Context:
        """Outcome and objective cells cover the rows below them until the next one is written."""
        if not text:
            return ctx
        group = ctx.outcome_group if name == "outcome" else ctx.objective_group
        current = getattr(ctx, name)
        if current and (text[:1].islower() or top):  # the sentence above continues after a page break
            joined = f"{current} {text}" if text[:1].islower() else f"{current}\n{text}"
            for action in group:
                setattr(action, name, joined)
            return evolve(ctx, **{name: joined})
        if name == "outcome":
            return evolve(ctx, outcome=text, objective="")  # objectives sit under an outcome: start afresh
        return evolve(ctx, objective=text)

    # -- actions
    def _actions(self, ctx: Context, read: RowRead) -> Context:
        leads = list(ctx.prev_leads) if read.lead_continued else list(read.leads)
        times = list(ctx.prev_times) if read.time_continued else list(read.times)
        pieces = _collapse(list(read.pieces), len(leads), len(times), numbered=read.refs_in_use)
        own_leads = tuple(leads)
        lead_cell = read.cells("lead")
        inherit = (
            "outcome" in read.cells.columns
            and bool(ctx.outcome_group)
            and not (leads or lead_cell.text or lead_cell.continued or read.cells("outcome").text)
        )
        if inherit:
            # Plans leave the Lead cell empty under an outcome whose officer leads the rows below.
            leads = list(ctx.outcome_group[-1].leads)
        made = self._make(ctx, read, pieces, leads, times, inherit)
        self.found.actions.extend(made)
        self.account.record(read.where, "action")
        self.account.actions += len(made)
        parsed = read.parsed
        outcome_group = Group(list(made)) if read.cells("outcome").text else ctx.outcome_group.plus(made)
        objective_group = (
            Group(list(made)) if read.cells("objective").text else ctx.objective_group.plus(made)
        )
        return evolve(
            ctx,
            last_row=tuple(made),
            last_tail="outcome" if parsed is not None and parsed.ends_in_outcome else "text",
            outcome_group=outcome_group,
            objective_group=objective_group,
            prev_leads=own_leads,
            prev_times=tuple(times),
        )

    def _make(
        self,
        ctx: Context,
        read: RowRead,
        pieces: list[Piece],
        leads: list[str],
        times: list[str],
        inherit: bool,
    ) -> list[ParsedAction]:
        n = len(pieces)
        progress = [read.progress] if n == 1 else paired(read.cells.best(_progress_role(read))[0], n)
        rags = self._paired_rags(read, n)
        objectives = paired(read.cells("objective"), n)
        objectives = objectives if n > 1 and len(set(objectives)) == n else None
        success = paired(read.cells("success"), n)
        made = []
        for i, piece in enumerate(pieces):
            piece_leads = [leads[i]] if n > 1 and len(leads) == n else leads
            action = ParsedAction(
                ref=_under(ctx.parent_ref, piece.ref),
                title=title_of(piece.text) or title_of(piece.full_text),
                text=piece.full_text if n > 1 else _whole_text(read, piece),
                section=ctx.section,
                outcome=ctx.outcome,
                # One objective paragraph per action of the row pairs them; otherwise all share it.
                objective=objectives[i] if objectives else ctx.objective,
                success_criteria=success[i],
                leads=self.people(piece_leads),
                lead_segments=list(piece_leads),
                timescale=times[i] if n > 1 and len(times) == n else "  ".join(times),
                progress=progress[i],
                rag=rags[i].label,
                rag_raw=rags[i].raw,
                where=read.where,
                lead_inherited=inherit,
                earlier_progress=list(read.earlier),
            )
            parsed = read.parsed
            if parsed is not None and parsed.outcome and (n == 1 or i == n - 1):
                action.outcome = "\n".join(filter(None, [action.outcome, *parsed.outcome]))
            made.append(action)
        return made

    def _paired_rags(self, read: RowRead, n: int) -> list[RagRead]:
        if n == 1:
            return [read.rag]
        # One RAG paragraph per action of the row pairs them; otherwise the cell rates them all.
        texts = paired(read.cells.best("rag")[0], n)
        if len(set(texts)) > 1:
            return [read_rag(Cell.of(t), self.scheme) for t in texts]
        return [read.rag] * n

    def people(self, segments: list[str]) -> list[str]:
        people: list[str] = []
        for seg in segments:
            for person in self._people_in(seg):
                if person not in people:
                    people.append(person)
        return people

    def _people_in(self, segment: str) -> tuple[str, ...]:
        # The glossary is fixed while the tables are read, so a lead cell's text always names the same
        # people: worked out once per text (leads repeat down a plan).
        found = self.people_in.get(segment)
        if found is None:
            found = self.people_in[segment] = tuple(
                split_people(
                    segment, lambda p: _key(p) in self.glossary_keys, lambda p: _key(p) in self.person_keys
                )
            )
        return found

    # -- continuations
    def _continue(self, ctx: Context, read: RowRead) -> Context:
        """A row with no action of its own finishes the previous action (a page break cut it)."""
        if not ctx.last_row:
            self.account.record(read.where, "skipped", " | ".join(c.text for c in read.item.row if c.text))
            self.warnings.add(
                f"{read.where} skipped: '{_quote_row(read.item)}' comes before the first action"
            )
            return ctx
        self.account.record(read.where, "continuation")
        last = ctx.last_row[-1]
        _join_action_text(last, read, ctx.last_tail)
        if read.progress:
            last.progress = join_text(last.progress, read.progress)
        if read.cells("success").text:
            last.success_criteria = join_text(last.success_criteria, read.cells("success").text)
        # Merged cells repeat what the action above already has; only written text continues it.
        if read.times and not read.time_continued:
            last.timescale = "  ".join(filter(None, [last.timescale, *read.times]))
        if not read.lead_continued:
            for person in self.people(list(read.leads)):
                if person not in last.leads:
                    last.leads.append(person)
            last.lead_segments.extend(s for s in read.leads if s not in last.lead_segments)
        self._continue_rag(ctx, read)
        return ctx

    def _continue_rag(self, ctx: Context, read: RowRead) -> None:
        rag = read.rag.label
        if not rag:
            return
        for action in ctx.last_row:
            if action.rag is None:
                action.rag, action.rag_raw = rag, read.rag.raw
            elif action.rag != rag:
                self.found.rag_conflicts.append((read.where, action, rag))


def _under(parent: str, ref: str | None) -> str | None:
    """ "a" under recommendation 1 is action "1a"; refs that already say their parent stay as they are."""
    if not (parent and ref) or ref.startswith(parent):
        return ref
    return f"{parent}{ref.strip('()')}"


def _progress_role(read: RowRead) -> str:
    return "progress_rag" if "progress_rag" in read.cells.columns else "progress"


def _glossary_keys(glossary: list[GlossaryEntry]) -> frozenset[str]:
    return frozenset({_key(e.abbreviation) for e in glossary} | {_key(e.title) for e in glossary if e.title})


def _key(text: str) -> str:
    from storage.importers.leads import key

    return key(text)


def _collapse(pieces: list[Piece], leads: int, times: int, *, numbered: bool) -> list[Piece]:
    """More pieces than leads or timescales: one action whose text runs over several lines, and several
    timescales are its milestones."""
    n = len(pieces)
    if n > 1 and not numbered and n not in (leads, times):
        return [Piece(None, pieces[0].text, [*pieces[0].extras, *(p.full_text for p in pieces[1:])])]
    return pieces


def _whole_text(read: RowRead, piece: Piece) -> str:
    text = piece.full_text
    if read.parsed is not None and read.parsed.loose:
        text = "\n".join([*read.parsed.loose, text])
    return text


def _join_action_text(last: ParsedAction, read: RowRead, tail: str) -> None:
    parsed = read.parsed
    if parsed is None:
        return
    for text in parsed.loose:
        if tail == "outcome":
            last.outcome = join_text(last.outcome, text)
        elif text[:1].islower() and not last.text.rstrip().endswith((".", ":", "!", "?")):
            last.text = f"{last.text} {text}"
            if last.title and last.text.startswith(last.title):
                last.title = title_of(last.text)
        else:
            last.text = f"{last.text}\n{text}".strip()
    if parsed.outcome:
        last.outcome = "\n".join(filter(None, [last.outcome, *parsed.outcome]))


def _quote_row(item: RowItem) -> str:
    from storage.importers.account import quote

    return quote(" | ".join(c.text for c in item.row if c.text))
