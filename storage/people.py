"""People who lead actions: names, glossary aliases, Slack links, roles, absences.

A lead in a plan may be a named officer ("Jane Smith"), a role title ("Service Manager Fieldwork") or
an abbreviation from the plan's glossary ("DM (CIN)"). Every name a person goes by is kept as a
``LeadAlias`` under a normalised key, so "DM (CIN)", "DM CIN" and "dmcin" find the same person.
A key shared by several people is ambiguous: it is reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from storage.aliases import alias_key
from storage.errors import InvalidInput, NotFound
from storage.models import Action, ActionLead, LeadAlias, Person, Plan, Role

log = logging.getLogger(__name__)

ROLES = ("admin", "board")
_SLACK_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class LeadResolution:
    person: Person | None
    candidates: list[Person] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.person is None and len(self.candidates) > 1


def _names(person: Person) -> list[str]:
    return [n for n in (person.display_name, person.name, person.role_title) if n]


def _all_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).options(selectinload(Person.aliases)).order_by(Person.id)))


def _matches(session: Session, key: str) -> list[Person]:
    """Every person who goes by ``key``: through an alias, or their name, role title or display name.

    Aliases are looked up by their indexed key; names are compared in Python (plans name tens of
    leads, not thousands), which also finds people whose names were set without an alias.
    """
    if not key:
        return []
    ids = set(session.scalars(select(LeadAlias.person_id).where(LeadAlias.key == key)))
    for person_id, *names in session.execute(
        select(Person.id, Person.display_name, Person.name, Person.role_title)
    ):
        if any(alias_key(n) == key for n in names if n):
            ids.add(person_id)
    if not ids:
        return []
    return list(session.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.id)))


def resolve_lead(session: Session, text: str) -> LeadResolution:
    """The person a lead cell names; ``person`` is None when nobody or several people match."""
    session.flush()
    candidates = _matches(session, alias_key(text))
    if len(candidates) == 1:
        return LeadResolution(person=candidates[0], candidates=candidates)
    return LeadResolution(person=None, candidates=candidates)


def get_or_create_person(
    session: Session, display_name: str, *, name: str | None = None, role_title: str | None = None
) -> Person:
    """The person with this display name (compared by key), created on first sight.

    Details missing on an existing person are filled in; different ones are left alone. Every name
    given becomes an alias, so later lookups by role title or name find the person.
    """
    display_name = " ".join((display_name or "").split())
    key = alias_key(display_name)
    if not key:
        raise InvalidInput("a person needs a name", field="name")
    session.flush()
    person_id = next(
        (
            pid
            for pid, shown in session.execute(select(Person.id, Person.display_name))
            if alias_key(shown) == key
        ),
        None,
    )
    person = session.get(Person, person_id) if person_id is not None else None
    if person is None:
        person = Person(display_name=display_name, name=name or None, role_title=role_title or None)
        session.add(person)
        session.flush()
        log.debug("created person %s", display_name)
    else:
        _fill_in(person, name, role_title)
    for text in (display_name, name, role_title):
        if text:
            add_alias(session, person, text)
    return person


def _fill_in(person: Person, name: str | None, role_title: str | None) -> None:
    """Details missing on an existing person are filled in; different ones are left alone."""
    if name and not person.name:
        person.name = name
    if role_title and not person.role_title:
        person.role_title = role_title


def add_alias(session: Session, person: Person, text: str) -> LeadAlias:
    """Record that ``text`` names ``person`` (idempotent). The same key may also name others."""
    key = alias_key(text)
    if not key:
        raise InvalidInput(f"an alias needs letters or digits, got {text!r}", field="alias")
    if person.id is None:
        session.flush()
    for alias in person.aliases:
        if alias.key == key:
            return alias
    alias = LeadAlias(key=key, text=" ".join(text.split())[:300], person=person)
    session.add(alias)
    session.flush()
    return alias


def person_for_slack_user(session: Session, slack_user_id: str | None) -> Person | None:
    if not slack_user_id:
        return None
    return session.scalar(select(Person).where(Person.slack_user_id == slack_user_id))


def person_for_email(session: Session, email: str | None) -> Person | None:
    if not email:
        return None
    return session.scalar(select(Person).where(Person.email == email.strip().lower()))


def people_matching(session: Session, text: str, *, limit: int = 100) -> list[Person]:
    """People whose display name, name, role title or an alias contains ``text`` (any case), by display
    name: what a lead picker offers as someone types."""
    query = select(Person).order_by(Person.display_name, Person.id).limit(limit)
    needle = (text or "").strip()
    if needle:
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        fields = (Person.display_name, Person.name, Person.role_title)
        by_alias = select(LeadAlias.person_id).where(LeadAlias.text.ilike(like, escape="\\"))
        query = query.where(or_(*(f.ilike(like, escape="\\") for f in fields), Person.id.in_(by_alias)))
    return list(session.scalars(query))


def _suggestions(session: Session, text: str, limit: int = 3) -> list[str]:
    names: dict[str, str] = {}
    for person in _all_people(session):
        for n in [*_names(person), *(a.text for a in person.aliases)]:
            names.setdefault(n.casefold(), n)
    close = difflib.get_close_matches(text.casefold(), list(names), n=limit, cutoff=0.5)
    return [names[c] for c in close]


def _describe(person: Person) -> str:
    extra = [x for x in (person.role_title, person.name) if x and x != person.display_name]
    return person.display_name + (f" ({', '.join(extra)})" if extra else "")


def find_person(session: Session, name_or_alias: str) -> Person:
    """Exactly one person, or NotFound (with suggestions) / InvalidInput (listing the candidates)."""
    resolution = resolve_lead(session, name_or_alias)
    if resolution.person is not None:
        return resolution.person
    if resolution.candidates:
        listed = "; ".join(_describe(p) for p in resolution.candidates)
        raise InvalidInput(
            f"{name_or_alias!r} could mean {len(resolution.candidates)} people: {listed}; use a full name",
            field="lead",
        )
    hint = _suggestions(session, name_or_alias)
    message = f"no lead called {name_or_alias!r}"
    if hint:
        message += "; did you mean " + " or ".join(repr(h) for h in hint) + "?"
    raise NotFound(message)


def validate_slack_user_id(uid: str) -> str:
    uid = (uid or "").strip()
    if not _SLACK_USER_RE.match(uid):
        raise InvalidInput(
            f"{uid!r} is not a Slack user id (they look like U012AB3CD)", field="slack_user_id"
        )
    return uid


def link_person(
    session: Session, name_or_alias: str, *, slack_user_id: str | None = None, email: str | None = None
) -> Person:
    """Attach a Slack user id and/or an email address to the lead ``name_or_alias`` names."""
    if not slack_user_id and not email:
        raise InvalidInput("give a Slack user id or an email address to link", field="slack_user_id")
    person = find_person(session, name_or_alias)
    if slack_user_id:
        slack_user_id = validate_slack_user_id(slack_user_id)
        other = person_for_slack_user(session, slack_user_id)
        if other is not None and other.id != person.id:
            raise InvalidInput(
                f"Slack user {slack_user_id} is already linked to {other.display_name}", field="slack_user_id"
            )
        person.slack_user_id = slack_user_id
    if email:
        email = email.strip().lower()
        if not _EMAIL_RE.match(email):
            raise InvalidInput(f"{email!r} is not an email address", field="email")
        other = person_for_email(session, email)
        if other is not None and other.id != person.id:
            raise InvalidInput(f"{email} is already linked to {other.display_name}", field="email")
        person.email = email
        # An admin giving the address again (or a new one) is the signal to try it again.
        person.email_undeliverable_at, person.email_error = None, None
    session.flush()
    return person


@dataclass
class PersonSummary:
    """One line of ``progressbot leads list``."""

    person: Person
    aliases: list[str]
    actions: list[tuple[str, str, str]]  # (plan name, action ref, lead | delegate)

    def to_dict(self) -> dict[str, object]:
        p = self.person
        return {
            "id": p.id,
            "display_name": p.display_name,
            "name": p.name,
            "role_title": p.role_title,
            "aliases": self.aliases,
            "slack_user_id": p.slack_user_id,
            "email": p.email,
            "email_undeliverable": p.email_undeliverable_at.isoformat() if p.email_undeliverable_at else None,
            "email_error": p.email_error,
            "timezone": p.timezone,
            "away_until": p.away_until.isoformat() if p.away_until else None,
            "deputy": p.deputy.display_name if p.deputy else None,
            "actions": [{"plan": plan, "ref": ref, "kind": kind} for plan, ref, kind in self.actions],
        }


def people_with_actions(session: Session) -> list[PersonSummary]:
    """Every person with their aliases, Slack link and the actions they lead (two queries)."""
    people = list(
        session.scalars(
            select(Person)
            .options(selectinload(Person.aliases), selectinload(Person.deputy))
            .order_by(Person.display_name, Person.id)
        )
    )
    rows = session.execute(
        select(ActionLead.person_id, Plan.name, Action.ref, ActionLead.kind)
        .join(Action, ActionLead.action_id == Action.id)
        .join(Plan, Action.plan_id == Plan.id)
        .order_by(Plan.name, Action.position, Action.id)
    )
    by_person: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for person_id, plan_name, ref, kind in rows:
        by_person[person_id].append((plan_name, ref, kind))
    summaries = []
    for person in people:
        own = {alias_key(n) for n in _names(person)}
        aliases = sorted({a.text for a in person.aliases if a.key not in own}, key=str.casefold)
        summaries.append(PersonSummary(person=person, aliases=aliases, actions=by_person.get(person.id, [])))
    return summaries


# --- roles --------------------------------------------------------------------------------------


def _check_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: roles are {' and '.join(ROLES)}", field="role")
    return role


def grant_role(
    session: Session, slack_user_id: str, role: str, *, by: str | None = None, now: dt.datetime
) -> Role:
    """Give ``role`` to a Slack user (idempotent: granting twice keeps the first grant)."""
    role = _check_role(role)
    uid = validate_slack_user_id(slack_user_id)
    existing = session.scalar(select(Role).where(Role.slack_user_id == uid, Role.role == role))
    if existing is not None:
        return existing
    grant = Role(slack_user_id=uid, role=role, granted_at=now, granted_by=by)
    try:
        with session.begin_nested():
            session.add(grant)
    except IntegrityError:  # granted concurrently by someone else
        existing = session.scalar(select(Role).where(Role.slack_user_id == uid, Role.role == role))
        assert existing is not None
        return existing
    log.info("granted %s to %s (by %s)", role, uid, by or "unknown")
    return grant


def revoke_role(session: Session, slack_user_id: str, role: str) -> bool:
    """Take ``role`` away; False when the user did not have it."""
    role = _check_role(role)
    uid = validate_slack_user_id(slack_user_id)
    result = session.execute(delete(Role).where(Role.slack_user_id == uid, Role.role == role))
    if result.rowcount:
        log.info("revoked %s from %s", role, uid)
    return bool(result.rowcount)


def has_role(session: Session, slack_user_id: str | None, role: str) -> bool:
    role = _check_role(role)
    if not slack_user_id:
        return False
    return (
        session.scalar(select(Role.id).where(Role.slack_user_id == slack_user_id, Role.role == role))
        is not None
    )


def find_author(session: Session, who: str) -> Person | None:
    """Who an update is entered by: a linked Slack user, a user with a role (None: no Person row, the
    id is the author), or a lead's name. Anyone else is refused: an audit trail names real people."""
    who = who.strip()
    if _SLACK_USER_RE.match(who):
        person = person_for_slack_user(session, who)
        if person is not None or session.scalar(select(Role.id).where(Role.slack_user_id == who)):
            return person
        raise NotFound(
            f"{who} is not a Slack user progressbot knows: link them to a lead (progressbot leads link) "
            "or grant them a role (progressbot roles grant) first"
        )
    try:
        return find_person(session, who)
    except NotFound as exc:
        raise NotFound(
            f"{exc} (give a lead's name, see progressbot leads list, or a linked Slack user id)"
        ) from None


