"""Storing a parsed plan: work out every change first, reading only, then write them all at once.

``import_plan`` works inside the caller's session and transaction. It reads the plan's actions, their
leads and imported updates, and every person and alias, in a handful of queries, decides everything
in memory (``_Planner``), and only then writes, with one flush at the end (``_apply``), so a plan of
5,000 actions costs a few batched INSERTs rather than thousands of round trips. A dry run stops after
the planning: nothing is added to the session and the preview is built from the plan of changes.

Re-importing merges by ref: new actions are added, changed fields updated, a changed progress text or
RAG becomes a new update (source ``import``); actions the file no longer has are listed and kept, or
withdrawn with ``close_missing`` (status ``withdrawn``, recorded as a plan change made by the import). An
action the import withdrew that comes back in a later file is reopened; one withdrawn or merged on
purpose stays so, and changes made on purpose (``storage.import_guard``) are kept over the file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from storage.changes import LEFT_THE_PLAN, OPEN, WITHDRAWN, Revision, record
from storage.errors import InvalidInput
from storage.import_guard import ImportGuard
from storage.importers.model import ParsedAction, ParsedPlan, ParsedSection
from storage.many_rows import insert_many
from storage.models import (
    Action,
    ActionLead,
    LeadAlias,
    Person,
    Plan,
    PlanChange,
    ReportVersion,
    Section,
    Update,
)
from storage.people import LeadResolution, PeopleIndex
from storage.plans import MAX_UPDATE_TEXT, RAG_ONLY_TEXT, plan_by_name
from storage.proposals import supersede_open
from storage.rag import save_scheme, scheme_for_plan
from storage.timescales import Timescale, parse_timescale

log = logging.getLogger(__name__)
_ROLE_WORDS = re.compile(
    r"\b(director|manager|head|officer|lead|chief|assistant|coordinator|co-ordinator|team|service|board|"
    r"principal|executive|member|partners?|agencies|group|panel|council)\b",
    re.I,
)


@dataclass
class ImportResult:
    plan: Plan | None
    created: bool
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # ref -> changed fields
    new_updates: list[str] = field(default_factory=list)  # refs given a new progress/RAG update
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # stored actions the file no longer has
    closed: list[str] = field(default_factory=list)  # of those, withdrawn by this import
    reopened: list[str] = field(default_factory=list)  # actions an import withdrew that the file has again
    # Changes made on purpose (action set, an agreed date, a withdrawal) that this import kept.
    kept: list[str] = field(default_factory=list)
    preview: dict[str, Any] | None = None  # a dry run's payload (the same shape as plan_payload)

    def changes(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "added": self.added,
            "updated": self.updated,
            "new_updates": self.new_updates,
            "unchanged": len(self.unchanged),
            "missing": self.missing,
            "closed": self.closed,
            "reopened": self.reopened,
            "kept": self.kept,
        }


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


_NOT_WORD = re.compile(r"[\W_]+")


def slugify(text: str) -> str:
    slug = _NOT_SLUG.sub("-", text.casefold()).strip("-")
    return slug[:200] or "plan"


def norm_title(text: str) -> str:
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def import_plan(
    session: Session,
    parsed: ParsedPlan,
    *,
    plan_name: str | None,
    now: dt.datetime,
    close_missing: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    name = (plan_name or "").strip() or slugify(parsed.source_filename.rsplit(".", 1)[0])
    if len(name) > 200:
        raise InvalidInput(f"a plan name has at most 200 characters (got {len(name)})", field="plan")
    # The same name in another case is the same plan: importing "ILACS" merges into "ilacs".
    plan = plan_by_name(
        session,
        name,
        selectinload(Plan.actions).selectinload(Action.leads).selectinload(ActionLead.person),
        selectinload(Plan.sections),
        selectinload(Plan.rag_states),
    )
    with session.no_autoflush:
        planner = _Planner(session, plan, parsed, now, dry_run=dry_run)
        planned = planner.work_out(close_missing=close_missing)
    if dry_run:
        planned.result.preview = _preview(session, name, planned)
        return planned.result
    _apply(session, name, planned)
    log.info(
        "imported plan %s: %d actions (%d new, %d changed)",
        name,
        len(parsed.actions),
        len(planned.result.added),
        len(planned.result.updated),
    )
    return planned.result


# ---------------------------------------------------------------- planning (reads only)


@dataclass
class _NewUpdate:
    rag: str | None
    text: str
    at: dt.datetime


@dataclass
class _ActionChange:
    item: ParsedAction
    position: int
    ref: str
    values: dict[str, Any]
    section: Section | None
    timescale: Timescale
    existing: Action | None = None
    leads: list[tuple[Person, str]] = field(default_factory=list)
    updates: list[_NewUpdate] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # fields a re-import changes on a stored action
    before: dict[str, Any] | None = None  # the stored action's governed fields, for the change events
    reopen: bool = False  # withdrawn by an earlier import's --close-missing, and back in this file


@dataclass
class _Imported:
    """What earlier imports recorded for one action."""

    latest_at: dt.datetime
    text: str | None
    rag: str | None


@dataclass
class _Planned:
    result: ImportResult
    plan: Plan | None
    parsed: ParsedPlan
    now: dt.datetime
    scheme_changed: bool
    sections: dict[int, Section]  # id(ParsedSection) -> Section (stored or new)
    new_sections: list[tuple[ParsedSection, Section]]
    changes: list[_ActionChange]
    dropped: list[Action]
    to_close: list[Action]
    guard: ImportGuard


class _Planner:
    def __init__(
        self, session: Session, plan: Plan | None, parsed: ParsedPlan, now: dt.datetime, *, dry_run: bool
    ):
        self.session, self.plan, self.parsed, self.now = session, plan, parsed, now
        self.people = PeopleIndex(session, write=not dry_run)
        self.result = ImportResult(plan=plan, created=plan is None, warnings=list(parsed.warnings))
        existing = list(plan.actions) if plan is not None else []
        self.by_ref = {a.ref: a for a in existing}
        self.generated_by_title = {norm_title(a.title): a for a in existing if a.ref_generated}
        self.matched: set[int] = set()
        self.taken: set[str] = set(self.by_ref)
        self.imported = _imported_updates(session, plan)
        self.reference = parsed.reference_date or (plan.reference_date if plan else None) or now.date()
        self.start = parsed.start_date or (plan.start_date if plan else None)
        # Timescales repeat down a plan ("March 2025", "Ongoing"); each text is read once per import.
        self.timescales: dict[str | None, Timescale] = {}
        self.submitted_at = noon(parsed.document_date) if parsed.document_date else now
        self.lead_cache: dict[str, Person | None] = {}
        self.guard = ImportGuard(
            session, plan, filename=parsed.source_filename, now=now, enabled=plan is not None
        )

    def work_out(self, *, close_missing: bool) -> _Planned:
        scheme_changed = self.plan is None or _scheme_key(scheme_for_plan(self.plan)) != _scheme_key(
            self.parsed.scheme
        )
        if scheme_changed and self.plan is not None:
            self._warn_scheme_change()
        for entry in self.parsed.glossary:
            display = entry.name or entry.title or entry.abbreviation
            person = self.people.get_or_create(
                display, name=entry.name or None, role_title=entry.title or None
            )
            self.people.add_alias(person, entry.abbreviation)
        sections, new_sections = self._sections()
        changes = [
            self._action(item, position, sections.get(id(item.section)) if item.section else None)
            for position, item in enumerate(self.parsed.actions)
        ]
        self._warn_unexplained()
        dropped = sorted(
            (a for a in self.by_ref.values() if a.id is not None and a.id not in self.matched),
            key=lambda a: a.position,
        )
        self.result.missing = [a.ref for a in dropped if a.status == OPEN]
        to_close = [a for a in dropped if a.status == OPEN] if close_missing else []
        self.result.closed = [a.ref for a in to_close]
        self.result.kept = self.guard.kept
        return _Planned(
            self.result,
            self.plan,
            self.parsed,
            self.now,
            scheme_changed,
            sections,
            new_sections,
            changes,
            dropped,
            to_close,
            self.guard,
        )

    # -- sections
    def _sections(self) -> tuple[dict[int, Section], list[tuple[ParsedSection, Section]]]:
        existing = list(self.plan.sections) if self.plan is not None else []
        by_ref = {(s.kind, s.ref): s for s in existing if s.ref}
        by_title = {(s.kind, norm_title(s.title)): s for s in existing}
        mapped: dict[int, Section] = {}
        new: list[tuple[ParsedSection, Section]] = []
        for item in self.parsed.sections:
            section = by_ref.get((item.kind, item.ref)) if item.ref else None
            section = section or by_title.get((item.kind, norm_title(item.title)))
            if section is None:
                section = Section(
                    kind=item.kind, ref=item.ref, title=item.title, description=item.description
                )
                new.append((item, section))
            mapped[id(item)] = section
        return mapped, new

    # -- actions
    def _action(self, item: ParsedAction, position: int, section: Section | None) -> _ActionChange:
        ts = self.timescales.get(item.timescale)
        if ts is None:
            ts = parse_timescale(
                item.timescale,
                reference=self.reference,
                start=self.start,
                inspection=self.parsed.inspection_date,
            )
            self.timescales[item.timescale] = ts
        if ts.warning:
            self.result.warnings.append(f"{item.ref}: {ts.warning}")
        values = {
            "title": item.title,
            "description": item.description,
            "outcome": item.outcome,
            "timescale": item.timescale,
            "due_date": ts.due,
            "schedule": ts.schedule,
            "milestones": [d.isoformat() for d in ts.milestones],
            "recurrence": ts.recurrence,
            "ref_generated": item.ref_generated,
        }
        existing = self._find(item)
        ref = item.ref or ""
        if existing is None and ref in self.taken:
            ref = self._free_ref(ref)
            self.result.warnings.append(f"{item.ref}: taken by another stored action; stored as '{ref}'")
        elif existing is not None and existing.ref != ref and ref in self.taken:
            ref = existing.ref  # the file's ref belongs to another stored action: keep this one's
        self.taken.add(ref)
        change = _ActionChange(item, position, ref, values, section, ts, existing)
        change.leads = self._leads(item)
        if existing is not None:
            self._guard(change, existing)
        change.updates = self._updates(item, existing)
        self._record(change)
        return change

    def _guard(self, change: _ActionChange, action: Action) -> None:
        """Keep what someone changed on purpose over what the file says (``storage.import_guard``)."""
        guard = self.guard
        change.before = guard.snapshot(action)
        section_id = change.section.id if change.section is not None else None
        kept = guard.filter_values(action, {**change.values, "section_id": section_id})
        if kept["section_id"] != section_id:
            change.section = action.section
        change.values = {k: v for k, v in kept.items() if k != "section_id"}
        if guard.keeps_leads(action, [p.display_name for p, _ in change.leads]):
            change.leads = [(lead.person, lead.lead_text) for lead in action.leads]
        # Withdrawn by an import's --close-missing and back in the file: reopened. Withdrawn or merged on
        # purpose (a person's change): kept, and said so.
        if action.status in LEFT_THE_PLAN and (action.id, "status") not in guard.governed:
            change.reopen = True
        else:
            guard.note_closed(action)

    def _find(self, item: ParsedAction) -> Action | None:
        match = None
        if item.ref_generated:
            # Generated numbers shift when a row is inserted above; the wording is the better key.
            match = self.generated_by_title.get(norm_title(item.title))
        if match is None or match.id in self.matched:
            match = self.by_ref.get(item.ref or "")
        if match is None or match.id in self.matched:
            return None
        self.matched.add(match.id)
        return match

    def _free_ref(self, ref: str) -> str:
        n = 2
        while f"{ref} ({n})" in self.taken:
            n += 1
        return f"{ref} ({n})"

    def _record(self, change: _ActionChange) -> None:
        """Say what this action's import changes: added, updated (which fields), a new update, or nothing."""
        result, action = self.result, change.existing
        if change.updates:
            result.new_updates.append(change.ref)
        if action is None:
            result.added.append(change.ref)
            return
        changed = [k for k, v in change.values.items() if getattr(action, k) != v]
        if action.section is not change.section:
            changed.append("section_id")
        if action.ref != change.ref:
            changed.append("ref")
        if [(lead.person, lead.lead_text) for lead in action.leads] != [
            (p, t[:300]) for p, t in change.leads
        ]:
            changed.append("leads")
        if change.reopen:
            changed.append("status")
            result.reopened.append(change.ref)
        change.changed = changed
        if changed:
            result.updated[change.ref] = changed
        elif not change.updates:
            result.unchanged.append(change.ref)

    # -- leads
    def _leads(self, item: ParsedAction) -> list[tuple[Person, str]]:
        from storage.importers.leads import is_post, split_people

        def person(text: str) -> bool:  # "DCS" is someone; "ICB" (Integrated Care Board) is where they work
            return any(p.name or is_post(p.role_title or "") for p in self.people.candidates(text))

        texts: list[str] = []
        for segment in item.lead_segments or item.leads:
            # Split the Lead cell again now the database (glossary included) says who is known.
            for text in split_people(segment, lambda p: bool(self.people.candidates(p)), person):
                if text not in texts:
                    texts.append(text)
        wanted: list[tuple[Person, str]] = []
        for text in texts:
            person = self._person(text)
            if person is not None and all(person is not p for p, _ in wanted):
                wanted.append((person, text))
        return wanted

    def _person(self, text: str) -> Person | None:
        if text in self.lead_cache:
            return self.lead_cache[text]
        found = self.people.resolve(text)
        person = found.person
        if person is None and not found.ambiguous:
            found = self._named(text)
            person = found.person
        if person is None and found.ambiguous:
            names = " or ".join(p.display_name for p in found.candidates)
            self.result.warnings.append(
                f"lead '{text}' could be {names}: not linked; say who with `progressbot leads link`"
            )
        self.lead_cache[text] = person
        return person

    def _named(self, text: str) -> LeadResolution:
        """A lead nobody goes by yet: the person a cell names with their post ("Sarah Okafor (Director of
        Finance)", "Head of Early Help – Tom Reilly") or address is that person, found or created by name
        with the post as their role title; an address is left out of the name and never stored unasked."""
        from storage.importers.leads import name_and_post, without_email

        bare, email = without_email(text)
        if email and bare != text:
            self.result.warnings.append(
                f"lead '{text}': read as {bare}; to email them, `progressbot leads link \"{bare}\" --email {email}`"
            )
        named = name_and_post(bare)
        name, post = named if named else (bare, None)
        if name != text:
            found = self.people.resolve(name)
            if found.person is not None or found.ambiguous:
                if found.person is not None and post:
                    self.people.add_alias(found.person, post)
                return found
        if post:
            return LeadResolution(self.people.get_or_create(name, name=name, role_title=post))
        role = bool(_ROLE_WORDS.search(name)) or name.isupper()
        return LeadResolution(
            self.people.get_or_create(
                name, name=None if role else name, role_title=name if role and not name.isupper() else None
            )
        )

    # -- progress and RAG
    def _updates(self, item: ParsedAction, action: Action | None) -> list[_NewUpdate]:
        """The plan's progress and RAG become an update when they differ from what the last import
        recorded (never compared with Slack updates since, so re-importing the same document never puts
        its older text back on top of a lead's newer update)."""
        text = item.progress.strip()
        if not text and not item.rag:
            return []
        if len(text) > MAX_UPDATE_TEXT:
            text = text[: MAX_UPDATE_TEXT - 1] + "…"
        before = self.imported.get(action.id) if action is not None else None
        # A plan without a RAG (or without progress) says nothing about it: only a stated change counts.
        if before and (not text or before.text == text) and (item.rag is None or before.rag == item.rag):
            return []
        at = self.submitted_at
        if before and before.latest_at >= at:
            # A newer version carrying the same date must still read as newer than the last import.
            at = before.latest_at + dt.timedelta(seconds=1)
        earlier = [] if before else _earlier_updates(item, at)
        return [*earlier, _NewUpdate(item.rag, text or RAG_ONLY_TEXT.format(rag=item.rag), at)]

    # -- warnings
    def _warn_scheme_change(self) -> None:
        assert self.plan is not None
        old = scheme_for_plan(self.plan)
        if old.labels == self.parsed.scheme.labels:
            return  # only the meanings changed
        ids = [a.id for a in self.plan.actions]
        stale = 0
        if ids:
            stale = len(
                self.session.scalars(
                    select(Update.id).where(
                        Update.action_id.in_(ids),
                        Update.rag.is_not(None),
                        Update.rag.not_in(self.parsed.scheme.labels),
                    )
                ).all()
            )
        note = f"; {stale} earlier update(s) use a label the new scheme does not have" if stale else ""
        self.result.warnings.append(
            f"the RAG scheme changed from {', '.join(old.labels)} to {', '.join(self.parsed.scheme.labels)}{note}"
        )

    def _warn_unexplained(self) -> None:
        for abbreviation in self.parsed.unexplained_abbreviations:
            found = self.people.resolve(abbreviation)
            # A person whose only name is the abbreviation itself is what an earlier import created.
            known = found.person is not None and (
                found.person.name or found.person.role_title or found.person.slack_user_id
            )
            if not known:
                self.result.warnings.append(
                    f"lead '{abbreviation}' is an abbreviation the plan does not explain; kept as written"
                )


