"""The weekly digest: where each plan stands, posted once per ISO week per channel.

The ``DigestPost`` row (unique on channel + week) is written before posting and marked after, so a
second run of the job or of ``progressbot digest`` in the same week posts nothing. The post itself is a
ledger message (kind "digest") sent by ``jobs.delivery`` under the digest's own lease, so it follows the
reminders' rules: claimed before it is posted, a 5xx retried within the run, a token error stops the run
with nothing marked failed, and a run killed after Slack accepted the post finds it in the channel
instead of posting it again. A post that still fails stays pending and the next run retries it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from jobs.delivery import PassStopped, deliver, resolve_in_doubt
from jobs.lease import single_runner
from jobs.sender import Sender
from jobs.state import action_states, complete_labels, is_complete
from slackviews.reminders import DigestAction, DigestUpdate, PlanDigest, digest_message
from storage.calendar import zone
from storage.models import (
    Action,
    ActionLead,
    DigestPost,
    Plan,
    ReminderMessage,
    ReportVersion,
    SignOff,
    Update,
)
from storage.signoff import AWAITING, completion_run, completion_state, needs_signoff

log = logging.getLogger(__name__)

DUE_SOON_DAYS = 14
LOCK_NAME = "progressbot-digest"


@dataclass
class DigestResult:
    channel: str
    week: str
    posted: bool = False
    already: bool = False  # this week's digest was already posted to the channel
    ran: bool = True
    chart: bool = False
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # Slack refused the post (e.g. not_in_channel); the next run tries again
    stopped: str | None = None  # the run stopped early (a token error, Slack down); still pending
    hint: str | None = None  # what to do about ``error`` or ``stopped``, in one line
    needs_fixing: bool = False


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def build_digests(session: Session, now: dt.datetime, *, tz_name: str = "Europe/London") -> list[PlanDigest]:
    """Each plan's week (what ``digest_message`` renders), with a constant number of queries."""
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    week_ago = now - dt.timedelta(days=7)
    plans = session.scalars(select(Plan).options(selectinload(Plan.rag_states)).order_by(Plan.name)).all()
    done = complete_labels(session)
    current = action_states(session, as_of=now)
    before = action_states(session, as_of=week_ago)
    actions = session.scalars(
        select(Action)
        .where(Action.status == "open")  # withdrawn and merged actions have left the plan
        .options(selectinload(Action.leads).selectinload(ActionLead.person))
        .order_by(Action.plan_id, Action.position)
    ).all()
    recent = session.scalars(
        select(Update)
        .where(Update.submitted_at > week_ago, Update.submitted_at <= now)
        .options(selectinload(Update.author), selectinload(Update.action))
        .order_by(Update.submitted_at.desc())
    ).all()
    last_reports: dict[int, dt.datetime] = {}
    for plan_id, published_at in session.execute(
        select(ReportVersion.plan_id, ReportVersion.published_at).where(ReportVersion.published_at <= now)
    ):
        if plan_id not in last_reports or published_at > last_reports[plan_id]:
            last_reports[plan_id] = published_at

    awaiting_now, awaiting_before = _awaiting_signoff(session, plans, done, (now, week_ago))

    out = []
    for plan in plans:
        from storage.rag import scheme_for_plan

        labels = scheme_for_plan(plan).labels
        mine = [a for a in actions if a.plan_id == plan.id]
        counts = dict.fromkeys(labels, 0)
        previous = dict.fromkeys(labels, 0)
        unrated = 0
        awaited_before = 0
        for a in mine:
            rag = current[a.id].rag if a.id in current else None
            # A completion awaiting sign-off is not complete yet: listed apart, as the report does.
            if a.id not in awaiting_now:
                if rag in counts:
                    counts[rag] += 1
                else:
                    unrated += 1
            old = before[a.id].rag if a.id in before else None
            if a.id in awaiting_before:
                awaited_before += 1
            elif old in previous:
                previous[old] += 1

        def row(a: Action) -> DigestAction:
            lead = ", ".join(link.person.display_name for link in a.leads) or "no lead"
            return DigestAction(a.ref, a.title, a.due_date, lead)

        open_actions = [
            a
            for a in mine
            if a.schedule != "done"
            and not is_complete(plan, done, current[a.id].rag if a.id in current else None)
        ]
        dated = [
            a for a in open_actions if a.due_date is not None and a.schedule not in ("ongoing", "recurring")
        ]
        overdue = sorted((a for a in dated if a.due_date < today), key=lambda a: a.due_date)
        soon = sorted(
            (a for a in dated if today <= a.due_date <= today + dt.timedelta(days=DUE_SOON_DAYS)),
            key=lambda a: a.due_date,
        )
        since = last_reports.get(plan.id)
        stale = [
            a
            for a in open_actions
            if a.id not in current or (since is not None and current[a.id].last_update_at <= since)
        ]
        out.append(
            PlanDigest(
                plan_id=plan.id,
                plan=plan.name,
                plan_title=plan.title or plan.name,
                counts=counts,
                previous_counts=previous,
                unrated=unrated,
                awaiting_signoff=tuple(row(a) for a in mine if a.id in awaiting_now),
                previous_awaiting_signoff=awaited_before,
                updates=tuple(
                    DigestUpdate(
                        ref=u.action.ref,
                        who=(u.author.display_name if u.author else u.author_text) or "someone",
                        rag=u.rag,
                        text=u.text,
                        action_id=u.action_id,
                        update_id=u.id,
                    )
                    for u in recent
                    if u.action.plan_id == plan.id and u.action.status == "open"
                ),
                overdue=tuple(row(a) for a in overdue),
                due_soon=tuple(row(a) for a in soon),
                stale=tuple(row(a) for a in stale),
                last_report=since.astimezone(tz).date() if since else None,
            )
        )
    return out


