"""Find a plan by name, and the readable table of a stored plan, in plain SQL.

``plan show`` and ``import`` (without ``--json``) print this table. Its statements are plain SQL with
``:name`` parameters, which SQLAlchemy's ``text()`` (SQLite and PostgreSQL; see
``storage.plans.rows_of``) and the standard library's ``sqlite3`` (``storage.sqlite_file``) both run,
through one interface: ``run(sql, params) -> rows``. So ``plan show`` can read a SQLite file without
loading SQLAlchemy, with the same statements and the same code shaping what they return.

Rows come back as the driver gives them, not through SQLAlchemy's column types: a date is a
``date`` from PostgreSQL and the stored ``YYYY-MM-DD`` text from SQLite, whichever driver reads it.
``_day`` makes them one. No SQLAlchemy and no models are imported here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from storage.errors import NotFound
from storage.rag import scheme_labels

if TYPE_CHECKING:
    from storage.sqlite_file import Run


def plan_name_key(name: str) -> str:
    """How plan names are compared: case and surrounding spaces ignored."""
    return (name or "").strip().casefold()


_PLAN_NAMED = "SELECT id FROM plans WHERE name = :name"
_PLAN_KEYED = "SELECT id FROM plans WHERE name_key = :key"
_PLANS = "SELECT id, name FROM plans ORDER BY name"


def plan_id_by_name(run: Run, name: str) -> int | None:
    """The plan called ``name`` in any case (the exact spelling first, for plans that predate the
    rule that names may not differ only in case)."""
    wanted = name.strip()
    for sql, params in ((_PLAN_NAMED, {"name": wanted}), (_PLAN_KEYED, {"key": plan_name_key(wanted)})):
        found = run(sql, params)
        if found:
            return found[0][0]
    return None


def find_plan_id(run: Run, name: str | None) -> int:
    """The named plan, in any case; with no name, the only plan (NotFound listing the plans otherwise)."""
    if name:
        found = plan_id_by_name(run, name)
        if found is not None:
            return found
        names = [n for _, n in run(_PLANS, {})]
        known = f"; plans: {', '.join(names)}" if names else "; no plan has been imported yet"
        raise NotFound(f"no plan named '{name}'{known}")
    plans = run(_PLANS, {})
    if len(plans) == 1:
        return plans[0][0]
    if not plans:
        raise NotFound("no plan has been imported yet (progressbot import PATH)")
    raise NotFound(f"there are {len(plans)} plans, say which with --plan: {', '.join(n for _, n in plans)}")


_HEADER = "SELECT name, title, organisation, reference_date FROM plans WHERE id = :plan_id"
_STATES = "SELECT label FROM rag_states WHERE plan_id = :plan_id ORDER BY rank"
_LEADS = """
SELECT action_leads.action_id, people.display_name
FROM action_leads
JOIN people ON people.id = action_leads.person_id
JOIN actions ON actions.id = action_leads.action_id
WHERE actions.plan_id = :plan_id
ORDER BY action_leads.action_id, action_leads.position
"""
# Each action's current RAG: that of its newest update with a RAG (newest: latest submitted_at, then the
# highest id), as storage.updates.latest_updates(with_rag=True) picks it; a test holds them together.
_RAGS = """
SELECT ranked.action_id, ranked.rag
FROM (
    SELECT updates.action_id, updates.rag, row_number() OVER (
        PARTITION BY updates.action_id
        ORDER BY CASE WHEN updates.rag IS NULL THEN 1 ELSE 0 END, updates.submitted_at DESC, updates.id DESC
    ) AS n
    FROM updates JOIN actions ON actions.id = updates.action_id
    WHERE actions.plan_id = :plan_id
) AS ranked
WHERE ranked.n = 1
"""
_ACTIONS = """
SELECT actions.id, actions.ref, actions.title, actions.timescale, actions.due_date, actions.status,
       sections.title
FROM actions LEFT OUTER JOIN sections ON sections.id = actions.section_id
WHERE actions.plan_id = :plan_id
ORDER BY actions.position, actions.id
"""


def plan_table(run: Run, plan_id: int, *, warnings: list[str] | None = None) -> dict[str, Any]:
    """What the readable table of a stored plan shows, in the shape of ``plan_payload`` but only those
    fields: {"plan": {name, title, organisation, reference_date, rag_scheme, action_count}, "actions":
    [{ref, title, leads, timescale, due, rag, section, status}], "warnings"}.

    Plain rows, no ORM objects: loading a 5,000-action plan as objects took longer than the rest of
    the import's storing.
    """
    params = {"plan_id": plan_id}
    name, title, organisation, reference_date = run(_HEADER, params)[0]
    scheme, labels = scheme_labels([label for (label,) in run(_STATES, params)])
    leads: dict[int, list[str]] = {}
    for action_id, lead in run(_LEADS, params):
        leads.setdefault(action_id, []).append(lead)
    rags = {action_id: rag for action_id, rag in run(_RAGS, params)}
    actions = [
        {
            "ref": ref,
            "title": action_title,
            "leads": leads.get(action_id, []),
            "timescale": timescale,
            "due": _day(due),
            "rag": rags.get(action_id),
            "section": section,
            "status": status,
        }
        for action_id, ref, action_title, timescale, due, status, section in run(_ACTIONS, params)
    ]
    header = {
        "name": name,
        "title": title,
        "organisation": organisation,
        "reference_date": _day(reference_date),
        "rag_scheme": {"name": scheme, "states": [{"label": label} for label in labels]},
        "action_count": len(actions),
    }
    return {"plan": header, "actions": actions, "warnings": list(warnings or [])}


def _day(value: dt.date | str | None) -> str | None:
    """A date column as YYYY-MM-DD: a ``date`` (PostgreSQL), or SQLite's stored text checked as one."""
    if value is None:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value).isoformat()
    return value.isoformat()
