"""Progress updates: recorded once, never edited, read back as an action's current state.

The current state of an action (used by the report, the scheduler and Slack):

- its **current RAG** is the RAG of the latest update that carries one: an update with text only
  (a note, an import row with no RAG) keeps the previous RAG;
- its **latest update** is simply the newest one, whatever it carries;
- "latest" orders by ``submitted_at`` and then by ``id``, so two updates stamped with the same instant
  resolve to the one recorded last.

Nothing here edits an ``Update``: a correction is a new update.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from storage.errors import InvalidInput
from storage.models import Action, Person, Update

log = logging.getLogger(__name__)

TEXT_LIMIT = 3000  # a Slack section holds 3,000 characters; longer updates could not be shown back
EVIDENCE_LIMIT = 2000
EVIDENCE_NOTE_LIMIT = 2000
SOURCES = ("import", "slack", "cli", "email")


@dataclass(frozen=True)
class RecordResult:
    update: Update
    created: bool


def _check_rag(action: Action, rag: str | None) -> str | None:
    if rag is None or not str(rag).strip():
        return None
    from storage.rag import scheme_for_plan

    scheme = scheme_for_plan(action.plan)
    label = scheme.parse(rag)
    if label is None:
        raise InvalidInput(
            f"unknown RAG {rag!r} for plan {action.plan.name!r}: choose one of {', '.join(scheme.labels)}",
            field="rag",
        )
    return label


def _check_text(text: str | None, *, rag: str | None, source: str) -> str:
    text = (text or "").strip()
    if not text and not (source == "import" and rag is not None):
        # An imported row may carry only a RAG (the progress cell left empty); people must write something.
        raise InvalidInput("the update has no text: say what has happened", field="text")
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(
            f"the update is {len(text):,} characters long; the limit is {TEXT_LIMIT:,} characters",
            field="text",
        )
    return text


def _check_evidence(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidInput(f"the evidence link must be an http(s) address, got {url!r}", field="evidence")
    if len(url) > EVIDENCE_LIMIT:
        raise InvalidInput(
            f"the evidence link is longer than {EVIDENCE_LIMIT:,} characters", field="evidence"
        )
    return url


def _check_evidence_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > EVIDENCE_NOTE_LIMIT:
        raise InvalidInput(
            f"the evidence note is {len(note):,} characters; the limit is {EVIDENCE_NOTE_LIMIT:,}",
            field="evidence_note",
        )
    return note or None


def _by_key(session: Session, key: str) -> Update | None:
    return session.scalar(select(Update).where(Update.idempotency_key == key))


def record_update(
    session: Session,
    action: Action,
    *,
    author: Person | None = None,
    on_behalf_of: Person | None = None,
    **fields: Any,
) -> RecordResult:
    """Validate and append one update: ``new_update`` (its keywords, checks and errors), then
    ``insert_update``.

    Raises InvalidInput with ``field`` = "rag" (listing the plan's labels), "text" (empty, or over
    3,000 characters), "evidence" (not http/https), "source" or "submitted_at". The RAG is stored as
    the scheme's canonical label ("g", "🟢" -> "Green"). A second call with the same
    ``idempotency_key`` (a retried Slack submission, a re-run command) returns the first update with
    ``created=False``, also when the two race: the insert skips a used key (``ON CONFLICT DO
    NOTHING``) and the row that won is returned.
    """
    if action.id is None or any(p is not None and p.id is None for p in (author, on_behalf_of)):
        session.flush()
    row = new_update(action, author=author, on_behalf_of=on_behalf_of, **fields)
    return insert_update(session, row, action=action, author=author, on_behalf_of=on_behalf_of)


def new_update(
    action: Action,
    *,
    rag: str | None,
    text: str,
    source: str,
    submitted_at: dt.datetime,
    author: Person | None = None,
    author_text: str = "",
    on_behalf_of: Person | None = None,
    evidence_url: str | None = None,
    proposed_due: dt.date | None = None,
    idempotency_key: str | None = None,
    reminder_message_id: int | None = None,
    evidence_note: str | None = None,
) -> dict[str, Any]:
    """The row of a valid update, checked as ``record_update`` says; nothing is written.

    The Slack app checks in a read transaction and writes in a short one (``insert_update``), so the
    write lock is held only for the inserts.
    """
    if source not in SOURCES:
        raise InvalidInput(f"unknown update source {source!r}: one of {', '.join(SOURCES)}", field="source")
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise InvalidInput("submitted_at must be an aware datetime", field="submitted_at")
    label = _check_rag(action, rag)
    return {
        "action_id": action.id,
        "author_id": author.id if author else None,
        "author_text": (author_text or (author.display_name if author else ""))[:300],
        "on_behalf_of_id": on_behalf_of.id if on_behalf_of else None,
        "rag": label,
        "text": _check_text(text, rag=label, source=source),
        "evidence_url": _check_evidence(evidence_url),
        "evidence_note": _check_evidence_note(evidence_note),
        "proposed_due": proposed_due,
        "source": source,
        "submitted_at": submitted_at,
        "idempotency_key": idempotency_key or None,
        "reminder_message_id": reminder_message_id,
    }


def insert_update(
    session: Session,
    row: dict[str, Any],
    *,
    action: Action | None = None,
    author: Person | None = None,
    on_behalf_of: Person | None = None,
) -> RecordResult:
    """Write a row from ``new_update``; with a key already used, the update that has it, not created.

    One statement and no savepoint: a key already used (a retry, or a race with another process that
    committed first) inserts nothing, and the row that won is returned instead. The objects given are
    attached to the new update so that reading ``update.author`` costs no query.
    """
    new_id = session.execute(_INSERT[session.get_bind().dialect.name], row).scalar()
    if new_id is None:
        existing = _by_key(session, row["idempotency_key"] or "")
        if existing is None:  # pragma: no cover - only a unique key can make the insert do nothing
            raise RuntimeError(f"update with key {row['idempotency_key']!r} neither inserted nor found")
        return RecordResult(existing, created=False)
    update = Update(id=new_id, **row)
    make_transient_to_detached(update)  # persistent without reading back the row just written
    session.add(update)
    for name, value in (("author", author), ("on_behalf_of", on_behalf_of), ("action", action)):
        if value is not None:
            set_committed_value(update, name, value)
    if action is not None and "updates" in action.__dict__ and update not in action.updates:
        # Keep an already-loaded collection in step without another query.
        set_committed_value(action, "updates", [*action.updates, update])
    log.debug("recorded %s update %s for action %s (%s)", row["source"], new_id, row["action_id"], row["rag"])
    return RecordResult(update, created=True)


def _insert_ignoring_used_keys(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = Update.__table__
    return (
        insert(table).on_conflict_do_nothing(index_elements=[table.c.idempotency_key]).returning(table.c.id)
    )


_INSERT = {name: _insert_ignoring_used_keys(name) for name in ("sqlite", "postgresql")}


def insert_statement(dialect: str):
    """The insert ``insert_update`` runs (a row from ``new_update``; returns the new id, or nothing
    when the idempotency key is used), for a Core connection (``bot.direct``)."""
    return _INSERT[dialect]


# --- reading --------------------------------------------------------------------------------------


def newest_first():
    return (Update.submitted_at.desc(), Update.id.desc())


def latest_update(
    session: Session, action: Action, *, as_of: dt.datetime | None = None, with_rag: bool = False
) -> Update | None:
    """The newest update of the action at ``as_of`` (default: all); ``with_rag`` for the newest with a RAG."""
    query = select(Update).where(Update.action_id == action.id)
    if as_of is not None:
        query = query.where(Update.submitted_at <= as_of)
    if with_rag:
        query = query.where(Update.rag.is_not(None))
    return session.scalar(query.order_by(*newest_first()).limit(1))


def current_rag(session: Session, action: Action, *, as_of: dt.datetime | None = None) -> str | None:
    """The action's RAG now (or at ``as_of``): the latest update that carries one; None if none does."""
    update = latest_update(session, action, as_of=as_of, with_rag=True)
    return update.rag if update else None