def _awaiting_signoff(
    session: Session, plans: list[Plan], done: dict[int, set[str]], times: tuple[dt.datetime, ...]
) -> list[set[int]]:
    """For each of ``times``, the open actions whose lead had marked them complete and nobody had signed
    off by then (one read of the updates and sign-offs serves every time)."""
    asking = {plan.id for plan in plans if needs_signoff(plan)}
    if not asking:
        return [set() for _ in times]
    latest = max(times)
    signoffs = session.execute(
        select(SignOff.update_id, SignOff.at).where(SignOff.at <= latest, SignOff.update_id.is_not(None))
    ).all()
    updates: dict[int, list[Any]] = {}
    plan_of: dict[int, int] = {}
    for row in session.execute(
        select(Update.id, Update.action_id, Update.rag, Update.source, Update.submitted_at, Action.plan_id)
        .join(Action, Action.id == Update.action_id)
        .where(Action.status == "open", Action.plan_id.in_(asking), Update.submitted_at <= latest)
        .order_by(Update.action_id, Update.submitted_at, Update.id)
    ):
        updates.setdefault(row.action_id, []).append(row)
        plan_of[row.action_id] = row.plan_id
    found = []
    for when in times:
        signed = {update_id for update_id, at in signoffs if at <= when}
        found.append(
            {
                action_id
                for action_id, rows in updates.items()
                if completion_state(
                    completion_run(
                        [r for r in rows if r.submitted_at <= when], done.get(plan_of[action_id], set())
                    ),
                    signed,
                    needs=True,
                )
                == AWAITING
            }
        )
    return found


def run_digest(
    session_factory: sessionmaker[Session],
    client: Any,
    now: dt.datetime,
    *,
    channel: str,
    tz_name: str = "Europe/London",
    dry_run: bool = False,
    chart: bool = True,
    sender: Sender | None = None,
) -> DigestResult:
    """Post this week's digest to ``channel`` unless it has been posted already."""
    week = iso_week(now.astimezone(zone(tz_name)).date())
    result = DigestResult(channel=channel, week=week)
    if dry_run:
        with session_factory() as session:
            result.text, result.blocks = digest_message(build_digests(session, now, tz_name=tz_name))
            result.already = (
                session.scalar(
                    select(DigestPost.status).where(DigestPost.channel == channel, DigestPost.week == week)
                )
                == "sent"
            )
        return result
    sender = sender or Sender(client)
    with single_runner(session_factory, LOCK_NAME) as lease:
        if lease is None:
            result.ran = False
            return result
        try:
            resolve_in_doubt(session_factory, sender.client, now, kinds=("digest",))
        except PassStopped as stop:
            result.stopped, result.hint, result.needs_fixing = stop.reason, stop.hint, stop.needs_fixing
            return _logged(result)
        with session_factory.begin() as session:
            message_id = _queue(session, channel, week, now, tz_name, result)
            plans = session.scalars(select(Plan).order_by(Plan.name)).all()
        if message_id is None:
            result.already = True
            return _logged(result)
        stats = deliver(session_factory, sender, lease, [message_id], now)
        result.stopped, result.hint, result.needs_fixing = stats.stopped, stats.hint, stats.needs_fixing
        ts = _settle_post(session_factory, channel, week, message_id, now, result)
    if result.posted and chart and plans:
        try:
            result.chart = _upload_chart(session_factory, client, plans, now, channel, ts)
        except Exception:
            # The digest itself is out and recorded; a chart that fails must not make it repeat.
            log.exception("digest chart upload failed for %s", channel)
    return _logged(result)


