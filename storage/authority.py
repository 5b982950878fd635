"""Who is acting on the plan, and whether their role lets them.

- An ``Actor`` is a Slack user (their user id, the lead they are linked to, their roles) or the
  operator at the command line. The operator (a CLI command without ``--by``) already holds the
  database, so acts as an admin; the audit trail records them as "cli".
- Changing the plan (set, add, close, reopen) needs the admin role.
- Governing an action (agreeing or declining a revised date, challenging an update, signing off a
  completion) needs the admin or board role, and not being one of the action's leads, delegates or
  their named deputies: nobody agrees their own date or signs off their own work, whatever roles
  they also hold.

Every refusal is a ``Forbidden`` whose message is the polite sentence the person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import Forbidden, NotFound
from storage.models import Action, ActionLead, Person, Role
from storage.people import person_for_slack_user, validate_slack_user_id

CLI_LABEL = "cli"


@dataclass(frozen=True)
class Actor:
    uid: str | None
    person: Person | None
    admin: bool
    board: bool
    source: str  # cli | slack

    @property
    def label(self) -> str:
        """The name the audit trail shows."""
        if self.person is not None:
            return self.person.display_name
        return self.uid or CLI_LABEL

    @property
    def governs(self) -> bool:
        return self.admin or self.board

    def stamp(self) -> dict[str, Any]:
        """The ``_ByWhom`` columns of an event row (``at`` is the caller's)."""
        return {
            "by_uid": self.uid,
            "by_person_id": self.person.id if self.person is not None else None,
            "by_text": self.label[:300],
            "source": self.source,
        }


def roles_of(session: Session, uid: str) -> set[str]:
    return set(session.scalars(select(Role.role).where(Role.slack_user_id == uid)))


def slack_actor(session: Session, uid: str) -> Actor:
    roles = roles_of(session, uid)
    return Actor(
        uid=uid,
        person=person_for_slack_user(session, uid),
        admin="admin" in roles,
        board="board" in roles,
        source="slack",
    )


def cli_actor(session: Session, by: str | None) -> Actor:
    """``--by UID`` acts as that Slack user, with their roles; without it, the operator (an admin)."""
    if by is None or not by.strip():
        return Actor(uid=None, person=None, admin=True, board=False, source="cli")
    uid = validate_slack_user_id(by)
    roles = roles_of(session, uid)
    person = person_for_slack_user(session, uid)
    if not roles and person is None:
        raise NotFound(f"{uid} has no role and is not linked to a lead (progressbot roles list)")
    return Actor(uid=uid, person=person, admin="admin" in roles, board="board" in roles, source="cli")


def require_admin(actor: Actor, what: str) -> None:
    if not actor.admin:
        raise Forbidden(f"Only admins can {what}.")


def _leads(session: Session, action: Action) -> list[Person]:
    return list(
        session.scalars(
            select(Person)
            .join(ActionLead, ActionLead.person_id == Person.id)
            .where(ActionLead.action_id == action.id)
        )
    )


def involved(session: Session, actor: Actor, action: Action) -> bool:
    """The actor leads the action, is a delegate on it, or is a lead's named deputy."""
    if actor.person is None:
        return False
    return any(p.id == actor.person.id or p.deputy_id == actor.person.id for p in _leads(session, action))


def require_governor(session: Session, actor: Actor, action: Action, what: str) -> None:
    """Admin or board, and not involved in the action (Forbidden with the reason otherwise)."""
    if not actor.governs:
        raise Forbidden(f"Only board members and admins can {what}.")
    if involved(session, actor, action):
        raise Forbidden(
            f"You lead {action.ref} (or cover for its lead), so you can't {what} yourself: "
            "another board member or admin has to."
        )
