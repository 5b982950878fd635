"""The board cycle: before each board meeting, ask every lead for an update, chase the silent ones,
and (``jobs.board_publish``) publish the board pack at the cut-off.

A planner like ``jobs.planner``: ``plan_board_round(session, now)`` reads the database, writes nothing,
and says what is due now. Its answer is plain data (``BoardRound.deliveries``: which lead gets what, by
which channel, or why they can't be reached), so a later email channel can consume the same result;
the Slack part becomes ``PlannedReminder`` rows that the reminder pass writes to the same ledger as
every reminder, so a lead gets one DM per pass and each call and chase goes out once per meeting.

The rules (also in the README, "The board cycle"):
- dates: the cut-off (default 5 working days before the meeting); the call ``board_call_working_days``
  and the chase ``board_chase_working_days`` working days before the cut-off (England & Wales bank
  holidays skipped, as for reminders), each from the lead's 09:00 in their own time zone;
- the window: an action counts as updated for a meeting when someone (not an import) gave it an
  update after the previous meeting's cut-off, or in the 14 days before the call when there is no
  earlier meeting, and by the end of the cut-off day;
- asked: every open action (not done, not complete) of each lead and delegate, plus any action
  updated in the window; the call lists the updated ones as "already updated";
- the call: once per lead per meeting, any day from the call day to the cut-off (a late call when
  the meeting was added late or the worker was down); the chase: on the chase day or later, only to
  leads with actions still outstanding, and never on the day of their call;
- a meeting moved after the call: leads with actions outstanding are told the new dates (once per
  date); cancelled after the call: they are told it is off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from jobs.planner import PlannedReminder, PlannerConfig, Recipient, channel_for, resolve_recipient
from jobs.state import PassSnapshot, action_states, complete_labels, is_complete
from storage.calendar import WorkCalendar, local_today, may_send_now, zone
from storage.meetings import (
    BOARD_CALL,
    BOARD_CANCELLED,
    BOARD_CHASE,
    BOARD_KINDS,
    BOARD_MOVED,
    meeting_label,
    previous_meeting,
)
from storage.models import Action, ActionLead, Meeting, Person, Plan, ReminderEntry, ReportVersion, Update
from storage.policy import Policy

FIRST_WINDOW_DAYS = 14  # with no earlier meeting, updates this long before the call count
STAGE_KIND = {"call": BOARD_CALL, "chase": BOARD_CHASE, "moved": BOARD_MOVED, "cancelled": BOARD_CANCELLED}


@dataclass(frozen=True)
class Schedule:
    """A meeting's round in dates (the organisation's calendar) and instants."""

    call_day: dt.date
    chase_day: dt.date
    cutoff: dt.date
    window_start: dt.datetime  # updates after this count for the meeting...
    cutoff_end: dt.datetime  # ...until the end of the cut-off day (the pack's "as at")

    def publish_due(self, now: dt.datetime, meeting_day: dt.date, tz: Any) -> bool:
        """From the first moment after the cut-off day until the end of the meeting day."""
        return now > self.cutoff_end and local_today(now, tz) <= meeting_day


def schedule_for(
    meeting: Meeting, policy: Policy, calendar: WorkCalendar, tz: Any, previous: Meeting | None
) -> Schedule:
    call_day = calendar.working_days_before(meeting.cutoff, policy.board_call_working_days)
    chase_day = (
        calendar.working_days_before(meeting.cutoff, policy.board_chase_working_days)
        if policy.board_chase_working_days
        else calendar.working_day_on_or_before(meeting.cutoff)
    )
    if previous is not None:
        start = end_of_day(previous.cutoff, tz)
    else:
        start = dt.datetime.combine(call_day - dt.timedelta(days=FIRST_WINDOW_DAYS), dt.time(0), tz)
    return Schedule(call_day, chase_day, meeting.cutoff, start, end_of_day(meeting.cutoff, tz))


def end_of_day(day: dt.date, tz: Any) -> dt.datetime:
    """The last instant of a local day: the report's "as at the end of" (as ``report --as-of`` reads it)."""
    return dt.datetime.combine(day, dt.time.max, tz)


