"""The board pack: published once at the cut-off, then delivered to the board channel and each member.

1. ``publish_pack`` (one transaction): claim the meeting with a conditional UPDATE (``published_at``
   from NULL), compile the report as at the end of the cut-off day, comparing with the previous
   meeting's pack, add the actions nobody answered for, render the DOCX, publish it as a version named
   after the meeting, keep the bytes, and queue one ``board_posts`` row per recipient. Anything that
   fails rolls all of it back, and the next pass tries again; a second worker's claim finds the row
   taken and does nothing.
2. ``deliver_packs``: upload each queued pack inside the recipient's sending window, under the
   reminder pass's lease and rules (``jobs.delivery``): the row is claimed with a conditional UPDATE
   ("pending" to "sending", with the pass as ``claimed_by`` and the database's clock as
   ``claimed_at``) and marked "sent" after Slack accepts it; the lease is checked right before the
   upload; a token or permission error stops the pass with the row pending again. A row left "sending"
   by a pass that no longer holds a lease (killed, or an upload that may have gone through) is looked
   for in the conversation's history around its claim (the pack's file name is unique to the
   meeting); found, it is marked sent; not found, or Slack can't be asked, it goes back to pending (a
   rare repeat beats a lost pack). A live pass's row is never touched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from jobs.board import LeadRound, MeetingRound, build_round
from jobs.delivery import MAX_ATTEMPTS, PassStopped, backoff, history_since
from jobs.escalation import board_members
from jobs.lease import Lease, LeaseLost, database_now, live_holders
from jobs.planner import PlannerConfig
from jobs.sender import Sender, classify
from report.data import EXC_NO_RESPONSE, ExceptionItem, HistoryRow, ReportData
from storage.calendar import may_send_now, zone
from storage.meetings import meeting_label
from storage.models import BoardPost, Meeting, ReportVersion
from storage.people import person_for_slack_user

log = logging.getLogger(__name__)

PACK = "pack"
AUTHOR = "progressbot (board cycle)"


def pack_filename(rnd_or_meeting: MeetingRound | Meeting) -> str:
    meeting = rnd_or_meeting.meeting if isinstance(rnd_or_meeting, MeetingRound) else rnd_or_meeting
    plan = re.sub(r"[^A-Za-z0-9._-]+", "-", meeting.plan.name).strip("-.") or "plan"
    return f"{plan}-board-pack-{meeting.date.isoformat()}.docx"


def no_response_items(rnd: MeetingRound) -> tuple[ExceptionItem, ...]:
    """One exception per action asked about for the meeting and not updated by the cut-off."""
    waiting: dict[int, list[LeadRound]] = {}
    asked: dict[int, Any] = {}
    for lead in rnd.leads:
        for a in lead.outstanding:
            waiting.setdefault(a.action_id, []).append(lead)
            asked[a.action_id] = a
    items = []
    for action_id, leads in waiting.items():
        a = asked[action_id]
        items.append(
            ExceptionItem(
                EXC_NO_RESPONSE,
                action_id,
                a.ref,
                a.title,
                tuple(lead.person.display_name for lead in leads),
                a.rag,
                "; ".join(_how_asked(lead) for lead in leads),
            )
        )
    return tuple(sorted(items, key=lambda i: rnd.order.get(i.action_id, 0)))


def _how_asked(lead: LeadRound) -> str:
    name = lead.person.display_name
    if lead.sent.call is None:
        return f"{name}: could not be asked in Slack"
    asked = f"asked {_day(lead.sent.call)}"
    chased = f", chased {_day(lead.sent.chase)}" if lead.sent.chase else ""
    return f"{name}: no update ({asked}{chased})"


def _day(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    return f"{at.day} {at:%b}"


def pack_data(session: Session, rnd: MeetingRound, now: dt.datetime, tz: Any) -> ReportData:
    """The report as at the end of the cut-off day, compared with the previous meeting's pack."""
    from report.compile import compile_report

    previous = session.scalars(
        select(Meeting)
        .where(
            Meeting.plan_id == rnd.plan.id,
            Meeting.date < rnd.meeting.date,
            Meeting.version_id.is_not(None),
            Meeting.id != rnd.meeting.id,
        )
        .order_by(Meeting.date.desc())
        .limit(1)
    ).first()
    as_of = rnd.schedule.cutoff_end.astimezone(tz)
    data = compile_report(
        session,
        rnd.plan,
        as_of=as_of,
        now=now,
        baseline_version_id=previous.version_id if previous else None,
    )
    return dataclasses.replace(
        data, meeting=rnd.label, exceptions=(*data.exceptions, *no_response_items(rnd))
    )


