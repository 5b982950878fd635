"""Telling people about governance events, after the event is committed.

Each ``announce_*`` reads what was stored, sends the direct messages, and records each DM it sent as a
``GovernanceNotice`` (subject, person, channel, ts). The notices let a decision replace the buttons
in every other recipient's DM ("Agreed by Pat on 12 Mar"), let a reply in a challenge's thread find
its challenge, and make every announcement safe to repeat: a DM already recorded for its subject and
person is not sent again. They run in the outbox (``bot.outbox``), written in the same transaction as
the event they announce, so a crash re-runs them. A DM that Slack refuses for good for one person
(deactivated, say) is logged and the rest still go; one Slack may take later (rate limit, 5xx, a bad
token) fails the announcement, which the outbox retries, skipping whoever was already told. What was
stored stands either way, and the card, Home tab and report show it.

They return a short description of who was told, for the command line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.outbox import worth_retrying
from bot.services import Services
from slackviews import governance as views
from slackviews.messages import Reply
from slackviews.text import escape
from storage.authority import involved, slack_actor
from storage.models import (
    Action,
    ActionLead,
    Challenge,
    DateDecision,
    DateProposal,
    GovernanceNotice,
    Plan,
    SignOff,
    Update,
)
from storage.people import governors

log = logging.getLogger(__name__)


def subject_of(action: Action) -> views.Subject:
    leads = tuple(lead.person.display_name for lead in action.leads if lead.kind == "lead" and lead.person)
    return views.Subject(action.id, action.ref, action.title, action.plan.name, action.due_date, leads)


def load(session: Session, action_id: int) -> Action:
    action = session.scalar(
        select(Action)
        .where(Action.id == action_id)
        .options(
            selectinload(Action.leads).selectinload(ActionLead.person),
            selectinload(Action.plan).selectinload(Plan.rag_states),
        )
    )
    assert action is not None
    return action


def deciders(session: Session, action: Action, *, exclude: set[str | None]) -> list[str]:
    """Admins and board members who may decide for this action (not its leads), minus ``exclude``."""
    out = []
    for uid in governors(session):
        if uid in exclude or involved(session, slack_actor(session, uid), action):
            continue
        out.append(uid)
    return out


def lead_uids(action: Action) -> list[str]:
    """The Slack ids of the action's leads; its delegates when no lead is in Slack."""
    leads = [lead.person.slack_user_id for lead in action.leads if lead.kind == "lead" and lead.person]
    leads = [uid for uid in leads if uid]
    if leads:
        return list(dict.fromkeys(leads))
    others = [lead.person.slack_user_id for lead in action.leads if lead.person and lead.person.slack_user_id]
    return list(dict.fromkeys(others))


def _post(services: Services, uid: str, reply: Reply | Text, subject: str | None) -> bool:
    """DM ``uid`` once per ``subject``: a DM already recorded for (subject, uid) is not sent again.

    That makes an announcement safe to repeat (the outbox re-runs one whose process died part-way).
    Slack offers no idempotency key for chat.postMessage, so a crash between Slack's answer and the
    notice's commit still repeats that one DM: the rare duplicate the README admits to.
    """
    if subject is not None and _sent(services, subject, uid):
        return True
    try:
        response = services.client.chat_postMessage(channel=uid, **reply.as_kwargs())
    except SlackApiError as exc:
        if subject is not None and worth_retrying(exc):
            raise  # the outbox does the announcement again later; those already told are skipped
        log.warning("could not send %s to %s: %s", subject or "a message", uid, exc.response.get("error"))
        return False
    if subject is not None and response.get("ts"):
        channel = response.get("channel") or uid

        def remember(session: Session) -> None:
            try:
                with session.begin_nested():
                    session.add(
                        GovernanceNotice(
                            subject=subject, slack_user_id=uid, channel=channel, ts=response["ts"]
                        )
                    )
            except IntegrityError:  # already recorded (sent twice by a retried command): keep the first
                pass

        services.transaction(remember)
    return True


def _sent(services: Services, subject: str, uid: str) -> bool:
    with services.read_factory.begin() as session:
        return (
            session.scalar(
                select(GovernanceNotice.id).where(
                    GovernanceNotice.subject == subject, GovernanceNotice.slack_user_id == uid
                )
            )
            is not None
        )


