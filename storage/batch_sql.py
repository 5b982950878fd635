"""The SQL of the group-commit writer (``storage.batch``): what the checks of a batch read, and the
inserts that check it all again.

``CHECK`` is an SQLAlchemy statement (the same joins the listener's checks make), compiled once per
dialect. The inserts are written here from the models' table and column names and types, because
each takes a whole batch in one statement that SQLAlchemy's constructs do not express: rows in, kept
only where what they relied on (``Expected``) still holds (``still_holds_sql``), and on PostgreSQL
the outbox rows of the updates actually inserted in the same statement.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import bindparam, exists, func, select

from storage.models import (
    Action,
    ActionLead,
    Challenge,
    ChallengeAnswer,
    OutboxItem,
    Person,
    Plan,
    RagState,
    Update,
)

# The columns of ``storage.updates.new_update``'s row, in the order the raw inserts take them.
UPDATE_COLUMNS = (
    "action_id",
    "author_id",
    "author_text",
    "on_behalf_of_id",
    "rag",
    "text",
    "evidence_url",
    "evidence_note",
    "proposed_due",
    "source",
    "submitted_at",
    "idempotency_key",
    "reminder_message_id",
)

# What the checks of a batch need, in one statement whatever the batch size: one row per action,
# RAG state and submitter who leads (or is a delegate of) the action, with:
# - the action, its plan and the state (``new_update`` checks the RAG against the plan's scheme);
# - the submitter (a lead or delegate is the author, on nobody's behalf, whatever their roles); NULL
#   columns when no submitter of the batch leads the action;
# - the earliest challenge still open on the action: an update submitted after it answers it.
# The batch's actions are named here too, not only in the outer query: otherwise PostgreSQL read every
# lead of the submitters (a scan of action_leads, growing with the plan) before keeping the batch's.
_LEAD = (
    select(ActionLead.action_id, Person.slack_user_id, Person.id, Person.display_name)
    .join(Person, Person.id == ActionLead.person_id)
    .where(
        Person.slack_user_id.in_(bindparam("uids", expanding=True)),
        ActionLead.action_id.in_(bindparam("action_ids", expanding=True)),
    )
    .subquery("lead")
)
_OPEN_SINCE = (
    select(func.min(Challenge.at))
    .where(Challenge.action_id == Action.id, ~exists().where(ChallengeAnswer.challenge_id == Challenge.id))
    .scalar_subquery()
)
CHECK = (
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
CHECK_FIELDS = tuple(c.name for c in CHECK.selected_columns)


class Expected(NamedTuple):
    """What an update's checks relied on, which the insert finds unchanged or skips the
    update: the submitter still leads the action under the same name, the action and plan are as
    shown in the confirmation, the plan's RAG states are the same, and no challenge is open."""

    uid: str
    lead_name: str
    ref: str
    title: str
    plan_name: str
    scheme_text: str


def scheme_text_sql(plan_id: str, dialect: str) -> str:
    """SQL for one text holding every field of a plan's RAG states in rank order ('' for none), each
    field prefixed by its length, so two different schemes never give the same text.

    The writer remembers it with what else it read about an action (``BatchConnection.remembered``),
    and the insert compares it with the plan's states as they are then: a scheme replaced since (a
    label, colour, alias or completion changed) makes the insert skip the update. SQLite's
    ``group_concat`` takes no ORDER BY before 3.44, so its rows come from an ordered subquery; were
    they ever concatenated in another order, the texts would differ and the update would go the
    listener's way: a wrong order can only refuse, never let a changed scheme through."""
    fields = (
        "rs.label",
        "rs.colour",
        "rs.meaning",
        "CAST(rs.rank AS TEXT)",
        "CAST(rs.is_complete AS TEXT)",
        "CAST(rs.aliases AS TEXT)",
    )
    part = " || ".join(f"length({f}) || ':' || {f}" for f in fields)
    if dialect == "postgresql":
        text = f"(SELECT string_agg({part}, '' ORDER BY rs.rank) FROM rag_states rs WHERE rs.plan_id = {plan_id})"
    else:
        text = (
            f"(SELECT group_concat(part, '') FROM (SELECT {part} AS part FROM rag_states rs "
            f"WHERE rs.plan_id = {plan_id} ORDER BY rs.rank))"
        )
    return f"coalesce({text}, '')"


