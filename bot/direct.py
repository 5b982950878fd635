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

import datetime as dt
import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltResponse
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.engine import Connection

from bot.answers import modal_confirmation
from bot.group_commit import Declined
from bot.outbox import owed_items, slack_call
from bot.permissions import UpdateRights
from bot.updating import SOURCE, Stored
from slackviews.common import ActionCard
from slackviews.messages import Reply
from slackviews.update_modal import (
    CALLBACK_ID,
    ModalMetadata,
    Submission,
    read_submission,
    saved_view,
    values_fingerprint,
)
from storage import outbox as outbox_store
from storage import updates as update_store
from storage.errors import ProgressbotError
from storage.models import Action, ActionLead, Challenge, ChallengeAnswer, Person, Plan, RagState, Update
from storage.outbox import Owed
from storage.rag import scheme_for_plan
from storage.updates import new_update

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

# What the checks of a batch need, in one statement built once (so each execution reuses its compiled
# form), whatever the batch size: on PostgreSQL every statement is a round trip the writer waits for.
# One row per action, RAG state and submitter who leads (or is a delegate of) the action, with:
# - the action, its plan and the state (``new_update`` checks the RAG against the plan's scheme);
# - the submitter (``update_rights`` makes a lead or delegate the author, on nobody's behalf, whatever
#   their roles); NULL columns when no submitter of the batch leads the action;
# - the earliest challenge still open on the action: an update submitted after it answers it (the
#   listener's path).
_LEAD = (
    select(ActionLead.action_id, Person.slack_user_id, Person.id, Person.display_name)
    .join(Person, Person.id == ActionLead.person_id)
    .where(Person.slack_user_id.in_(bindparam("uids", expanding=True)))
    .subquery("lead")
)
_OPEN_SINCE = (
    select(func.min(Challenge.at))
    .where(Challenge.action_id == Action.id, ~exists().where(ChallengeAnswer.challenge_id == Challenge.id))
    .scalar_subquery()
)
_CHECK = (
    select(
        Action.id,
        Action.ref,
        Action.title,
        Plan.name.label("plan_name"),
        _OPEN_SINCE.label("open_since"),
        _LEAD.c.slack_user_id.label("lead_uid"),
        _LEAD.c.id.label("lead_id"),
        _LEAD.c.display_name.label("lead_name"),
        RagState.label,
        RagState.rank,
        RagState.colour,
        RagState.meaning,
        RagState.is_complete,
        RagState.aliases,
    )
    .select_from(Action)
    .join(Plan, Plan.id == Action.plan_id)
    .outerjoin(_LEAD, _LEAD.c.action_id == Action.id)
    .outerjoin(RagState, RagState.plan_id == Plan.id)
    .where(Action.id.in_(bindparam("action_ids", expanding=True)))
    .order_by(Action.id, RagState.rank)
)


# The updates of a batch in one statement; the keys returned are those inserted (a used key is skipped).
_INSERT_MANY = {
    dialect: update_store.insert_statement(dialect).returning(Update.idempotency_key)
    for dialect in ("sqlite", "postgresql")
}


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
        submitted = Submitted(uid, metadata, submission, key, services.now(), services.home_refresh_delay)
        prepared = services.group_commit.run(submitted)
    except NotPlain as why:
        log.debug("direct route passes to Bolt: %s", why)
        return None
    except Exception as exc:  # nothing committed: the listener's path answers it, errors included
        log.debug("direct route passes to Bolt after %s", exc.__class__.__name__)
        return None
    services.owed()
    log.info("update on %s by %s via modal (created=True)", prepared.ref, uid)
    view = saved_view(view, prepared.reply.blocks[0]["text"]["text"])
    return BoltResponse(status=200, body={"response_action": "update", "view": view})


@dataclass(frozen=True)
class Submitted:
    """A submission as read from the request, to be checked against the database."""

    uid: str
    metadata: ModalMetadata
    submission: Submission
    key: str
    now: dt.datetime
    home_delay: float


