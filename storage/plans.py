"""Plans in the database: import (and re-import) a parsed plan, look plans and actions up.

``import_plan`` works inside the caller's session and transaction: a failure part-way leaves nothing
behind once the caller rolls back, and a dry run is the same import rolled back.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.errors import InvalidInput, NotFound
from storage.importers.model import ParsedAction, ParsedPlan, ParsedSection
from storage.models import Action, ActionLead, Person, Plan, ReportVersion, Section, Update, plan_name_key
from storage.rag import save_scheme, scheme_for_plan

log = logging.getLogger(__name__)

MAX_UPDATE_TEXT = 3000
# Updates need text; a plan row with a RAG and no progress gets this, and shows as no progress.
RAG_ONLY_TEXT = "RAG {rag} recorded in the imported plan (no progress text)"
_ROLE_WORDS = re.compile(
    r"\b(director|manager|head|officer|lead|chief|assistant|coordinator|co-ordinator|team|service|board|"
    r"principal|executive|member|partners?|agencies|group|panel|council)\b",
    re.I,
)


@dataclass
class ImportResult:
    plan: Plan
    created: bool
    added: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)  # ref -> changed fields
    new_updates: list[str] = field(default_factory=list)  # refs given a new progress/RAG update
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Changes made on purpose (action set, an agreed date, a withdrawal) that this import kept.
    kept: list[str] = field(default_factory=list)

    def changes(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "added": self.added,
            "updated": self.updated,
            "new_updates": self.new_updates,
            "unchanged": len(self.unchanged),
            "kept": self.kept,
        }


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    return slug[:200] or "plan"


def _norm_title(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def list_plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.name)))


def plan_by_name(session: Session, name: str, *options: Any) -> Plan | None:
    """The plan called ``name`` in any case (the exact spelling first, for plans that predate the
    rule that names may not differ only in case)."""
    wanted = name.strip()
    plan = session.scalar(select(Plan).where(Plan.name == wanted).options(*options))
    if plan is not None:
        return plan
    return session.scalar(select(Plan).where(Plan.name_key == plan_name_key(wanted)).options(*options))


def get_plan(session: Session, name: str | None) -> Plan:
    """The named plan, in any case; with no name, the only plan (NotFound listing the plans otherwise)."""
    if name:
        plan = plan_by_name(session, name)
        if plan is not None:
            return plan
        names = [p.name for p in list_plans(session)]
        known = f"; plans: {', '.join(names)}" if names else "; no plan has been imported yet"
        raise NotFound(f"no plan named '{name}'{known}")
    plans = list_plans(session)
    if len(plans) == 1:
        return plans[0]
    if not plans:
        raise NotFound("no plan has been imported yet (progressbot import PATH)")
    raise NotFound(f"there are {len(plans)} plans, say which with --plan: {', '.join(p.name for p in plans)}")


def get_action(session: Session, plan: Plan, ref: str) -> Action:
    ref = ref.strip()
    action = session.scalar(select(Action).where(Action.plan_id == plan.id, Action.ref == ref))
    if action is not None:
        return action
    refs = list(session.scalars(select(Action.ref).where(Action.plan_id == plan.id)))
    close = difflib.get_close_matches(ref, refs, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise NotFound(f"no action '{ref}' in plan '{plan.name}'{hint}")


# ---------------------------------------------------------------- import


def import_plan(
    session: Session, parsed: ParsedPlan, *, plan_name: str | None, now: dt.datetime
) -> ImportResult:
    name = (plan_name or "").strip() or slugify(parsed.source_filename.rsplit(".", 1)[0])
    if len(name) > 200:
        raise InvalidInput(f"a plan name has at most 200 characters (got {len(name)})", field="plan")
    # The same name in another case is the same plan: importing "ILACS" merges into "ilacs".
    plan = plan_by_name(session, name, selectinload(Plan.actions))
    created = plan is None
    if plan is None:
        plan = Plan(name=name, created_at=now)
        session.add(plan)
    plan.title = parsed.title
    plan.organisation = parsed.organisation
    plan.source_filename = parsed.source_filename
    plan.reference_date = parsed.reference_date or plan.reference_date
    plan.start_date = parsed.start_date or plan.start_date
    plan.updated_at = now
    session.flush()
    result = ImportResult(plan=plan, created=created, warnings=list(parsed.warnings))
    if created or _scheme_key(scheme_for_plan(plan)) != _scheme_key(parsed.scheme):
        if not created:
            _warn_scheme_change(session, plan, parsed, result)
        save_scheme(session, plan, parsed.scheme)
    _import_glossary(session, parsed)
    sections = _import_sections(session, plan, parsed.sections)
    from storage.import_guard import ImportGuard

    guard = ImportGuard(session, plan, filename=parsed.source_filename, now=now, enabled=not created)
    importer = _ActionImporter(session, plan, parsed, result, now, guard)
    for position, item in enumerate(parsed.actions):
        importer.upsert(item, position, sections.get(id(item.section)) if item.section else None)
    result.kept = guard.kept
    # Actions the new version no longer lists are kept (nothing is deleted), after the listed ones.
    dropped = sorted(
        (a for a in importer.by_ref.values() if a.id not in importer.matched), key=lambda a: a.position
    )
    for offset, action in enumerate(dropped):
        action.position = len(parsed.actions) + offset
    _import_history(session, plan, parsed, now)
    _warn_unexplained(session, parsed, result)
    session.flush()
    log.info(
        "imported plan %s: %d actions (%d new, %d changed)",
        plan.name,
        len(parsed.actions),
        len(result.added),
        len(result.updated),
    )
    return result


def _warn_scheme_change(session: Session, plan: Plan, parsed: ParsedPlan, result: ImportResult) -> None:
    old = scheme_for_plan(plan)
    if old.labels == parsed.scheme.labels:
        return  # only the meanings changed
    stale = session.scalar(
        select(func.count())
        .select_from(Update)
        .join(Action, Action.id == Update.action_id)
        .where(Action.plan_id == plan.id, Update.rag.is_not(None), Update.rag.not_in(parsed.scheme.labels))
    )
    note = f"; {stale} earlier update(s) use a label the new scheme does not have" if stale else ""
    result.warnings.append(
        f"the RAG scheme changed from {', '.join(old.labels)} to {', '.join(parsed.scheme.labels)}{note}"
    )


def _scheme_key(scheme) -> list[tuple]:
    return [(s.label, s.rank, s.colour, s.meaning, s.is_complete) for s in scheme.states]


def _import_glossary(session: Session, parsed: ParsedPlan) -> None:
    from storage.people import add_alias, get_or_create_person

    for entry in parsed.glossary:
        display = entry.name or entry.title or entry.abbreviation
        person = get_or_create_person(
            session, display, name=entry.name or None, role_title=entry.title or None
        )
        add_alias(session, person, entry.abbreviation)


def _warn_unexplained(session: Session, parsed: ParsedPlan, result: ImportResult) -> None:
    from storage.people import resolve_lead

    for abbreviation in parsed.unexplained_abbreviations:
        found = resolve_lead(session, abbreviation)
        # A person whose only name is the abbreviation itself is what an earlier import created.
        known = found.person is not None and (
            found.person.name or found.person.role_title or found.person.slack_user_id
        )
        if not known:
            result.warnings.append(
                f"lead '{abbreviation}' is an abbreviation the plan does not explain; kept as written"
            )


def _import_sections(session: Session, plan: Plan, parsed: list[ParsedSection]) -> dict[int, Section]:
    existing = list(session.scalars(select(Section).where(Section.plan_id == plan.id)))
    by_ref = {(s.kind, s.ref): s for s in existing if s.ref}
    by_title = {(s.kind, _norm_title(s.title)): s for s in existing}
    mapped: dict[int, Section] = {}
    for position, item in enumerate(parsed):
        section = by_ref.get((item.kind, item.ref)) if item.ref else None
        section = section or by_title.get((item.kind, _norm_title(item.title)))
        if section is None:
            section = Section(plan=plan, kind=item.kind, ref=item.ref, title=item.title, position=position)
            session.add(section)
        section.title, section.position = item.title, position
        section.parent = mapped.get(id(item.parent)) if item.parent else None
        mapped[id(item)] = section
    session.flush()
    return mapped


def _import_history(session: Session, plan: Plan, parsed: ParsedPlan, now: dt.datetime) -> None:
    """Document-history rows become report versions, so the report shows where the plan came from."""
    have = set(session.scalars(select(ReportVersion.version).where(ReportVersion.plan_id == plan.id)))
    for index, row in enumerate(parsed.history, start=1):
        version = (row.version or f"import-{index}")[:20]
        if version in have:
            continue
        have.add(version)
        at = _noon(row.issued) if row.issued else now
        session.add(
            ReportVersion(
                plan=plan,
                version=version,
                published_at=at,
                as_of=at,
                summary=row.summary,
                author=row.author[:300],
                source="import",
                snapshot={},
            )
        )


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


class _ActionImporter:
    def __init__(
        self, session: Session, plan: Plan, parsed: ParsedPlan, result: ImportResult, now: dt.datetime, guard
    ) -> None:
        self.session, self.plan, self.parsed, self.result, self.now = session, plan, parsed, result, now
        self.guard = guard
        existing = list(session.scalars(select(Action).where(Action.plan_id == plan.id)))
        self.by_ref = {a.ref: a for a in existing}
        self.generated_by_title = {_norm_title(a.title): a for a in existing if a.ref_generated}
        self.reference = parsed.reference_date or plan.reference_date or now.date()
        self.submitted_at = _noon(parsed.document_date) if parsed.document_date else now
        self.lead_cache: dict[str, Person | None] = {}
        self.matched: set[int] = set()
        self.known_cache: dict[str, bool] = {}

    def _find(self, item: ParsedAction) -> Action | None:
        if item.ref_generated:
            # Generated numbers shift when a row is inserted above; the wording is the better key.
            match = self.generated_by_title.get(_norm_title(item.title))
            if match is not None and match.id not in self.matched:
                return match
        match = self.by_ref.get(item.ref or "")
        return match if match is not None and match.id not in self.matched else None

    def _free_ref(self, ref: str) -> str:
        n = 2
        while f"{ref} ({n})" in self.by_ref:
            n += 1
        return f"{ref} ({n})"

    def upsert(self, item: ParsedAction, position: int, section: Section | None) -> None:
        from storage.timescales import parse_timescale

        ts = parse_timescale(item.timescale, reference=self.reference, start=self.plan.start_date)
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
            "section_id": section.id if section else None,
            "ref_generated": item.ref_generated,
        }
        action = self._find(item)
        if action is None:
            ref = item.ref if item.ref not in self.by_ref else self._free_ref(item.ref)
            if ref != item.ref:
                self.result.warnings.append(f"{item.ref}: taken by another stored action; stored as '{ref}'")
            action = Action(
                plan=self.plan, ref=ref, position=position, created_at=self.now, updated_at=self.now, **values
            )
            self.session.add(action)
            self.session.flush()
            self.by_ref[action.ref] = action
            self.matched.add(action.id)
            self.result.added.append(action.ref)
            changed: list[str] = []
            before = None
        else:
            self.matched.add(action.id)
            before = self.guard.snapshot(action)
            values = self.guard.filter_values(action, values)
            self.guard.note_closed(action)
            changed = [k for k, v in values.items() if getattr(action, k) != v]
            for k in changed:
                setattr(action, k, values[k])
            action.position = position
            if action.ref != item.ref and item.ref not in self.by_ref:
                changed.append("ref")
                action.ref = item.ref
            if changed:
                action.updated_at = self.now
        if self._set_leads(action, item):
            changed.append("leads")
        if before is None:
            self.guard.added(action)
        else:
            self.guard.record(action, before)
        if changed and action.ref not in self.result.added:
            self.result.updated[action.ref] = changed
        if self._record_progress(action, item):
            self.result.new_updates.append(action.ref)
        elif not changed and action.ref not in self.result.added:
            self.result.unchanged.append(action.ref)

    def _person(self, text: str) -> Person | None:
        from storage.people import get_or_create_person, resolve_lead

        if text in self.lead_cache:
            return self.lead_cache[text]
        found = resolve_lead(self.session, text)
        person = found.person
        if person is None and found.ambiguous:
            names = " or ".join(p.display_name for p in found.candidates)
            self.result.warnings.append(
                f"lead '{text}' could be {names}: not linked; say who with `progressbot leads link`"
            )
        elif person is None:
            role = bool(_ROLE_WORDS.search(text)) or text.isupper()
            person = get_or_create_person(
                self.session,
                text,
                name=None if role else text,
                role_title=text if role and not text.isupper() else None,
            )
        self.lead_cache[text] = person
        return person

    def _known(self, text: str) -> bool:
        from storage.importers.leads import key
        from storage.people import resolve_lead

        if text not in self.known_cache:
            self.known_cache[text] = bool(key(text)) and bool(resolve_lead(self.session, text).candidates)
        return self.known_cache[text]

    def _lead_texts(self, item: ParsedAction) -> list[str]:
        """Split the Lead cell again now the database (glossary included) says who is known."""
        from storage.importers.leads import split_people

        texts: list[str] = []
        for segment in item.lead_segments or item.leads:
            for text in split_people(segment, self._known):
                if text not in texts:
                    texts.append(text)
        return texts

    def _set_leads(self, action: Action, item: ParsedAction) -> bool:
        wanted: list[tuple[Person, str]] = []
        for text in self._lead_texts(item):
            person = self._person(text)
            if person is not None and all(person.id != p.id for p, _ in wanted):
                wanted.append((person, text))
        current = [(lead.person_id, lead.lead_text) for lead in action.leads]
        if current == [(p.id, t) for p, t in wanted]:
            return False
        if self.guard.keeps_leads(action, [p.display_name for p, _ in wanted]):
            return False
        action.leads.clear()
        self.session.flush()
        for position, (person, text) in enumerate(wanted):
            action.leads.append(ActionLead(person=person, position=position, lead_text=text[:300]))
        return bool(current) or bool(wanted)

    def _record_progress(self, action: Action, item: ParsedAction) -> bool:
        """Store the plan's progress and RAG as an update when they differ from the last import's."""
        from storage.updates import record_update

        text = item.progress.strip()
        if not text and not item.rag:
            return False
        if len(text) > MAX_UPDATE_TEXT:
            text = text[: MAX_UPDATE_TEXT - 1] + "…"
        # Compared with what earlier imports recorded, not with Slack updates since: re-importing the
        # same document must not bring its older text back on top of a lead's newer update.
        imported = list(
            self.session.scalars(
                select(Update)
                .where(Update.action_id == action.id, Update.source == "import")
                .order_by(Update.submitted_at.desc(), Update.id.desc())
            )
        )
        last_text = next((u.text for u in imported if u.text != RAG_ONLY_TEXT.format(rag=u.rag)), None)
        last_rag = next((u.rag for u in imported if u.rag), None)
        # A plan without a RAG (or without progress) says nothing about it: only a stated change counts.
        if imported and (not text or last_text == text) and (item.rag is None or last_rag == item.rag):
            return False
        at = self.submitted_at
        if imported and imported[0].submitted_at >= at:
            # A newer version carrying the same date must still read as newer than the last import; a
            # lead's update made after the document's date stays the current one.
            at = imported[0].submitted_at + dt.timedelta(seconds=1)
        record_update(
            self.session,
            action,
            rag=item.rag,
            text=text or RAG_ONLY_TEXT.format(rag=item.rag),
            source="import",
            submitted_at=at,
            author_text=f"import: {self.parsed.source_filename}"[:300],
        )
        return True


# ---------------------------------------------------------------- output


def _governance_payload(session: Session, plan: Plan):
    """action -> its governance fields for ``plan show --json`` (loaded once for the plan)."""
    from storage.governance import ActionGovernance, load_governance
    from storage.signoff import completion_run, completion_state, needs_signoff

    loaded = load_governance(session, plan.id)
    complete = {s.label for s in scheme_for_plan(plan).states if s.is_complete}
    needs = needs_signoff(plan)
    rows = session.execute(
        select(Update.id, Update.action_id, Update.rag, Update.source)
        .join(Action, Action.id == Update.action_id)
        .where(Action.plan_id == plan.id)
        .order_by(Update.action_id, Update.submitted_at, Update.id)
    ).all()
    updates: dict[int, list] = {}
    for row in rows:
        updates.setdefault(row.action_id, []).append(row)
    refs = {a.id: a.ref for a in plan.actions}

    def fields(action: Action) -> dict[str, Any]:
        gov = loaded.get(action.id) or ActionGovernance()
        run = completion_run(updates.get(action.id, []), complete)
        request = gov.proposal
        return {
            "original_due": _iso(gov.original_due(action.due_date)),
            "revisions": [r.to_dict(dt.UTC) for r in gov.revisions],
            "status": action.status,
            "merged_into": refs.get(action.merged_into_id) if action.merged_into_id else None,
            "completion": completion_state(run, gov.signed_update_ids, needs=needs),
            "date_request": {
                "proposed_due": request.proposed_due.isoformat(),
                "from": _iso(request.from_due),
                "by": request.by,
                "at": request.at.isoformat(),
                "reason": request.reason,
            }
            if request
            else None,
            "open_challenges": [
                {"by": c.by, "at": c.at.isoformat(), "question": c.question} for c in gov.open_challenges
            ],
        }

    return fields


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _progress_text(update) -> str | None:
    if update is None:
        return None
    if update.source == "import" and update.text == RAG_ONLY_TEXT.format(rag=update.rag):
        return None
    return update.text


def plan_payload(session: Session, plan: Plan, *, warnings: list[str] | None = None) -> dict[str, Any]:
    """The stored plan as one JSON-ready object: {"plan": ..., "actions": [...], "warnings": [...]}."""
    from storage.updates import latest_updates

    session.flush()
    plan = session.scalar(
        select(Plan)
        .where(Plan.id == plan.id)
        .options(
            selectinload(Plan.actions).selectinload(Action.leads).selectinload(ActionLead.person),
            selectinload(Plan.actions).selectinload(Action.section),
            selectinload(Plan.sections),
            selectinload(Plan.rag_states),
            selectinload(Plan.versions),
        )
        .execution_options(populate_existing=True)
    )
    rated = latest_updates(session, plan.id)  # the current RAG, even when a text-only update came later
    newest = latest_updates(session, plan.id, with_rag=False)
    scheme = scheme_for_plan(plan)
    governance = _governance_payload(session, plan)
    actions = []
    for action in plan.actions:
        update = rated.get(action.id)
        actions.append(
            {
                "ref": action.ref,
                "ref_generated": action.ref_generated,
                "title": action.title,
                "leads": [lead.person.display_name for lead in action.leads],
                "leads_as_written": [lead.lead_text for lead in action.leads],
                "timescale": action.timescale,
                "due": action.due_date.isoformat() if action.due_date else None,
                "milestones": list(action.milestones or []),
                "schedule": action.schedule,
                "recurrence": action.recurrence,
                "rag": update.rag if update else None,
                "progress": _progress_text(newest.get(action.id)),
                "section": action.section.title if action.section else None,
                "outcome": action.outcome or None,
                "description": action.description,
                **governance(action),
            }
        )
    return {
        "plan": {
            "name": plan.name,
            "title": plan.title,
            "organisation": plan.organisation,
            "source_filename": plan.source_filename,
            "reference_date": plan.reference_date.isoformat() if plan.reference_date else None,
            "start_date": plan.start_date.isoformat() if plan.start_date else None,
            "rag_scheme": {
                "name": scheme.name,
                "states": [
                    {
                        "label": s.label,
                        "colour": s.colour,
                        "meaning": s.meaning,
                        "is_complete": s.is_complete,
                        "rank": s.rank,
                    }
                    for s in scheme.states
                ],
            },
            "sections": [{"kind": s.kind, "ref": s.ref, "title": s.title} for s in plan.sections],
            "versions": [
                {
                    "version": v.version,
                    "published_at": v.published_at.isoformat(),
                    "summary": v.summary,
                    "author": v.author,
                    "source": v.source,
                }
                for v in plan.versions
            ],
            "action_count": len(actions),
        },
        "actions": actions,
        "warnings": list(warnings or []),
    }