def pack_comment(rnd: MeetingRound, data: ReportData) -> str:
    """The message the pack is posted with: what it is, the headline, and who gave no update."""
    from slackviews.text import escape

    cutoff = rnd.meeting.cutoff
    lines = [
        f"*{escape(rnd.label)}*: the board pack for {escape(rnd.plan.title or rnd.plan.name)}, as at the end "
        f"of {cutoff:%A} {cutoff.day} {cutoff:%B} (the cut-off for updates).",
        escape(data.headline.sentence),
    ]
    if rnd.leads:
        lines.append(
            f"{len(rnd.responded)} of {len(rnd.leads)} leads updated their actions for this meeting."
        )
    if rnd.waiting:
        names = ", ".join(
            f"{escape(lead.person.display_name)} ({len(lead.outstanding)})" for lead in rnd.waiting[:20]
        )
        more = f" and {len(rnd.waiting) - 20} more" if len(rnd.waiting) > 20 else ""
        lines.append(f"No update from: {names}{more}.")
    return "\n".join(lines)


def _version_label(session: Session, rnd: MeetingRound) -> str:
    """The meeting's label, made unique in the plan's history (a cancelled meeting may have used it)."""
    taken = set(session.scalars(select(ReportVersion.version).where(ReportVersion.plan_id == rnd.plan.id)))
    label, n = rnd.label, 2
    while label in taken:
        label, n = f"{rnd.label} ({n})", n + 1
    return label


@dataclass
class Published:
    meeting_id: int
    version: str
    recipients: list[str]


def publish_pack(
    factory: sessionmaker[Session], meeting_id: int, now: dt.datetime, *, config: PlannerConfig
) -> Published | None:
    """Publish one meeting's pack if nobody has: version, bytes and queued deliveries in one commit."""
    from report.render import render

    tz = zone(config.default_tz)
    with factory.begin() as session:
        claimed = session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id, Meeting.published_at.is_(None), Meeting.status == "scheduled")
            .values(published_at=now, updated_at=now)
        ).rowcount
        if claimed != 1:
            return None  # published by another pass, or cancelled since the round was planned
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        session.refresh(meeting)
        rnd = build_round(session, meeting, now, config=config)
        data = pack_data(session, rnd, now, tz)
        label = _version_label(session, rnd)
        version = ReportVersion(
            plan_id=rnd.plan.id,
            version=label,
            published_at=now,
            as_of=rnd.schedule.cutoff_end,
            summary=(
                f"Board pack for {rnd.label}: {len(rnd.responded)} of {len(rnd.leads)} leads updated "
                f"by the cut-off ({meeting.cutoff.day} {meeting.cutoff:%b %Y})."
            ),
            author=AUTHOR,
            source="board",
            snapshot={str(row.id): row.rag for row in data.actions},
        )
        session.add(version)
        session.flush()
        history = HistoryRow(
            date=now.astimezone(tz).date().isoformat(),
            version=label,
            summary=version.summary,
            author=AUTHOR,
            source="board",
        )
        data = dataclasses.replace(data, history=(*data.history, history))
        meeting.version_id = version.id
        meeting.pack_docx = render(data, "docx")
        meeting.pack_summary = pack_comment(rnd, data)
        targets = ([rnd.plan.board_channel] if rnd.plan.board_channel else []) + [
            uid for _, uid in board_members(session)
        ]
        for target in dict.fromkeys(targets):
            session.add(
                BoardPost(meeting_id=meeting.id, kind=PACK, target=target, status="pending", created_at=now)
            )
        session.flush()
    log.info(
        "published the board pack %s (%s) for %d recipients", label, pack_filename(meeting), len(targets)
    )
    if not targets:
        log.warning(
            "%s: the board pack was published but there is no board channel or board member to send it to",
            label,
        )
    return Published(meeting_id, label, list(dict.fromkeys(targets)))