def _scheme_key(scheme) -> list[tuple]:
    return [(s.label, s.rank, s.colour, s.meaning, s.is_complete) for s in scheme.states]


def _imported_updates(session: Session, plan: Plan | None) -> dict[int, _Imported]:
    """For every action of the plan, what earlier imports recorded (one query)."""
    if plan is None or not plan.actions:
        return {}
    rows = session.execute(
        select(Update.action_id, Update.submitted_at, Update.text, Update.rag)
        .join(Action, Action.id == Update.action_id)
        .where(Action.plan_id == plan.id, Update.source == "import")
        .order_by(Update.action_id, Update.submitted_at.desc(), Update.id.desc())
    )
    found: dict[int, _Imported] = {}
    for action_id, at, text, rag in rows:
        seen = found.get(action_id)
        if seen is None:
            seen = found[action_id] = _Imported(at, None, None)
        if seen.text is None and text != RAG_ONLY_TEXT.format(rag=rag):
            seen.text = text
        if seen.rag is None and rag:
            seen.rag = rag
    return found


def _earlier_updates(item: ParsedAction, before: dt.datetime) -> list[_NewUpdate]:
    """Older dated progress columns ("Update (Jan 24)") as updates of their own, at the end of their month."""
    from storage.importers.headers import header_date, normalise_header

    found = []
    for header, text in item.earlier_progress:
        number = header_date(normalise_header(header))
        if number is None:
            continue
        year, month = divmod(number - 1, 100)
        if not 2000 <= year <= 2100:
            continue
        month = month or 12  # a year alone ("Update 2024"): its end
        at = noon(dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
        if at < before:
            found.append(_NewUpdate(None, text[:MAX_UPDATE_TEXT], at))
    return sorted(found, key=lambda u: u.at)


# ---------------------------------------------------------------- writing


def _apply(session: Session, name: str, planned: _Planned) -> None:
    if session.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock before choosing ids (see _next_ids): a write that changes nothing.
        with session.no_autoflush:
            session.execute(update(Plan).where(Plan.id == -1).values(name=Plan.name))
    plan = _write_plan(session, name, planned)
    _write_sections(plan, planned)
    _write_history(session, plan, planned.parsed, planned.now)
    _number_new(session, (Section, ReportVersion, LeadAlias))
    session.flush()  # section ids, for the actions below
    filename = planned.parsed.source_filename
    with session.no_autoflush:
        for change in planned.changes:
            if change.existing is not None:
                _write_action(change.existing, change, planned.now)
                if change.reopen:
                    _set_status(session, planned, change.existing, OPEN, f"back in {filename} (re-import)")
                planned.guard.record(change.existing, change.before or {})
    # Actions the new version no longer lists are kept (or withdrawn), after the listed ones.
    for offset, action in enumerate(planned.dropped):
        action.position = len(planned.changes) + offset
    for action in planned.to_close:
        _set_status(
            session, planned, action, WITHDRAWN, f"not in {filename} (re-import with --close-missing)"
        )
    session.flush()
    # New actions, their leads and every new update go in as plain rows, a batch per table: the unit of
    # work costs far more per object than the INSERT does.
    ids = _insert_actions(session, plan, planned)
    _insert_rows(
        session,
        ActionLead,
        [
            {
                "action_id": ids[i],
                "person_id": person.id,
                "position": n,
                "lead_text": text[:300],
                "kind": "lead",
            }
            for i, change in enumerate(planned.changes)
            if change.existing is None
            for n, (person, text) in enumerate(change.leads)
        ],
    )
    author = f"import: {planned.parsed.source_filename}"[:300]
    _insert_rows(
        session,
        Update,
        [
            {
                "action_id": change.existing.id if change.existing is not None else ids[i],
                "rag": u.rag,
                "text": u.text,
                "source": "import",
                "submitted_at": u.at,
                "author_text": author,
            }
            for i, change in enumerate(planned.changes)
            for u in change.updates
        ],
    )
    if planned.guard.enabled:  # a re-import records the actions it adds, as `action add` would
        _insert_rows(
            session,
            PlanChange,
            [
                _added(planned, change, ids[i])
                for i, change in enumerate(planned.changes)
                if change.existing is None
            ],
        )
    session.expire(plan, ["actions"])  # the collection no longer holds every action: load it afresh


def _import_stamp(filename: str) -> dict[str, Any]:
    return {"by_uid": None, "by_person_id": None, "by_text": f"import: {filename}"[:300], "source": "import"}


def _set_status(session: Session, planned: _Planned, action: Action, status: str, reason: str) -> None:
    """Withdraw an action the file no longer has, or reopen one an import withdrew: a plan change each."""
    stamp = _import_stamp(planned.parsed.source_filename)
    old = action.status
    action.status, action.merged_into_id, action.updated_at = status, None, planned.now
    record(
        session,
        action,
        kind="reopen" if status == OPEN else "withdraw",
        field_name="status",
        old=old if status == WITHDRAWN else {"status": old, "into": None},
        new={"status": status, "into": None},
        reason=reason,
        stamp=stamp,
        at=planned.now,
    )
    if status == WITHDRAWN:
        supersede_open(session, action, stamp=stamp, reason=f"{action.ref} was withdrawn", now=planned.now)


def _added(planned: _Planned, change: _ActionChange, action_id: int) -> dict[str, Any]:
    """The "add" plan change of an action a re-import adds (the shape ``ImportGuard.snapshot`` writes)."""
    section = change.section
    return {
        "plan_id": planned.result.plan.id,
        "action_id": action_id,
        "kind": "add",
        "field": None,
        "old_value": None,
        "new_value": {
            "title": change.values["title"],
            "section": {"id": section.id, "title": section.title, "ref": section.ref} if section else None,
            "timescale": change.values["timescale"],
            "due": change.values["due_date"].isoformat() if change.values["due_date"] else None,
            "leads": [{"id": person.id, "name": person.display_name} for person, _ in change.leads],
        },
        "reason": f"re-import of {planned.parsed.source_filename}",
        "at": planned.now,
        **_import_stamp(planned.parsed.source_filename),
    }


def _write_plan(session: Session, name: str, planned: _Planned) -> Plan:
    parsed, now = planned.parsed, planned.now
    plan = planned.plan
    if plan is None:
        plan = Plan(name=name, created_at=now)
        session.add(plan)
    _number_new(session, (Plan, Person, LeadAlias))
    planned.result.plan = plan
    plan.title, plan.organisation = parsed.title, parsed.organisation
    plan.source_filename = parsed.source_filename
    plan.reference_date = parsed.reference_date or plan.reference_date
    plan.start_date = parsed.start_date or plan.start_date
    plan.updated_at = now
    session.flush()  # the plan's id, for the rows that point at it
    if planned.scheme_changed:
        save_scheme(session, plan, parsed.scheme)
    return plan


def _insert_actions(session: Session, plan: Plan, planned: _Planned) -> dict[int, int]:
    """Insert the new actions; returns position in ``planned.changes`` -> the new action's id."""
    new = [(i, c) for i, c in enumerate(planned.changes) if c.existing is None]
    rows = [
        {
            **change.values,
            "plan_id": plan.id,
            "section_id": change.section.id if change.section is not None else None,
            "ref": change.ref,
            "position": change.position,
            "created_at": planned.now,
            "updated_at": planned.now,
        }
        for _, change in new
    ]
    return dict(zip((i for i, _ in new), _insert_rows(session, Action, rows), strict=True))


def _insert_rows(session: Session, model: type, rows: list[dict[str, Any]]) -> list[int]:
    """One batched INSERT of plain rows; returns their ids in order (none for tables keyed otherwise)."""
    if not rows:
        return []
    table = model.__table__  # Core: the ORM's bulk mode splits rows by which values are None
    if "id" not in table.c:
        insert_many(session, table, rows)
        return []
    ids = _next_ids(session, model)
    if session.get_bind().dialect.name == "sqlite":
        numbered = [{**row, "id": next(ids)} for row in rows]
        insert_many(session, table, numbered)
        return [row["id"] for row in numbered]
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _number_new(session: Session, models: tuple[type, ...]) -> None:
    """Ids for the new rows of these tables, on SQLite, so each table is inserted in one batch."""
    for model in models:
        pending = [obj for obj in session.new if type(obj) is model and obj.id is None]
        if pending:
            ids = _next_ids(session, model)
            for obj in pending:
                obj.id = next(ids)


def _next_ids(session: Session, model: type) -> Iterator[int | None]:
    """On SQLite, the ids new rows will have, so they are inserted in batches; None elsewhere.

    SQLite cannot hand back generated keys in the order of a batch, so SQLAlchemy would insert such rows
    one at a time (thousands of statements for a big plan). SQLite has one writer at a time and this
    transaction already holds the write lock (it has written the plan row), so the next ids are ours.
    PostgreSQL returns ordered keys for a batch and keeps its own sequences.
    """
    if session.get_bind().dialect.name != "sqlite":
        return itertools.repeat(None)
    with session.no_autoflush:
        return itertools.count((session.scalar(select(func.max(model.id))) or 0) + 1)


def _write_sections(plan: Plan, planned: _Planned) -> None:
    for position, item in enumerate(planned.parsed.sections):
        section = planned.sections[id(item)]
        if section.plan is None and section.plan_id is None:
            plan.sections.append(section)
        section.title, section.position = item.title, position
        section.description = item.description or ""
        section.parent = planned.sections.get(id(item.parent)) if item.parent else None


def _write_action(action: Action, change: _ActionChange, now: dt.datetime) -> None:
    for key, value in change.values.items():
        # Every column of a new row is set, None included, so new rows share one INSERT shape (a batch).
        if change.existing is None or getattr(action, key) != value:
            setattr(action, key, value)
    # By id as well: the guard reads the section by id before the relationship catches up.
    action.section = change.section
    action.section_id = change.section.id if change.section is not None else None
    action.position = change.position
    action.ref = change.ref
    if change.changed:
        action.updated_at = now
    _sync_leads(action, change.leads)


def _sync_leads(action: Action, wanted: list[tuple[Person, str]]) -> None:
    """Make the action's leads the wanted ones, reusing the rows that stay (their key is the person)."""
    current = {id(lead.person): lead for lead in action.leads}
    keep = []
    for position, (person, text) in enumerate(wanted):
        lead = current.pop(id(person), None) or ActionLead(person=person)
        lead.position, lead.lead_text = position, text[:300]
        keep.append(lead)
    action.leads[:] = keep


def _write_history(session: Session, plan: Plan, parsed: ParsedPlan, now: dt.datetime) -> None:
    """Document-history rows become report versions, so the report shows where the plan came from."""
    if not parsed.history:
        return
    # Read with a query, never through plan.versions: a caller that merges this plan object into a
    # later session (the demo does) would otherwise overwrite the versions published since.
    have = set(session.scalars(select(ReportVersion.version).where(ReportVersion.plan_id == plan.id)))
    for index, row in enumerate(parsed.history, start=1):
        version = (row.version or f"import-{index}")[:20]
        if version in have:
            continue
        have.add(version)
        at = noon(row.issued) if row.issued else now
        session.add(
            ReportVersion(
                plan_id=plan.id,
                version=version,
                published_at=at,
                as_of=at,
                summary=row.summary,
                author=row.author[:300],
                source="import",
                snapshot={},
            )
        )


# ---------------------------------------------------------------- the dry run's preview


def _preview(session: Session, name: str, planned: _Planned) -> dict[str, Any]:
    """What ``plan_payload`` will show once this import is stored, built without storing it."""
    from storage.plans import action_payload, governance_fields, plan_header
    from storage.updates import latest_updates

    plan, parsed = planned.plan, planned.parsed
    rated = latest_updates(session, plan.id) if plan is not None else {}
    newest = latest_updates(session, plan.id, with_rag=False) if plan is not None else {}
    stand_ins = [_stand_in(i, change) for i, change in enumerate(planned.changes)]
    to_update = {
        a.id: [_Row(None, u.rag, "import") for u in c.updates]
        for a, c in zip(stand_ins, planned.changes, strict=True)
    }
    # A new plan is a transient object, never added to the session.
    governance = governance_fields(
        session, plan or Plan(name=name, policy={}), scheme=parsed.scheme, planned=to_update
    )
    actions = [
        _preview_action(change, rated, newest, _with_revision(governance(stand_in), change, planned))
        for stand_in, change in zip(stand_ins, planned.changes, strict=True)
    ]
    closing = {a.id for a in planned.to_close}
    for action in planned.dropped:
        fields = governance(action)
        if action.id in closing:
            fields = {**fields, "status": WITHDRAWN}
        actions.append(action_payload(action, rated.get(action.id), newest.get(action.id), fields))
    sections = [planned.sections[id(s)] for s in parsed.sections]
    header = plan_header(
        name=name,
        title=parsed.title,
        organisation=parsed.organisation,
        source_filename=parsed.source_filename,
        reference_date=parsed.reference_date or (plan.reference_date if plan else None),
        start_date=parsed.start_date or (plan.start_date if plan else None),
        scheme=parsed.scheme,
        sections=[(s.kind, s.ref, s.title, s.description) for s in sections],
        versions=_preview_versions(session, plan, parsed, planned.now),
        action_count=len(actions),
    )
    return {"plan": header, "actions": actions, "warnings": list(planned.result.warnings)}


@dataclass(frozen=True)
class _Row:
    """An update as the governance fields read it (a planned one has no id yet)."""

    id: int | None
    rag: str | None
    source: str


@dataclass(frozen=True)
class _StandIn:
    """An action as it will be stored, for the governance fields of the preview."""

    id: int
    due_date: dt.date | None
    status: str
    merged_into_id: int | None


def _stand_in(index: int, change: _ActionChange) -> _StandIn:
    action = change.existing
    if action is None:
        return _StandIn(-(index + 1), change.values["due_date"], OPEN, None)  # ids no stored action has
    reopened = change.reopen
    return _StandIn(
        action.id,
        change.values["due_date"],
        OPEN if reopened else action.status,
        None if reopened else action.merged_into_id,
    )


def _with_revision(fields: dict[str, Any], change: _ActionChange, planned: _Planned) -> dict[str, Any]:
    """A re-import that moves the due date records that move (a "set" change, by the import)."""
    before = change.before
    due = change.values["due_date"]
    if before is None or before.get("due") == (due.isoformat() if due else None):
        return fields
    revision = Revision(
        from_due=dt.date.fromisoformat(before["due"]) if before.get("due") else None,
        to_due=due,
        agreed_by=f"import: {planned.parsed.source_filename}"[:300],
        agreed_at=planned.now,
        reason=f"re-import of {planned.parsed.source_filename}",
        kind="set",
        source="import",
    )
    revisions = [*fields["revisions"], revision.to_dict(dt.UTC)]
    first = revisions[0]["from"]
    return {**fields, "revisions": revisions, "original_due": first}


def _preview_action(
    change: _ActionChange, rated: dict, newest: dict, governance: dict[str, Any]
) -> dict[str, Any]:
    from storage.plans import progress_text

    action = change.existing
    last = change.updates[-1] if change.updates else None
    current = rated.get(action.id) if action is not None else None
    latest = newest.get(action.id) if action is not None else None
    rag = (last.rag if last and last.rag else None) or (current.rag if current else None)
    progress = (
        progress_text(last.text, last.rag, "import")
        if last
        else (progress_text(latest.text, latest.rag, latest.source) if latest else None)
    )
    values = change.values
    return {
        "ref": change.ref,
        "ref_generated": values["ref_generated"],
        "title": values["title"],
        "leads": [p.display_name for p, _ in change.leads],
        "leads_as_written": [t[:300] for _, t in change.leads],
        "timescale": values["timescale"],
        "due": values["due_date"].isoformat() if values["due_date"] else None,
        "milestones": list(values["milestones"]),
        "schedule": values["schedule"],
        "recurrence": values["recurrence"],
        "rag": rag,
        "progress": progress,
        "section": change.section.title if change.section else None,
        "outcome": values["outcome"] or None,
        "description": values["description"],
        **governance,
    }


def _preview_versions(
    session: Session, plan: Plan | None, parsed: ParsedPlan, now: dt.datetime
) -> list[dict[str, Any]]:
    stored = (
        session.scalars(select(ReportVersion).where(ReportVersion.plan_id == plan.id)).all()
        if plan is not None
        else []
    )
    versions = [
        {
            "version": v.version,
            "published_at": v.published_at,
            "summary": v.summary,
            "author": v.author,
            "source": v.source,
        }
        for v in stored
    ]
    have = {v["version"] for v in versions}
    for index, row in enumerate(parsed.history, start=1):
        version = (row.version or f"import-{index}")[:20]
        if version not in have:
            have.add(version)
            at = noon(row.issued) if row.issued else now
            versions.append(
                {
                    "version": version,
                    "published_at": at,
                    "summary": row.summary,
                    "author": row.author[:300],
                    "source": "import",
                }
            )
    versions.sort(key=lambda v: v["published_at"])
    return [{**v, "published_at": v["published_at"].isoformat()} for v in versions]
