"""The direct route: the one interaction that comes in bursts, handled without Bolt's dispatch chain.

A lead saving the update modal (``view_submission`` of ``progress_update``) is what Slack sends most
and what people wait on. ``bot.edge`` has already read, verified and parsed the request; this module
then stores the update and answers exactly as the Bolt listener (``bot.listeners.updates``) does: the
same update row, the same outbox rows (confirmation DM, reminder edit, Home refresh), committed in
one transaction before the same ``response_action: update`` body goes back.

It takes only the plain case, which it can decide cheaply: a lead or delegate of the action, no new
date proposed, no challenge left open on the action, a RAG that is not a completion, a first
submission (not a repeat). Everything else (other people's rights, a date request, answering a
challenge, a sign-off, a double submit, a field to correct, any error) returns ``None`` before anything
is committed, and the request goes through Bolt as before, which answers it fully (the error handler
included). So the route can only be faster, never different.

Why it is cheaper than the listener: one read statement and one insert, SQLAlchemy Core statements
built once (so their compiled form is cached), instead of ORM sessions, loader strategies and
statements built per request; concurrent submissions share a transaction (``bot.group_commit``), each
acknowledged once it is committed; and no Bolt middleware, listener matching or ``ack()`` machinery.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltResponse
from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.engine import Connection

from bot.answers import modal_confirmation
from bot.group_commit import Declined
from bot.outbox import owed_items, slack_call
from bot.permissions import UpdateRights
from bot.updating import SOURCE, Stored
from bot.views.common import ActionCard
from bot.views.update_modal import CALLBACK_ID, ModalMetadata, read_submission, saved_view, values_fingerprint
from storage import updates as update_store
from storage.models import Action, ActionLead, Challenge, ChallengeAnswer, Person, Plan, RagState
from storage.rag import scheme_for_plan
from storage.updates import new_update

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# Everything the check needs, in one statement built once (so each execution reuses its compiled
# form): the action and its plan; the submitter when they lead the action or are a delegate (then
# ``update_rights`` makes them the author, on nobody's behalf, whatever their roles); whether a
# challenge is still open (the update would answer it: the listener's path); one row per RAG state.
_LEAD = Person.__table__.alias("lead")
_OPEN_CHALLENGE = (
    exists()
    .where(
        Challenge.action_id == Action.id,
        Challenge.at <= bindparam("now"),
        ~exists().where(ChallengeAnswer.challenge_id == Challenge.id),
    )
    .label("challenged")
)
_CHECK = (
    select(
        Action.id,
        Action.ref,
        Action.title,
        Plan.name.label("plan_name"),
        _LEAD.c.id.label("lead_id"),
        _LEAD.c.display_name.label("lead_name"),
        _OPEN_CHALLENGE,
        RagState.label,
        RagState.rank,
        RagState.colour,
        RagState.meaning,
        RagState.is_complete,
        RagState.aliases,
    )
    .select_from(Action)
    .join(Plan, Plan.id == Action.plan_id)
    .outerjoin(
        _LEAD,
        and_(
            _LEAD.c.slack_user_id == bindparam("uid"),
            exists().where(ActionLead.action_id == Action.id, ActionLead.person_id == _LEAD.c.id),
        ),
    )
    .outerjoin(RagState, RagState.plan_id == Plan.id)
    .where(Action.id == bindparam("action_id"))
    .order_by(RagState.rank)
)


class NotPlain(Declined):
    """This submission needs the listener's full path; nothing was written."""


def route(services: Services):
    """The edge's ``direct`` hook: a verified, parsed body in; a response, or None for Bolt."""

    def direct(data: dict) -> BoltResponse | None:
        view = data.get("view")
        if (
            data.get("type") == "view_submission"
            and isinstance(view, dict)
            and view.get("callback_id") == CALLBACK_ID
        ):
            return submit_update(services, data)
        return None

    return direct


def submit_update(services: Services, data: dict) -> BoltResponse | None:
    """The acknowledgement once the update is committed (what the listener's ``ack()`` gives), or
    None: let Bolt handle the request."""
    view = data["view"]
    values = (view.get("state") or {}).get("values") or {}
    submission, errors = read_submission(values)
    if errors or submission.proposed_due is not None:
        return None
    try:
        uid = data["user"]["id"]
        metadata = ModalMetadata.loads(view.get("private_metadata", ""))
        key = f"slack-view:{view['id']}:{values_fingerprint(values)}"
        now = services.now()
        stored, reply = services.group_commit.run(
            lambda conn: _store(conn, services, uid, metadata, submission, key, now)
        )
    except NotPlain as why:
        log.debug("direct route passes to Bolt: %s", why)
        return None
    except Exception as exc:  # nothing committed: the listener's path answers it, errors included
        log.debug("direct route passes to Bolt after %s", exc.__class__.__name__)
        return None
    services.owed()
    log.info("update on %s by %s via modal (created=%s)", stored.card.ref, uid, stored.created)
    view = saved_view(view, reply.blocks[0]["text"]["text"])
    return BoltResponse(status=200, body={"response_action": "update", "view": view})


def _store(conn: Connection, services: Services, uid: str, metadata, submission, key: str, now) -> Any:
    """Check and insert the update; the outbox rows it owes are returned, for the batch's one insert."""
    rows = conn.execute(_CHECK, {"action_id": metadata.action_id, "uid": uid, "now": now}).all()
    if not rows:
        raise NotPlain("no such action")
    action_row = rows[0]
    if action_row.lead_id is None:
        raise NotPlain("not a lead of the action")
    if action_row.challenged:
        raise NotPlain("it answers a challenge")
    states = [r for r in rows if r.label is not None]
    # new_update checks (and canonicalises) the RAG against the plan's scheme, as the listener does.
    plan = SimpleNamespace(name=action_row.plan_name, rag_states=states)
    action = SimpleNamespace(id=action_row.id, plan=plan)
    author = SimpleNamespace(id=action_row.lead_id, display_name=action_row.lead_name)
    row = new_update(
        action,
        rag=submission.rag,
        text=submission.text,
        source=SOURCE,
        submitted_at=now,
        author=author,
        author_text="",
        evidence_url=submission.evidence_url,
        evidence_note=submission.evidence_note,
        proposed_due=None,
        idempotency_key=key,
        reminder_message_id=metadata.reminder_message_id,
    )
    scheme = scheme_for_plan(plan)
    rag_state = next((s for s in scheme.states if s.label == row["rag"]), None)
    if rag_state is not None and rag_state.is_complete:
        raise NotPlain("a completion (it may need signing off)")
    new_id = conn.execute(update_store.insert_statement(conn.dialect.name), row).scalar()
    if new_id is None:
        raise NotPlain("a repeated submission")
    card = ActionCard(
        id=action_row.id, ref=action_row.ref, title=action_row.title, plan_name=action_row.plan_name
    )
    stored = Stored(
        card=card,
        rag=row["rag"],
        rag_colour=rag_state.colour if rag_state is not None else None,
        text=row["text"],
        created=True,
        rights=UpdateRights(author=author, on_behalf_of=None),  # type: ignore[arg-type]
        reminder_message_id=metadata.reminder_message_id,
        action_id=action_row.id,
        update_id=new_id,
    )
    reply = modal_confirmation(stored)
    items = owed_items(
        [slack_call("chat_postMessage", channel=uid, **reply.as_kwargs())],
        reminder_message_id=metadata.reminder_message_id,
        home_of=uid,
        home_delay=services.home_refresh_delay,
    )
    return (stored, reply), items