def _replace(services: Services, subject: str, reply: Reply) -> int:
    """Replace every DM sent about ``subject`` (their buttons go); returns how many were edited."""
    with services.session_factory() as session:
        notices = list(session.scalars(select(GovernanceNotice).where(GovernanceNotice.subject == subject)))
    edited = 0
    for notice in notices:
        try:
            services.client.chat_update(channel=notice.channel, ts=notice.ts, **reply.as_kwargs())
            edited += 1
        except SlackApiError as exc:
            if worth_retrying(exc):
                raise  # edits are safe to repeat: the outbox does the announcement again later
            log.warning(
                "could not update %s for %s: %s", subject, notice.slack_user_id, exc.response.get("error")
            )
    return edited


@dataclass(frozen=True)
class Text:
    """A plain-text DM (already escaped)."""

    text: str

    def as_kwargs(self) -> dict:
        return {"text": self.text}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- revised dates ------------------------------------------------------------------------------


def announce_proposal(services: Services, proposal_id: int) -> str:
    """Each admin and board member who may decide gets Agree / Decline, with the lead's reason."""
    with services.session_factory() as session:
        proposal = session.get(DateProposal, proposal_id)
        assert proposal is not None
        action = load(session, proposal.action_id)
        subject = subject_of(action)
        reply = views.date_request(
            subject,
            proposal_id=proposal.id,
            from_due=proposal.from_due,
            proposed=proposal.proposed_due,
            by=proposal.by_text,
            reason=proposal.reason,
        )
        recipients = deciders(session, action, exclude={proposal.by_uid})
        replaced = list(  # the requests this one superseded
            session.scalars(
                select(DateProposal.id)
                .join(DateDecision, DateDecision.proposal_id == DateProposal.id)
                .where(
                    DateProposal.action_id == action.id,
                    DateProposal.id != proposal.id,
                    DateDecision.decision == "superseded",
                    DateDecision.at >= proposal.at,
                )
            )
        )
    for older in replaced:
        announce_decision(services, older, tell_lead=False)
    sent = sum(_post(services, uid, reply, f"proposal:{proposal_id}") for uid in recipients)
    return _count(sent, "admin or board member", "admins and board members")


def announce_decision(services: Services, proposal_id: int, *, tell_lead: bool = True) -> str:
    """Replace the Agree/Decline buttons everywhere; tell the lead (and whoever asked) the outcome."""
    with services.session_factory() as session:
        proposal = session.scalar(
            select(DateProposal)
            .where(DateProposal.id == proposal_id)
            .options(selectinload(DateProposal.decision))
        )
        if proposal is None or proposal.decision is None:
            return ""
        d = proposal.decision
        action = load(session, proposal.action_id)
        subject = subject_of(action)
        tz = services.settings.tz
        decided = views.date_decided(
            subject,
            decision=d.decision,
            from_due=proposal.from_due,
            proposed=proposal.proposed_due,
            by=d.by_text,
            at=d.at.astimezone(tz),
            reason=d.reason,
            asked_by=proposal.by_text,
        )
        told = [uid for uid in [*lead_uids(action), proposal.by_uid] if uid and uid != d.by_uid]
        for_lead = views.date_decision_for_lead(
            subject,
            decision=d.decision,
            proposed=proposal.proposed_due,
            from_due=proposal.from_due,
            by=d.by_text,
            reason=d.reason,
        )
    _replace(services, f"proposal:{proposal_id}", decided)
    if not tell_lead or d.decision not in ("agreed", "declined"):
        return ""
    subject = f"decided:{proposal_id}"
    sent = sum(_post(services, uid, for_lead, subject) for uid in dict.fromkeys(told))
    return _count(sent, "person who asked", "people who asked") if sent else ""


def announce_decided(services: Services, proposal_id: int, *, uid: str, already: str | None = None) -> str:
    """After a decision in Slack: replace the buttons everywhere and tell the lead; or, when someone
    else decided first (``already``), replace the buttons and tell this person who did."""
    if already is None:
        return announce_decision(services, proposal_id)
    announce_decision(services, proposal_id, tell_lead=False)
    _post(services, uid, Text(escape(already)), f"late:{proposal_id}")
    return ""


# --- challenges ---------------------------------------------------------------------------------


def announce_challenge(services: Services, challenge_id: int) -> str:
    """The lead gets the question as a DM; their reply in its thread is the answer."""
    with services.session_factory() as session:
        challenge = session.get(Challenge, challenge_id)
        assert challenge is not None
        action = load(session, challenge.action_id)
        reply = views.challenge_for_lead(
            subject_of(action), question=challenge.question, by=challenge.by_text
        )
        recipients = lead_uids(action)
    sent = sum(_post(services, uid, reply, f"challenge:{challenge_id}") for uid in recipients)
    return _count(sent, "lead", "leads") if sent else ""


NOBODY_TOLD = (
    "Your question is recorded, but none of the action's leads is in Slack, so nobody was told. "
    "An admin can record their answer with `progressbot update`."
)


