"""Read the database into the view data (``ActionCard``); a fixed number of queries per call.

Current RAG follows the report's rule: the RAG of the latest update that has one (a text-only update
keeps the previous RAG); the last update shown is the latest one with text.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from slackviews.common import ActionCard, CardGovernance, UpdateSummary
from storage.errors import NotFound
from storage.models import Action, ActionLead, Person, Plan, RagState, Update
from storage.plans import get_action, get_plan, list_plans, plan_by_name
from storage.rag import RagScheme, scheme_for_plan, scheme_from_rows
from storage.updates import CurrentState, newest_first

_LOAD = (
    selectinload(Action.leads).selectinload(ActionLead.person),
    selectinload(Action.plan).selectinload(Plan.rag_states),
    selectinload(Action.updates).selectinload(Update.author),
)
# Write paths: one joined query (leads x RAG states: a handful of rows) instead of four round trips;
# it is on the path every modal submission takes before its acknowledgement.
_LOAD_BRIEF = (
    joinedload(Action.leads).joinedload(ActionLead.person),
    joinedload(Action.plan).joinedload(Plan.rag_states),
)


def _summary(update: Update, tz: dt.tzinfo) -> UpdateSummary:
    author = update.author.display_name if update.author else update.author_text
    return UpdateSummary(
        rag=update.rag, text=update.text, date=update.submitted_at.astimezone(tz).date(), author=author
    )


def card(
    action: Action, tz: dt.tzinfo, *, brief: bool = False, current: CurrentState | None = None
) -> ActionCard:
    """The action as the bot shows it.

    ``brief`` skips its updates (ref, title, due and leads only); ``current`` gives the RAG and the last
    update from ``current_states`` instead of the action's whole history.
    """
    if current is not None:
        with_rag = [current.rag] if current.rag else []
        with_text = [current.text] if current.text else []
    else:
        updates = [] if brief else sorted(action.updates, key=lambda u: (u.submitted_at, u.id))
        with_rag = [u for u in updates if u.rag]
        with_text = [u for u in updates if u.text]
    return _card(
        action,
        leads=tuple(al.person.display_name for al in action.leads),
        plan_name=action.plan.name,
        scheme=scheme_for_plan(action.plan),
        rag=with_rag[-1].rag if with_rag else None,
        history=tuple(_summary(u, tz) for u in reversed(with_text)),
    )


def _card(
    action, *, leads: tuple[str, ...], plan_name: str, scheme: RagScheme, rag: str | None, history
) -> ActionCard:
    """What a card shows, from an ``Action`` or a plain row with the same names (``lead_cards``)."""
    colour = None
    if rag:
        try:
            colour = scheme.state(rag).colour
        except KeyError:
            colour = None
    return ActionCard(
        id=action.id,
        ref=action.ref,
        title=action.title,
        timescale=action.timescale,
        due=action.due_date,
        leads=leads,
        rag=rag,
        rag_colour=colour,
        last=history[0] if history else None,
        history=history,
        plan_name=plan_name,
        complete=scheme.is_complete(rag) or action.schedule == "done",
    )


def card_governance(session: Session, action: Action, tz: dt.tzinfo) -> CardGovernance:
    """The governance part of one action's card (five small queries; the updates are already loaded)."""
    from storage.governance import load_governance
    from storage.signoff import completion_run, completion_state, needs_signoff

    gov = load_governance(session, action.plan_id, action_ids=[action.id]).get(action.id)
    updates = sorted(action.updates, key=lambda u: (u.submitted_at, u.id))
    scheme = scheme_for_plan(action.plan)
    run = completion_run(updates, {s.label for s in scheme.states if s.is_complete})
    signed = gov.signed_update_ids if gov else set()
    state = completion_state(run, signed, needs=needs_signoff(action.plan))
    signoff = next((s for s in (gov.signoffs if gov else []) if s.update_id in {u.id for u in run}), None)
    merged_into = session.get(Action, action.merged_into_id) if action.merged_into_id else None
    proposal = gov.proposal if gov else None
    revisions = gov.revisions if gov else []
    return CardGovernance(
        status=action.status,
        merged_into=merged_into.ref if merged_into else None,
        closed_reason=gov.closure.reason if gov and gov.closure else "",
        original_due=gov.original_due(action.due_date) if gov else action.due_date,
        revised_on=revisions[-1].agreed_at.astimezone(tz).date() if revisions else None,
        proposal_id=proposal.id if proposal else None,
        proposed_due=proposal.proposed_due if proposal else None,
        proposed_by=proposal.by if proposal else "",
        proposed_by_uid=proposal.by_uid if proposal else None,
        proposed_reason=proposal.reason if proposal else "",
        completion=state,
        signed_off_by=signoff.by if signoff else ("the imported plan" if state == "signed_off" else ""),
        open_challenges=tuple(
            (c.by, c.at.astimezone(tz).date(), c.question) for c in (gov.open_challenges if gov else [])
        ),
        latest_update_id=updates[-1].id if updates else None,
    )


