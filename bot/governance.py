"""What the governance buttons and modals do, as plain functions of ``Services``.

The rule for every one of them: check who is asking and parse what they gave, store it *and* the
announcement it owes (an outbox row, ``bot.outbox.announcement``) in one short transaction, and only
then acknowledge; the outbox sends the messages to other people after the acknowledgement
(``bot.announce``), and again after a crash. Nothing says "done" before the database has it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import announce
from bot.outbox import announcement, owe
from bot.services import Services
from slackviews import governance as views
from slackviews.text import escape
from storage import challenges, proposals
from storage.authority import Actor, require_admin, require_governor, slack_actor
from storage.changes import MERGED, OPEN, Edit, reopen, set_action
from storage.closing import close_action
from storage.errors import Forbidden, InvalidInput, NotFound
from storage.models import Action, GovernanceNotice, Person, Section, Update
from storage.people import can_update, people_matching
from storage.plans import get_action
from storage.signoff import AWAITING, COMPLETE, completion, sign_off

# --- after a lead's update ---------------------------------------------------------------------


def followup_notes(stored) -> tuple[str, ...]:
    """Lines for the lead's confirmation: what their update set in motion (already escaped)."""
    notes = []
    follow = stored.followups
    if follow is not None:
        if follow.proposed is not None:
            notes.append("📅 Your new date has gone to the board to agree; you'll hear when it is decided.")
        for challenge, _answer in follow.answered:
            notes.append(f"💬 This answers the question from {escape(challenge.by_text)}.")
        if follow.awaiting_signoff:
            notes.append(
                "✔️ Marked complete: it counts as complete once an admin or board member signs it off."
            )
    if stored.unread_date:
        notes.append(
            f"📅 I couldn't read “{escape(stored.unread_date)}” as one date, so no new date was proposed. "
            f"Try e.g. _new date 30 June 2027_, or `/progress update {escape(stored.card.ref)}`."
        )
    return tuple(notes)


# Who hears of what an update set in motion: the name an outbox row carries, and what it calls.
ANNOUNCERS = {
    "proposal": announce.announce_proposal,
    "answer": announce.announce_answer,
    "completion": announce.announce_completion,
    # What the governance buttons and modals owe (below), the update form's and the CLI's.
    "decided": announce.announce_decided,
    "decision": announce.announce_decision,
    "challenge": announce.announce_challenge,
    "challenged": announce.announce_challenge_raised,
    "signoff": announce.announce_signoff,
    "closure": announce.announce_closure,
    "edit": announce.announce_edit,
}


def followup_announcements(stored) -> list[tuple[str, list[int]]]:
    """The board hears of a new date or a completion; a challenger of the answer: (announcer, ids)."""
    follow = stored.followups
    if follow is None:
        return []
    out: list[tuple[str, list[int]]] = []
    if follow.proposed is not None:
        out.append(("proposal", [follow.proposed.proposal.id]))
    out += [("answer", [challenge.id]) for challenge, _answer in follow.answered]
    if follow.awaiting_signoff and stored.action_id and stored.update_id:
        out.append(("completion", [stored.action_id, stored.update_id]))
    return out


def owe_announcement(session: Session, name: str, ids: list[int], **extra) -> None:
    """Owe ``ANNOUNCERS[name]`` in the caller's transaction (sent by the outbox once it commits)."""
    owe(session, [announcement(name, ids, **extra)])


# --- revised dates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    proposal_id: int
    agreed: bool
    already: str | None = None  # someone else decided first: what to tell this person


def agree_date(services: Services, uid: str, proposal_id: int, *, home: bool = False) -> Decided:
    """Agree, and owe the announcement (``home``: and a refresh of the Home tab it was clicked on)."""
    return services.transaction(
        lambda session: _decide(services, session, uid, proposal_id, True, "", home=home)
    )


def decline_date(services: Services, uid: str, proposal_id: int, reason: str) -> Decided:
    return services.transaction(lambda session: _decide(services, session, uid, proposal_id, False, reason))


