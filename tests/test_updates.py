"""Recording updates (validation, idempotency, append-only) and reading the current state back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from storage.errors import InvalidInput
from storage.models import Action, ActionLead, Plan, RagState, Update
from storage.people import get_or_create_person
from storage.updates import (
    TEXT_LIMIT,
    current_rag,
    current_rags,
    history,
    latest_update,
    latest_updates,
    record_update,
    updates_since,
)

pytestmark = pytest.mark.storage

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _plan(session, name="Improvement plan", *, three_state=False, refs=("1.1", "1.2")):
    plan = Plan(name=name)
    if three_state:
        plan.rag_states = [
            RagState(label="Red", rank=0, colour="#FF0000", aliases=["R"]),
            RagState(label="Amber", rank=1, colour="#FFC000", aliases=["A"]),
            RagState(label="Green", rank=2, colour="#00B050", aliases=["G"]),
        ]
    for i, ref in enumerate(refs):
        plan.actions.append(Action(ref=ref, position=i, title=f"Action {ref}"))
    session.add(plan)
    session.flush()
    return plan


def _record(session, action, at, rag="Amber", text="Progressing", **kw):
    return record_update(
        session, action, rag=rag, text=text, source=kw.pop("source", "slack"), submitted_at=at, **kw
    )


def _count(session):
    return session.scalar(select(func.count()).select_from(Update))


def test_record_update_stores_every_field_and_the_canonical_label(session):
    plan = _plan(session)
    action = plan.actions[0]
    jane = get_or_create_person(session, "Jane Smith")
    admin = get_or_create_person(session, "Ann Admin")
    action.leads.append(ActionLead(person=jane, position=0))
    result = record_update(
        session,
        action,
        rag="g",
        text="  Framework drafted and shared with managers. ",
        source="slack",
        submitted_at=T0,
        author=admin,
        on_behalf_of=jane,
        evidence_url="https://intranet.example.gov.uk/qa-framework",
        proposed_due=dt.date(2027, 1, 31),
        idempotency_key="view:abc",
    )
    assert result.created
    session.expire_all()
    stored = session.get(Update, result.update.id)
    assert stored.rag == "Green"
    assert stored.text == "Framework drafted and shared with managers."
    assert stored.author.display_name == "Ann Admin" and stored.author_text == "Ann Admin"
    assert stored.on_behalf_of.display_name == "Jane Smith"
    assert stored.evidence_url == "https://intranet.example.gov.uk/qa-framework"
    assert stored.proposed_due == dt.date(2027, 1, 31)
    assert stored.source == "slack"
    assert stored.submitted_at == T0


@pytest.mark.parametrize("rag", ["🟢", ":large_green_circle:", "GREEN", "G"])
def test_rag_given_as_emoji_slack_name_or_letter(session, rag):
    action = _plan(session).actions[0]
    assert _record(session, action, T0, rag=rag).update.rag == "Green"


def test_unknown_rag_is_refused_naming_the_valid_labels(session):
    action = _plan(session, three_state=True).actions[0]
    with pytest.raises(InvalidInput) as err:
        _record(session, action, T0, rag="Blue")  # not in a three-state plan
    assert err.value.field == "rag"
    assert "Red, Amber, Green" in str(err.value)
    assert _count(session) == 0


def test_text_is_required_and_limited(session):
    action = _plan(session).actions[0]
    with pytest.raises(InvalidInput) as empty:
        _record(session, action, T0, text="   ")
    assert empty.value.field == "text"
    with pytest.raises(InvalidInput) as long:
        _record(session, action, T0, text="x" * (TEXT_LIMIT + 1))
    assert long.value.field == "text" and "3,000" in str(long.value)
    assert _record(session, action, T0, text="x" * TEXT_LIMIT).created
    # An imported row may carry only a RAG.
    assert _record(session, action, T0, text="", source="import").update.text == ""
    assert _count(session) == 2


@pytest.mark.parametrize("url", ["ftp://example.org/x", "javascript:alert(1)", "www.example.org", "http://"])
def test_evidence_must_be_http(session, url):
    action = _plan(session).actions[0]
    with pytest.raises(InvalidInput) as err:
        _record(session, action, T0, evidence_url=url)
    assert err.value.field == "evidence"


def test_other_invalid_arguments(session):
    action = _plan(session).actions[0]
    with pytest.raises(InvalidInput) as naive:
        _record(session, action, T0.replace(tzinfo=None))
    assert naive.value.field == "submitted_at"
    with pytest.raises(InvalidInput) as source:
        _record(session, action, T0, source="fax")
    assert source.value.field == "source"


def test_duplicate_idempotency_key_returns_the_first_update(session):
    action = _plan(session).actions[0]
    first = _record(session, action, T0, idempotency_key="event:Ev1")
    second = _record(
        session, action, T0 + dt.timedelta(minutes=1), rag="Red", text="again", idempotency_key="event:Ev1"
    )
    assert first.created and not second.created
    assert second.update.id == first.update.id and second.update.rag == "Amber"
    assert _count(session) == 1


def test_racing_duplicate_is_caught_by_the_unique_key(session):
    """The key is claimed by the INSERT itself (ON CONFLICT DO NOTHING): whichever transaction commits
    first wins, and the other gets the winner back. No check-then-insert window, no SAVEPOINT."""
    action = _plan(session).actions[0]
    winner = _record(session, action, T0, idempotency_key="view:race")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        loser = _record(session, action, T0, rag="Red", text="double click", idempotency_key="view:race")
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert not loser.created and loser.update.id == winner.update.id and loser.update.rag == winner.update.rag
    assert _count(session) == 1
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 and "ON CONFLICT" in inserts[0].upper()
    assert not any("SAVEPOINT" in s.upper() for s in statements)
    assert _record(session, action, T0, text="later").created  # the session is still usable


def test_a_correction_is_a_new_update_and_the_first_is_untouched(session):
    action = _plan(session).actions[0]
    first = _record(session, action, T0, rag="Red", text="Behind: recruitment paused").update
    _record(session, action, T0 + dt.timedelta(hours=1), rag="Amber", text="Correction: recruitment resumed")
    session.expire_all()
    rows = [(u.rag, u.text, u.submitted_at) for u in history(session, action)]
    assert rows == [
        ("Red", "Behind: recruitment paused", T0),
        ("Amber", "Correction: recruitment resumed", T0 + dt.timedelta(hours=1)),
    ]
    assert session.get(Update, first.id).rag == "Red"


def test_current_rag_ignores_text_only_updates(session):
    action = _plan(session).actions[0]
    assert current_rag(session, action) is None
    _record(session, action, T0, rag="Red")
    _record(session, action, T0 + dt.timedelta(days=1), rag="Amber")
    note = _record(session, action, T0 + dt.timedelta(days=2), rag=None, text="Meeting moved")
    assert note.update.rag is None
    assert current_rag(session, action) == "Amber"
    assert current_rag(session, action, as_of=T0 + dt.timedelta(hours=1)) == "Red"
    assert latest_update(session, action).text == "Meeting moved"
    assert latest_update(session, action, with_rag=True).rag == "Amber"
    assert latest_update(session, action, as_of=T0 - dt.timedelta(seconds=1)) is None


def test_latest_updates_for_a_plan_in_one_query(session, engine):
    plan = _plan(session, refs=("1.1", "1.2", "1.3", "1.4"))
    a, b, c, _d = plan.actions
    _record(session, a, T0, rag="Red")
    _record(session, a, T0 + dt.timedelta(days=1), rag="Green", text="a latest rag")
    _record(session, a, T0 + dt.timedelta(days=2), rag=None, text="a note")
    _record(session, b, T0, rag=None, text="b only a note")
    # Same instant twice: the one recorded last (higher id) wins.
    _record(session, c, T0, rag="Amber", text="c first")
    _record(session, c, T0, rag="Red", text="c second")
    other = _plan(session, name="Other plan", refs=("9.9",))
    _record(session, other.actions[0], T0, rag="Red")

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        latest = latest_updates(session, plan.id)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 3  # the updates, then selectinload of author and on_behalf_of

    assert set(latest) == {a.id, b.id, c.id}  # d has no update, the other plan is not included
    assert latest[a.id].text == "a latest rag" and latest[a.id].rag == "Green"
    assert latest[b.id].text == "b only a note" and latest[b.id].rag is None
    assert latest[c.id].text == "c second"
    newest = latest_updates(session, plan.id, with_rag=False)
    assert newest[a.id].text == "a note"
    assert current_rags(session, plan.id) == {a.id: "Green", c.id: "Red"}
    assert current_rags(session, plan.id, as_of=T0 + dt.timedelta(hours=1)) == {a.id: "Red", c.id: "Red"}


def test_history_is_oldest_first_and_updates_since(session):
    plan = _plan(session)
    a, b = plan.actions
    _record(session, a, T0 + dt.timedelta(days=2), text="third")
    _record(session, a, T0, text="first")
    _record(session, b, T0 + dt.timedelta(days=1), text="b")
    _record(session, a, T0 + dt.timedelta(days=1), text="second")
    assert [u.text for u in history(session, a)] == ["first", "second", "third"]
    since = updates_since(session, plan.id, T0 + dt.timedelta(days=1))
    assert [u.text for u in since] == ["b", "second", "third"]
    assert [u.text for u in updates_since(session, plan.id, T0, until=T0 + dt.timedelta(hours=1))] == [
        "first"
    ]
