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
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from bot.answers import modal_confirmation
from bot.group_commit import Declined, GroupCommit
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
from storage.batch import BatchConnection, Expected, SessionBatch
from storage.db import write_engine
from storage.errors import ProgressbotError
from storage.outbox import Owed
from storage.rag import scheme_from_rows
from storage.updates import new_update

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class NotPlain(Declined):
    """This submission needs the listener's full path; nothing was written."""


def group_commit(services: Services) -> GroupCommit:
    """The direct route's writer: on its own connection (``storage.batch.BatchConnection``) when the
    services have an engine, else on SQLAlchemy connections (a session bound to one, in tests)."""
    engine = services.session_factory.kw.get("bind")
    if isinstance(engine, Engine) and engine.dialect.name in ("sqlite", "postgresql"):
        batch_conn = BatchConnection(write_engine(engine))
        return GroupCommit(
            services, write_batch, transaction=lambda fn: services.batch_transaction(batch_conn, fn)
        )
    return GroupCommit(services, write_batch)


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
    # No ``services.owed()``: the edge's ``on_sent`` wakes the drainer once the response has gone.
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


class _ActionContext:
    """What every submission on one action in a batch shares, worked out once per batch."""

    __slots__ = ("action", "card", "plan", "rag_states", "scheme_text")

    def __init__(self, rows: list[Any]) -> None:
        first = rows[0]
        self.scheme_text = getattr(first, "scheme_text", None) or ""
        states = [r for r in rows if r.label is not None]
        # new_update checks (and canonicalises) the RAG against the plan's scheme, as the listener does;
        # built here once, as the writer may remember this context for many submissions.
        self.plan = SimpleNamespace(
            name=first.plan_name, rag_states=states, rag_scheme=scheme_from_rows(states)
        )
        self.action = SimpleNamespace(id=first.id, plan=self.plan)
        self.card = ActionCard(id=first.id, ref=first.ref, title=first.title, plan_name=first.plan_name)
        self.rag_states: dict[str | None, Any] = {}

    def rag_state(self, label: str | None) -> Any:
        if label not in self.rag_states:
            scheme = self.plan.rag_scheme
            self.rag_states[label] = next((s for s in scheme.states if s.label == label), None)
        return self.rag_states[label]


def prepare(
    item: Submitted, context: _ActionContext | None, lead: Any, challenged_since: dt.datetime | None
) -> Prepared:
    """Check one submission against what the batch read (``NotPlain`` unless it is the plain case)."""
    uid, metadata, submission, key, now = item.uid, item.metadata, item.submission, item.key, item.now
    if context is None:
        raise NotPlain("no such action")
    if lead is None:
        raise NotPlain("not a lead of the action")
    if challenged_since is not None and challenged_since <= now:
        raise NotPlain("it answers a challenge")
    author = lead
    row = new_update(
        context.action,
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
    rag_state = context.rag_state(row["rag"])
    if rag_state is not None and rag_state.is_complete:
        raise NotPlain("a completion (it may need signing off)")
    stored = Stored(
        card=context.card,
        rag=row["rag"],
        rag_colour=rag_state.colour if rag_state is not None else None,
        text=row["text"],
        created=True,
        rights=UpdateRights(author=author, on_behalf_of=None),  # type: ignore[arg-type]
        reminder_message_id=metadata.reminder_message_id,
        action_id=context.action.id,
    )
    reply = modal_confirmation(stored)
    owed = owed_items(
        [slack_call("chat_postMessage", channel=uid, **reply.as_kwargs())],
        reminder_message_id=metadata.reminder_message_id,
        home_of=uid,
        home_delay=item.home_delay,
    )
    return Prepared(row, context.card.ref, reply, owed)


@dataclass(frozen=True)
class _Facts:
    """What the checks of one (action, submitter) read: the action (None if there is none), the
    submitter as its lead (None if they are not one), and when a challenge on it was opened."""

    context: _ActionContext | None
    lead: Any
    challenged_since: dt.datetime | None

    def expected(self, uid: str) -> Expected:
        """What the insert must find unchanged (only for facts that made the plain case)."""
        context = self.context
        assert context is not None and self.lead is not None
        card = context.card
        return Expected(
            uid, self.lead.display_name, card.ref, card.title, card.plan_name, context.scheme_text
        )


# Pairs the writer remembers at most (``BatchConnection.remembered``); then it starts again.
REMEMBER_AT_MOST = 10_000


def _read_facts(batch_conn: Any, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], _Facts]:
    """One check for every (action id, Slack user id) pair: one statement whatever their number."""
    action_ids = sorted({action_id for action_id, _ in pairs})
    uids = sorted({uid for _, uid in pairs})
    states: dict[int, dict] = {}  # action id -> {rank: state row}: each state once, in rank order
    leads: dict[tuple[int, str], Any] = {}
    challenged: dict[int, Any] = {}
    for row in batch_conn.check(action_ids, uids):
        states.setdefault(row.id, {})[row.rank] = row
        challenged[row.id] = row.open_since
        if row.lead_uid is not None and (row.id, row.lead_uid) not in leads:
            leads[(row.id, row.lead_uid)] = SimpleNamespace(id=row.lead_id, display_name=row.lead_name)
    contexts = {action_id: _ActionContext(list(by_rank.values())) for action_id, by_rank in states.items()}
    return {pair: _Facts(contexts.get(pair[0]), leads.get(pair), challenged.get(pair[0])) for pair in pairs}


