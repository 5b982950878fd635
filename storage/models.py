"""The plan store: typed SQLAlchemy 2.0 models.

Conventions:
- every datetime column is timezone-aware and stored in UTC (``UTCDateTime``);
- updates are append-only: the latest update of an action is its current state;
- uniqueness that protects against double sends or double submissions lives here, as constraints,
  never in memory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from storage.plan_rows import plan_name_key


def utcnow() -> dt.datetime:
    """Audit timestamps only; business logic always receives ``now`` as a parameter."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite drops the offset
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Plan(Base):
    __tablename__ = "plans"
    # Named as migration 0005 named it: a new database is created from these models (storage.db.upgrade).
    __table_args__ = (UniqueConstraint("name_key", name="uq_plans_name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The name case-folded: names are matched in any case, so two plans may not differ only in case.
    # Set from ``name`` (below); NULL only for a clash left over from before the rule (see 0002).
    name_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    source_filename: Mapped[str | None] = mapped_column(String(500))
    # The date free-text timescales are read against ("May 23" in a 2023 plan).
    reference_date: Mapped[dt.date | None] = mapped_column(Date)
    # The plan's start, for relative timescales ("within 3 months", "immediate").
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    # Reminder policy overrides (storage.policy reads them over its defaults).
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Where the board cycle posts the board pack (a channel id); board members also get it by DM.
    board_channel: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    rag_states: Mapped[list[RagState]] = relationship(
        back_populates="plan", order_by="RagState.rank", cascade="all, delete-orphan"
    )
    sections: Mapped[list[Section]] = relationship(
        back_populates="plan", order_by="Section.position", cascade="all, delete-orphan"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="plan", order_by="Action.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="plan", order_by="ReportVersion.published_at", cascade="all, delete-orphan"
    )

    @validates("name")
    def _set_name_key(self, _key: str, name: str) -> str:
        self.name_key = plan_name_key(name)
        return name


class RagState(Base):
    """One state of a plan's RAG scheme. ``rank`` orders states from worst (0) to best."""

    __tablename__ = "rag_states"
    __table_args__ = (UniqueConstraint("plan_id", "label"), UniqueConstraint("plan_id", "rank"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(7))  # "#RRGGBB"
    meaning: Mapped[str] = mapped_column(Text, default="")
    is_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # Other ways the plan writes this state: symbols ("✓"), letters ("G"), emoji, fills.
    aliases: Mapped[list[Any]] = mapped_column(default=list)

    plan: Mapped[Plan] = relationship(back_populates="rag_states")


class Section(Base):
    """Recommendation, improvement area, phase or outcome; nested through ``parent_id``."""

    __tablename__ = "sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40), default="section")
    ref: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    # What the plan says under the heading: the recommendation's text, its outcome and measures.
    description: Mapped[str] = mapped_column(Text, default="", server_default="")  # as 0006 added it
    position: Mapped[int] = mapped_column(Integer)

    plan: Mapped[Plan] = relationship(back_populates="sections")
    parent: Mapped[Section | None] = relationship(remote_side="Section.id")


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("plan_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    ref: Mapped[str] = mapped_column(String(40))
    # True when the document had no ref and the importer numbered the action itself.
    ref_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    timescale: Mapped[str] = mapped_column(Text, default="")  # raw text, always kept
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    # once | ongoing | recurring | done | unknown
    schedule: Mapped[str] = mapped_column(String(20), default="unknown")
    milestones: Mapped[list[Any]] = mapped_column(default=list)  # ISO dates
    # For recurring actions: "monthly", "quarterly", ...
    recurrence: Mapped[str | None] = mapped_column(String(20))
    # open | complete | withdrawn | merged: set only through plan changes (storage.changes), which
    # record who, when and why in ``plan_changes``. Withdrawn and merged actions leave reminders,
    # counts and percentages; the report lists them in a band of their own.
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", ondelete="SET NULL", name="fk_actions_merged_into_id")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="actions")
    section: Mapped[Section | None] = relationship()
    leads: Mapped[list[ActionLead]] = relationship(
        back_populates="action", order_by="ActionLead.position", cascade="all, delete-orphan"
    )
    updates: Mapped[list[Update]] = relationship(
        back_populates="action", order_by="Update.submitted_at", cascade="all, delete-orphan"
    )


class Person(Base):
    """A lead: a named officer, a role title, or both. Linked to Slack by user id."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(String(200))
    role_title: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    away_until: Mapped[dt.date | None] = mapped_column(Date)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set when the mail server refused the address for good (5xx); cleared when the address changes.
    email_undeliverable_at: Mapped[dt.datetime | None]
    email_error: Mapped[str | None] = mapped_column(Text)

    aliases: Mapped[list[LeadAlias]] = relationship(back_populates="person", cascade="all, delete-orphan")
    deputy: Mapped[Person | None] = relationship(remote_side="Person.id")


class LeadAlias(Base):
    """The glossary: an abbreviation or spelling that names a person.

    ``key`` is normalised (case, spaces, brackets and punctuation dropped), so "DM (CIN)", "DM CIN" and
    "DMCIN" share one key. A key that maps to several people is ambiguous and is never guessed.
    """

    __tablename__ = "lead_aliases"
    __table_args__ = (UniqueConstraint("key", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    text: Mapped[str] = mapped_column(String(300))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))

    person: Mapped[Person] = relationship(back_populates="aliases")


class ActionLead(Base):
    __tablename__ = "action_leads"

    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True)
    # Indexed on its own too: a person's actions (Home, the writer's check) are looked up by person.
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    lead_text: Mapped[str] = mapped_column(String(300), default="")  # as written in the plan
    # lead | delegate: a delegate may update the action too, and is reminded with the lead.
    kind: Mapped[str] = mapped_column(String(20), default="lead")

    action: Mapped[Action] = relationship(back_populates="leads")
    person: Mapped[Person] = relationship()


class Role(Base):
    """admin or board, granted to a Slack user."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("slack_user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[str | None] = mapped_column(String(64))


class Update(Base):
    """A progress update: append-only, never edited in place."""

    __tablename__ = "updates"
    __table_args__ = (Index("ix_updates_action_submitted", "action_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    # Who typed it (a person, or a Slack user id / CLI user when they are not a known person).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    author_text: Mapped[str] = mapped_column(String(300), default="")
    # Set when someone else entered it for the lead (an admin, or an officer at the CLI).
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    rag: Mapped[str | None] = mapped_column(String(40))  # a label of the plan's scheme
    text: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    # Evidence that is not a link ("Audit report, CSMG papers 12 March").
    evidence_note: Mapped[str | None] = mapped_column(Text)
    # A new timescale the lead asks the board for: recorded, never applied automatically.
    proposed_due: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))  # import | slack | cli | email
    submitted_at: Mapped[dt.datetime]
    # Dedup key from the channel it came in on (Slack view hash, event id, message ts...).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The reminder message this update answers, if any (jobs edit it to show "Updated: Amber").
    reminder_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_messages.id", ondelete="SET NULL")
    )

    action: Mapped[Action] = relationship(back_populates="updates")
    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    on_behalf_of: Mapped[Person | None] = relationship(foreign_keys=[on_behalf_of_id])


class ReportVersion(Base):
    """A published version of the board report (or a document-history row found on import).

    ``snapshot`` freezes each action's RAG at publication: {"<action id>": "<label or null>"}, the
    baseline for direction of travel and "since last report".
    """

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    # "6.0", or the board meeting it was published for ("Board 16 March 2027").
    version: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[dt.datetime]
    as_of: Mapped[dt.datetime]
    summary: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(20), default="publish")  # publish | import | board
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)

    plan: Mapped[Plan] = relationship(back_populates="versions")


class ReminderMessage(Base):
    """One message sent (or to be sent) to one person, grouping several ledger entries.

    ``via`` is the channel: a Slack DM (``slack_user_id``) or an email to the person's address on record
    (``slack_user_id`` is then empty; the address is read when the email is sent, never stored here).
    """

    __tablename__ = "reminder_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(10), default="slack", server_default="slack")  # slack | email
    channel: Mapped[str | None] = mapped_column(String(32))  # the DM channel, known after sending
    ts: Mapped[str | None] = mapped_column(String(32), index=True)  # Slack message ts, once sent
    # reminder | escalation | unlinked | digest | board_unreached; by email also confirmation | new_link
    kind: Mapped[str] = mapped_column(String(20))
    # pending | sending (claimed by a pass, or in doubt) | sent | failed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the blocks and text to send
    # The pass (its lease holder) that claimed it for sending, and when by the database's clock. A
    # "sending" row whose holder no longer holds a lease is in doubt: looked for in Slack, never re-sent blind.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[dt.datetime | None]

    entries: Mapped[list[ReminderEntry]] = relationship(back_populates="message")


class ReminderEntry(Base):
    """The exactly-once ledger: one row per (action, person, due date, kind, step).

    Written before sending, marked sent after; the unique key is what makes a second pass, a
    restarted pass or a second worker unable to send the same reminder twice.
    """

    __tablename__ = "reminder_entries"
    __table_args__ = (UniqueConstraint("action_id", "person_id", "due_date", "kind", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    due_date: Mapped[dt.date] = mapped_column(Date)
    # before | due | overdue | ongoing | recurring | escalation | unlinked
    kind: Mapped[str] = mapped_column(String(20))
    step: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | skipped
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_messages.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

    message: Mapped[ReminderMessage | None] = relationship(back_populates="entries")


class DigestPost(Base):
    """One weekly digest per channel per ISO week, enforced by the unique key."""

    __tablename__ = "digest_posts"
    __table_args__ = (UniqueConstraint("channel", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    week: Mapped[str] = mapped_column(String(10))  # "2026-W47"
    status: Mapped[str] = mapped_column(String(20), default="pending")
    ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[dt.datetime | None]
    # The ledger message the digest is posted through (claims, retries and in-doubt checks as reminders).
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_messages.id", ondelete="SET NULL", name="fk_digest_posts_message_id")
    )


class SchedulerLease(Base):
    """The single-runner guard: who runs a pass now, until when by the database's clock (jobs/lease.py)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime]


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried event (X-Slack-Retry-Num) is dropped."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PendingReply(Base):
    """A thread reply with no RAG: kept until the lead picks one from the buttons."""

    __tablename__ = "pending_replies"
    __table_args__ = (UniqueConstraint("channel", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    slack_user_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    reminder_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminder_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]


class Meeting(Base):
    """A board meeting of a plan: the clock of the board cycle (``jobs.board``).

    The call, the chase and the notices to leads are ledger rows (``reminder_entries`` of kind
    ``board_*`` whose step is this meeting's id); the board pack's deliveries are ``board_posts``. A
    meeting whose round has begun is cancelled, never deleted, so the ledger keeps its meaning. At most
    one scheduled meeting per plan and date (a partial unique index: cancelled ones may share it).
    """

    __tablename__ = "meetings"
    __table_args__ = (
        Index(
            "uq_meetings_plan_date_scheduled",
            "plan_id",
            "date",
            unique=True,
            sqlite_where=text("status = 'scheduled'"),
            postgresql_where=text("status = 'scheduled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)  # in the organisation's time zone
    name: Mapped[str] = mapped_column(String(80), default="Board")
    cutoff: Mapped[dt.date] = mapped_column(Date)  # updates count until the end of this day
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled | cancelled
    rule: Mapped[str | None] = mapped_column(String(200))  # the ``board repeat`` rule that added it
    moved_from: Mapped[dt.date | None] = mapped_column(Date)
    moved_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    # Set once, by the pass that publishes the board pack (a conditional UPDATE claims it first).
    published_at: Mapped[dt.datetime | None]
    version_id: Mapped[int | None] = mapped_column(ForeignKey("report_versions.id", ondelete="SET NULL"))
    # The pack exactly as published, so every delivery and every retry sends the same bytes.
    pack_docx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pack_summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship()
    version: Mapped[ReportVersion | None] = relationship()


class BoardPost(Base):
    """Meeting-keyed deliveries that are not about one action, each at most once.

    ``kind`` "pack": the board pack to the board channel or a board member (``target``), uploaded by
    ``jobs.board_publish`` with its own pending/sending/sent states, claimed like a reminder message. ``kind`` "unreached": the admins'
    note of leads the call could not reach; the row is the once-only claim and the message goes through
    the reminder sender (``message_id``).
    """

    __tablename__ = "board_posts"
    __table_args__ = (UniqueConstraint("meeting_id", "kind", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # pack | unreached
    target: Mapped[str] = mapped_column(String(32))  # a channel id or a Slack user id
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))  # where it landed (the DM's id for a person)
    file_id: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_messages.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    # A pack being uploaded: the pass that claimed it and when, by the database's clock (as for
    # ``ReminderMessage``); "sending" with no live claim is in doubt and looked for in Slack first.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[dt.datetime | None]

    meeting: Mapped[Meeting] = relationship()


# --- plan governance: append-only events --------------------------------------------------------


class _ByWhom:
    """Who did it, when, and through which door. ``by_text`` is what the audit trail shows."""

    by_uid: Mapped[str | None] = mapped_column(String(32))  # Slack user id, when known
    by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    by_text: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(20))  # cli | slack | import
    at: Mapped[dt.datetime]


class PlanChange(_ByWhom, Base):
    """One change to the plan itself (not progress): append-only, never edited.

    ``kind``: add | set | close | reopen | retime. ``field``: leads | due | timescale | title | section |
    status. ``old_value``/``new_value`` are JSON. The action's columns are the current plan these
    events add up to; every command changes both in one transaction.
    """

    __tablename__ = "plan_changes"
    __table_args__ = (Index("ix_plan_changes_action_at", "action_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(20))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The date proposal this change carries out (an agreed revised timescale).
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("date_proposals.id", ondelete="SET NULL"))


class DateProposal(_ByWhom, Base):
    """A lead asks the board for a new due date; decided once (``DateDecision``)."""

    __tablename__ = "date_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="SET NULL"))
    from_due: Mapped[dt.date | None] = mapped_column(Date)
    proposed_due: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")

    decision: Mapped[DateDecision | None] = relationship(back_populates="proposal", uselist=False)


class DateDecision(_ByWhom, Base):
    """agreed | declined | superseded. Unique per proposal: two board members cannot both decide."""

    __tablename__ = "date_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("date_proposals.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")

    proposal: Mapped[DateProposal] = relationship(back_populates="decision")


class Challenge(_ByWhom, Base):
    """A board member's or admin's question about an update; open until the lead answers."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    answers: Mapped[list[ChallengeAnswer]] = relationship(
        back_populates="challenge", order_by="ChallengeAnswer.at"
    )


class ChallengeAnswer(_ByWhom, Base):
    """The lead's answer: a reply in the question's thread, or a new update (``update_id``)."""

    __tablename__ = "challenge_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    challenge: Mapped[Challenge] = relationship(back_populates="answers")


class SignOff(_ByWhom, Base):
    """An admin or board member accepts a completion. Unique per completing update: signed once."""

    __tablename__ = "sign_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str | None] = mapped_column(String(2000))


class GovernanceNotice(Base):
    """A DM the bot sent about a governance subject ("proposal:12", "challenge:5", "signoff:33").

    Kept so the other recipients' buttons can be replaced once someone decides, and so a reply in a
    challenge's thread finds its challenge.
    """

    __tablename__ = "governance_notices"
    __table_args__ = (
        UniqueConstraint("subject", "slack_user_id"),
        Index("ix_governance_notices_channel_ts", "channel", "ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(40), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxItem(Base):
    """Slack work owed after an acknowledgement: a confirmation DM, a reminder edit, a Home refresh.

    Written in the same transaction as the update it follows, so it exists exactly when the update
    does; drained after the response, again at start-up and by the worker (``bot.outbox``). Times are
    the database's clock (``storage.outbox.db_time``), so processes on different hosts agree on leases.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_not_before", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # slack_call | reminder_refresh | home_refresh
    # One waiting row per key ("home:U0JO"): later work coalesces into it. Cleared when claimed.
    coalesce_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    not_before: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
