"""The board cycle's part of the reminder pass, besides the lead DMs (which the reminder ledger sends):
the admins' note of leads a call could not reach, the board pack's publication and delivery, and what
a dry run shows of both.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from jobs.board import BoardRound, MeetingRound
from jobs.board_publish import PACK, deliver_packs, pack_comment, pack_data, publish_due
from jobs.delivery import deliver
from jobs.escalation import board_members
from jobs.lease import Lease
from jobs.planner import PlannerConfig
from jobs.sender import Sender
from slackviews.board import undelivered_message, unreached_message
from storage.calendar import local_today, may_send_now, zone
from storage.meetings import meeting_label
from storage.models import BoardPost, Meeting, ReminderMessage, Role
from storage.people import person_for_slack_user

log = logging.getLogger(__name__)

UNREACHED = "unreached"
UNREACHED_KIND = "board_unreached"  # the ReminderMessage kind of the admins' note


def _admins(session: Session) -> list[str]:
    return list(session.scalars(select(Role.slack_user_id).where(Role.role == "admin").order_by(Role.id)))


def _note_due(rnd: MeetingRound, now: dt.datetime, config: PlannerConfig) -> bool:
    tz = zone(config.default_tz)
    return rnd.schedule.call_day <= local_today(now, tz) <= rnd.schedule.cutoff and may_send_now(
        now, tz, config.calendar, rnd.policy.window
    )


def _note(rnd: MeetingRound, board: BoardRound) -> tuple[str, list[dict[str, Any]], list[str]]:
    people = [(lead.person.display_name, why) for lead, why in board.unreached[rnd.meeting.id]]
    text, blocks = unreached_message(
        rnd.label, rnd.plan.title or rnd.plan.name, rnd.meeting.cutoff.isoformat(), people
    )
    return text, blocks, [name for name, _ in people]


def queue_unreached_notes(
    session: Session, now: dt.datetime, board: BoardRound, config: PlannerConfig
) -> list[int]:
    """Once per meeting and admin, on the call day: the leads the call can't reach in Slack, and why.

    The ``board_posts`` row (unique per meeting, kind and admin) is claimed first; the note itself is
    a message the reminder sender delivers like any other."""
    ids: list[int] = []
    for rnd in board.rounds:
        if rnd.meeting.id not in board.unreached or not _note_due(rnd, now, config):
            continue
        admins = _admins(session)
        if not admins:
            log.warning(
                "%s: %d leads can't be reached and no admin is set",
                rnd.label,
                len(board.unreached[rnd.meeting.id]),
            )
            continue
        text, blocks, names = _note(rnd, board)
        for uid in admins:
            try:
                with session.begin_nested():
                    message, new = _admin_message(session, uid, now)
                    payload = dict(message.payload or {})
                    payload["text"] = " ".join(x for x in (payload.get("text"), text) if x)[:3000]
                    payload["blocks"] = [*payload.get("blocks", []), *blocks]
                    payload["names"] = sorted({*payload.get("names", []), *names})
                    message.payload = payload
                    session.flush()
                    session.add(
                        BoardPost(
                            meeting_id=rnd.meeting.id,
                            kind=UNREACHED,
                            target=uid,
                            status="queued",
                            message_id=message.id,
                            created_at=now,
                        )
                    )
                    session.flush()
            except IntegrityError:
                continue  # this admin has had the note for this meeting
            if new:
                ids.append(message.id)
    return ids


def _admin_message(session: Session, uid: str, now: dt.datetime) -> tuple[ReminderMessage, bool]:
    """This pass's note to an admin: the weekly unlinked-leads notice or another meeting's note, if one
    is already queued (an admin gets one DM per pass too), else a new message."""
    queued = session.scalars(
        select(ReminderMessage).where(
            ReminderMessage.slack_user_id == uid,
            ReminderMessage.kind.in_(("unlinked", UNREACHED_KIND)),
            ReminderMessage.status == "pending",
            ReminderMessage.created_at == now,
        )
    ).first()
    if queued is not None:
        return queued, False
    message = ReminderMessage(
        slack_user_id=uid,
        kind=UNREACHED_KIND,
        status="pending",
        attempts=0,
        created_at=now,
        payload={"items": []},
    )
    session.add(message)
    session.flush()
    return message, True


@dataclass
class PublicationStats:
    published: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0


def run_publication(
    factory: sessionmaker[Session],
    sender: Sender,
    lease: Lease,
    now: dt.datetime,
    board: BoardRound,
    config: PlannerConfig,
) -> PublicationStats:
    """Publish the packs that are due, then deliver every queued pack whose recipient may be sent to now
    (under the pass's lease; a token error raises ``PassStopped``, as for any send of the pass)."""
    stats = PublicationStats()
    stats.published = len(publish_due(factory, board.publications, now, config=config))
    sender.guard = lease.ensure_held
    try:
        delivered = deliver_packs(factory, sender, lease, now, config=config)
    finally:
        sender.guard = None
    stats.sent, stats.deferred, stats.failed = delivered.sent, delivered.deferred, delivered.failed
    if delivered.failures:
        with factory.begin() as session:
            ids = _queue_undelivered(session, now, delivered.failures)
        sent = deliver(factory, sender, lease, ids, now)
        if sent.stopped:
            log.error("the admins' note of undelivered packs waits for the next pass: %s", sent.hint)
    return stats


def _queue_undelivered(session: Session, now: dt.datetime, failures: list[tuple[int, str, str]]) -> list[int]:
    """Tell the admins, straight away, that a pack could not be delivered (a board without its paper)."""
    by_meeting: dict[int, list[tuple[str, str]]] = {}
    for meeting_id, target, error in failures:
        person = person_for_slack_user(session, target) if target.startswith(("U", "W")) else None
        who = f"board member {person.display_name}" if person else f"board member {target}"
        by_meeting.setdefault(meeting_id, []).append(
            (who if target.startswith(("U", "W")) else f"channel {target}", error)
        )
    ids: list[int] = []
    admins = _admins(session)
    if not admins:
        log.error("board packs could not be delivered and no admin is set to be told: %s", failures)
    for meeting_id, where in by_meeting.items():
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        text, blocks = undelivered_message(meeting_label(meeting), meeting.date.isoformat(), where)
        for uid in admins:
            message = ReminderMessage(
                slack_user_id=uid,
                kind=UNREACHED_KIND,
                status="pending",
                attempts=0,
                created_at=now,
                payload={"text": text, "blocks": blocks, "items": []},
            )
            session.add(message)
            session.flush()
            ids.append(message.id)
    return ids


def admin_notes_to_retry(session: Session, now: dt.datetime) -> list[int]:
    """Admins' notes a failed send left pending: the sync never lists them (they hold no ledger rows),
    so each pass lists those whose backoff has passed."""
    return list(
        session.scalars(
            select(ReminderMessage.id).where(
                ReminderMessage.kind.in_(("unlinked", UNREACHED_KIND)),
                ReminderMessage.status == "pending",
                ReminderMessage.created_at < now,
                (ReminderMessage.next_attempt_at.is_(None)) | (ReminderMessage.next_attempt_at <= now),
            )
        )
    )


def board_previews(
    session: Session, now: dt.datetime, board: BoardRound, config: PlannerConfig
) -> list[dict[str, Any]]:
    """What a dry run shows beyond the lead DMs: the admins' notes and the packs that would be published."""
    out: list[dict[str, Any]] = []
    for rnd in board.rounds:
        if rnd.meeting.id in board.unreached and _note_due(rnd, now, config):
            told = set(
                session.scalars(
                    select(BoardPost.target).where(
                        BoardPost.meeting_id == rnd.meeting.id, BoardPost.kind == UNREACHED
                    )
                )
            )
            text, blocks, _ = _note(rnd, board)
            out += [
                {"to": uid, "kind": UNREACHED_KIND, "text": text, "blocks": blocks, "items": []}
                for uid in _admins(session)
                if uid not in told
            ]
    for rnd in board.publications:
        data = pack_data(session, rnd, now, zone(config.default_tz))
        comment = pack_comment(rnd, data)
        targets = ([rnd.plan.board_channel] if rnd.plan.board_channel else []) + [
            uid for _, uid in board_members(session)
        ]
        blocks = [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"[board pack: {rnd.label}, DOCX]\n{comment}"},
            }
        ]
        out += [
            {"to": t, "kind": f"board_{PACK}", "text": comment, "blocks": blocks, "items": []}
            for t in targets
        ]
        if not targets:
            out.append(
                {
                    "to": "(nobody: set `progressbot board channel`)",
                    "kind": f"board_{PACK}",
                    "text": comment,
                    "blocks": blocks,
                    "items": [],
                }
            )
    return out
