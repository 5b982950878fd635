"""The weekly digest: where each plan stands, posted once per ISO week per channel.

The ``DigestPost`` row (unique on channel + week) is claimed before posting and marked after, so a
second run of the job or of ``progressbot digest`` in the same week posts nothing. A failed post leaves
the row pending and the next run retries it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.views.reminders import digest_message
from jobs.calendar import zone
from jobs.lease import single_runner
from jobs.state import action_states, complete_labels, is_complete
from storage.models import Action, ActionLead, DigestPost, Plan, ReportVersion, Update

log = logging.getLogger(__name__)

DUE_SOON_DAYS = 14


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


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def build_digests(
    session: Session, now: dt.datetime, *, tz_name: str = "Europe/London"
) -> list[dict[str, Any]]:
    """One plain dict per plan (what ``digest_message`` renders), with a constant number of queries."""
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

    out = []
    for plan in plans:
        from storage.rag import scheme_for_plan

        labels = scheme_for_plan(plan).labels
        mine = [a for a in actions if a.plan_id == plan.id]
        counts = dict.fromkeys(labels, 0)
        previous = dict.fromkeys(labels, 0)
        unrated = 0
        for a in mine:
            rag = current[a.id].rag if a.id in current else None
            if rag in counts:
                counts[rag] += 1
            else:
                unrated += 1
            old = before[a.id].rag if a.id in before else None
            if old in previous:
                previous[old] += 1

        def row(a: Action) -> dict[str, Any]:
            return {
                "ref": a.ref,
                "title": a.title,
                "due": a.due_date.isoformat() if a.due_date else None,
                "lead": ", ".join(link.person.display_name for link in a.leads) or "no lead",
            }

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
            {
                "plan_id": plan.id,
                "plan_title": plan.title or plan.name,
                "counts": counts,
                "previous_counts": previous,
                "unrated": unrated,
                "updates": [
                    {
                        "ref": u.action.ref,
                        "action_id": u.action_id,
                        "update_id": u.id,
                        "who": (u.author.display_name if u.author else u.author_text) or "someone",
                        "rag": u.rag,
                        "text": u.text,
                    }
                    for u in recent
                    if u.action.plan_id == plan.id and u.action.status == "open"
                ],
                "overdue": [row(a) for a in overdue],
                "due_soon": [row(a) for a in soon],
                "stale": [row(a) for a in stale],
                "last_report": since.astimezone(tz).date().isoformat() if since else None,
            }
        )
    return out


def run_digest(
    session_factory: sessionmaker[Session],
    client: Any,
    now: dt.datetime,
    *,
    channel: str,
    tz_name: str = "Europe/London",
    dry_run: bool = False,
    chart: bool = True,
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
    with single_runner(session_factory, "progressbot-digest", now) as lease:
        if lease is None:
            result.ran = False
            return result
        with session_factory.begin() as session:
            claim = _claim(session, channel, week, now)
            if claim is None:
                result.already = True
                return result
            result.text, result.blocks = digest_message(build_digests(session, now, tz_name=tz_name))
            plans = session.scalars(select(Plan).order_by(Plan.name)).all()
        response = client.chat_postMessage(channel=channel, text=result.text, blocks=result.blocks)
        with session_factory.begin() as session:
            post = session.get(DigestPost, claim)
            assert post is not None
            post.status, post.ts, post.posted_at = "sent", response.get("ts"), now
        result.posted = True
        if chart and plans:
            try:
                result.chart = _upload_chart(session_factory, client, plans, now, channel, response.get("ts"))
            except Exception:
                # The digest itself is out and recorded; a chart that fails must not make it repeat.
                log.exception("digest chart upload failed for %s", channel)
    log.info("digest for %s to %s: posted=%s chart=%s", week, channel, result.posted, result.chart)
    return result


def _claim(session: Session, channel: str, week: str, now: dt.datetime) -> int | None:
    """The pending DigestPost id to post under, or None when this week's digest already went."""
    existing = session.scalars(
        select(DigestPost).where(DigestPost.channel == channel, DigestPost.week == week)
    ).first()
    if existing is not None:
        return None if existing.status == "sent" else existing.id
    try:
        with session.begin_nested():
            post = DigestPost(channel=channel, week=week, status="pending", created_at=now)
            session.add(post)
    except IntegrityError:
        return None
    return post.id


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