def _decide(
    services: Services,
    session: Session,
    uid: str,
    proposal_id: int,
    agree: bool,
    reason: str,
    *,
    home: bool = False,
) -> Decided:
    proposal = proposals.get_proposal(session, proposal_id)
    try:
        proposals.decide(
            session,
            proposal,
            agree=agree,
            actor=slack_actor(session, uid),
            reason=reason,
            now=services.now(),
            tz=services.settings.tz,
        )
        decided = Decided(proposal_id, agree)
    except proposals.AlreadyDecided as exc:
        decided = Decided(proposal_id, agree, already=str(exc))
    # Everyone's buttons are replaced and the lead told; or this latecomer hears who decided first.
    owe(
        session,
        [announcement("decided", [proposal_id], uid=uid, already=decided.already)],
        home_of=uid if home else None,
        home_delay=0.0,
    )
    return decided


def decline_modal(services: Services, uid: str, proposal_id: int) -> dict:
    """The reason form, after checking the person may decide and nobody has yet (raises otherwise)."""
    with services.session_factory() as session:
        proposal = proposals.get_proposal(session, proposal_id)
        action = announce.load(session, proposal.action_id)
        require_governor(session, slack_actor(session, uid), action, "decline a revised date for it")
        if proposal.decision is not None:
            raise proposals.AlreadyDecided(proposal.decision, services.settings.tz)
        return views.decline_modal(proposal.id, announce.subject_of(action), proposal.proposed_due)


# --- challenges ---------------------------------------------------------------------------------


def challenge_modal(services: Services, uid: str, action_id: int, update_id: int | None) -> dict:
    with services.session_factory() as session:
        action = announce.load(session, action_id)
        require_governor(session, slack_actor(session, uid), action, "challenge its updates")
        if action.status != OPEN:
            raise InvalidInput(f"{action.ref} is {action.status}; there is nothing to challenge")
        update = _update(session, action, update_id)
        text, by = "", ""
        if update is not None:
            text = update.text
            by = update.author.display_name if update.author else update.author_text
        return views.challenge_modal(
            announce.subject_of(action),
            update_id=update.id if update else None,
            update_text=text,
            update_by=by,
        )


def _update(session: Session, action: Action, update_id: int | None) -> Update | None:
    if update_id is not None:
        update = session.get(Update, update_id)
        if update is None or update.action_id != action.id:
            raise NotFound("That update is not part of this action.")
        return update
    return session.scalar(
        select(Update)
        .where(Update.action_id == action.id)
        .order_by(Update.submitted_at.desc(), Update.id.desc())
        .limit(1)
    )


def submit_challenge(
    services: Services, uid: str, action_id: int, update_id: int | None, question: str, *, key: str
) -> tuple[int, bool]:
    def work(session: Session) -> tuple[int, bool]:
        action = announce.load(session, action_id)
        raised = challenges.raise_challenge(
            session,
            action,
            actor=slack_actor(session, uid),
            question=question,
            now=services.now(),
            update_id=update_id,
            key=key,
        )
        if raised.created:  # a resubmitted modal (same key) owes nothing more
            owe_announcement(session, "challenged", [raised.challenge.id], uid=uid)
        return raised.challenge.id, raised.created

    return services.transaction(work)


@dataclass(frozen=True)
class Answered:
    challenge_id: int
    ref: str
    created: bool


# Notices recorded only so a repeated announcement sends nobody the same DM twice: no buttons, no
# question, so a reply in their thread is not ours to answer.
QUIET_SUBJECTS = ("decided:", "late:", "unheard:", "answered:", "signed:", "edit:")