def name_slack_user(session: Session, slack_user_id: str, name: str) -> Person:
    """The person a Slack user is (linked to them if not yet), so the audit trail shows a name."""
    uid = validate_slack_user_id(slack_user_id)
    linked = person_for_slack_user(session, uid)
    if linked is not None:
        return linked
    found = resolve_lead(session, name)
    if found.ambiguous:
        raise InvalidInput(f"{name!r} could mean several people; use a full name", field="name")
    person = found.person or get_or_create_person(session, name)
    if person.slack_user_id and person.slack_user_id != uid:
        raise InvalidInput(f"{person.display_name} is already linked to {person.slack_user_id}", field="name")
    person.slack_user_id = uid
    session.flush()
    return person


def roles_with_people(session: Session) -> list[tuple[Role, Person | None]]:
    """Every role grant with the lead the user is linked to (if any): admins first, then board."""
    rows = session.execute(
        select(Role, Person)
        .outerjoin(Person, Person.slack_user_id == Role.slack_user_id)
        .order_by(Role.role, Role.slack_user_id)
    )
    return [(role, person) for role, person in rows]


def governors(session: Session) -> list[str]:
    """Slack user ids holding the admin or board role (each once)."""
    return list(
        dict.fromkeys(
            session.scalars(
                select(Role.slack_user_id).where(Role.role.in_(ROLES)).order_by(Role.slack_user_id)
            )
        )
    )