@dataclass(frozen=True)
class Prepared:
    """A checked update, ready to insert: its row, and what it owes Slack (rendered from the row)."""

    row: dict[str, Any]  # storage.updates.new_update
    ref: str
    reply: Reply
    owed: list[Owed]


def prepare(item: Submitted, action_rows: list, lead: Any, challenged_since: dt.datetime | None) -> Prepared:
    """Check one submission against what the batch read (``NotPlain`` unless it is the plain case)."""
    uid, metadata, submission, key, now = item.uid, item.metadata, item.submission, item.key, item.now
    if not action_rows:
        raise NotPlain("no such action")
    if lead is None:
        raise NotPlain("not a lead of the action")
    if challenged_since is not None and challenged_since <= now:
        raise NotPlain("it answers a challenge")
    action_row = action_rows[0]
    rows = action_rows
    states = [r for r in rows if r.label is not None]
    # new_update checks (and canonicalises) the RAG against the plan's scheme, as the listener does.
    plan = SimpleNamespace(name=action_row.plan_name, rag_states=states)
    action = SimpleNamespace(id=action_row.id, plan=plan)
    author = lead
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
    )
    reply = modal_confirmation(stored)
    owed = owed_items(
        [slack_call("chat_postMessage", channel=uid, **reply.as_kwargs())],
        reminder_message_id=metadata.reminder_message_id,
        home_of=uid,
        home_delay=item.home_delay,
    )
    return Prepared(row, action_row.ref, reply, owed)


def write_batch(conn: Connection, batch: list[Submitted]) -> list[Any]:
    """Check and insert a batch of submissions and what they owe, in the caller's transaction: one
    read, one insert of the updates and one of the outbox rows, whatever the batch size.

    One outcome per submission: its ``Prepared`` when its update was inserted, else ``NotPlain``
    (not the plain case, or a repeated submission: its key is used, and the insert skipped it).
    """
    action_ids = sorted({item.metadata.action_id for item in batch})
    uids = sorted({item.uid for item in batch})
    states: dict[int, dict] = {}  # action id -> {rank: state row}: each state once, in rank order
    leads: dict[tuple[int, str], Any] = {}
    challenged: dict[int, Any] = {}
    for row in conn.execute(_CHECK, {"action_ids": action_ids, "uids": uids}):
        states.setdefault(row.id, {})[row.rank] = row
        challenged[row.id] = row.open_since
        if row.lead_uid is not None:
            leads[(row.id, row.lead_uid)] = SimpleNamespace(id=row.lead_id, display_name=row.lead_name)
    actions = {action_id: list(by_rank.values()) for action_id, by_rank in states.items()}
    outcomes: list[Any] = [None] * len(batch)
    prepared: dict[int, Prepared] = {}
    for i, item in enumerate(batch):
        action_id = item.metadata.action_id
        try:
            prepared[i] = prepare(
                item, actions.get(action_id, []), leads.get((action_id, item.uid)), challenged.get(action_id)
            )
        except NotPlain as why:
            outcomes[i] = why
        except ProgressbotError as why:  # e.g. a RAG the plan does not have: the listener says so
            outcomes[i] = NotPlain(str(why))
    if prepared:
        rows = [p.row for p in prepared.values()]
        created = {row.idempotency_key for row in conn.execute(_INSERT_MANY[conn.dialect.name], rows)}
        for i, p in prepared.items():
            key = p.row["idempotency_key"]
            if key in created:
                created.discard(key)  # a second submission of the same key in this batch is a repeat
                outcomes[i] = p
            else:
                outcomes[i] = NotPlain("a repeated submission")
    # The outbox rows in a consistent order, so that two writers (processes) inserting the same
    # coalescing key (one person's Home refresh) wait for each other instead of deadlocking.
    owed = sorted(
        (item for o in outcomes if isinstance(o, Prepared) for item in o.owed),
        key=lambda item: item.key or "",
    )
    outbox_store.insert_owed(conn, owed)
    return outcomes