def latest_updates(
    session: Session, plan_id: int, *, as_of: dt.datetime | None = None, with_rag: bool = True
) -> dict[int, Update]:
    """action id -> the update that gives the action's current state, in one query for the plan.

    With ``with_rag`` (the default) that is the latest update carrying a RAG, so ``.rag`` is the
    current RAG even when a text-only update came later; an action whose updates carry no RAG at all
    gets its newest update. With ``with_rag=False`` it is simply the newest update. Ties on
    ``submitted_at`` go to the higher id (recorded last). Actions without updates are absent.
    """
    ranked = _ranked(plan_id, as_of=as_of, with_rag=with_rag)
    rows = session.scalars(
        select(Update)
        .join(ranked, ranked.c.id == Update.id)
        .where(ranked.c.n == 1)
        .options(selectinload(Update.author), selectinload(Update.on_behalf_of))
    )
    return {u.action_id: u for u in rows}


def _ranked(plan_id: int, *, as_of: dt.datetime | None, with_rag: bool):
    """Each of the plan's updates with its rank among its action's (1: the one that gives its state).

    ``storage.plan_rows`` ranks them the same way in plain SQL for the plan's table (a test checks)."""
    order = [*newest_first()]
    if with_rag:
        order.insert(0, case((Update.rag.is_(None), 1), else_=0))
    ranked = (
        select(Update.id, func.row_number().over(partition_by=Update.action_id, order_by=order).label("n"))
        .join(Action, Action.id == Update.action_id)
        .where(Action.plan_id == plan_id)
    )
    if as_of is not None:
        ranked = ranked.where(Update.submitted_at <= as_of)
    return ranked.subquery()


