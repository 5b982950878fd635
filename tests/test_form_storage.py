"""The update form's storage functions on SQLite and PostgreSQL: scope, storing once, new-link limits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from mail.links import Links
from storage.models import Person, ReminderMessage, Update
from tests.support.form_harness import PAT_EMAIL, seed
from web.forms import CleanUpdate
from web.service import LinkRevoked, ask_new_link, load_form, save_form

pytestmark = pytest.mark.storage
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
UTC = dt.UTC


def claims(ids, email=PAT_EMAIL, person="pat"):
    links = Links("s" * 40)
    return links.read(links.make(ids[person], ids["plan"], email, NOW))


def test_the_form_offers_the_leads_open_actions_and_those_they_cover_as_deputy(session):
    ids = seed(session)
    view = load_form(session, claims(ids), UTC)
    assert [c.ref for c in view.cards] == ["1.1", "1.2"] and view.covering == {}
    sam = session.get(Person, ids["sam"])
    sam.deputy_id = ids["pat"]
    session.flush()
    view = load_form(session, claims(ids), UTC)
    assert [c.ref for c in view.cards] == ["1.1", "1.2", "2.1"]
    assert view.covering == {ids["2.1"]: "Sam Slack"}
    stored = save_form(
        session, view, [CleanUpdate(ids["2.1"], "Green", "Audit booked", None, None)], now=NOW, tz=UTC
    )
    update = session.get(Update, stored.update_ids[0])
    assert (update.author_id, update.on_behalf_of_id, update.source) == (ids["pat"], ids["sam"], "email")


def test_a_link_to_a_changed_address_or_a_missing_lead_is_revoked(session):
    ids = seed(session)
    with pytest.raises(LinkRevoked):
        load_form(session, claims(ids, email="someone.else@example.org"), UTC)
    session.get(Person, ids["pat"]).email = None
    session.flush()
    with pytest.raises(LinkRevoked):
        load_form(session, claims(ids), UTC)


def test_the_same_update_the_same_day_is_stored_once_and_confirmed_once(session):
    ids = seed(session)
    view = load_form(session, claims(ids), UTC)
    update = CleanUpdate(ids["1.1"], "Amber", "Drafting", None, dt.date(2027, 1, 31))
    first = save_form(session, view, [update], now=NOW, tz=UTC)
    again = save_form(session, view, [update], now=NOW + dt.timedelta(hours=2), tz=UTC)
    assert (first.created, again.created) == (1, 0) and first.update_ids == again.update_ids
    assert first.confirmation_id is not None and again.confirmation_id is None
    tomorrow = save_form(session, view, [update], now=NOW + dt.timedelta(days=1), tz=UTC)
    assert tomorrow.created == 1  # a day later the same words are a new update
    confirmations = session.scalars(
        select(ReminderMessage).where(ReminderMessage.kind == "confirmation")
    ).all()
    assert [(m.via, m.status, m.person_id) for m in confirmations] == [("email", "pending", ids["pat"])] * 2


def test_new_links_are_limited_per_lead(session):
    ids = seed(session)
    first = ask_new_link(session, claims(ids), NOW)
    soon = ask_new_link(session, claims(ids), NOW + dt.timedelta(minutes=5))
    assert first.queued and not soon.queued and soon.last_sent == NOW
    assert soon.masked_address == "p•••@police.example.org"
    later = [
        ask_new_link(session, claims(ids), NOW + dt.timedelta(minutes=11 * n)).queued for n in range(1, 5)
    ]
    assert later == [True, True, False, False]
    assert ask_new_link(session, claims(ids), NOW + dt.timedelta(days=1, minutes=1)).queued