@dataclass(frozen=True)
class AskedAction:
    action_id: int
    ref: str
    title: str
    due: dt.date | None
    timescale: str
    rag: str | None
    answered_at: dt.datetime | None  # the latest update in the meeting's window, if any

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


@dataclass
class Sent:
    """What the ledger says went to one lead for one meeting."""

    call: dt.datetime | None = None  # first call row sent
    call_failed: str | None = None  # the call could not be delivered (a permanent Slack error)
    chase: dt.datetime | None = None
    last: dt.datetime | None = None  # the latest board message of any kind sent to them
    moved_dates: set[dt.date] = field(default_factory=set)
    cancelled: bool = False
    # (action id, kind, date) -> ledger status; the date is the meeting's (a "moved" row keeps the
    # date it announced).
    statuses: dict[tuple[int, str, dt.date], str] = field(default_factory=dict)


@dataclass
class LeadRound:
    person: Person
    asked: list[AskedAction]
    sent: Sent

    @property
    def updated(self) -> list[AskedAction]:
        return [a for a in self.asked if a.answered]

    @property
    def outstanding(self) -> list[AskedAction]:
        return [a for a in self.asked if not a.answered]


@dataclass
class MeetingRound:
    meeting: Meeting
    plan: Plan
    policy: Policy
    schedule: Schedule
    leads: list[LeadRound]
    called_at: dt.datetime | None
    chased_at: dt.datetime | None
    published_version: str | None
    order: dict[int, int] = field(default_factory=dict)  # action id -> its place in the plan

    @property
    def label(self) -> str:
        return meeting_label(self.meeting)

    @property
    def responded(self) -> list[LeadRound]:
        return [lead for lead in self.leads if not lead.outstanding]

    @property
    def waiting(self) -> list[LeadRound]:
        return [lead for lead in self.leads if lead.outstanding]

    def meeting_info(self) -> dict[str, Any]:
        """What a message needs to say about the meeting (kept in each item of a lead's DM)."""
        m = self.meeting
        return {
            "id": m.id,
            "label": self.label,
            "date": m.date.isoformat(),
            "cutoff": m.cutoff.isoformat(),
            "plan": self.plan.name,
            "plan_title": self.plan.title or self.plan.name,
            "moved_from": m.moved_from.isoformat() if m.moved_from else None,
        }


def build_round(
    session: Session,
    meeting: Meeting,
    now: dt.datetime,
    *,
    config: PlannerConfig,
    policy: Policy | None = None,
    done_labels: dict[int, set[str]] | None = None,
    states_now: dict | None = None,
) -> MeetingRound:
    """Who is asked about what for ``meeting``, who has answered (by ``now`` or the cut-off, whichever
    is first), and what the ledger says went out. A handful of queries, whatever the plan's size."""
    tz = zone(config.default_tz)
    plan = meeting.plan
    policy = policy or Policy.for_plan(plan)
    schedule = schedule_for(meeting, policy, config.calendar, tz, previous_meeting(session, meeting))
    upto = min(now, schedule.cutoff_end)
    done_labels = done_labels if done_labels is not None else complete_labels(session)
    actions = session.scalars(
        select(Action)
        .where(Action.plan_id == plan.id)
        .options(selectinload(Action.leads).selectinload(ActionLead.person).selectinload(Person.deputy))
        .order_by(Action.position, Action.id)
    ).all()
    at_start = action_states(session, [plan.id], as_of=schedule.window_start)
    # Before the cut-off the pass's own snapshot (states as of now) serves; after it, as of the cut-off.
    current = (
        states_now
        if states_now is not None and upto == now
        else action_states(session, [plan.id], as_of=upto)
    )
    answers = _answers(session, plan.id, schedule.window_start, upto)
    sent = _sent_by_lead(session, meeting.id)
    asked_by_person: dict[int, tuple[Person, list[AskedAction]]] = {}
    for action in actions:
        asked = _asked(action, plan, done_labels, at_start, current, answers)
        if asked is None:
            continue
        for link in action.leads:
            asked_by_person.setdefault(link.person.id, (link.person, []))[1].append(asked)
    leads = [
        LeadRound(person, asked, sent.get(person.id, Sent()))
        for person, asked in sorted(asked_by_person.values(), key=lambda pa: pa[0].display_name.lower())
    ]
    calls, chases = _sent_times(sent, "call"), _sent_times(sent, "chase")
    version = session.get(ReportVersion, meeting.version_id) if meeting.version_id else None
    return MeetingRound(
        meeting=meeting,
        plan=plan,
        policy=policy,
        schedule=schedule,
        leads=leads,
        called_at=min(calls) if calls else None,
        chased_at=min(chases) if chases else None,
        published_version=version.version if version else None,
        order={action.id: n for n, action in enumerate(actions)},
    )