@dataclass(frozen=True)
class CurrentState:
    """What an action shows now: its latest update with a RAG, and its latest update with text."""

    rag: Update | None
    text: Update | None


def current_states(session: Session, action_ids: list[int]) -> dict[int, CurrentState]:
    """action id -> ``CurrentState``, in two queries whatever the history.

    Each action costs two index lookups (``ix_updates_action_submitted``, newest first, stopping at the
    first match), not a read of every update: the Home tab and ``/progress mine`` stay cheap as
    history grows.
    """
    if not action_ids:
        return {}

    def newest(condition):
        return (
            select(Update.id)
            .where(Update.action_id == Action.id, condition)
            .order_by(*newest_first())
            .limit(1)
            .correlate(Action)
            .scalar_subquery()
        )

    rows = []
    for start in range(0, len(action_ids), 500):
        chunk = action_ids[start : start + 500]
        rows += session.execute(
            select(Action.id, newest(Update.rag.is_not(None)), newest(Update.text != "")).where(
                Action.id.in_(chunk)
            )
        ).all()
    wanted = {i for _, rag_id, text_id in rows for i in (rag_id, text_id) if i is not None}
    found = {
        u.id: u
        for start in range(0, len(wanted), 500)
        for u in session.scalars(
            select(Update)
            .where(Update.id.in_(sorted(wanted)[start : start + 500]))
            .options(selectinload(Update.author))
        )
    }
    return {aid: CurrentState(found.get(rag_id), found.get(text_id)) for aid, rag_id, text_id in rows}


def current_rags(session: Session, plan_id: int, *, as_of: dt.datetime | None = None) -> dict[int, str]:
    """action id -> current RAG label, for every action of the plan that has one (one query)."""
    return {aid: u.rag for aid, u in latest_updates(session, plan_id, as_of=as_of).items() if u.rag}


def history(session: Session, action: Action) -> list[Update]:
    """Every update of the action, oldest first: the audit trail."""
    return list(
        session.scalars(
            select(Update)
            .where(Update.action_id == action.id)
            .options(selectinload(Update.author), selectinload(Update.on_behalf_of))
            .order_by(Update.submitted_at, Update.id)
        )
    )


def updates_since(
    session: Session, plan_id: int, since: dt.datetime, *, until: dt.datetime | None = None
) -> list[Update]:
    """The plan's updates submitted at or after ``since`` (and at or before ``until``), oldest first."""
    query = (
        select(Update)
        .join(Action, Action.id == Update.action_id)
        .where(Action.plan_id == plan_id, Update.submitted_at >= since)
        .options(selectinload(Update.action), selectinload(Update.author), selectinload(Update.on_behalf_of))
        .order_by(Update.submitted_at, Update.id)
    )
    if until is not None:
        query = query.where(Update.submitted_at <= until)
    return list(session.scalars(query))


def field_problems(
    *, text: str | None, evidence_url: str | None, source: str, rag: str | None = None
) -> dict[str, str]:
    """Every problem with an update's text and evidence at once (field -> message): the checks
    ``record_update`` makes, for forms that show each error beside its field."""
    problems: dict[str, str] = {}
    for name, check in (
        ("text", lambda: _check_text(text, rag=rag, source=source)),
        ("evidence", lambda: _check_evidence(evidence_url)),
    ):
        try:
            check()
        except InvalidInput as exc:
            problems[name] = str(exc)
    return problems