def load_action(session: Session, action_id: int, *, with_updates: bool = True) -> Action:
    """The action with its leads and scheme, and (by default) every update, in three or four queries.

    Write paths pass ``with_updates=False``: storing an update never needs the action's history.
    """
    options = _LOAD if with_updates else _LOAD_BRIEF
    action = session.scalars(select(Action).where(Action.id == action_id).options(*options)).unique().first()
    if action is None:
        raise NotFound("That action no longer exists in the plan.")
    return action


class AmbiguousRef(NotFound):
    """The ref is in several plans and none was named; ``actions`` are the candidates (by plan name)."""

    def __init__(self, ref: str, actions: list[Action]) -> None:
        self.ref = ref
        self.actions = actions
        names = ", ".join(a.plan.name for a in actions)
        super().__init__(f"Action {ref} is in {len(actions)} plans ({names}): add `plan NAME`.")


def plan_named(session: Session, name: str) -> Plan:
    """The plan called ``name``, ignoring case (the exact spelling wins if two differ only in case)."""
    wanted = name.strip()
    plan = plan_by_name(session, wanted)
    if plan is not None:
        return plan
    names = [p.name for p in list_plans(session)]
    known = f" The plans are: {', '.join(names)}." if names else " No plan has been imported yet."
    raise NotFound(f"There is no plan named “{wanted}”.{known}")


def all_plans(session: Session, name: str | None = None) -> list[Plan]:
    """The named plan, or every plan (by name); NotFound when there is none."""
    if name:
        return [plan_named(session, name)]
    plans = list_plans(session)
    if not plans:
        raise NotFound("No plan has been imported yet.")
    return sorted(plans, key=lambda p: p.name.casefold())


def find_action(session: Session, ref: str, plan_name: str | None = None) -> Action:
    """The action with ``ref``: in the named plan, the only plan, or the only plan that has that ref.

    A ref in several plans with no plan named raises ``AmbiguousRef`` (the bot asks which plan).
    """
    ref = ref.strip()
    if plan_name:
        return load_action(session, get_action(session, plan_named(session, plan_name), ref).id)
    plans = list_plans(session)
    if len(plans) > 1:
        matches = list(
            session.scalars(
                select(Action)
                .where(Action.ref == ref)
                .options(selectinload(Action.plan))
                .order_by(Action.plan_id)
            )
        )
        if len(matches) == 1:
            return load_action(session, matches[0].id)
        if len(matches) > 1:
            raise AmbiguousRef(ref, sorted(matches, key=lambda a: a.plan.name.casefold()))
        names = ", ".join(p.name for p in plans)
        raise NotFound(f"There is no action {ref} in any plan ({names}).")
    plan = get_plan(session, None)
    return load_action(session, get_action(session, plan, ref).id)


def cards_for_person(session: Session, person: Person, tz: dt.tzinfo) -> list[ActionCard]:
    """The person's actions with their RAG and last update (the Home tab, ``/progress mine``)."""
    return lead_cards(session, person.id, tz)