def _sent_times(sent: dict[int, Sent], what: str) -> list[dt.datetime]:
    """Every lead's first call (or chase), including people no longer asked about anything."""
    return [getattr(s, what) for s in sent.values() if getattr(s, what) is not None]


def _asked(
    action: Action,
    plan: Plan,
    done_labels: dict[int, set[str]],
    at_start: dict,
    current: dict,
    answers: dict[int, dt.datetime],
) -> AskedAction | None:
    """The action as the round asks about it, or None when it is not asked (done, or complete before
    the window and not touched since)."""
    if action.schedule == "done" or not action.leads or action.status != "open":
        return None  # done, nobody to ask, or withdrawn/merged (out of the plan)
    answered_at = answers.get(action.id)
    start_state, now_state = at_start.get(action.id), current.get(action.id)
    open_at_start = not is_complete(plan, done_labels, start_state.rag if start_state else None)
    open_now = not is_complete(plan, done_labels, now_state.rag if now_state else None)
    if answered_at is None and not (open_at_start and open_now):
        return None
    return AskedAction(
        action_id=action.id,
        ref=action.ref,
        title=action.title,
        due=action.due_date,
        timescale=action.timescale or "",
        rag=now_state.rag if now_state else None,
        answered_at=answered_at,
    )


def _answers(session: Session, plan_id: int, start: dt.datetime, upto: dt.datetime) -> dict[int, dt.datetime]:
    """action id -> its latest update in the window; imported rows are the document, not an answer."""
    rows = session.execute(
        select(Update.action_id, func.max(Update.submitted_at))
        .join(Action, Action.id == Update.action_id)
        .where(
            Action.plan_id == plan_id,
            Update.submitted_at > start,
            Update.submitted_at <= upto,
            Update.source != "import",
        )
        .group_by(Update.action_id)
    )
    return {action_id: _aware(at) for action_id, at in rows}


def _aware(value: dt.datetime) -> dt.datetime:
    # func.max bypasses the column type on SQLite: the value comes back naive (it is stored in UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _sent_by_lead(session: Session, meeting_id: int) -> dict[int, Sent]:
    """person id -> what the ledger holds for them for this meeting (one query)."""
    out: dict[int, Sent] = {}
    rows = session.execute(
        select(
            ReminderEntry.person_id,
            ReminderEntry.action_id,
            ReminderEntry.kind,
            ReminderEntry.due_date,
            ReminderEntry.status,
            ReminderEntry.sent_at,
        ).where(ReminderEntry.step == meeting_id, ReminderEntry.kind.in_(BOARD_KINDS))
    )
    for person_id, action_id, kind, due, status, sent_at in rows:
        s = out.setdefault(person_id, Sent())
        s.statuses[(action_id, kind, due)] = status
        if status == "failed" and kind == BOARD_CALL:
            s.call_failed = "Slack refused the call"
        if status != "sent" or sent_at is None:
            continue
        s.last = max(s.last or sent_at, sent_at)
        if kind == BOARD_CALL:
            s.call = min(s.call or sent_at, sent_at)
        elif kind == BOARD_CHASE:
            s.chase = min(s.chase or sent_at, sent_at)
        elif kind == BOARD_MOVED:
            s.moved_dates.add(due)
        elif kind == BOARD_CANCELLED:
            s.cancelled = True
    return out