def answer_in_thread(
    session: Session, *, uid: str, channel: str, ts: str, thread_ts: str, text: str, now: dt.datetime
) -> Answered | str | None:
    """A reply in the thread of a challenge the bot sent: the lead's answer (stored once).

    None when the thread is not a challenge; a sentence to say when the reply cannot be taken.
    """
    notice = session.scalar(
        select(GovernanceNotice).where(GovernanceNotice.channel == channel, GovernanceNotice.ts == thread_ts)
    )
    if notice is None or notice.subject.startswith(QUIET_SUBJECTS):
        return None
    if not notice.subject.startswith("challenge:"):
        return "To decide, use the buttons on the message above (replies here are not recorded)."
    challenge = challenges.get_challenge(session, int(notice.subject.split(":", 1)[1]))
    action = session.get(Action, challenge.action_id)
    assert action is not None
    if not can_update(session, uid, action, today=now.date()):
        return f"Only the leads of {escape(action.ref)} can answer this question."
    person = session.scalar(select(Person).where(Person.slack_user_id == uid))
    stamp = {
        "by_uid": uid,
        "by_person_id": person.id if person else None,
        "by_text": (person.display_name if person else uid)[:300],
        "source": "slack",
    }
    _answer, created = challenges.answer(
        session, challenge, text=text, stamp=stamp, now=now, key=f"slack-msg:{channel}:{ts}"
    )
    return Answered(challenge.id, action.ref, created)


# --- sign-off -----------------------------------------------------------------------------------


def signoff_modal(services: Services, uid: str, action_id: int) -> dict:
    with services.session_factory() as session:
        action = announce.load(session, action_id)
        require_governor(session, slack_actor(session, uid), action, "sign off its completion")
        state = completion(session, action)
        if state.state not in (AWAITING, COMPLETE):
            if state.run:
                from storage.signoff import AlreadySignedOff

                raise AlreadySignedOff(state.signoff, action.ref, services.settings.tz)
            raise InvalidInput(f"{action.ref} is not marked complete, so there is nothing to sign off")
        last = state.run[-1]
        evidence = "; ".join(
            dict.fromkeys(x for u in state.run for x in (u.evidence_url, u.evidence_note) if x)
        )
        return views.signoff_modal(announce.subject_of(action), completion_text=last.text, evidence=evidence)


def submit_signoff(services: Services, uid: str, action_id: int, note: str, evidence_url: str | None) -> str:
    def work(session: Session) -> str:
        action = announce.load(session, action_id)
        sign_off(
            session,
            action,
            actor=slack_actor(session, uid),
            now=services.now(),
            note=note,
            evidence_url=evidence_url,
            tz=services.settings.tz,
        )
        owe_announcement(session, "signoff", [action.id])
        return action.ref

    return services.transaction(work)


# --- editing the plan ---------------------------------------------------------------------------


def edit_form(services: Services, uid: str, action_id: int) -> dict:
    with services.session_factory() as session:
        require_admin(slack_actor(session, uid), "change the plan")
        action = announce.load(session, action_id)
        leads = [lead.person for lead in sorted(action.leads, key=lambda lead: lead.position) if lead.person]
        everyone = session.scalar(select(func.count(Person.id))) or 0
        if everyone > views.PICKER_LIMIT:
            people = leads  # the picker searches; it starts with the current leads chosen
        else:
            others = session.scalars(select(Person).order_by(Person.display_name, Person.id)).all()
            people = list(dict.fromkeys([*leads, *others]))
        sections = session.scalars(
            select(Section).where(Section.plan_id == action.plan_id).order_by(Section.position, Section.id)
        ).all()
        state = completion(session, action)
        status = action.status if action.status != OPEN else (COMPLETE if state.run else OPEN)
        return views.edit_modal(
            views.EditForm(
                action_id=action.id,
                ref=action.ref,
                title=action.title,
                timescale=action.timescale,
                due=action.due_date,
                status=status,
                people=tuple((p.id, p.display_name) for p in people),
                leads=tuple(p.id for p in leads),
                sections=tuple((s.id, f"{s.ref or ''} {s.title}".strip()) for s in sections),
                section_id=action.section_id,
                everyone=everyone,
            )
        )