def lead_cards(session: Session, person_id: int, tz: dt.tzinfo) -> list[ActionCard]:
    """``cards_for_person`` by person id, in three statements whatever the number of actions or updates.

    Plain rows, no ORM objects: the Home tab of every lead who updates is rendered again (the outbox's
    ``home_refresh``), so this is on the path of every burst. The person's action ids first (an index
    lookup), then one row per action and lead (the action's plan name, its current RAG and its latest
    update with text, as ``current_states`` picks them: index lookups, newest first), then the plans'
    RAG states. The ids are passed as values, not joined: PostgreSQL, with no statistics yet on freshly
    filled tables, otherwise looked up the latest update of every action in the database before
    keeping the person's (47 ms a render at 600 actions, growing with the plan; 2 ms this way).
    ``tests/test_home_cards.py`` checks the cards equal those ``card`` builds from the ORM objects. Run
    on the session's connection, past the ORM's execution layer (half the CPU): no autoflush, so a
    caller with unflushed changes flushes first.
    """
    connection = session.connection()
    action_ids = connection.execute(_LEAD_ACTION_IDS, {"person_id": person_id}).scalars().all()
    if not action_ids:
        return []
    rows = connection.execute(_LEAD_CARDS, {"action_ids": action_ids}).all()
    if not rows:
        return []
    plan_ids = sorted({r.plan_id for r in rows})
    states: dict[int, list] = {p: [] for p in plan_ids}
    for state in connection.execute(_RAG_STATES, {"plan_ids": plan_ids}):
        states[state.plan_id].append(state)
    schemes = {p: scheme_from_rows(s) for p, s in states.items()}
    leads: dict[int, list[str]] = {}
    firsts = []
    for r in rows:
        names = leads.get(r.id)
        if names is None:
            names = leads[r.id] = []
            firsts.append(r)
        if r.lead_name is not None:
            names.append(r.lead_name)
    cards = []
    for r in firsts:
        history = ()
        if r.text_at is not None:
            author = r.author_name if r.author_name is not None else r.author_text
            date = r.text_at.astimezone(tz).date()
            history = (UpdateSummary(rag=r.text_rag, text=r.text, date=date, author=author),)
        scheme = schemes[r.plan_id]
        cards.append(
            _card(
                r, leads=tuple(leads[r.id]), plan_name=r.plan_name, scheme=scheme, rag=r.rag, history=history
            )
        )
    return cards


def _lead_cards_statement():
    lead = aliased(ActionLead)
    lead_person = aliased(Person)
    latest = aliased(Update)
    author = aliased(Person)

    def newest(column, condition):
        return (
            select(column)
            .where(Update.action_id == Action.id, condition)
            .order_by(*newest_first())
            .limit(1)
            .correlate(Action)
            .scalar_subquery()
        )

    return (
        select(
            Action.id,
            Action.ref,
            Action.title,
            Action.timescale,
            Action.due_date,
            Action.schedule,
            Action.plan_id,
            Plan.name.label("plan_name"),
            newest(Update.rag, Update.rag.is_not(None)).label("rag"),
            latest.rag.label("text_rag"),
            latest.text,
            latest.submitted_at.label("text_at"),
            latest.author_text,
            author.display_name.label("author_name"),
            lead_person.display_name.label("lead_name"),
        )
        .join(Plan, Plan.id == Action.plan_id)
        .outerjoin(latest, latest.id == newest(Update.id, Update.text != ""))
        .outerjoin(author, author.id == latest.author_id)
        .outerjoin(lead, lead.action_id == Action.id)
        .outerjoin(lead_person, lead_person.id == lead.person_id)
        # Withdrawn and merged actions have left the plan: not on the lead's list.
        .where(Action.id.in_(bindparam("action_ids", expanding=True)), Action.status == "open")
        .order_by(Action.plan_id, Action.position, lead.position)
    )


# Built once: the statements' cache keys are computed per call, but not their construction.
_LEAD_CARDS = _lead_cards_statement()
_LEAD_ACTION_IDS = select(ActionLead.action_id).where(ActionLead.person_id == bindparam("person_id"))
_RAG_STATES = (
    select(RagState.plan_id, RagState.label, RagState.rank, RagState.colour, RagState.meaning)
    .add_columns(RagState.is_complete, RagState.aliases)
    .where(RagState.plan_id.in_(bindparam("plan_ids", expanding=True)))
    .order_by(RagState.plan_id, RagState.rank)
)


def cards_for_actions(session: Session, action_ids: list[int], tz: dt.tzinfo) -> list[ActionCard]:
    if not action_ids:
        return []
    actions = session.scalars(
        select(Action).where(Action.id.in_(action_ids)).options(*_LOAD).order_by(Action.position)
    )
    return [card(a, tz) for a in actions]


_REF_TOKEN = re.compile(r"^[A-Za-z]{0,3}\d+(?:\.\d+)*[a-z]?$")


def looks_like_ref(token: str) -> bool:
    return bool(_REF_TOKEN.match(token))
