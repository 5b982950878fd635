"""Plans in the database: look plans and actions up, and show a stored plan as JSON.

Importing lives in ``storage.plan_import`` (reached through ``import_plan`` here), so commands that
only read plans never load the importer.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from storage.errors import NotFound
from storage.models import Action, ActionLead, Plan, Update
from storage.plan_rows import find_plan_id, plan_id_by_name
from storage.rag import RagScheme, scheme_for_plan

if TYPE_CHECKING:
    from storage.importers.model import ParsedPlan
    from storage.plan_import import ImportResult
    from storage.sqlite_file import Run

log = logging.getLogger(__name__)

MAX_UPDATE_TEXT = 3000
# Updates need text; a plan row with a RAG and no progress gets this, and shows as no progress.
RAG_ONLY_TEXT = "RAG {rag} recorded in the imported plan (no progress text)"


def list_plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.name)))


def rows_of(session: Session) -> Run:
    """``run(sql, params) -> rows`` on the session (see ``storage.plan_rows``), after a flush, as an ORM
    query would autoflush: what the session has added is in what it reads."""
    session.flush()
    return lambda sql, params: session.execute(text(sql), params).all()


def plan_by_name(session: Session, name: str, *options: Any) -> Plan | None:
    """The plan called ``name`` in any case (``storage.plan_rows.plan_id_by_name``), loaded with ``options``."""
    plan_id = plan_id_by_name(rows_of(session), name)
    if plan_id is None:
        return None
    return session.scalar(select(Plan).where(Plan.id == plan_id).options(*options))


def plan_title(plan: Plan) -> str:
    """The plan's title as people read it (emails, the form): its title, else its name."""
    return plan.title.strip() or plan.name


def get_plan(session: Session, name: str | None) -> Plan:
    """The named plan, in any case; with no name, the only plan (NotFound listing the plans otherwise)."""
    return session.get_one(Plan, find_plan_id(rows_of(session), name))


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


def import_plan(session: Session, parsed: ParsedPlan, **options: Any) -> ImportResult:
    """Store a parsed plan (see ``storage.plan_import``, imported only by the commands that import)."""
    from storage.plan_import import import_plan as run

    return run(session, parsed, **options)


# ---------------------------------------------------------------- output


def progress_text(text: str | None, rag: str | None, source: str) -> str | None:
    """An update's text as progress: none for the placeholder an import writes for a RAG alone."""
    if text is None or (source == "import" and text == RAG_ONLY_TEXT.format(rag=rag)):
        return None
    return text


def action_payload(action: Action, rated, newest, governance: dict[str, Any]) -> dict[str, Any]:
    """One stored action as JSON: ``rated`` is its latest update with a RAG, ``newest`` its latest update,
    ``governance`` its status, revisions and the like (``governance_fields``)."""
    return {
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
        "rag": rated.rag if rated else None,
        "progress": progress_text(newest.text, newest.rag, newest.source) if newest else None,
        "section": action.section.title if action.section else None,
        "outcome": action.outcome or None,
        "description": action.description,
        **governance,
    }


def plan_header(
    *,
    name: str,
    title: str,
    organisation: str,
    source_filename: str | None,
    reference_date: dt.date | None,
    start_date: dt.date | None,
    scheme: RagScheme,
    sections: list[tuple[str, str | None, str, str]],
    versions: list[dict[str, Any]],
    action_count: int,
) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "organisation": organisation,
        "source_filename": source_filename,
        "reference_date": reference_date.isoformat() if reference_date else None,
        "start_date": start_date.isoformat() if start_date else None,
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
        # A section's description (the text under its heading) is shown only when it has one.
        "sections": [
            {"kind": kind, "ref": ref, "title": title, **({"description": text} if text else {})}
            for kind, ref, title, text in sections
        ],
        "versions": versions,
        "action_count": action_count,
    }


def plan_payload(
    session: Session, plan: Plan, *, warnings: list[str] | None = None, governance: bool = True
) -> dict[str, Any]:
    """The stored plan as one JSON-ready object: {"plan": ..., "actions": [...], "warnings": [...]}.

    ``governance=False`` leaves out the governance fields but an action's ``status`` (the readable table
    needs no more, and is quicker to show without them)."""
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
    fields = governance_fields(session, plan) if governance else lambda a: {"status": a.status}
    actions = [action_payload(a, rated.get(a.id), newest.get(a.id), fields(a)) for a in plan.actions]
    header = plan_header(
        name=plan.name,
        title=plan.title,
        organisation=plan.organisation,
        source_filename=plan.source_filename,
        reference_date=plan.reference_date,
        start_date=plan.start_date,
        scheme=scheme_for_plan(plan),
        sections=[(s.kind, s.ref, s.title, s.description) for s in plan.sections],
        versions=[
            {
                "version": v.version,
                "published_at": v.published_at.isoformat(),
                "summary": v.summary,
                "author": v.author,
                "source": v.source,
            }
            for v in plan.versions
        ],
        action_count=len(actions),
    )
    return {"plan": header, "actions": actions, "warnings": list(warnings or [])}


def governance_fields(
    session: Session, plan: Plan, *, scheme: RagScheme | None = None, planned: dict[int, list] | None = None
):
    """action -> its governance fields for ``plan show --json`` (loaded once for the plan).

    ``planned``: updates an import is about to record, by action id, and ``scheme`` the scheme it is about
    to save (a dry run's preview), counted as if they were stored.
    """
    from storage.governance import ActionGovernance, load_governance
    from storage.signoff import completion_run, completion_state, needs_signoff

    loaded = load_governance(session, plan.id) if plan.id is not None else {}
    complete = {s.label for s in (scheme or scheme_for_plan(plan)).states if s.is_complete}
    needs = needs_signoff(plan)
    updates: dict[int | None, list] = {}
    if plan.id is not None:
        for row in session.execute(
            select(Update.id, Update.action_id, Update.rag, Update.source)
            .join(Action, Action.id == Update.action_id)
            .where(Action.plan_id == plan.id)
            .order_by(Update.action_id, Update.submitted_at, Update.id)
        ):
            updates.setdefault(row.action_id, []).append(row)
    refs = {a.id: a.ref for a in plan.actions} if plan.id is not None else {}

    def fields(action: Action) -> dict[str, Any]:
        gov = loaded.get(action.id) or ActionGovernance()
        run = completion_run([*updates.get(action.id, []), *(planned or {}).get(action.id, [])], complete)
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
