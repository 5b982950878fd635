"""A small live plan for the governance tests: leads, board members and an admin, in one session.

Jo (U0JO) leads 1.1 and 1.2 and is also a board member (so we can check a lead never governs their
own action, whatever roles they hold); Sam (U0SAM) leads 2.1; Pat (U0PAT) and Kim (U0KIM) are board
members; Ada (U0ADA) is an admin. The plan uses BRAG (Blue = complete).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage.models import Action, Person, Plan, Role
from tests.support.report_factories import add_action, add_section, make_plan

JO, SAM, PAT, KIM, ADA = "U0JO", "U0SAM", "U0PAT", "U0KIM", "U0ADA"
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


@dataclass
class World:
    plan: Plan
    actions: dict[str, Action]
    people: dict[str, Person]


def governed_plan(session: Session, name: str = "ilacs") -> World:
    plan = make_plan(session, name)
    plan.reference_date = dt.date(2026, 1, 1)
    timeliness = add_section(session, plan, "Improve timeliness", ref="1")
    practice = add_section(session, plan, "Practice", ref="2")
    a = add_action(
        session,
        plan,
        "1.1",
        "Quality framework",
        section=timeliness,
        due=dt.date(2026, 12, 1),
        leads=("Jo Bloggs",),
    )
    b = add_action(
        session,
        plan,
        "1.2",
        "Practice forum",
        section=timeliness,
        due=dt.date(2026, 11, 1),
        leads=("Jo Bloggs",),
    )
    c = add_action(
        session,
        plan,
        "2.1",
        "Supervision standards",
        section=practice,
        due=dt.date(2027, 3, 31),
        leads=("Sam Smith",),
    )
    people = {}
    for key, display, uid in (
        ("jo", "Jo Bloggs", JO),
        ("sam", "Sam Smith", SAM),
        ("pat", "Pat Chair", PAT),
        ("kim", "Kim Member", KIM),
        ("ada", "Ada Admin", ADA),
    ):
        person = session.query(Person).filter_by(display_name=display).first() or Person(display_name=display)
        person.slack_user_id = uid
        session.add(person)
        people[key] = person
    session.add_all(
        [
            Role(slack_user_id=PAT, role="board"),
            Role(slack_user_id=KIM, role="board"),
            Role(slack_user_id=JO, role="board"),
            Role(slack_user_id=ADA, role="admin"),
        ]
    )
    session.flush()
    for action in (a, b, c):
        session.refresh(action)
    return World(plan, {"1.1": a, "1.2": b, "2.1": c}, people)