# --- what is due now ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One lead's board message due now, whatever the channel: plain data for Slack (and, later, email)."""

    meeting_id: int
    meeting_label: str
    stage: str  # call | chase | moved | cancelled
    lead_person_id: int
    lead_name: str
    lead_email: str | None
    channel: str | None  # "slack" or "email", or None when the lead can't be reached now
    recipient_person_id: int | None  # the lead, or their deputy while they are away
    recipient_uid: str | None
    recipient_tz: str
    on_behalf_of: str | None
    sendable: bool  # inside the recipient's sending window now
    unreachable: str | None  # why, when channel is None
    items: tuple[dict[str, Any], ...]


@dataclass
class BoardRound:
    rounds: list[MeetingRound] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    planned: list[PlannedReminder] = field(default_factory=list)  # the Slack deliveries, as ledger rows
    # meeting id -> leads the call can't reach (for the admins' note, once per meeting, on the call day)
    unreached: dict[int, list[tuple[LeadRound, str]]] = field(default_factory=dict)
    publications: list[MeetingRound] = field(default_factory=list)  # board packs due now


def candidate_meetings(session: Session, plan_ids: Iterable[int], today: dt.date) -> list[Meeting]:
    """Meetings whose round may have something due: not yet past, scheduled or cancelled."""
    ids = list(plan_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.plan_id.in_(ids), Meeting.date >= today - dt.timedelta(days=1))
            .options(selectinload(Meeting.plan))
            .order_by(Meeting.date, Meeting.id)
        )
    )


def plan_board_round(
    session: Session,
    now: dt.datetime,
    *,
    config: PlannerConfig | None = None,
    snapshot: PassSnapshot | None = None,
) -> BoardRound:
    """Every board message and publication due at ``now``, with its ledger status. Writes nothing."""
    config = config or PlannerConfig()
    tz = zone(config.default_tz)
    today = local_today(now, tz)
    states_now = None
    if snapshot is not None:
        policies, done_labels = snapshot.policies, snapshot.done_labels
        plan_ids, states_now = snapshot.enabled_plan_ids, snapshot.states
    else:
        plans = session.scalars(select(Plan)).all()
        policies = {p.id: Policy.for_plan(p) for p in plans}
        done_labels = complete_labels(session)
        plan_ids = [pid for pid, policy in policies.items() if policy.enabled]
    result = BoardRound()
    for meeting in candidate_meetings(session, plan_ids, today):
        policy = policies[meeting.plan_id]
        # The call day does not depend on the previous meeting (only the window does): no query yet.
        call_day = schedule_for(meeting, policy, config.calendar, tz, None).call_day
        # A day's margin: a lead ahead of the organisation (Kolkata) reaches the call day first. A moved
        # meeting may owe its leads a notice well before its new call day.
        early = today < call_day - dt.timedelta(days=1) and meeting.moved_at is None
        if early or (meeting.status != "scheduled" and today > meeting.date):
            continue
        rnd = build_round(
            session,
            meeting,
            now,
            config=config,
            policy=policy,
            done_labels=done_labels,
            states_now=states_now,
        )
        result.rounds.append(rnd)
        _plan_leads(rnd, now, config, result)
        if _publication_due(rnd, now, tz):
            result.publications.append(rnd)
    return result


def _publication_due(rnd: MeetingRound, now: dt.datetime, tz: Any) -> bool:
    m = rnd.meeting
    return (
        m.status == "scheduled"
        and m.published_at is None
        and rnd.policy.board_publish
        and rnd.schedule.publish_due(now, m.date, tz)
    )