@dataclass
class DeliveryStats:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # (meeting id, target, error)


def _recipient_zone(session: Session, target: str, default_tz: str) -> Any:
    if target.startswith(("U", "W")):
        person = person_for_slack_user(session, target)
        return zone(person.timezone if person else None, default_tz)
    return zone(default_tz)


def due_posts(session: Session, now: dt.datetime, config: PlannerConfig) -> list[BoardPost]:
    """Queued pack deliveries whose recipient's window is open and whose backoff has passed."""
    from storage.policy import Policy

    out = []
    for post in session.scalars(
        select(BoardPost).where(BoardPost.kind == PACK, BoardPost.status == "pending").order_by(BoardPost.id)
    ):
        if post.next_attempt_at is not None and post.next_attempt_at > now:
            continue
        window = Policy.for_plan(post.meeting.plan).window
        if may_send_now(
            now, _recipient_zone(session, post.target, config.default_tz), config.calendar, window
        ):
            out.append(post)
    return out


def deliver_packs(
    factory: sessionmaker[Session], sender: Sender, lease: Lease, now: dt.datetime, *, config: PlannerConfig
) -> DeliveryStats:
    """Upload every pack due now, each recorded in its own small transaction."""
    stats = DeliveryStats()
    resolve_in_doubt_packs(factory, sender.client, now)
    with factory() as session:
        due = [(p.id, p.target) for p in due_posts(session, now, config)]
    for post_id, target in due:
        _deliver_one(factory, sender, lease, post_id, target, now, stats)
    return stats


def _deliver_one(
    factory: sessionmaker[Session],
    sender: Sender,
    lease: Lease,
    post_id: int,
    target: str,
    now: dt.datetime,
    stats: DeliveryStats,
) -> None:
    client = sender.client
    try:
        channel = _channel_for(client, target)
    except SlackApiError as exc:
        _record(factory, lease, post_id, now, stats, error=_stop_or(classify(exc)))
        return
    except (SlackClientError, OSError) as exc:
        _record(factory, lease, post_id, now, stats, error=_connection(exc))
        return
    claimed = _claim(factory, lease, post_id, channel)
    if claimed is None:
        return  # sent, or claimed by another pass, since the list was read
    content, comment, filename, title = claimed
    try:
        sender.before_request()  # the pacing slot, then the lease check
        response = client.files_upload_v2(
            channel=channel, content=content, filename=filename, title=title, initial_comment=comment
        )
    except LeaseLost:
        _release(factory, lease, post_id)
        raise
    except SlackApiError as exc:
        _record(factory, lease, post_id, now, stats, error=_stop_or(classify(exc), factory, lease, post_id))
        return
    except (SlackClientError, OSError) as exc:
        _record(factory, lease, post_id, now, stats, error=_connection(exc, in_doubt=True))
        return
    file_id = (response.get("file") or {}).get("id") if hasattr(response, "get") else None
    _record(factory, lease, post_id, now, stats, file_id=file_id)


def _claim(
    factory: sessionmaker[Session], lease: Lease, post_id: int, channel: str
) -> tuple[bytes, str, str, str] | None:
    """Flag the row "sending" for this pass if it is still pending: (content, comment, file name, title)."""
    with factory.begin() as session:
        claimed = session.execute(
            update(BoardPost)
            .where(BoardPost.id == post_id, BoardPost.status == "pending")
            .values(
                status="sending", channel=channel, claimed_by=lease.holder, claimed_at=database_now(session)
            )
        ).rowcount
        if claimed != 1:
            return None
        post = session.get(BoardPost, post_id)
        assert post is not None
        meeting = post.meeting
        return (
            meeting.pack_docx,
            meeting.pack_summary,
            pack_filename(meeting),
            f"Board pack: {meeting_label(meeting)}",
        )


def _release(factory: sessionmaker[Session], lease: Lease, post_id: int) -> None:
    """Give a claim back unposted: pending again, no attempt counted."""
    with factory.begin() as session:
        session.execute(
            update(BoardPost)
            .where(
                BoardPost.id == post_id, BoardPost.status == "sending", BoardPost.claimed_by == lease.holder
            )
            .values(status="pending", claimed_by=None)
        )


