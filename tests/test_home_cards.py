"""The lean Home path (``standing``, ``lead_cards``) shows exactly what the ORM path showed.

The reference is the previous implementation, written out here: ``viewer`` and ``is_known``, then the
lead's open actions as ORM objects through ``card`` with ``current_states``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from slack_sdk import WebClient
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from bot.features.home_tab import home
from bot.permissions import is_known, viewer
from bot.queries import card, cards_for_person, lead_cards
from bot.services import Services
from progressbot.config import Settings
from slackviews import home as home_views
from storage.models import Action, ActionLead, DateProposal, Person, Plan, Role
from storage.updates import CurrentState, current_states
from tests.support.report_factories import FIVE_STATE, add_action, add_update, make_plan, person, sign_off

UTC = dt.UTC
JO, KIM, DEE, OUT, PAT, NOBODY = "U0JO", "U0KIM", "U0DEE", "U0OUT", "U0PAT", "U0NOBODY"
T0 = dt.datetime(2026, 10, 1, 9, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=UTC)
pytestmark = pytest.mark.storage  # the lean SQL runs on PostgreSQL too


def _seed(session) -> None:
    brag = make_plan(session, "brag")
    five = make_plan(session, "five", scheme=FIVE_STATE)
    bare = make_plan(session, "bare", scheme=None)  # no states: the default scheme
    # Jo leads most; Kim is a delegate on one; Sam leads with Jo; Dee is Jo's deputy; Out leads nothing.
    a1 = add_action(session, brag, "1.1", due=dt.date(2026, 12, 1), leads=("Jo Bloggs",))
    add_update(session, a1, "Red", "Started late", at=T0, author="Jo Bloggs")
    add_update(session, a1, None, "Text only: keeps Red", at=T0 + dt.timedelta(days=1), author="Jo Bloggs")
    add_update(session, a1, "Amber", "", at=T0 + dt.timedelta(days=2), author="Jo Bloggs")  # RAG only
    a2 = add_action(
        session, brag, "1.2", due=dt.date(2026, 11, 1), leads=("Sam Smith", "Jo Bloggs", "Kim Lee")
    )
    a2.schedule = "done"  # overdue by date, done by schedule: complete, no updates
    a3 = add_action(session, brag, "1.3", leads=("Jo Bloggs",))
    done = add_update(session, a3, "Blue", "Finished", at=T0, author="Jo Bloggs", evidence="https://e/1")
    sign_off(session, done, by="Pat Chair", at=T0 + dt.timedelta(days=1))
    withdrawn = add_action(session, brag, "1.4", leads=("Jo Bloggs",))
    withdrawn.status = "withdrawn"
    merged = add_action(session, brag, "1.5", leads=("Jo Bloggs",))
    merged.status, merged.merged_into_id = "merged", a1.id
    a6 = add_action(session, brag, "1.6", due=dt.date(2026, 1, 1), timescale="Q1 2026", leads=("Jo Bloggs",))
    add_update(
        session, a6, "Purple", "A label the scheme does not know", at=T0, author=None
    )  # author text ""
    b1 = add_action(session, five, "A", leads=("Jo Bloggs",))
    add_update(session, b1, None, "Only text so far", at=T0, author="Kim Lee")
    add_update(session, b1, None, "More text, same time", at=T0, author="Kim Lee")  # a tie: the id decides
    b2 = add_action(session, five, "B", leads=("Kim Lee", "Jo Bloggs"))
    add_update(session, b2, "Completed", "Done and dusted", at=T0, on_behalf_of="Kim Lee", author="Ada Admin")
    c1 = add_action(session, bare, "9", leads=("Jo Bloggs",))
    asked = add_update(session, c1, "Green", "Asking for more time", at=T0, source="email")
    asked.author_text = "jo@example.org (email)"
    session.add(
        DateProposal(
            action_id=c1.id,
            update_id=asked.id,
            proposed_due=dt.date(2027, 6, 1),
            reason="More time",
            by_text="Jo Bloggs",
            source="slack",
            at=T0,
        )
    )
    jo = person(session, "Jo Bloggs")
    session.execute(  # Jo is a delegate on B
        ActionLead.__table__.update()
        .where(ActionLead.action_id == b2.id, ActionLead.person_id == jo.id)
        .values(kind="delegate")
    )
    pat = add_action(session, five, "C", leads=("Pat Chair",))
    add_update(session, pat, "On track", "Board member's own action", at=T0, author="Pat Chair")
    for name, uid in (
        ("Jo Bloggs", JO),
        ("Kim Lee", KIM),
        ("Dee Deputy", DEE),
        ("Out Sider", OUT),
        ("Pat Chair", PAT),
    ):
        person(session, name).slack_user_id = uid
    person(session, "Jo Bloggs").deputy_id = person(session, "Dee Deputy").id
    session.add(Role(slack_user_id=PAT, role="board"))
    session.flush()


def _orm_cards(session, who: Person, tz) -> list:
    """The previous ``cards_for_person``: ORM objects, ``card`` with ``current_states``."""
    actions = list(
        session.scalars(
            select(Action)
            .join(ActionLead, ActionLead.action_id == Action.id)
            .where(ActionLead.person_id == who.id, Action.status == "open")
            .options(
                selectinload(Action.leads).selectinload(ActionLead.person),
                selectinload(Action.plan).selectinload(Plan.rag_states),
            )
            .order_by(Action.plan_id, Action.position)
        ).unique()
    )
    states = current_states(session, [a.id for a in actions])
    return [card(a, tz, current=states.get(a.id, CurrentState(None, None))) for a in actions]


def _orm_home(services: Services, uid: str) -> dict:
    """The previous Home tab of anyone who is not a reader."""
    with services.read_factory.begin() as session:
        who = viewer(session, uid)
        assert not who.reader
        if not is_known(session, who):
            return home_views.outsider_home()
        cards = _orm_cards(session, who.person, services.settings.tz) if who.person else []
        name = who.person.display_name if who.person else ""
    return home_views.home_view(name=name, cards=cards, today=services.today(), board=None)


@pytest.fixture
def services(session, session_factory):
    _seed(session)
    session.commit()
    services = Services(
        settings=Settings(timezone="Europe/London"),
        session_factory=session_factory,
        client=WebClient(token="xoxb-test"),
        clock=lambda: NOW,
    )
    yield services
    services.executor.shutdown(wait=False)


def test_lead_cards_equal_the_orm_cards(services):
    settings = services.settings
    with services.read_factory.begin() as session:
        people = list(session.scalars(select(Person).order_by(Person.id)))
        assert len(people) >= 7
        shown = 0
        for who in people:
            expected = _orm_cards(session, who, settings.tz)
            assert lead_cards(session, who.id, settings.tz) == expected, who.display_name
            assert cards_for_person(session, who, settings.tz) == expected
            shown += len(expected)
    jo = {c.ref: c for c in expected_for(services, JO)}
    # The fixture covers what a card shows: all of these differ from the plain case.
    assert set(jo) == {"1.1", "1.2", "1.3", "1.6", "A", "B", "9"}  # not withdrawn 1.4, merged 1.5
    assert (jo["1.1"].rag, jo["1.1"].last.text) == ("Amber", "Text only: keeps Red")
    assert (
        jo["1.2"].complete
        and jo["1.2"].last is None
        and jo["1.2"].leads == ("Sam Smith", "Jo Bloggs", "Kim Lee")
    )
    assert jo["1.3"].complete and jo["B"].complete and jo["B"].last.author == "Ada Admin"
    assert (jo["1.6"].rag, jo["1.6"].rag_colour, jo["1.6"].last.author) == ("Purple", None, "")
    assert (jo["A"].rag, jo["A"].last.text) == (None, "More text, same time")
    assert jo["9"].rag_colour and jo["9"].last.author == "jo@example.org (email)"
    assert shown > len(jo)


def expected_for(services: Services, uid: str) -> list:
    with services.read_factory.begin() as session:
        who = session.scalar(select(Person).where(Person.slack_user_id == uid))
        return _orm_cards(session, who, services.settings.tz)


@pytest.mark.parametrize("uid", [JO, KIM, DEE, OUT, NOBODY])
def test_a_leads_home_view_is_byte_identical(services, uid):
    assert json.dumps(home(services, uid), sort_keys=False) == json.dumps(
        _orm_home(services, uid), sort_keys=False
    )


def test_outsiders_and_deputies_as_before(services):
    assert home(services, OUT) == home_views.outsider_home()
    assert home(services, NOBODY) == home_views.outsider_home()
    deputy = json.dumps(home(services, DEE))
    assert "Signed in as Dee Deputy" in deputy and "don't lead any actions" in deputy


def test_a_board_members_home_still_has_the_panel(services):
    view = json.dumps(home(services, PAT))
    assert "Get report" in view and "Board member" in view


def test_a_leads_home_costs_four_queries_whatever_the_number_of_actions(services, session, engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        home(services, JO)
        few = len(statements)
        plan = session.scalar(select(Plan).where(Plan.name == "brag"))
        for n in range(20):
            action = add_action(session, plan, f"5.{n}", leads=("Jo Bloggs", "Kim Lee"))
            add_update(session, action, "Green", f"Note {n}", at=T0, author="Jo Bloggs")
        session.commit()
        statements.clear()
        home(services, JO)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # who (roles, person, known), the lead's action ids, the cards, the plans' RAG states
    assert few == len(statements) == 4


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def test_the_cards_query_reads_only_the_leads_actions_whatever_the_planner_knows(
    services, session, db_backend
):
    """PostgreSQL, before its statistics caught up with a fresh import, ran the latest-update lookups
    for every action in the database and then kept the lead's (47 ms a Home render at 600 actions).
    With the lead's ids passed in, no step of the plan runs more often than the lead's actions and
    their rows (one per lead) ask for, however many other actions there are."""
    if db_backend != "postgresql":
        pytest.skip("EXPLAIN ANALYZE's loop counts are PostgreSQL's")
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from bot.queries import _LEAD_ACTION_IDS, _LEAD_CARDS

    plan = session.scalar(select(Plan).where(Plan.name == "brag"))
    for n in range(60):
        action = add_action(session, plan, f"9.{n}", leads=("Someone Else",))
        add_update(session, action, "Green", f"Other {n}", at=T0, author="Someone Else")
    session.flush()
    jo = session.scalar(select(Person).where(Person.slack_user_id == JO))
    ids = session.execute(_LEAD_ACTION_IDS, {"person_id": jo.id}).scalars().all()
    sql = _LEAD_CARDS.params(action_ids=ids).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    explained = session.execute(
        text(f"EXPLAIN (ANALYZE, FORMAT JSON) {str(sql).replace('%%', '%')}")
    ).scalar()
    loops = {node["Node Type"]: node["Actual Loops"] for node in _plan_nodes(explained[0]["Plan"])}
    rows = session.execute(_LEAD_CARDS, {"action_ids": ids}).all()
    assert 0 < len(ids) < 10 and 0 < len(rows) < 15
    assert max(loops.values()) <= len(ids) + len(rows), loops