def _plan_leads(rnd: MeetingRound, now: dt.datetime, config: PlannerConfig, result: BoardRound) -> None:
    tz = zone(config.default_tz)
    unreached: list[tuple[LeadRound, str]] = []
    call_open = (
        rnd.meeting.status == "scheduled"
        and rnd.schedule.call_day <= local_today(now, tz) <= rnd.schedule.cutoff
    )
    for lead in rnd.leads:
        recipient = resolve_recipient(lead.person, now, rnd.policy, config.default_tz, email=config.email)
        reason = None if recipient is not None else unreachable_reason(lead.person, rnd.policy, now, config)
        if call_open and lead.sent.call is None and recipient is None:
            unreached.append((lead, reason or "can't be reached"))
        lead_tz = zone((recipient.person if recipient else lead.person).timezone, config.default_tz)
        stage = due_stage(rnd, lead, local_today(now, lead_tz), lead_tz)
        if stage is None:
            continue
        delivery = _delivery(rnd, lead, stage, recipient, reason, now, lead_tz, config)
        result.deliveries.append(delivery)
        if delivery.channel is not None:
            result.planned.extend(_planned(rnd, lead, delivery))
    if unreached:
        result.unreached[rnd.meeting.id] = unreached


def due_stage(rnd: MeetingRound, lead: LeadRound, today: dt.date, tz: Any) -> str | None:
    """What this lead should get now for this meeting, judged on their (or their deputy's) local date."""
    m, s, sent = rnd.meeting, rnd.schedule, lead.sent
    if m.published_at is not None or today > m.date:
        return None
    if m.status != "scheduled":
        called = sent.call is not None and (m.cancelled_at is None or sent.call <= m.cancelled_at)
        return "cancelled" if called and lead.outstanding and not sent.cancelled else None
    if today > s.cutoff or sent.call_failed:
        return None
    if sent.call is None:
        return "call" if today >= s.call_day else None
    if not lead.outstanding:
        return None
    called_on = sent.call.astimezone(tz).date()
    if sent.chase is None and today >= s.chase_day and called_on < today:
        return "chase"
    if m.moved_at is not None and (sent.last or sent.call) < m.moved_at and m.date not in sent.moved_dates:
        return "moved"
    return None


def _no_channel(person: Person, config: PlannerConfig) -> str:
    if config.email and person.email and person.email_undeliverable_at is not None:
        return "email undeliverable"
    return "no Slack link or email address" if config.email else "no Slack link"


def unreachable_reason(person: Person, policy: Policy, now: dt.datetime, config: PlannerConfig) -> str:
    """Why a lead gets nothing now, in Slack or by email, in words an admin can act on."""
    today = local_today(now, zone(person.timezone, config.default_tz))
    if person.away_until is not None and person.away_until >= today:
        away = f"on leave until {person.away_until.day} {person.away_until:%b}"
        deputy = person.deputy
        if policy.on_leave == "wait":
            return f"{away} (the policy is to wait)"
        if deputy is None:
            return f"{away}, with no deputy"
        if channel_for(deputy, email=config.email) is None:
            return f"{away}; their deputy {deputy.display_name} has {_no_channel(deputy, config)}"
        return f"{away}; their deputy {deputy.display_name} is away too"
    return _no_channel(person, config)


def _delivery(
    rnd: MeetingRound,
    lead: LeadRound,
    stage: str,
    recipient: Recipient | None,
    reason: str | None,
    now: dt.datetime,
    tz: Any,
    config: PlannerConfig,
) -> Delivery:
    shown = lead.asked if stage == "call" else lead.outstanding
    info = {**rnd.meeting_info(), "stage": stage}
    today = local_today(now, tz)
    items = tuple(_item(a, lead, recipient, info, stage, today) for a in shown)
    sendable = recipient is not None and may_send_now(now, tz, config.calendar, rnd.policy.window)
    return Delivery(
        meeting_id=rnd.meeting.id,
        meeting_label=rnd.label,
        stage=stage,
        lead_person_id=lead.person.id,
        lead_name=lead.person.display_name,
        lead_email=lead.person.email,
        channel=recipient.via if recipient is not None else None,
        recipient_person_id=recipient.person.id if recipient else None,
        recipient_uid=recipient.person.slack_user_id if recipient and recipient.via == "slack" else None,
        recipient_tz=tz.key,
        on_behalf_of=recipient.on_behalf_of.display_name if recipient and recipient.on_behalf_of else None,
        sendable=sendable,
        unreachable=reason,
        items=items,
    )