def _facts(batch_conn: Any, batch: list[Submitted]) -> dict[tuple[int, str], _Facts]:
    """The facts of every pair in the batch: remembered (``BatchConnection.remembered``, where the
    insert checks them again), else read, and remembered if they make the plain case."""
    remembered = batch_conn.remembered
    pairs = {(item.metadata.action_id, item.uid) for item in batch}
    if remembered is None:
        return _read_facts(batch_conn, sorted(pairs))
    facts = {pair: remembered[pair] for pair in pairs if pair in remembered}
    unknown = sorted(pairs - facts.keys())
    if unknown:
        read = _read_facts(batch_conn, unknown)
        facts.update(read)
        if len(remembered) + len(read) > REMEMBER_AT_MOST:
            remembered.clear()
        for pair, found in read.items():
            if found.context is not None and found.lead is not None and found.challenged_since is None:
                remembered[pair] = found
    return facts


def write_batch(batch_conn: BatchConnection | SessionBatch, batch: list[Submitted]) -> list[Any]:
    """Check and insert a batch of submissions and what they owe, in the caller's transaction: at
    most one read (none when the writer remembers every pair), and one insert of the updates and
    their outbox rows, whatever the batch size (``storage.batch``).

    One outcome per submission: its ``Prepared`` when its update was inserted, else ``NotPlain``
    (not the plain case; a repeated submission, whose key is used; or something the checks relied on
    changed before the insert: the pair is then forgotten, and read again next time).
    """
    if isinstance(batch_conn, Connection):  # a caller with an SQLAlchemy connection
        batch_conn = SessionBatch(batch_conn)
    facts = _facts(batch_conn, batch)
    outcomes: list[Any] = [None] * len(batch)
    prepared: dict[int, Prepared] = {}
    expected: list[Expected] = []
    seen: set[str] = set()
    for i, item in enumerate(batch):
        if item.key in seen:  # a second submission of the same key in this batch is a repeat
            outcomes[i] = NotPlain("a repeated submission")
            continue
        found = facts[(item.metadata.action_id, item.uid)]
        try:
            prepared[i] = prepare(item, found.context, found.lead, found.challenged_since)
            expected.append(found.expected(item.uid))
            seen.add(item.key)
        except NotPlain as why:
            outcomes[i] = why
        except ProgressbotError as why:  # e.g. a RAG the plan does not have: the listener says so
            outcomes[i] = NotPlain(str(why))
    if prepared:
        rows = [p.row for p in prepared.values()]
        owed = [(p.row["idempotency_key"], item) for p in prepared.values() for item in p.owed]
        created = batch_conn.insert(rows, owed, expected)
        for i, p in prepared.items():
            if p.row["idempotency_key"] in created:
                outcomes[i] = p
                continue
            outcomes[i] = NotPlain("a repeated submission, or something it relied on changed")
            if batch_conn.remembered is not None:
                batch_conn.remembered.pop((batch[i].metadata.action_id, batch[i].uid), None)
    return outcomes
