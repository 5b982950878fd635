"""Who may do what, from the Slack user id.

- A lead or delegate of an action may update it; so may a lead's named deputy (set by
  ``/progress away``; the scheduler sends them that lead's reminders), recorded on the lead's behalf.
  This is the rule of ``storage.people.can_update``; here we also say on whose behalf.
- An admin may update any action; the update is recorded by the admin on behalf of the first lead.
- Board members and admins read everything (summaries, any action, reports); leads read their own
  actions. Anyone else is an outsider: a polite refusal, no plan content, nothing stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session, aliased

from storage.errors import Forbidden
from storage.models import Action, ActionLead, Person, Role
from storage.people import person_for_slack_user

ADMIN = "admin"
BOARD = "board"

NOT_YOURS = (
    "You can only update the actions you lead (or are a delegate for). "
    "Try `/progress mine` to see yours, or ask an admin."
)
BOARD_ONLY = "Only board members and admins can see that. Try `/progress mine` for your own actions."
ADMIN_ONLY = "Only admins can do that."


@dataclass(frozen=True)
class Viewer:
    slack_user_id: str
    person: Person | None
    admin: bool
    board: bool

    @property
    def reader(self) -> bool:
        """May read the whole plan."""
        return self.admin or self.board

    @property
    def display(self) -> str:
        return self.person.display_name if self.person else self.slack_user_id


@dataclass(frozen=True)
class UpdateRights:
    author: Person | None
    on_behalf_of: Person | None


def viewer(session: Session, slack_user_id: str) -> Viewer:
    roles = set(session.scalars(select(Role.role).where(Role.slack_user_id == slack_user_id)))
    return Viewer(
        slack_user_id=slack_user_id,
        person=person_for_slack_user(session, slack_user_id),
        admin=ADMIN in roles,
        board=BOARD in roles,
    )


def is_known(session: Session, who: Viewer) -> bool:
    """Lead of at least one action, board or admin: everyone else is an outsider."""
    if who.reader:
        return True
    if who.person is None:
        return False
    return bool(session.scalar(_LEADS_SOMETHING, {"person_id": who.person.id}))


def _leads_something(person_id):
    """Leads (or is a delegate for) an action, or is a lead's named deputy: not an outsider."""
    deputy_of = aliased(Person)
    return or_(
        exists().where(ActionLead.person_id == person_id), exists().where(deputy_of.deputy_id == person_id)
    )


@dataclass(frozen=True)
class Standing:
    """What the Home tab needs to know about a Slack user who is a person (``standing``)."""

    person_id: int
    display_name: str
    reader: bool
    known: bool  # as ``is_known`` says


def standing(session: Session, slack_user_id: str) -> Standing | None:
    """``viewer`` and ``is_known`` in one statement and no ORM objects, for a user linked to a person
    (None otherwise): every lead's Home tab is rendered again after each of their updates. On the
    session's connection, as ``bot.queries.lead_cards``: no autoflush."""
    row = session.connection().execute(_STANDING, {"uid": slack_user_id}).first()
    if row is None:
        return None
    person_id, name, reader, leads = row
    return Standing(person_id=person_id, display_name=name, reader=bool(reader), known=bool(reader or leads))


# Built once (an alias and its statement cost more CPU to build than to run).
_LEADS_SOMETHING = select(_leads_something(bindparam("person_id")))
_STANDING = select(
    Person.id,
    Person.display_name,
    exists().where(Role.slack_user_id == bindparam("uid"), Role.role.in_((ADMIN, BOARD))),
    _leads_something(Person.id),
).where(Person.slack_user_id == bindparam("uid"))


def _covered_leads(session: Session, person: Person) -> list[Person]:
    """Leads who named this person as their deputy."""
    return list(session.scalars(select(Person).where(Person.deputy_id == person.id)))


def update_rights(session: Session, who: Viewer, action: Action) -> UpdateRights:
    """Raise Forbidden unless ``who`` may update ``action``; say whose behalf it is recorded on."""
    leads = [al for al in action.leads]
    if who.person is not None:
        if any(al.person_id == who.person.id for al in leads):
            return UpdateRights(author=who.person, on_behalf_of=None)
        covered = {p.id: p for p in _covered_leads(session, who.person)}
        for al in leads:
            if al.person_id in covered:
                return UpdateRights(author=who.person, on_behalf_of=covered[al.person_id])
    if who.admin:
        first = next((al.person for al in leads if al.kind == "lead"), leads[0].person if leads else None)
        on_behalf = first if first is not None and (who.person is None or first.id != who.person.id) else None
        return UpdateRights(author=who.person, on_behalf_of=on_behalf)
    raise Forbidden(NOT_YOURS)


def may_read_action(session: Session, who: Viewer, action: Action) -> bool:
    if who.reader:
        return True
    if who.person is None:
        return False
    return any(al.person_id == who.person.id for al in action.leads)


def require_reader(who: Viewer) -> None:
    if not who.reader:
        raise Forbidden(BOARD_ONLY)


def require_admin(who: Viewer) -> None:
    if not who.admin:
        raise Forbidden(ADMIN_ONLY)