def users_with_role(session: Session, role: str) -> list[str]:
    role = _check_role(role)
    return list(
        session.scalars(select(Role.slack_user_id).where(Role.role == role).order_by(Role.slack_user_id))
    )


# --- absences and who may update ----------------------------------------------------------------


def set_away(session: Session, person: Person, until: dt.date | None, deputy: Person | None) -> Person:
    """Mark ``person`` away until a date (inclusive) with a deputy; ``until=None`` marks them back."""
    if deputy is not None and deputy.id == person.id:
        raise InvalidInput(f"{person.display_name} cannot deputise for themselves", field="deputy")
    person.away_until = until
    person.deputy = deputy
    person.deputy_id = deputy.id if deputy is not None else None
    session.flush()
    return person


def actions_for_person(session: Session, person: Person, *, include_delegated: bool = True) -> list[Action]:
    """Actions this person leads (and, by default, those delegated to them), in plan order."""
    query = (
        select(Action)
        .join(ActionLead, ActionLead.action_id == Action.id)
        .where(ActionLead.person_id == person.id)
        .order_by(Action.plan_id, Action.position, Action.id)
    )
    if not include_delegated:
        query = query.where(ActionLead.kind == "lead")
    return list(session.scalars(query).unique())


def can_update(
    session: Session, slack_user_id: str | None, action: Action, *, today: dt.date | None = None
) -> bool:
    """A lead or delegate of the action, an admin, or the deputy named by one of its leads.

    With ``today`` a deputy may update only while that lead is away (``away_until`` on or after
    today); without it, a named deputy always may.
    """
    if not slack_user_id:
        return False
    if has_role(session, slack_user_id, "admin"):
        return True
    person = person_for_slack_user(session, slack_user_id)
    if person is None:
        return False
    leads = list(
        session.scalars(
            select(Person)
            .join(ActionLead, ActionLead.person_id == Person.id)
            .where(ActionLead.action_id == action.id)
        )
    )
    if any(lead.id == person.id for lead in leads):
        return True
    return any(
        lead.deputy_id == person.id
        and (today is None or (lead.away_until is not None and lead.away_until >= today))
        for lead in leads
    )


