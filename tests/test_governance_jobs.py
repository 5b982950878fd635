"""Reminders, chasing, escalation and the digest follow the governed plan: the agreed date, not the
original one; withdrawn and merged actions leave them; a completion awaiting sign-off is not chased."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.digest import build_digests
from jobs.escalation import plan_escalations
from jobs.planner import plan_reminders, unlinked_leads
from storage import proposals
from storage.authority import slack_actor
from storage.closing import close_action
from storage.followups import record_lead_update
from storage.models import Person, Role
from tests.support.governance_factories import ADA, JO, NOW, PAT, governed_plan

pytestmark = pytest.mark.storage


def _refs(planned, world):
    by_id = {a.id: ref for ref, a in world.actions.items()}
    return sorted((by_id[p.action_id], p.kind, p.due_date.isoformat()) for p in planned)


def _agree(session, world, ref, new_due, *, at=NOW):
    action = world.actions[ref]
    lead = world.people["jo"] if ref.startswith("1") else world.people["sam"]
    proposal = record_lead_update(
        session, action, today=at.date(), proposed_due=new_due, rag="Amber", text="Need longer",
        source="slack", submitted_at=at, author=lead,
    ).followups.proposed.proposal  # fmt: skip
    proposals.decide(session, proposal, agree=True, actor=slack_actor(session, PAT), reason="", now=at)


def test_reminders_and_chasing_follow_the_agreed_date(session):
    world = governed_plan(session)
    before = _refs(plan_reminders(session, NOW), world)
    assert ("1.2", "overdue", "2026-11-01") in before  # due 1 Nov: chased
    _agree(session, world, "1.2", dt.date(2027, 2, 26))
    after = _refs(plan_reminders(session, NOW), world)
    assert not any(ref == "1.2" for ref, _, _ in after)  # not late any more: no chase
    # Two weeks before the agreed date the usual reminder comes, for the new date.
    fortnight = dt.datetime(2027, 2, 12, 10, tzinfo=dt.UTC)
    assert ("1.2", "before", "2027-02-26") in _refs(plan_reminders(session, fortnight), world)
    # And once it passes, chasing is against the agreed date.
    late = dt.datetime(2027, 3, 5, 10, tzinfo=dt.UTC)
    assert ("1.2", "overdue", "2027-02-26") in _refs(plan_reminders(session, late), world)


def test_escalation_counts_lateness_from_the_agreed_date(session):
    world = governed_plan(session)
    plan = world.plan
    plan.policy = {"escalate_after_chase": False}
    session.flush()
    assert any(p.action_id == world.actions["1.2"].id for p in plan_escalations(session, NOW))
    _agree(session, world, "1.2", dt.date(2027, 2, 26))
    assert not any(p.action_id == world.actions["1.2"].id for p in plan_escalations(session, NOW))


def test_withdrawn_and_merged_actions_leave_reminders_escalation_and_the_digest(session):
    world = governed_plan(session)
    world.plan.policy = {"escalate_after_chase": False}
    close_action(session, world.actions["1.2"], as_="withdrawn", into=None, reason="Not needed",
                 actor=slack_actor(session, ADA), now=NOW)  # fmt: skip
    close_action(session, world.actions["1.1"], as_="merged", into=world.actions["2.1"], reason="Same work",
                 actor=slack_actor(session, ADA), now=NOW)  # fmt: skip
    assert not any(ref.startswith("1.") for ref, _, _ in _refs(plan_reminders(session, NOW), world))
    assert not any(ref.startswith("1.") for ref, _, _ in _refs(plan_escalations(session, NOW), world))
    [digest] = build_digests(session, NOW)
    assert digest.overdue == () and sum(digest.counts.values()) + digest.unrated == 1


def test_an_unlinked_lead_of_a_withdrawn_action_is_not_reported(session):
    world = governed_plan(session)
    nobody = Person(display_name="Unlinked Officer")
    session.add(nobody)
    session.flush()
    from storage.models import ActionLead

    session.add(
        ActionLead(
            action_id=world.actions["1.2"].id, person_id=nobody.id, position=1, lead_text="Unlinked Officer"
        )
    )
    session.flush()
    assert [p.display_name for p in unlinked_leads(session, NOW)] == ["Unlinked Officer"]
    close_action(
        session,
        world.actions["1.2"],
        as_="withdrawn",
        into=None,
        reason="x",
        actor=slack_actor(session, ADA),
        now=NOW,
    )
    assert unlinked_leads(session, NOW) == []


def test_a_completion_awaiting_sign_off_is_not_chased(session):
    world = governed_plan(session)
    record_lead_update(session, world.actions["1.2"], today=NOW.date(), rag="Blue", text="Done", source="slack",
                       submitted_at=NOW - dt.timedelta(days=1), author=world.people["jo"])  # fmt: skip
    assert not any(ref == "1.2" for ref, _, _ in _refs(plan_reminders(session, NOW), world))
    assert session.query(Role).filter_by(slack_user_id=JO).count() == 1  # sanity: the fixture's roles


def test_the_digest_counts_a_completion_awaiting_sign_off_apart_until_it_is_signed_off(session):
    from slackviews.reminders import digest_message
    from storage.signoff import sign_off

    world = governed_plan(session)
    record_lead_update(session, world.actions["1.2"], today=NOW.date(), rag="Blue", text="Done", source="slack",
                       submitted_at=NOW - dt.timedelta(days=1), author=world.people["jo"])  # fmt: skip
    [digest] = build_digests(session, NOW)
    assert [a.ref for a in digest.awaiting_signoff] == ["1.2"]
    assert digest.counts["Blue"] == 0 and digest.previous_awaiting_signoff == 0
    text, blocks = digest_message([digest])
    assert "complete, awaiting sign-off 1 (+1)" in text
    listed = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert any(
        t.startswith("*Complete, awaiting sign-off (1)*") and "*1.2* Practice forum" in t for t in listed
    )

    sign_off(session, world.actions["1.2"], actor=slack_actor(session, PAT), now=NOW, note="Seen the minutes")
    [digest] = build_digests(session, NOW + dt.timedelta(minutes=1))
    assert digest.awaiting_signoff == () and digest.counts["Blue"] == 1
    text, blocks = digest_message([digest])
    assert "awaiting sign-off" not in text
    # A week on, last week's awaiting completion shows as the change it was.
    [later] = build_digests(session, NOW + dt.timedelta(days=7))
    assert later.counts["Blue"] == 1 and later.previous_awaiting_signoff == 0