def still_holds_sql(dialect: str) -> str:
    """Joins and conditions, on the rows ``v`` of a batch insert, that keep only the updates whose
    ``Expected`` still holds: the submitter leads the action under the same name and Slack id, the
    action and its plan are as read, the plan's states are the same (``scheme_text_sql``), and no
    challenge on the action was open when the update was submitted."""
    return (
        "JOIN actions a ON a.id = v.action_id AND a.ref = v.ref AND a.title = v.title "
        "JOIN plans pl ON pl.id = a.plan_id AND pl.name = v.plan_name "
        "JOIN action_leads al ON al.action_id = a.id AND al.person_id = v.author_id "
        "JOIN people pe ON pe.id = al.person_id AND pe.slack_user_id = v.uid AND pe.display_name = v.lead_name "
        f"WHERE {scheme_text_sql('a.plan_id', dialect)} = v.scheme_text "
        "AND NOT EXISTS (SELECT 1 FROM challenges c WHERE c.action_id = a.id AND c.at <= v.submitted_at "
        "AND NOT EXISTS (SELECT 1 FROM challenge_answers ca WHERE ca.challenge_id = c.id))"
    )


def sqlite_insert_sql(n_rows: int) -> str:
    """The SQLite batch insert of ``n_rows`` updates: each row's values and its ``Expected``, inserted
    only where the ``Expected`` still holds, in batch order."""
    names = ["n", *UPDATE_COLUMNS, *Expected._fields]
    row = "(" + ", ".join("?" * len(names)) + ")"
    columns = ", ".join(UPDATE_COLUMNS)
    # INSERT first (the WITH inside it): Python's sqlite3 counts rows only for statements that begin
    # with INSERT, and the count is how a skipped update shows.
    return (
        f"INSERT INTO updates ({columns}) "
        f"WITH v ({', '.join(names)}) AS (VALUES {', '.join([row] * n_rows)}) "
        f"SELECT {', '.join('v.' + c for c in UPDATE_COLUMNS)} "
        f"FROM v {still_holds_sql('sqlite')} ORDER BY v.n "
        "ON CONFLICT (idempotency_key) DO NOTHING"
    )


# The outbox row of an owed item, as the PostgreSQL batch insert takes it (with its number and the key
# of the update that owes it): the values ``storage.outbox``'s insert gives its columns.
OUTBOX_VALUES = ("kind", "coalesce_key", "payload", "after")


def pg_insert_sql(dialect: Any) -> str:
    """The batch insert, taking the updates ($1) and the outbox rows ($2) each as one JSON array of
    objects, read into their columns' own types; an update is inserted only if its ``Expected`` still
    holds."""
    table = Update.__table__
    record = ", ".join(
        [
            "n INTEGER",
            *(f"{name} {table.c[name].type.compile(dialect)}" for name in UPDATE_COLUMNS),
            *(f"{name} TEXT" for name in Expected._fields),
        ]
    )
    columns = ", ".join(UPDATE_COLUMNS)
    outbox = OutboxItem.__table__
    owed_record = (
        "n INTEGER, ukey TEXT, "
        f"kind {outbox.c.kind.type.compile(dialect)}, coalesce_key {outbox.c.coalesce_key.type.compile(dialect)}, "
        "payload TEXT, after TEXT"  # the payload as its column's bind processor wrote it; the delay as an interval's text
    )
    # ``storage.outbox``'s insert: not_before and created_at by the database's clock (``db_time``).
    return (
        f"WITH v AS (SELECT * FROM json_to_recordset(CAST($1 AS JSON)) AS v ({record})), "
        f"ok AS (SELECT v.* FROM v {still_holds_sql('postgresql')}), "
        f"u AS (INSERT INTO updates ({columns}) SELECT {columns} FROM ok ORDER BY n "
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key), "
        "o AS (INSERT INTO outbox (kind, coalesce_key, payload, not_before, attempts, created_at) "
        "SELECT w.kind, w.coalesce_key, CAST(w.payload AS JSON), CURRENT_TIMESTAMP + CAST(w.after AS INTERVAL), 0, "
        "CURRENT_TIMESTAMP "
        f"FROM json_to_recordset(CAST($2 AS JSON)) AS w ({owed_record}) "
        "JOIN u ON u.idempotency_key = w.ukey ORDER BY w.n "
        "ON CONFLICT (coalesce_key) DO NOTHING) "
        "SELECT idempotency_key FROM u"
    )
