"""People, the glossary, Slack links, roles and who may update an action."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from storage.errors import InvalidInput, NotFound
from storage.models import Action, ActionLead, LeadAlias, Person, Plan, Role
from storage.people import (
    actions_for_person,
    add_alias,
    alias_key,
    can_update,
    get_or_create_person,
    grant_role,
    has_role,
    link_person,
    people_with_actions,
    person_for_slack_user,
    resolve_lead,
    revoke_role,
    set_away,
    users_with_role,
)

pytestmark = pytest.mark.storage


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("DM (CIN)", "dmcin"),
        ("DM CIN", "dmcin"),
        ("DMCIN", "dmcin"),
        ("d.m-cin", "dmcin"),
        ("Assistant Director, Children's Social Care", "assistantdirectorchildrenssocialcare"),
        ("Assistant Director Children’s Social Care", "assistantdirectorchildrenssocialcare"),
        ("  ", ""),
    ],
)
def test_alias_key(text, key):
    assert alias_key(text) == key


def _plan_with_action(session, ref="1.1", leads=()):
    plan = Plan(name=f"plan-{ref}")
    action = Action(plan=plan, ref=ref, position=1, title="Develop a framework")
    session.add(plan)
    for i, (person, kind) in enumerate(leads):
        action.leads.append(ActionLead(person=person, position=i, kind=kind, lead_text=person.display_name))
    session.flush()
    return action


def test_get_or_create_person_is_idempotent_on_the_normalised_name(session):
    first = get_or_create_person(session, "Jane Smith", role_title="Assistant Director")
    again = get_or_create_person(session, "  jane   SMITH ")
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(Person)) == 1
    # Details fill in what was missing but never overwrite.
    get_or_create_person(session, "Jane Smith", name="Jane Smith", role_title="Someone Else")
    assert first.role_title == "Assistant Director"
    assert first.name == "Jane Smith"


def test_empty_name_is_refused(session):
    with pytest.raises(InvalidInput) as err:
        get_or_create_person(session, " ")
    assert err.value.field == "name"


def test_resolve_by_name_role_title_and_glossary_alias(session):
    jane = get_or_create_person(session, "Jane Smith", role_title="Service Manager Fieldwork")
    add_alias(session, jane, "DM (CIN)")
    for text in ("Jane Smith", "jane smith", "Service Manager Fieldwork", "DM CIN", "DMCIN", "dm (cin)"):
        resolution = resolve_lead(session, text)
        assert resolution.person is jane, text
    nobody = resolve_lead(session, "Director of Fun")
    assert nobody.person is None and nobody.candidates == []


def test_an_alias_shared_by_two_people_is_ambiguous_never_guessed(session):
    dave = get_or_create_person(session, "Dave Willingham")
    diane = get_or_create_person(session, "Diane Moore")
    add_alias(session, dave, "DM")
    add_alias(session, diane, "D.M.")
    resolution = resolve_lead(session, "DM")
    assert resolution.person is None
    assert resolution.ambiguous
    assert {p.id for p in resolution.candidates} == {dave.id, diane.id}


def test_add_alias_is_idempotent(session):
    jane = get_or_create_person(session, "Jane Smith")
    add_alias(session, jane, "DCS")
    add_alias(session, jane, "D C S")
    keys = session.scalars(select(LeadAlias.key).where(LeadAlias.person_id == jane.id)).all()
    assert sorted(keys) == ["dcs", "janesmith"]


def test_link_person_by_alias_to_slack_and_email(session):
    jane = get_or_create_person(session, "Jane Smith")
    add_alias(session, jane, "DCS")
    linked = link_person(session, "dcs", slack_user_id="U012AB3CD")
    assert linked is jane and jane.slack_user_id == "U012AB3CD"
    link_person(session, "Jane Smith", email="Jane.Smith@Example.gov.uk")
    assert jane.email == "jane.smith@example.gov.uk"
    assert person_for_slack_user(session, "U012AB3CD") is jane
    # Linking again to the same id is fine.
    link_person(session, "Jane Smith", slack_user_id="U012AB3CD")


def test_link_person_refusals(session):
    jane = get_or_create_person(session, "Jane Smith")
    bob = get_or_create_person(session, "Bob Jones")
    add_alias(session, jane, "AD")
    add_alias(session, bob, "AD")
    link_person(session, "Bob Jones", slack_user_id="U0BOB")

    with pytest.raises(NotFound) as missing:
        link_person(session, "Jane Smyth", slack_user_id="U0JANE")
    assert "Jane Smyth" in str(missing.value) and "Jane Smith" in str(missing.value)

    with pytest.raises(InvalidInput) as ambiguous:
        link_person(session, "AD", slack_user_id="U0JANE")
    assert "Jane Smith" in str(ambiguous.value) and "Bob Jones" in str(ambiguous.value)

    with pytest.raises(InvalidInput) as taken:
        link_person(session, "Jane Smith", slack_user_id="U0BOB")
    assert taken.value.field == "slack_user_id" and "Bob Jones" in str(taken.value)
    assert jane.slack_user_id is None

    with pytest.raises(InvalidInput):
        link_person(session, "Jane Smith", slack_user_id="not-an-id")
    with pytest.raises(InvalidInput):
        link_person(session, "Jane Smith", email="not-an-email")
    with pytest.raises(InvalidInput):
        link_person(session, "Jane Smith")


def test_people_with_actions_lists_aliases_links_and_refs(session):
    jane = get_or_create_person(session, "Jane Smith", role_title="Assistant Director")
    add_alias(session, jane, "AD")
    bob = get_or_create_person(session, "Bob Jones")
    link_person(session, "Jane Smith", slack_user_id="U0JANE")
    _plan_with_action(session, "1.1", [(jane, "lead"), (bob, "delegate")])
    _plan_with_action(session, "2.1", [(jane, "lead")])

    summaries = {s.person.display_name: s for s in people_with_actions(session)}
    assert list(summaries) == ["Bob Jones", "Jane Smith"]
    data = summaries["Jane Smith"].to_dict()
    assert data["aliases"] == ["AD"]
    assert data["slack_user_id"] == "U0JANE"
    assert data["role_title"] == "Assistant Director"
    assert [(a["plan"], a["ref"], a["kind"]) for a in data["actions"]] == [
        ("plan-1.1", "1.1", "lead"),
        ("plan-2.1", "2.1", "lead"),
    ]
    assert summaries["Bob Jones"].to_dict()["actions"] == [
        {"plan": "plan-1.1", "ref": "1.1", "kind": "delegate"}
    ]


def test_roles_grant_revoke_and_list(session, now):
    granted = grant_role(session, "U0ADMIN", "admin", by="U0BOSS", now=now)
    again = grant_role(session, "U0ADMIN", "Admin", now=now)
    assert again.id == granted.id and granted.granted_by == "U0BOSS"
    grant_role(session, "U0BOARD", "board", now=now)
    assert has_role(session, "U0ADMIN", "admin")
    assert not has_role(session, "U0ADMIN", "board")
    assert not has_role(session, None, "admin")
    assert users_with_role(session, "admin") == ["U0ADMIN"]
    assert users_with_role(session, "board") == ["U0BOARD"]
    assert revoke_role(session, "U0ADMIN", "admin") is True
    assert revoke_role(session, "U0ADMIN", "admin") is False
    assert session.scalar(select(func.count()).select_from(Role)) == 1


def test_unknown_role_is_refused(session, now):
    with pytest.raises(InvalidInput) as err:
        grant_role(session, "U0ADMIN", "superuser", now=now)
    assert err.value.field == "role" and "admin" in str(err.value)
    with pytest.raises(InvalidInput):
        has_role(session, "U0ADMIN", "owner")


def test_set_away_and_deputy(session):
    jane = get_or_create_person(session, "Jane Smith")
    bob = get_or_create_person(session, "Bob Jones")
    set_away(session, jane, dt.date(2026, 12, 24), bob)
    assert jane.away_until == dt.date(2026, 12, 24) and jane.deputy is bob
    with pytest.raises(InvalidInput):
        set_away(session, jane, dt.date(2026, 12, 24), jane)
    set_away(session, jane, None, None)
    assert jane.away_until is None and jane.deputy_id is None


def test_actions_for_person_with_and_without_delegations(session):
    jane = get_or_create_person(session, "Jane Smith")
    bob = get_or_create_person(session, "Bob Jones")
    led = _plan_with_action(session, "1.1", [(jane, "lead"), (bob, "delegate")])
    other = _plan_with_action(session, "2.1", [(bob, "lead")])
    assert [a.id for a in actions_for_person(session, bob)] == [led.id, other.id]
    assert [a.id for a in actions_for_person(session, bob, include_delegated=False)] == [other.id]
    assert [a.id for a in actions_for_person(session, jane)] == [led.id]


def test_can_update(session, now):
    jane = get_or_create_person(session, "Jane Smith")
    bob = get_or_create_person(session, "Bob Jones")
    carol = get_or_create_person(session, "Carol White")
    eve = get_or_create_person(session, "Eve Black")
    for person, uid in ((jane, "U0JANE"), (bob, "U0BOB"), (carol, "U0CAROL"), (eve, "U0EVE")):
        link_person(session, person.display_name, slack_user_id=uid)
    action = _plan_with_action(session, "1.1", [(jane, "lead"), (bob, "delegate")])
    grant_role(session, "U0ADMIN", "admin", now=now)

    assert can_update(session, "U0JANE", action)
    assert can_update(session, "U0BOB", action)
    assert can_update(session, "U0ADMIN", action)
    assert not can_update(session, "U0EVE", action)
    assert not can_update(session, "U0NOBODY", action)
    assert not can_update(session, None, action)
    set_away(session, jane, dt.date(2026, 12, 24), carol)
    assert can_update(session, "U0CAROL", action)
    assert can_update(session, "U0CAROL", action, today=dt.date(2026, 12, 24))
    assert not can_update(session, "U0CAROL", action, today=dt.date(2026, 12, 25))  # Jane is back
