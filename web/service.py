"""The database side of the update form. Plain functions over a session; the caller owns the transaction.

The form shows a lead's open actions in one plan: the ones they lead or are a delegate for, and the
ones of leads who named them as deputy (recorded on that lead's behalf), exactly the actions the Slack
app lets them update (``bot.permissions.update_rights``). Updates are stored with
``storage.updates.record_update``, source ``email``, like every other update.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.permissions import Viewer, update_rights
from bot.queries import cards_for_actions, load_action
from mail.links import LinkClaims, address_tag
from slackviews.common import ActionCard
from storage.changes import OPEN
from storage.errors import InvalidInput
from storage.followups import FollowUps, record_lead_update
from storage.models import Action, ActionLead, Person, Plan, ReminderMessage, Update
from storage.plans import plan_title
from storage.proposals import check_proposed_due
from storage.rag import RagScheme, scheme_for_plan
from web.forms import CleanUpdate

SOURCE = "email"
NEW_LINK_GAP = dt.timedelta(minutes=10)  # at most one new link per 10 minutes...
NEW_LINKS_PER_DAY = 3  # ...and three a day, per lead


class LinkRevoked(Exception):
    """An authentic token whose lead or plan is gone, or whose address is no longer the one on record."""


@dataclass(frozen=True)
class FormView:
    person_id: int
    person_name: str
    plan_id: int
    plan_title: str
    scheme: RagScheme
    cards: list[ActionCard]
    covering: dict[int, str]  # action id -> the lead this person is covering for


def lead_and_plan(session: Session, claims: LinkClaims) -> tuple[Person, Plan]:
    person = session.get(Person, claims.person_id)
    plan = session.get(Plan, claims.plan_id)
    if person is None or plan is None or not person.email or address_tag(person.email) != claims.address_tag:
        raise LinkRevoked("this link is no longer valid")
    return person, plan


def _action_ids(session: Session, person: Person, plan_id: int) -> tuple[list[int], dict[int, str]]:
    covered = {
        p.id: p.display_name for p in session.scalars(select(Person).where(Person.deputy_id == person.id))
    }
    rows = session.execute(
        select(ActionLead.action_id, ActionLead.person_id)
        .join(Action, Action.id == ActionLead.action_id)
        .where(
            Action.plan_id == plan_id,
            Action.status == OPEN,  # withdrawn, merged and closed actions have no update to give
            or_(ActionLead.person_id == person.id, ActionLead.person_id.in_(covered)),
        )
        .order_by(Action.position, Action.id)
    )
    ids: list[int] = []
    own: set[int] = set()
    covering: dict[int, str] = {}
    for action_id, lead_id in rows:
        if action_id not in ids:
            ids.append(action_id)
        if lead_id == person.id:
            own.add(action_id)
        else:
            covering.setdefault(action_id, covered[lead_id])
    return ids, {aid: name for aid, name in covering.items() if aid not in own}


def load_form(session: Session, claims: LinkClaims, tz: dt.tzinfo) -> FormView:
    person, plan = lead_and_plan(session, claims)
    ids, covering = _action_ids(session, person, plan.id)
    cards = [c for c in cards_for_actions(session, ids, tz) if not c.complete]
    return FormView(
        person_id=person.id,
        person_name=person.display_name,
        plan_id=plan.id,
        plan_title=plan_title(plan),
        scheme=scheme_for_plan(plan),
        cards=cards,
        covering={aid: covering[aid] for aid in covering if any(c.id == aid for c in cards)},
    )


@dataclass(frozen=True)
class Saved:
    update_ids: list[int]
    created: int  # 0 when every update was already stored (a double submit)
    confirmation_id: int | None
    # (follow-ups, action id, update id) of each new update: date requests, answered challenges, a
    # completion to sign off, for the board to hear about in Slack after the commit.
    followups: list[tuple[FollowUps, int, int]] = field(default_factory=list)


def date_problems(session: Session, updates: list[CleanUpdate], today: dt.date) -> dict[tuple[int, str], str]:
    """The governance checks on each proposed date (not the due date already, action still open...),
    as form errors beside the date field, before anything is written."""
    problems: dict[tuple[int, str], str] = {}
    for item in updates:
        if item.proposed_due is None:
            continue
        try:
            check_proposed_due(
                load_action(session, item.action_id, with_updates=False), item.proposed_due, today
            )
        except InvalidInput as exc:
            problems[(item.action_id, "date")] = str(exc)[:1].upper() + str(exc)[1:]
    return problems


def _key(person: Person, item: CleanUpdate, now: dt.datetime, tz: dt.tzinfo) -> str:
    """The same update of the same action by the same lead on the same day is one update, whichever
    copy of the form sent it: a double click, a resend after "back", a second tab."""
    day = now.astimezone(tz).date().isoformat()
    return f"email-form:{person.id}:{item.action_id}:{day}:{item.fingerprint()}"


def save_form(
    session: Session, view: FormView, updates: list[CleanUpdate], *, now: dt.datetime, tz: dt.tzinfo
) -> Saved:
    """Store each update (once, see ``_key``) and queue the confirmation email, in the caller's
    transaction: nothing is acknowledged, and nothing is emailed, unless all of it commits."""
    person = session.get(Person, view.person_id)
    assert person is not None
    who = Viewer(slack_user_id="", person=person, admin=False, board=False)
    offered = {c.id for c in view.cards}
    ids: list[int] = []
    created = 0
    followups: list[tuple[FollowUps, int, int]] = []
    for item in updates:
        if item.action_id not in offered:
            continue  # never reached through parse_form; kept as a guard
        action = load_action(session, item.action_id, with_updates=False)
        rights = update_rights(session, who, action)
        # The one way a person's update is recorded (as from Slack): a proposed date becomes a request for
        # the board, open challenges are answered, a first "complete" goes for sign-off.
        recorded = record_lead_update(
            session,
            action,
            today=now.astimezone(tz).date(),
            rag=item.rag,
            text=item.text,
            source=SOURCE,
            submitted_at=now,
            author=rights.author,
            on_behalf_of=rights.on_behalf_of,
            evidence_url=item.evidence_url,
            proposed_due=item.proposed_due,
            idempotency_key=_key(person, item, now, tz),
        )
        ids.append(recorded.update.id)
        created += int(recorded.result.created)
        if recorded.result.created:
            followups.append((recorded.followups, action.id, recorded.update.id))
    confirmation = None
    if created:
        confirmation = queue_email(
            session, person, "confirmation", {"plan_id": view.plan_id, "update_ids": ids}, now
        ).id
    return Saved(update_ids=ids, created=created, confirmation_id=confirmation, followups=followups)


def saved_updates(session: Session, update_ids: list[int]) -> list[Update]:
    return list(session.scalars(select(Update).where(Update.id.in_(update_ids)).order_by(Update.id)))


def queue_email(
    session: Session, person: Person, kind: str, payload: dict, now: dt.datetime
) -> ReminderMessage:
    """A pending email to ``person``'s address on record; sent after the commit (``mail.outbox``)."""
    message = ReminderMessage(
        person_id=person.id,
        slack_user_id="",
        via="email",
        kind=kind,
        status="pending",
        attempts=0,
        created_at=now,
        payload=payload,
    )
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True)
class NewLink:
    queued: bool
    message_id: int | None
    masked_address: str
    last_sent: dt.datetime | None = None


def mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def ask_new_link(session: Session, claims: LinkClaims, now: dt.datetime) -> NewLink:
    """Queue a fresh link to the address on record, at most once per 10 minutes and 3 times a day."""
    person, plan = lead_and_plan(session, claims)
    assert person.email
    # Lock the lead's row (PostgreSQL) so two clicks at once cannot both pass the limit.
    session.scalar(select(Person.id).where(Person.id == person.id).with_for_update())
    recent = session.execute(
        select(func.count(), func.max(ReminderMessage.created_at)).where(
            ReminderMessage.person_id == person.id,
            ReminderMessage.via == "email",
            ReminderMessage.kind == "new_link",
            ReminderMessage.created_at > now - dt.timedelta(days=1),
        )
    ).one()
    count, last = recent
    if count >= NEW_LINKS_PER_DAY or (last is not None and last > now - NEW_LINK_GAP):
        return NewLink(queued=False, message_id=None, masked_address=mask(person.email), last_sent=last)
    message = queue_email(session, person, "new_link", {"plan_id": plan.id}, now)
    return NewLink(queued=True, message_id=message.id, masked_address=mask(person.email))