def _item(
    asked: AskedAction,
    lead: LeadRound,
    recipient: Recipient | None,
    info: dict[str, Any],
    stage: str,
    today: dt.date,
) -> dict[str, Any]:
    """One action in a lead's board message (the same dict shape the reminder items have)."""
    return {
        "action_id": asked.action_id,
        "ref": asked.ref,
        "title": asked.title,
        "plan": info["plan"],
        "due": asked.due.isoformat() if asked.due else None,
        "timescale": asked.timescale,
        "kind": STAGE_KIND[stage],
        "step": info["id"],
        "family": "board",
        "days": (asked.due - today).days if asked.due else 0,
        "rag": asked.rag,
        "answered": asked.answered,
        "answered_on": asked.answered_at.date().isoformat() if asked.answered_at else None,
        "meeting": info,
        "lead": lead.person.display_name,
        "on_behalf_of": recipient.on_behalf_of.display_name if recipient and recipient.on_behalf_of else None,
    }


def _planned(rnd: MeetingRound, lead: LeadRound, delivery: Delivery) -> list[PlannedReminder]:
    kind = STAGE_KIND[delivery.stage]
    return [
        PlannedReminder(
            action_id=item["action_id"],
            person_id=lead.person.id,
            due_date=rnd.meeting.date,
            kind=kind,
            step=rnd.meeting.id,
            recipient_person_id=delivery.recipient_person_id,
            recipient_uid=delivery.recipient_uid or "",
            recipient_tz=delivery.recipient_tz,
            sendable=delivery.sendable,
            status=lead.sent.statuses.get((item["action_id"], kind, rnd.meeting.date)),
            item=item,
            via=delivery.channel or "slack",
        )
        for item in delivery.items
    ]


# --- who has answered (board status, /progress board, the Home tab) ------------------------------


@dataclass(frozen=True)
class LeadStatus:
    name: str
    slack_user: str | None
    asked: int
    updated: int
    outstanding: tuple[str, ...]  # refs
    note: str | None = None  # e.g. "not reachable in Slack: no Slack link"


@dataclass(frozen=True)
class MeetingStatus:
    plan: str
    plan_title: str
    label: str
    meeting: dt.date
    cutoff: dt.date
    call_day: dt.date
    chase_day: dt.date
    state: str  # what happens next, in words
    called_at: dt.datetime | None
    chased_at: dt.datetime | None
    published_version: str | None
    published_at: dt.datetime | None
    cancelled: bool
    leads: tuple[LeadStatus, ...]

    @property
    def responded(self) -> int:
        return sum(1 for lead in self.leads if not lead.outstanding)

    def as_json(self, tz: Any) -> dict[str, Any]:
        """Exactly the fields ``board status --json`` promises."""

        def when(value: dt.datetime | None) -> str | None:
            return value.astimezone(tz).isoformat() if value else None

        return {
            "meeting": self.meeting.isoformat(),
            "cutoff": self.cutoff.isoformat(),
            "called_at": when(self.called_at),
            "chased_at": when(self.chased_at),
            "published_version": self.published_version,
            "leads": [
                {
                    "name": lead.name,
                    "slack_user": lead.slack_user,
                    "asked": lead.asked,
                    "updated": lead.updated,
                    "outstanding": list(lead.outstanding),
                }
                for lead in self.leads
            ],
        }


