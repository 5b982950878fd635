"""Plan governance in storage: changes as events, revised dates, challenges, sign-off, roles, audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from storage import challenges, proposals
from storage.audit import audit_trail
from storage.authority import cli_actor, slack_actor
from storage.changes import Edit, add_action, reopen, set_action
from storage.closing import close_action
from storage.errors import Forbidden, InvalidInput, NotFound
from storage.followups import record_lead_update
from storage.governance import load_governance
from storage.models import DateDecision, PlanChange, SignOff, Update
from storage.signoff import AWAITING, COMPLETE, SIGNED_OFF, AlreadySignedOff, completion, sign_off
from tests.support.governance_factories import ADA, JO, KIM, NOW, PAT, SAM, governed_plan

pytestmark = pytest.mark.storage


def _changes(session, action):
    return list(
        session.scalars(select(PlanChange).where(PlanChange.action_id == action.id).order_by(PlanChange.id))
    )


def _lead_update(session, world, ref, rag, text, *, uid=JO, proposed=None, at=NOW, **extra):
    action = world.actions[ref]
    person = next(p for p in world.people.values() if p.slack_user_id == uid)
    return record_lead_update(
        session,
        action,
        today=at.date(),
        proposed_due=proposed,
        rag=rag,
        text=text,
        source="slack",
        submitted_at=at,
        author=person,
        **extra,
    )


# --- changing the plan --------------------------------------------------------------------------


def test_set_records_each_change_as_an_event_with_who_when_why(session):
    world = governed_plan(session)
    action = world.actions["1.1"]
    result = set_action(
        session,
        action,
        Edit(leads=[world.people["sam"]], title="Quality assurance framework", due=dt.date(2027, 1, 31)),
        actor=slack_actor(session, ADA),
        reason="Jo moved to another service",
        now=NOW,
    )
    assert [(c.field, c.kind) for c in result.changes] == [("leads", "set"), ("title", "set"), ("due", "set")]
    leads, title, due = _changes(session, action)
    assert leads.old_value == [{"id": world.people["jo"].id, "name": "Jo Bloggs"}]
    assert leads.new_value == [{"id": world.people["sam"].id, "name": "Sam Smith"}]
    assert (title.old_value, title.new_value) == ("Quality framework", "Quality assurance framework")
    assert (due.old_value, due.new_value) == ("2026-12-01", "2027-01-31")
    for change in (leads, title, due):
        assert (change.by_uid, change.by_text, change.source) == (ADA, "Ada Admin", "slack")
        assert change.reason == "Jo moved to another service" and change.at == NOW
    assert [lead.person.display_name for lead in action.leads] == ["Sam Smith"]
    assert action.due_date == dt.date(2027, 1, 31) and action.title == "Quality assurance framework"


def test_set_timescale_reparses_and_moves_the_due_date(session):
    world = governed_plan(session)
    action = world.actions["2.1"]
    result = set_action(
        session,
        action,
        Edit(timescale="June 2027"),
        actor=cli_actor(session, None),
        reason="Slipped",
        now=NOW,
    )
    assert action.timescale == "June 2027" and action.due_date == dt.date(2027, 6, 30)
    assert [(c.field, c.old_value, c.new_value) for c in result.changes] == [
        ("timescale", "March 2027", "June 2027"),
        ("due", "2027-03-31", "2027-06-30"),
    ]
    assert result.changes[0].by_text == "cli"


def test_set_refuses_without_a_reason_without_a_change_or_without_admin(session):
    world = governed_plan(session)
    action = world.actions["1.1"]
    with pytest.raises(InvalidInput, match="say why"):
        set_action(session, action, Edit(title="x"), actor=slack_actor(session, ADA), reason="  ", now=NOW)
    with pytest.raises(InvalidInput, match="nothing to change"):
        set_action(
            session,
            action,
            Edit(title="Quality framework"),
            actor=slack_actor(session, ADA),
            reason="r",
            now=NOW,
        )
    with pytest.raises(Forbidden, match="Only admins"):
        set_action(session, action, Edit(title="x"), actor=slack_actor(session, PAT), reason="r", now=NOW)
    with pytest.raises(InvalidInput, match="not both"):
        set_action(
            session,
            action,
            Edit(timescale="May 2027", due=dt.date(2027, 5, 1)),
            actor=slack_actor(session, ADA),
            reason="r",
            now=NOW,
        )
    with pytest.raises(NotFound, match="no section 'Nope'"):
        set_action(
            session, action, Edit(section="Nope"), actor=slack_actor(session, ADA), reason="r", now=NOW
        )
    assert _changes(session, action) == []


def test_add_places_the_action_in_its_section_and_records_it(session):
    world = governed_plan(session)
    action, warnings = add_action(
        session,
        world.plan,
        ref="1.3",
        title="Recruit permanent social workers",
        leads=[world.people["sam"]],
        timescale="March 2027",
        section="1",
        reason="Agreed at the board, 12 March",
        actor=slack_actor(session, ADA),
        now=NOW,
    )
    assert warnings == []
    positions = {a.ref: a.position for a in (world.actions["1.2"], action, world.actions["2.1"])}
    assert positions["1.2"] < positions["1.3"] < positions["2.1"]
    assert action.section.title == "Improve timeliness" and action.due_date == dt.date(2027, 3, 31)
    [added] = _changes(session, action)
    assert added.kind == "add" and added.new_value["title"] == "Recruit permanent social workers"
    assert (
        added.new_value["leads"][0]["name"] == "Sam Smith" and added.reason == "Agreed at the board, 12 March"
    )
    with pytest.raises(InvalidInput, match=r"already\ has\ an\ action\ 1\.3"):
        add_action(session, world.plan, ref="1.3", title="t", leads=[world.people["sam"]], timescale="May 2027",
                   section=None, reason="", actor=slack_actor(session, ADA), now=NOW)  # fmt: skip


def test_withdraw_merge_and_reopen(session):
    world = governed_plan(session)
    admin = slack_actor(session, ADA)
    b, a = world.actions["1.2"], world.actions["1.1"]
    with pytest.raises(InvalidInput, match="say which action"):
        close_action(session, b, as_="merged", into=None, reason="dup", actor=admin, now=NOW)
    with pytest.raises(InvalidInput, match="cannot merge into itself"):
        close_action(session, b, as_="merged", into=b, reason="dup", actor=admin, now=NOW)
    close_action(session, b, as_="merged", into=a, reason="Same forum as 1.1", actor=admin, now=NOW)
    assert (b.status, b.merged_into_id) == ("merged", a.id)
    with pytest.raises(InvalidInput, match="already merged"):
        close_action(session, b, as_="withdrawn", into=None, reason="x", actor=admin, now=NOW)
    with pytest.raises(InvalidInput, match=r"1\.2\ is\ merged;\ merge\ into\ an\ open\ action"):
        close_action(session, world.actions["2.1"], as_="merged", into=b, reason="x", actor=admin, now=NOW)
    reopen(session, b, reason="Split again", actor=admin, now=NOW + dt.timedelta(hours=1))
    assert (b.status, b.merged_into_id) == ("open", None)
    close_action(
        session,
        b,
        as_="withdrawn",
        into=None,
        reason="No longer needed",
        actor=admin,
        now=NOW + dt.timedelta(hours=2),
    )
    kinds = [(c.kind, c.new_value) for c in _changes(session, b)]
    assert kinds == [
        ("merge", {"status": "merged", "into": "1.1"}),
        ("reopen", {"status": "open", "into": None}),
        ("withdraw", {"status": "withdrawn", "into": None}),
    ]
    with pytest.raises(Forbidden):
        close_action(
            session, a, as_="withdrawn", into=None, reason="x", actor=slack_actor(session, PAT), now=NOW
        )


def test_closing_as_complete_records_an_update_and_the_admins_sign_off(session):
    world = governed_plan(session)
    action = world.actions["2.1"]
    closed = close_action(session, action, as_="complete", into=None, reason="Standards published, seen at CSMG",
                          actor=slack_actor(session, ADA), now=NOW, evidence_url="https://intranet.example/s")  # fmt: skip
    update = session.get(Update, closed.update_id)
    assert (update.rag, update.evidence_url, update.evidence_note) == (
        "Blue",
        "https://intranet.example/s",
        "Standards published, seen at CSMG",
    )
    assert update.on_behalf_of.display_name == "Sam Smith"
    assert closed.signoff.update_id == update.id and closed.signoff.by_uid == ADA
    assert completion(session, action).state == SIGNED_OFF
    with pytest.raises(InvalidInput, match="already complete and signed off"):
        close_action(
            session,
            action,
            as_="complete",
            into=None,
            reason="again",
            actor=slack_actor(session, ADA),
            now=NOW,
        )


def test_an_admin_who_leads_the_action_cannot_close_it_as_complete(session):
    world = governed_plan(session)
    from storage.models import Role

    session.add(Role(slack_user_id=SAM, role="admin"))
    session.flush()
    with pytest.raises(Forbidden, match=r"You\ lead\ 2\.1"):
        close_action(session, world.actions["2.1"], as_="complete", into=None, reason="done",
                     actor=slack_actor(session, SAM), now=NOW)  # fmt: skip


# --- revised timescales -------------------------------------------------------------------------


def test_a_proposal_is_checked_before_anything_is_written(session):
    world = governed_plan(session)
    for bad, match in (
        (dt.date(2026, 1, 1), "in the past"),
        (dt.date(2026, 12, 1), "already the due date"),
        (dt.date(2040, 1, 1), "more than 10 years"),
    ):
        with pytest.raises(InvalidInput, match=match):
            _lead_update(session, world, "1.1", "Amber", "slipping", proposed=bad)
    assert session.scalar(select(func.count()).select_from(Update)) == 0


def test_agreeing_moves_the_due_date_and_keeps_the_original(session):
    world = governed_plan(session)
    action = world.actions["1.1"]
    recorded = _lead_update(
        session, world, "1.1", "Amber", "Partner sign-off delayed", proposed=dt.date(2027, 1, 31)
    )
    proposal = recorded.followups.proposed.proposal
    assert (proposal.from_due, proposal.proposed_due, proposal.by_uid) == (
        dt.date(2026, 12, 1),
        dt.date(2027, 1, 31),
        JO,
    )
    assert proposal.reason == "Partner sign-off delayed" and proposal.update_id == recorded.update.id
    assert action.due_date == dt.date(2026, 12, 1)  # nothing moves until agreed
    later = NOW + dt.timedelta(days=2)
    decided = proposals.decide(
        session, proposal, agree=True, actor=slack_actor(session, PAT), reason="", now=later
    )
    assert decided.decision.decision == "agreed" and decided.change.kind == "retime"
    assert action.due_date == dt.date(2027, 1, 31)
    gov = load_governance(session, world.plan.id)[action.id]
    [revision] = gov.revisions
    assert revision.to_dict(dt.UTC) == {
        "from": "2026-12-01",
        "to": "2027-01-31",
        "agreed_by": "Pat Chair",
        "agreed_at": later.isoformat(),
        "reason": "Partner sign-off delayed",
        "source": "slack",
    }
    assert gov.original_due(action.due_date) == dt.date(2026, 12, 1) and gov.proposal is None


def test_only_one_decision_per_request_and_it_says_who_decided(session):
    world = governed_plan(session)
    proposal = _lead_update(
        session, world, "2.1", "Amber", "late", uid=SAM, proposed=dt.date(2027, 6, 30)
    ).followups.proposed.proposal
    proposals.decide(
        session, proposal, agree=False, actor=slack_actor(session, KIM), reason="Not this year", now=NOW
    )
    with pytest.raises(proposals.AlreadyDecided, match="already declined by Kim Member on 23 Nov 2026"):
        proposals.decide(session, proposal, agree=True, actor=slack_actor(session, PAT), reason="", now=NOW)
    assert world.actions["2.1"].due_date == dt.date(2027, 3, 31)
    # Two deciders at the same moment: the unique key answers the second, inside its savepoint.
    other = _lead_update(session, world, "2.1", "Amber", "later still", uid=SAM, proposed=dt.date(2027, 9, 30),
                         at=NOW + dt.timedelta(hours=1)).followups.proposed.proposal  # fmt: skip
    session.add(
        DateDecision(proposal_id=other.id, decision="agreed", by_text="Kim Member", source="slack", at=NOW)
    )
    session.flush()
    session.expire(other)
    with pytest.raises(proposals.AlreadyDecided, match="agreed by Kim Member"):
        proposals.decide(session, other, agree=True, actor=slack_actor(session, PAT), reason="", now=NOW)


def test_a_lead_cannot_decide_their_own_date_even_as_a_board_member(session):
    world = governed_plan(session)
    proposal = _lead_update(
        session, world, "1.1", "Amber", "late", proposed=dt.date(2027, 2, 28)
    ).followups.proposed.proposal
    with pytest.raises(Forbidden, match=r"You\ lead\ 1\.1"):
        proposals.decide(session, proposal, agree=True, actor=slack_actor(session, JO), reason="", now=NOW)
    with pytest.raises(Forbidden, match="Only board members and admins"):
        proposals.decide(session, proposal, agree=True, actor=slack_actor(session, SAM), reason="", now=NOW)
    with pytest.raises(InvalidInput, match="say why"):
        proposals.decide(session, proposal, agree=False, actor=slack_actor(session, PAT), reason="", now=NOW)
    assert session.scalar(select(func.count()).select_from(DateDecision)) == 0


def test_whoever_asked_for_the_date_cannot_agree_it(session):
    world = governed_plan(session)
    action = world.actions["2.1"]
    # An admin records Sam's request on his behalf; the same admin cannot then agree it.
    recorded = record_lead_update(
        session, action, today=NOW.date(), proposed_due=dt.date(2027, 5, 31), rag="Amber", text="Asked at the meeting",
        source="cli", submitted_at=NOW, author=world.people["ada"], on_behalf_of=world.people["sam"],
    )  # fmt: skip
    proposal = recorded.followups.proposed.proposal
    assert proposal.by_text == "Ada Admin for Sam Smith"
    with pytest.raises(Forbidden, match="You asked for this date"):
        proposals.decide(session, proposal, agree=True, actor=slack_actor(session, ADA), reason="", now=NOW)


def test_a_newer_request_supersedes_the_open_one(session):
    world = governed_plan(session)
    first = _lead_update(
        session, world, "2.1", "Amber", "a", uid=SAM, proposed=dt.date(2027, 4, 30)
    ).followups.proposed
    second = _lead_update(session, world, "2.1", "Amber", "b", uid=SAM, proposed=dt.date(2027, 5, 31),
                          at=NOW + dt.timedelta(hours=1)).followups.proposed  # fmt: skip
    assert second.superseded == [first.proposal]
    assert first.proposal.decision.decision == "superseded"
    assert proposals.open_proposal(session, world.actions["2.1"]).id == second.proposal.id


def test_withdrawing_closes_a_waiting_request(session):
    world = governed_plan(session)
    proposal = _lead_update(
        session, world, "2.1", "Amber", "a", uid=SAM, proposed=dt.date(2027, 4, 30)
    ).followups.proposed.proposal
    close_action(session, world.actions["2.1"], as_="withdrawn", into=None, reason="Superseded by the new plan",
                 actor=slack_actor(session, ADA), now=NOW)  # fmt: skip
    session.refresh(proposal)
    assert proposal.decision.decision == "superseded" and "withdrawn" in proposal.decision.reason


# --- challenges ---------------------------------------------------------------------------------


def test_challenge_and_answer_with_a_new_update(session):
    world = governed_plan(session)
    first = _lead_update(session, world, "2.1", "Green", "Standards drafted", uid=SAM).update
    raised = challenges.raise_challenge(
        session,
        world.actions["2.1"],
        actor=slack_actor(session, PAT),
        question="What is the evidence?",
        now=NOW,
    )
    assert (
        raised.created and raised.challenge.update_id == first.id and raised.challenge.by_text == "Pat Chair"
    )
    assert challenges.open_challenges(session, world.actions["2.1"].id) == [raised.challenge]
    answer = _lead_update(
        session, world, "2.1", None, "Draft at https://x/y", uid=SAM, at=NOW + dt.timedelta(hours=1)
    )
    [(challenge, row)] = answer.followups.answered
    assert challenge.id == raised.challenge.id and row.update_id == answer.update.id
    assert row.by_text == "Sam Smith" and row.text == "Draft at https://x/y"
    assert challenges.open_challenges(session, world.actions["2.1"].id) == []


def test_who_may_challenge(session):
    world = governed_plan(session)
    for uid, match in ((JO, "You lead 1.1"), (SAM, "Only board members and admins")):
        with pytest.raises(Forbidden, match=match):
            challenges.raise_challenge(
                session, world.actions["1.1"], actor=slack_actor(session, uid), question="?", now=NOW
            )
    with pytest.raises(InvalidInput, match="question is empty"):
        challenges.raise_challenge(
            session, world.actions["1.1"], actor=slack_actor(session, PAT), question=" ", now=NOW
        )
    key = "slack-view:V1:abc"
    one = challenges.raise_challenge(
        session, world.actions["1.1"], actor=slack_actor(session, ADA), question="Why?", now=NOW, key=key
    )
    two = challenges.raise_challenge(
        session, world.actions["1.1"], actor=slack_actor(session, ADA), question="Why?", now=NOW, key=key
    )
    assert two.challenge.id == one.challenge.id and not two.created


def test_an_imported_update_never_answers_a_challenge(session):
    from storage.updates import record_update

    world = governed_plan(session)
    challenges.raise_challenge(
        session, world.actions["2.1"], actor=slack_actor(session, PAT), question="?", now=NOW
    )
    update = record_update(session, world.actions["2.1"], rag="Green", text="from the file", source="import",
                           submitted_at=NOW + dt.timedelta(hours=1)).update  # fmt: skip
    assert challenges.answer_with_update(session, update, {"by_text": "import", "source": "import"}) == []


# --- sign-off -----------------------------------------------------------------------------------


def test_completion_awaits_sign_off_then_counts(session):
    world = governed_plan(session)
    action = world.actions["2.1"]
    done = _lead_update(session, world, "2.1", "Blue", "Published", uid=SAM, evidence_url="https://x/s")
    assert done.followups.awaiting_signoff is True
    assert completion(session, action).state == AWAITING
    # A later update that keeps it complete (more evidence) does not ask the board again.
    again = _lead_update(
        session, world, "2.1", "Blue", "And briefed", uid=SAM, at=NOW + dt.timedelta(hours=1)
    )
    assert again.followups.awaiting_signoff is False
    with pytest.raises(Forbidden, match="Only board members and admins"):
        sign_off(session, action, actor=slack_actor(session, SAM), now=NOW)
    signed = sign_off(session, action, actor=slack_actor(session, KIM), now=NOW, note="Seen the standards")
    assert signed.update_id == done.update.id and signed.by_text == "Kim Member"
    assert completion(session, action).state == SIGNED_OFF
    with pytest.raises(AlreadySignedOff, match="already signed off by Kim Member"):
        sign_off(session, action, actor=slack_actor(session, PAT), now=NOW)
    # Back to Amber, then complete again: a new completion needs a new sign-off.
    _lead_update(session, world, "2.1", "Amber", "Reopened", uid=SAM, at=NOW + dt.timedelta(days=1))
    assert completion(session, action).state is None
    with pytest.raises(InvalidInput, match="not marked complete"):
        sign_off(session, action, actor=slack_actor(session, PAT), now=NOW)
    _lead_update(session, world, "2.1", "Blue", "Done again", uid=SAM, at=NOW + dt.timedelta(days=2))
    assert completion(session, action).state == AWAITING


def test_nobody_signs_off_their_own_action_or_their_own_completion(session):
    world = governed_plan(session)
    _lead_update(session, world, "1.1", "Blue", "Framework live")
    with pytest.raises(Forbidden, match=r"You\ lead\ 1\.1"):
        sign_off(session, world.actions["1.1"], actor=slack_actor(session, JO), now=NOW)
    # An admin who entered the completion for the lead cannot sign it off either.
    record_lead_update(session, world.actions["2.1"], today=NOW.date(), rag="Blue", text="Done (told at the meeting)",
                       source="cli", submitted_at=NOW, author=world.people["ada"], on_behalf_of=world.people["sam"])  # fmt: skip
    with pytest.raises(Forbidden, match="You marked it complete"):
        sign_off(session, world.actions["2.1"], actor=slack_actor(session, ADA), now=NOW)
    assert session.scalar(select(func.count()).select_from(SignOff)) == 0


def test_complete_in_the_imported_plan_is_signed_off_by_the_import(session):
    from storage.updates import record_update

    world = governed_plan(session)
    record_update(session, world.actions["2.1"], rag="Blue", text="Done", source="import", submitted_at=NOW)
    state = completion(session, world.actions["2.1"])
    assert state.state == SIGNED_OFF and state.signoff is None
    with pytest.raises(AlreadySignedOff, match="complete in the imported plan"):
        sign_off(session, world.actions["2.1"], actor=slack_actor(session, PAT), now=NOW)


def test_the_policy_can_turn_sign_off_off(session):
    from storage.policy import set_policy_value

    world = governed_plan(session)
    set_policy_value(session, world.plan, "completion_needs_signoff", "false")
    done = _lead_update(session, world, "2.1", "Blue", "Published", uid=SAM)
    assert done.followups.awaiting_signoff is False
    assert completion(session, world.actions["2.1"]).state == COMPLETE


# --- the audit trail ----------------------------------------------------------------------------


def test_the_audit_trail_has_every_step_in_order(session):
    world = governed_plan(session)
    action = world.actions["2.1"]
    t = [NOW + dt.timedelta(hours=h) for h in range(8)]
    set_action(session, action, Edit(leads=[world.people["jo"], world.people["sam"]]), actor=slack_actor(session, ADA),
               reason="Jo joins", now=t[0])  # fmt: skip
    proposal = _lead_update(session, world, "2.1", "Amber", "Need more time", uid=SAM, proposed=dt.date(2027, 6, 30),
                            at=t[1]).followups.proposed.proposal  # fmt: skip
    proposals.decide(session, proposal, agree=True, actor=slack_actor(session, PAT), reason="", now=t[2])
    challenges.raise_challenge(
        session, action, actor=slack_actor(session, KIM), question="Evidence?", now=t[3]
    )
    _lead_update(session, world, "2.1", "Blue", "Published", uid=SAM, at=t[4], evidence_note="CSMG papers")
    sign_off(session, action, actor=slack_actor(session, PAT), now=t[5], note="Seen")
    entries = [(e.kind, e.by, e.summary) for e in audit_trail(session, action)]
    assert entries == [
        ("set", "Ada Admin", "lead(s): Sam Smith → Jo Bloggs, Sam Smith"),
        ("update", "Sam Smith", "update: Amber"),
        ("proposal", "Sam Smith", "asked for a new due date: 31 Mar 2027 → 30 Jun 2027"),
        ("decision", "Pat Chair", "agreed the new due date 30 Jun 2027"),
        ("retime", "Pat Chair", "agreed revised date: 31 Mar 2027 → 30 Jun 2027"),
        ("challenge", "Kim Member", "challenged the update"),
        ("update", "Sam Smith", "update: Blue"),
        ("answer", "Sam Smith", "answered the challenge with an update"),
        ("signoff", "Pat Chair", "signed off the completion"),
    ]


def test_governance_loads_in_a_fixed_number_of_queries(session):
    from sqlalchemy import event

    world = governed_plan(session)
    challenges.raise_challenge(
        session, world.actions["1.1"], actor=slack_actor(session, PAT), question="?", now=NOW
    )
    statements: list[str] = []
    engine = session.get_bind().engine

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        loaded = load_governance(session, world.plan.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]) == 4
    assert loaded[world.actions["1.1"].id].open_challenges[0].by == "Pat Chair"