# --- many look-ups at once (the importer) ---------------------------------------------------------


class PeopleIndex:
    """Every person and alias loaded once, so an import resolves hundreds of lead cells in memory.

    Resolves exactly as ``resolve_lead`` and creates exactly as ``get_or_create_person`` do. People and
    aliases it creates are added to the session only when ``write`` is true (a dry run keeps them
    transient, so nothing reaches the database); the caller flushes once at the end.
    """

    def __init__(self, session: Session, *, write: bool = True) -> None:
        self.session = session
        self.write = write
        self._by_key: dict[str, list[Person]] = defaultdict(list)
        self._by_display: dict[str, Person] = {}
        for person in _all_people(session):
            self._index(person, [*_names(person), *(a.text for a in person.aliases)])
            self._by_display.setdefault(alias_key(person.display_name), person)

    def _index(self, person: Person, texts: list[str]) -> None:
        for text in texts:
            key = alias_key(text)
            if key and all(p is not person for p in self._by_key[key]):
                self._by_key[key].append(person)

    def candidates(self, text: str) -> list[Person]:
        return list(self._by_key.get(alias_key(text), []))

    def resolve(self, text: str) -> LeadResolution:
        candidates = self.candidates(text)
        if len(candidates) == 1:
            return LeadResolution(person=candidates[0], candidates=candidates)
        return LeadResolution(person=None, candidates=candidates)

    def get_or_create(
        self, display_name: str, *, name: str | None = None, role_title: str | None = None
    ) -> Person:
        display_name = " ".join((display_name or "").split())
        key = alias_key(display_name)
        if not key:
            raise InvalidInput("a person needs a name", field="name")
        person = self._by_display.get(key)
        if person is None:
            person = Person(display_name=display_name[:300], name=name or None, role_title=role_title or None)
            if self.write:
                self.session.add(person)
            self._by_display[key] = person
        elif self.write:
            _fill_in(person, name, role_title)
        for text in (display_name, name, role_title):
            if text:
                self.add_alias(person, text)
        return person

    def add_alias(self, person: Person, text: str) -> None:
        key = alias_key(text)
        if not key:
            raise InvalidInput(f"an alias needs letters or digits, got {text!r}", field="alias")
        self._index(person, [text])
        if any(alias.key == key for alias in person.aliases):
            return
        if self.write or inspect(person).transient:
            # Appending cascades the alias into the session with a person that is in it; a dry run only
            # remembers it here.
            person.aliases.append(LeadAlias(key=key, text=" ".join(text.split())[:300]))