def announce_challenge_raised(services: Services, challenge_id: int, *, uid: str) -> str:
    """After a challenge in Slack: the leads get the question; the challenger hears if nobody could."""
    told = announce_challenge(services, challenge_id)
    if not told:
        _post(services, uid, Text(NOBODY_TOLD), f"unheard:{challenge_id}")
    return told


def announce_answer(services: Services, challenge_id: int) -> str:
    with services.session_factory() as session:
        challenge = session.scalar(
            select(Challenge).where(Challenge.id == challenge_id).options(selectinload(Challenge.answers))
        )
        if challenge is None or not challenge.answers or not challenge.by_uid:
            return ""
        action = load(session, challenge.action_id)
        first = challenge.answers[0]
        reply = views.answer_for_challenger(
            subject_of(action), question=challenge.question, answer=first.text, by=first.by_text
        )
        uid = challenge.by_uid
    return "the person who asked" if _post(services, uid, reply, f"answered:{challenge_id}") else ""


# --- sign-off -----------------------------------------------------------------------------------


def announce_completion(services: Services, action_id: int, update_id: int) -> str:
    """Admins and board members who may sign off get the completion with Sign off / Challenge."""
    with services.session_factory() as session:
        action = load(session, action_id)
        update = session.scalar(
            select(Update).where(Update.id == update_id).options(selectinload(Update.author))
        )
        assert update is not None
        by = update.author.display_name if update.author else update.author_text
        reply = views.completion_request(
            subject_of(action),
            by=by,
            rag=update.rag or "",
            text=update.text,
            evidence_url=update.evidence_url,
            evidence_note=update.evidence_note,
            update_id=update.id,
        )
        author_uid = update.author.slack_user_id if update.author else None
        recipients = deciders(session, action, exclude={author_uid, _uid_of(update.author_text)})
    sent = sum(_post(services, uid, reply, f"signoff:{update_id}") for uid in recipients)
    return _count(sent, "admin or board member", "admins and board members")


def _uid_of(author_text: str | None) -> str | None:
    text = author_text or ""
    return text.removeprefix("Slack user ") if text.startswith("Slack user ") else None


def announce_signoff(services: Services, action_id: int) -> str:
    with services.session_factory() as session:
        signoff = session.scalar(
            select(SignOff)
            .where(SignOff.action_id == action_id)
            .order_by(SignOff.at.desc(), SignOff.id.desc())
            .limit(1)
        )
        if signoff is None:
            return ""
        action = load(session, action_id)
        reply = views.signed_off(
            subject_of(action),
            by=signoff.by_text,
            at=signoff.at.astimezone(services.settings.tz),
            note=signoff.note,
        )
        recipients = [uid for uid in lead_uids(action) if uid != signoff.by_uid]
        update_id, signoff_id = signoff.update_id, signoff.id
    if update_id is not None:
        _replace(services, f"signoff:{update_id}", reply)
    sent = sum(_post(services, uid, reply, f"signed:{signoff_id}") for uid in recipients)
    return _count(sent, "lead", "leads") if sent else ""


def announce_closure(services: Services, action_id: int) -> str:
    """After an action is closed: replace the buttons of requests it closed, and of a sign-off it made."""
    with services.session_factory() as session:
        closed = list(
            session.scalars(
                select(DateProposal.id)
                .join(DateDecision, DateDecision.proposal_id == DateProposal.id)
                .where(DateProposal.action_id == action_id, DateDecision.decision == "superseded")
            )
        )
        signed = session.scalar(select(SignOff.id).where(SignOff.action_id == action_id).limit(1)) is not None
    for proposal_id in closed:
        announce_decision(services, proposal_id, tell_lead=False)
    return announce_signoff(services, action_id) if signed else ""


# --- plan edits ---------------------------------------------------------------------------------


def announce_edit(services: Services, action_id: int, *, uid: str, lines: list[str], key: str) -> str:
    """Tell the action's leads what an admin changed (a new lead learns they lead it now); replace the
    buttons of anything the change closed. ``key`` names this edit, so a repeat DMs nobody twice."""
    with services.session_factory() as session:
        action = load(session, action_id)
        heading = subject_of(action).heading
        recipients = [u for u in lead_uids(action) if u != uid]
    text = f"{heading} was changed by <@{uid}>: " + "; ".join(escape(line) for line in lines)
    sent = sum(_post(services, lead, Text(text[:3000]), f"edit:{key}") for lead in recipients)
    if any(line.startswith(("closed as complete", "withdrawn", "merged into")) for line in lines):
        announce_closure(services, action_id)
    return _count(sent, "lead", "leads") if sent else ""