def lead_options(services: Services, uid: str, typed: str) -> list[dict]:
    """What the edit modal's lead picker offers for what the admin typed (a ``block_suggestion``)."""
    with services.session_factory() as session:
        require_admin(slack_actor(session, uid), "change the plan")
        found = people_matching(session, typed[:100], limit=views.PICKER_LIMIT)
        return views.person_options([(p.id, p.display_name) for p in found])


def submit_edit(services: Services, uid: str, action_id: int, form: views.EditSubmission) -> list[str]:
    """Apply what changed in the form (set, then close or reopen), and owe the leads' DMs; lines
    describing each change."""

    def work(session: Session) -> list[str]:
        lines = _apply_edit(services, session, uid, action_id, form)
        # The key names this edit: a repeated announcement DMs nobody twice (``bot.announce._post``).
        owe_announcement(session, "edit", [action_id], uid=uid, lines=lines, key=uuid.uuid4().hex[:16])
        return lines

    return services.transaction(work)


def _apply_edit(
    services: Services, session: Session, uid: str, action_id: int, form: views.EditSubmission
) -> list[str]:
    from storage.audit import _change_summary

    actor = slack_actor(session, uid)
    require_admin(actor, "change the plan")
    action = announce.load(session, action_id)
    now = services.now()
    edit = _edit_from(session, action, form)
    lines: list[str] = []
    if any(value is not None for value in vars(edit).values()):
        result = set_action(session, action, edit, actor=actor, reason=form.reason, now=now)
        lines += [_change_summary(c) for c in result.changes]
    lines += _apply_status(session, action, form, actor, now)
    if not lines:
        raise InvalidInput("Nothing changed: edit a field, or Cancel.", field="reason")
    return lines


def _edit_from(session: Session, action: Action, form: views.EditSubmission) -> Edit:
    edit = Edit()
    current = [lead.person_id for lead in sorted(action.leads, key=lambda lead: lead.position)]
    if list(form.lead_ids) != current:
        people = [session.get(Person, pid) for pid in form.lead_ids]
        if any(p is None for p in people):
            raise NotFound("One of those people no longer exists; open the form again.")
        edit.leads = [p for p in people if p is not None]
    if form.title != action.title:
        edit.title = form.title
    new_due = form.due is not None and form.due != action.due_date
    # An emptied timescale box means "leave it", never "no timescale": that would drop the due date.
    new_text = bool(form.timescale) and form.timescale != (action.timescale or "").strip()
    if new_due and new_text:
        raise InvalidInput("Change the timescale or pick a new due date, not both.", field="due")
    if new_due:
        edit.due = form.due
    elif new_text:
        edit.timescale = form.timescale
    if form.section_id is not None and form.section_id != action.section_id:
        section = session.get(Section, form.section_id)
        if section is None or section.plan_id != action.plan_id:
            raise NotFound("That section is not part of this plan.")
        edit.section = section
    return edit


def _apply_status(
    session: Session, action: Action, form: views.EditSubmission, actor: Actor, now: dt.datetime
) -> list[str]:
    state = completion(session, action)
    current = action.status if action.status != OPEN else (COMPLETE if state.run else OPEN)
    if form.status == current:
        return []
    if form.status == OPEN:
        if action.status == OPEN:
            raise InvalidInput(
                "A complete action reopens with its lead's next update (a RAG that is not complete).",
                field="status",
            )
        reopen(session, action, reason=form.reason, actor=actor, now=now)
        return ["reopened"]
    into = get_action(session, action.plan, form.into) if form.status == MERGED else None
    close_action(session, action, as_=form.status, into=into, reason=form.reason, actor=actor, now=now)
    return [
        {"complete": "closed as complete and signed off", MERGED: f"merged into {form.into}"}.get(
            form.status, form.status
        )
    ]


# --- what a card shows --------------------------------------------------------------------------


def may_govern(session: Session, uid: str, action: Action) -> bool:
    try:
        require_governor(session, slack_actor(session, uid), action, "do that")
    except Forbidden:
        return False
    return True