def _stop_or(
    error: Any, factory: sessionmaker[Session] | None = None, lease: Lease | None = None, post_id: int = 0
):
    """A token or permission error stops the whole pass, the pack left pending; anything else is recorded."""
    if error.stop:
        if factory is not None and lease is not None:
            _release(factory, lease, post_id)
        raise PassStopped(
            error.error or "stopped", error.hint or "", needs_fixing=error.error != "ratelimited"
        )
    return error


def _connection(exc: Exception, *, in_doubt: bool = False):
    from jobs.sender import SendResult

    return SendResult(ok=False, error=f"connection: {exc}", retryable=True, in_doubt=in_doubt)


def _channel_for(client: Any, target: str) -> str:
    """A member's DM with the app (files need a channel id); a channel id as it is."""
    if target.startswith(("U", "W")):
        return client.conversations_open(users=target)["channel"]["id"]
    return target


def _record(
    factory: sessionmaker[Session],
    lease: Lease,
    post_id: int,
    now: dt.datetime,
    stats: DeliveryStats,
    *,
    error: Any = None,
    file_id: str | None = None,
) -> None:
    with factory.begin() as session:
        post = session.get(BoardPost, post_id)
        assert post is not None
        if post.claimed_by not in (None, lease.holder):
            return  # another pass's now (this one lost its lease): it decides
        post.attempts += 1
        if error is None:
            post.status, post.sent_at, post.file_id, post.last_error = "sent", now, file_id, None
            post.next_attempt_at = None
            stats.sent += 1
            return
        post.last_error = error.error
        if error.retryable and post.attempts < MAX_ATTEMPTS:
            # A failure that may have shared the file leaves the row in doubt (no live claim): the next
            # pass looks for it before uploading again. One that never reached Slack is simply pending.
            post.status = "sending" if error.in_doubt and post.status == "sending" else "pending"
            post.claimed_by, post.next_attempt_at = None, now + backoff(post.attempts)
            stats.deferred += 1
            return
        post.status, post.claimed_by = "failed", None
        stats.failed += 1
        stats.failures.append((post.meeting_id, post.target, error.error or "unknown error"))
        log.error("board pack %s to %s failed for good: %s", post.meeting_id, post.target, error.error)


def resolve_in_doubt_packs(factory: sessionmaker[Session], client: Any, now: dt.datetime) -> tuple[int, int]:
    """Settle deliveries a dead pass left "sending": (found in Slack, put back to pending)."""
    with factory() as session:
        sending = list(
            session.scalars(select(BoardPost).where(BoardPost.kind == PACK, BoardPost.status == "sending"))
        )
        live = live_holders(session) if sending else set()
        doubtful = [
            (p.id, p.claimed_by, p.channel, pack_filename(p.meeting), (p.claimed_at, p.created_at))
            for p in sending
            if p.claimed_by is None or p.claimed_by not in live
        ]
    found = requeued = 0
    for post_id, holder, channel, filename, times in doubtful:
        delivered = _find_upload(client, channel, filename, *times)
        with factory.begin() as session:
            post = session.get(BoardPost, post_id)
            assert post is not None
            if post.status != "sending" or post.claimed_by != holder:
                continue  # settled meanwhile
            if delivered:
                post.status, post.sent_at, post.claimed_by = "sent", now, None
                found += 1
            else:
                post.status, post.claimed_by = "pending", None
                requeued += 1
    if doubtful:
        log.warning("in-doubt board pack deliveries: %s already delivered, %s requeued", found, requeued)
    return found, requeued


def _find_upload(client: Any, channel: str | None, filename: str, *times: dt.datetime | None) -> bool:
    if not channel:
        return False
    try:
        history = history_since(client, channel, *times)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("cannot check whether the board pack reached %s: %s", channel, exc)
        return False
    return any(f.get("name") == filename for message in history for f in message.get("files") or [])


def publish_due(
    factory: sessionmaker[Session], rounds: list[MeetingRound], now: dt.datetime, *, config: PlannerConfig
) -> list[Published]:
    """Publish each pack the planner found due (each claim decides whether this pass does it)."""
    out = []
    for rnd in rounds:
        try:
            published = publish_pack(factory, rnd.meeting.id, now, config=config)
        except IntegrityError:
            log.warning("%s: another pass published this board pack just now", rnd.label)
            continue
        if published is not None:
            out.append(published)
    return out