def _logged(result: DigestResult) -> DigestResult:
    if result.error or result.stopped:
        log.error("digest for %s to %s not posted: %s", result.week, result.channel, result.hint)
    else:
        log.info(
            "digest for %s to %s: posted=%s already=%s chart=%s",
            result.week,
            result.channel,
            result.posted,
            result.already,
            result.chart,
        )
    return result


def _queue(
    session: Session, channel: str, week: str, now: dt.datetime, tz_name: str, result: DigestResult
) -> int | None:
    """The ledger message to post this week's digest through, rendered now; None when it already went."""
    post = _post_row(session, channel, week, now)
    if post.status == "sent":
        return None
    message = session.get(ReminderMessage, post.message_id) if post.message_id else None
    if message is not None and message.status == "sent":
        # Posted, but the run stopped before this row was marked: record it, post nothing.
        post.status, post.ts, post.posted_at = "sent", message.ts, message.sent_at
        return None
    if message is not None and message.status == "sending":
        return None  # another run's claim, still live: it is posting this very digest
    result.text, result.blocks = digest_message(build_digests(session, now, tz_name=tz_name))
    if message is None:
        message = ReminderMessage(
            slack_user_id=channel, kind="digest", attempts=0, created_at=now, payload={}
        )
        session.add(message)
        session.flush()
        post.message_id = message.id
    # A week's digest that failed before (a channel the bot was not in, a token since fixed) is tried
    # again by each run, with what is true now.
    message.status, message.next_attempt_at = "pending", None
    message.payload = {"text": result.text, "blocks": result.blocks}
    return message.id


def _post_row(session: Session, channel: str, week: str, now: dt.datetime) -> DigestPost:
    query = select(DigestPost).where(DigestPost.channel == channel, DigestPost.week == week)
    existing = session.scalars(query).first()
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            post = DigestPost(channel=channel, week=week, status="pending", created_at=now)
            session.add(post)
    except IntegrityError:
        return session.scalars(query).one()
    return post


def _settle_post(
    session_factory: sessionmaker[Session],
    channel: str,
    week: str,
    message_id: int,
    now: dt.datetime,
    result: DigestResult,
) -> str | None:
    """Mark the week's row from what happened to its message; the digest's ts when it was posted."""
    with session_factory.begin() as session:
        message = session.get(ReminderMessage, message_id)
        post = session.scalars(select(DigestPost).where(DigestPost.message_id == message_id)).one()
        assert message is not None
        if message.status == "sent":
            post.status, post.ts, post.posted_at = "sent", message.ts, now
            result.posted = True
            return message.ts
        if message.status == "failed":
            result.error = message.last_error
            result.hint = (
                f"Slack refused the digest post to {channel} ({message.last_error}): check the channel id, "
                "invite the bot (/invite @progressbot) and run again"
            )
        elif not result.stopped:
            result.stopped = message.last_error or "not sent"
            result.hint = f"Slack failed the digest post ({message.last_error}); the next run tries again"
    return None


def _upload_chart(
    session_factory: sessionmaker[Session],
    client: Any,
    plans: list[Plan],
    now: dt.datetime,
    channel: str,
    thread_ts: str | None,
) -> bool:
    """RAG over time for each plan, in the digest's thread. A chart failure never undoes the digest."""
    try:
        from report.charts import rag_over_time_png
        from report.compile import compile_report
    except ImportError:
        return False
    uploaded = False
    for plan in plans:
        with session_factory() as session:
            data = compile_report(session, session.get(Plan, plan.id), as_of=now, now=now)
        png = rag_over_time_png(data)
        client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=png,
            filename=f"rag-over-time-{plan.name}.png",
            title=f"RAG over time: {plan.title or plan.name}",
        )
        uploaded = True
    return uploaded
