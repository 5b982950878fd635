"""From blocks to a parsed plan: find the tables, join the ones split at page breaks, read the actions.

Pass 1 groups rows into logical tables (action, glossary, history, RAG key), carrying section
headings that sit between tables. Pass 2 (``actions.py``) reads the action rows.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as dateparser

from storage.importers.actions import HEADING, ActionReader, Unit, Warnings
from storage.importers.headers import action_header, glossary_header, history_header
from storage.importers.model import Block, BodyText, Cell, GlossaryEntry, HistoryRow, ParsedPlan
from storage.importers.ragkey import is_key_row, looks_like_key, scheme_from_key, scheme_from_values

_MONTH_YEAR = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?)\s+(20\d\d)\b",
    re.I,
)


def parse_blocks(blocks: list[Block], *, filename: str, reference_date: dt.date | None) -> ParsedPlan:
    units, front = _group(blocks)
    warnings = Warnings()
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
            for u in action_units
            if "rag" in u.columns
            for kind, row, _ in u.items
            if kind == "row" and u.columns["rag"] < len(row)
        ]
        scheme = scheme_from_values(rag_values)
    reader = ActionReader(scheme, glossary, warnings)
    for unit in action_units:
        reader.read(unit)
    reader.finish()

    cover = front[:30]
    title = next((t for t in cover if "plan" in t.casefold() and len(t.split()) <= 12), "")
    organisation = next(
        (
            t
            for t in cover
            if re.search(r"council|borough|county|authority|trust", t, re.I) and len(t.split()) <= 12
        ),
        "",
    )
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
        warnings.add(
            "the document gives no date: short timescales ('May 23', 'within 3 months') are read "
            "against today; pass --reference-date to fix that"
        )
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
        action_tables=len(action_units),
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


def _group(blocks: list[Block]) -> tuple[list[Unit], list[str]]:
    units: list[Unit] = []
    front: list[str] = []
    current: Unit | None = None
    last_text = ""
    started = False  # an action table has been seen: headings between tables now matter
    lead_in: list[tuple[str, object, str]] = []  # a heading (and strapline) right before the first table
    first_unit: Unit | None = None
    for block in blocks:
        if isinstance(block, BodyText):
            if started and units and _is_body_heading(block):
                _last_action(units).items.append(("heading", block.text, f"body:{block.style}"))
            elif (
                started
                and units
                and _last_action(units).items
                and _last_action(units).items[-1][0] == "heading"
            ):
                _last_action(units).items.append(("strapline", block.text, "body"))
            elif not started:
                front.append(block.text)
                if _is_body_heading(block):
                    lead_in = [("heading", block.text, f"body:{block.style}")]
                elif len(lead_in) == 1:
                    lead_in.append(("strapline", block.text, "body"))
                else:
                    lead_in = []
            last_text = block.text
            continue
        if not started and not (block.rows and action_header(block.rows[0])):
            lead_in = []  # another table came between the heading and the plan
        for index, row in enumerate(block.rows):
            where = block.where(index)
            header = action_header(row)
            if header:
                if not (current and current.kind == "action" and current.columns == header):
                    current = Unit("action", header, [c.text for c in row])
                    units.append(current)
                    first_unit = first_unit or current
                started = True
                continue
            for kind, detect in (("glossary", glossary_header), ("history", history_header)):
                found = detect(row)
                if found:
                    current = Unit(kind, found)
                    units.append(current)
                    break
            else:
                if _is_key_title(row):
                    # "Key" / "RAG key" on its own row: the rows below it are the key, not actions.
                    current = Unit("key")
                    units.append(current)
                    continue
                if current is not None and current.kind == "key":
                    if is_key_row(row):
                        current.items.append(("row", row, where))
                        continue
                    if not current.items and not any(c.text or c.fill for c in row):
                        continue  # blank lines between the title and the key
                    current = None  # anything else ends the key
                if index == 0 and not _continues(current, row):
                    if looks_like_key(block.rows, last_text):
                        units.append(Unit("key", items=[("row", r, block.name) for r in block.rows]))
                        current = None
                        break
                    current = None
                if current is not None:
                    current.items.append(("row", row, where))
                elif not started:
                    texts = [c.text for c in row if c.text]
                    front.extend(texts)
                    # "Priority 3: Manageable caseloads" across the table, above its header row
                    if len(texts) == 1 and HEADING.match(texts[0]):
                        lead_in = [("heading", texts[0], where)]
                continue
        last_text = ""
    # The heading above the first table is a section only when later tables get headings of the same
    # style: otherwise it is the title of the whole table ("OFSTED RECOMMENDATIONS – ILACS 2019").
    if first_unit is not None and lead_in:
        later = {w for u in units if u.kind == "action" for k, _, w in u.items if k == "heading"}
        if lead_in[0][2] in later or HEADING.match(str(lead_in[0][1])):
            first_unit.items[:0] = lead_in
    return units, front


_NOT_A_SECTION = re.compile(
    r"\b(key|glossary|abbreviations?|acronyms|history|appendix|contents|version)\b", re.I
)


def _is_body_heading(block: BodyText) -> bool:
    """A heading between action tables: "Improvement Area Three : Our Processes", or a Word heading
    style, unless it introduces the key, the glossary or an appendix."""
    if HEADING.match(block.text):
        return True
    return (
        block.style.casefold().startswith("heading")
        and len(block.text) < 150
        and not _NOT_A_SECTION.search(block.text)
    )


def _is_key_title(row: list[Cell]) -> bool:
    texts = [c.text for c in row if c.text]
    return (
        len(texts) == 1
        and bool(re.match(r"^(rag |status )?key\b|^key to\b", texts[0], re.I))
        and len(texts[0]) < 40
    )


def _last_action(units: list[Unit]) -> Unit:
    return next(u for u in reversed(units) if u.kind == "action")


def _continues(current: Unit | None, row: list[Cell]) -> bool:
    """A table with no header continues the one before when it has the same columns."""
    if current is None or current.kind == "key":
        return False
    width = len(current.header) if current.kind == "action" else max(current.columns.values(), default=0) + 1
    return len(row) == width if current.kind == "action" else len(row) >= width


def _glossary(unit: Unit) -> list[GlossaryEntry]:
    cols = unit.columns
    entries = []
    for _, row, _ in unit.items:

        def get(name: str, row=row) -> str:
            i = cols.get(name)
            return row[i].text.strip() if i is not None and i < len(row) else ""

        if get("abbreviation"):
            entries.append(GlossaryEntry(get("abbreviation"), get("title"), get("name")))
    return entries


def _history(unit: Unit) -> list[HistoryRow]:
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
