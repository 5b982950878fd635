"""From blocks to a parsed plan: the stages after the readers, in order.

``tables.py`` groups rows into logical tables (action, glossary, history, RAG key) and carries the
section headings between them; ``rows.py`` gives each action-table row its role and ``actions.py``
folds the roles into sections and actions; ``finish.py`` numbers and tidies them. A document with no
action table is tried as a list plan (``listplan.py``). The account of every row travels with the plan.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil import parser as dateparser

from storage.importers.account import Account
from storage.importers.actions import ActionReader, Warnings
from storage.importers.finish import (
    abbreviations_in_brackets,
    deduplicate_refs,
    finish,
    split_lead_heads,
    unexplained_abbreviations,
)
from storage.importers.headers import Columns
from storage.importers.listplan import ListPlan, read_list_plan
from storage.importers.model import Block, BodyText, GlossaryEntry, HistoryRow, ParsedPlan
from storage.importers.plandates import inspection_date, is_inspection_sentence, labelled_plan_date, sentences
from storage.importers.ragkey import scheme_from_key, scheme_from_values
from storage.importers.tables import Grouper, Unit
from storage.rag import RagScheme

_MONTH_YEAR = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?)\s+(20\d\d)\b",
    re.I,
)


def parse_blocks(blocks: list[Block], *, filename: str, reference_date: dt.date | None) -> ParsedPlan:
    account = Account()
    grouped = Grouper(account).group(blocks)
    units = grouped.units
    warnings = Warnings()
    for notice in grouped.notices:
        warnings.add(notice)
    for where, text in grouped.skipped:
        warnings.add(f"{where} skipped: '{text}' is in no table of the plan")
    glossary = [e for u in units if u.kind == "glossary" for e in _glossary(u)]
    history = [h for u in units if u.kind == "history" for h in _history(u)]
    action_units = [u for u in units if u.kind == "action"]
    scheme = _scheme(units, action_units, warnings)
    plan = ParsedPlan(
        source_filename=filename,
        title="",
        organisation="",
        reference_date=None,
        start_date=None,
        scheme=scheme,
        sections=[],
        actions=[],
        glossary=glossary,
        history=history,
        warnings=[],
        action_tables=len(action_units),
        account=account,
    )
    listed = (
        None
        if action_units
        else read_list_plan([b for b in blocks if isinstance(b, BodyText)], account, scheme)
    )
    if listed is not None:
        _from_list(plan, listed, glossary, warnings)
        front = listed.front
    else:
        reader = ActionReader(scheme, glossary, warnings, account)
        for unit in action_units:
            reader.read(unit)
        plan.unexplained_abbreviations = finish(reader, glossary)
        plan.sections, plan.actions = reader.sections, reader.actions
        front = grouped.front
    return _plan(filename, front, reference_date, history, warnings, plan)


def _from_list(plan: ParsedPlan, listed: ListPlan, glossary: list[GlossaryEntry], warnings: Warnings) -> None:
    plan.list_plan = True
    plan.sections, plan.actions = listed.sections, listed.actions
    plan.start_date = listed.plan_date
    for warning in listed.warnings:
        warnings.add(warning)
    deduplicate_refs(plan.actions, warnings)
    glossary.extend(abbreviations_in_brackets(plan.actions, glossary))
    split_lead_heads(plan.actions, glossary, warnings)
    plan.unexplained_abbreviations = unexplained_abbreviations(plan.actions, glossary)


def _scheme(units: list[Unit], action_units: list[Unit], warnings: Warnings) -> RagScheme:
    key_units = [u for u in units if u.kind == "key" and u.rows]
    if key_units:
        scheme, notes = scheme_from_key(key_units[0].rows)
        for note in notes:
            warnings.add(note)
        return scheme
    values = []
    for unit in action_units:
        columns = unit.columns
        for role in ("rag", "progress_rag"):
            index = columns.get(role) if isinstance(columns, Columns) else None
            if index is not None:
                values.extend(r[index].text for r in unit.data_rows() if index < len(r))
    return scheme_from_values(values)


def _plan(
    filename: str,
    front: list[str],
    reference_date: dt.date | None,
    history: list[HistoryRow],
    warnings: Warnings,
    plan: ParsedPlan,
) -> ParsedPlan:
    """The plan's title, organisation and dates, from its cover and history."""
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
    # The plan's own date ("Plan agreed: 2 April 2025") beats the first month the cover names, which is
    # often the inspection's; relative timescales count from it.
    start = plan.start_date or labelled_plan_date(cover)
    start = start or _first_month([t for t in sentences(cover) if not is_inspection_sentence(t)])
    if plan.list_plan and reference_date is not None:
        start = reference_date  # the date the urgency of each recommendation counts from
    issued = [h.issued for h in history if h.issued]
    if reference_date is None and plan.list_plan:
        reference_date = start
    if reference_date is None:
        reference_date = _reference_from_text("\n".join(front + [h.summary for h in history]))
    if reference_date is None:
        reference_date = max(issued) if issued else start
    if reference_date is None:
        year = next((m.group(0) for t in cover if (m := re.search(r"\b20\d\d\b", t))), None)
        reference_date = dt.date(int(year), 1, 1) if year else None
    if reference_date is None and plan.actions:
        warnings.add(
            "the document gives no date: short timescales ('May 23', 'within 3 months') are read "
            "against today; pass --reference-date to fix that"
        )
    plan.title = title or filename.rsplit(".", 1)[0]
    plan.organisation = organisation
    plan.reference_date = reference_date
    plan.start_date = start
    plan.inspection_date = inspection_date(cover)
    plan.document_date = max(issued) if issued else reference_date
    plan.warnings = list(warnings)
    return plan


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


def _glossary(unit: Unit) -> list[GlossaryEntry]:
    cols = unit.columns
    entries = []
    for row in unit.rows:

        def get(name: str, row=row) -> str:
            i = cols.get(name)
            return row[i].text.strip() if i is not None and i < len(row) else ""

        if get("abbreviation"):
            entries.append(GlossaryEntry(get("abbreviation"), get("title"), get("name")))
    return entries


def _history(unit: Unit) -> list[HistoryRow]:
    cols = unit.columns
    rows = []
    for row in unit.rows:

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