def meeting_status(
    session: Session, meeting: Meeting, now: dt.datetime, *, config: PlannerConfig
) -> MeetingStatus:
    rnd = build_round(session, meeting, now, config=config)
    tz = zone(config.default_tz)
    leads = tuple(
        LeadStatus(
            name=lead.person.display_name,
            slack_user=lead.person.slack_user_id,
            asked=len(lead.asked),
            updated=len(lead.updated),
            outstanding=tuple(a.ref for a in lead.outstanding),
            note=_lead_note(rnd, lead, now, config),
        )
        for lead in rnd.leads
    )
    return MeetingStatus(
        plan=rnd.plan.name,
        plan_title=rnd.plan.title or rnd.plan.name,
        label=rnd.label,
        meeting=meeting.date,
        cutoff=meeting.cutoff,
        call_day=rnd.schedule.call_day,
        chase_day=rnd.schedule.chase_day,
        state=_state(rnd, now, tz),
        called_at=rnd.called_at,
        chased_at=rnd.chased_at,
        published_version=rnd.published_version,
        published_at=meeting.published_at,
        cancelled=meeting.status != "scheduled",
        leads=leads,
    )


def _lead_note(rnd: MeetingRound, lead: LeadRound, now: dt.datetime, config: PlannerConfig) -> str | None:
    if lead.sent.call_failed:
        return lead.sent.call_failed
    if lead.sent.call is not None:
        return None
    if resolve_recipient(lead.person, now, rnd.policy, config.default_tz, email=config.email) is None:
        where = "" if config.email else " in Slack"
        return f"not reachable{where}: " + unreachable_reason(lead.person, rnd.policy, now, config)
    return None


def _state(rnd: MeetingRound, now: dt.datetime, tz: Any) -> str:
    m, s, today = rnd.meeting, rnd.schedule, local_today(now, tz)
    if m.status != "scheduled":
        return "cancelled"
    if m.published_at is not None:
        return f"board pack published ({rnd.published_version or 'version removed'})"
    if today > m.date:
        return "held; no board pack was published" if rnd.policy.board_publish else "held"
    if now > s.cutoff_end:
        return (
            "cut-off passed; the board pack is published on the next pass"
            if rnd.policy.board_publish
            else ("cut-off passed (board_publish is off: no pack is published)")
        )
    if today < s.call_day:
        return f"the call for updates goes out on {s.call_day:%a} {s.call_day.day} {s.call_day:%b}"
    return "collecting updates"


def default_meeting(session: Session, plan: Plan, today: dt.date) -> Meeting | None:
    """The next scheduled meeting (today's included), else the last one held."""
    upcoming = session.scalars(
        select(Meeting)
        .where(Meeting.plan_id == plan.id, Meeting.status == "scheduled", Meeting.date >= today)
        .order_by(Meeting.date, Meeting.id)
        .limit(1)
    ).first()
    if upcoming is not None:
        return upcoming
    return session.scalars(
        select(Meeting)
        .where(Meeting.plan_id == plan.id, Meeting.status == "scheduled")
        .order_by(Meeting.date.desc(), Meeting.id.desc())
        .limit(1)
    ).first()


def round_marks(
    session: Session, meeting_ids: list[int]
) -> dict[int, tuple[dt.datetime | None, dt.datetime | None]]:
    """meeting id -> (first call sent, first chase sent), for listing many meetings in one query."""
    out: dict[int, tuple[dt.datetime | None, dt.datetime | None]] = {}
    if not meeting_ids:
        return out
    rows = session.execute(
        select(ReminderEntry.step, ReminderEntry.kind, func.min(ReminderEntry.sent_at))
        .where(
            ReminderEntry.step.in_(meeting_ids),
            ReminderEntry.kind.in_((BOARD_CALL, BOARD_CHASE)),
            ReminderEntry.status == "sent",
        )
        .group_by(ReminderEntry.step, ReminderEntry.kind)
    )
    for step, kind, at in rows:
        called, chased = out.get(step, (None, None))
        at = _aware(at) if at is not None else None
        out[step] = (at, chased) if kind == BOARD_CALL else (called, at)
    return out
