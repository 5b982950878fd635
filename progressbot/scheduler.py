"""The worker: an APScheduler 3.x scheduler whose jobs are thin calls into idempotent passes.

It lives with the commands, above every other package, because it composes them: the passes
(``jobs``), the email channel (``mail``) and the Slack outbox (``bot``).

Choices, on purpose:
- ``reminder-pass`` every 15 minutes, round the clock, in the configured time zone: each lead's own
  09:00 (London, New York, Kolkata's half hour) is reached within a quarter of an hour, and a pass
  outside anyone's window costs one planning query and sends nothing.
- ``coalesce=True`` and ``max_instances=1``: a backlog (the host slept, a long pass) runs once, not
  N times; the ledger makes a run idempotent anyway.
- ``misfire_grace_time``: 10 minutes for the reminder pass (the next one is 15 minutes away), 6 hours
  for the digest (a worker busy or restarting at Monday 09:00 still posts that morning).
- The default memory job store forgets missed runs across restarts, so a start-up run of both passes
  catches up; ``DigestPost`` and the ledger stop it from repeating anything.
- Exactly one worker should run (see the README); if two do, the single-runner guard makes the second
  skip its passes.
- ``outbox-drain`` every minute does Slack work the web processes owe and have not done (a web
  process was killed before it could); claims on outbox rows are conditional, so it never doubles
  what a web process is doing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.app import REMINDER_REFRESHER
from bot.outbox import drain_owed
from jobs.digest import run_digest
from jobs.planner import PlannerConfig
from jobs.reminders import run_reminder_pass
from jobs.sender import DEFAULT_RATE
from mail.outbox import EmailChannel, email_channel
from progressbot.config import Settings
from progressbot.lifecycle import within

log = logging.getLogger(__name__)

REMINDER_JOB_ID = "reminder-pass"
OUTBOX_JOB_ID = "outbox-drain"
OUTBOX_SECONDS = 60
DIGEST_JOB_ID = "weekly-digest"
DIGEST_CATCH_UP = dt.timedelta(hours=9)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class JobContext:
    """What every job is called with: built once by ``create_scheduler``."""

    settings: Settings
    session_factory: sessionmaker[Session]
    client: WebClient
    rate: float = DEFAULT_RATE  # Slack messages per second (jobs.sender.Pacer)
    config: PlannerConfig = field(default_factory=PlannerConfig)
    email: EmailChannel | None = None  # when email is configured

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)  # the one place the worker reads the clock


def parse_digest_schedule(text: str) -> tuple[str, int, int]:
    """ "mon 09:00" -> ("mon", 9, 0). Raises ValueError naming PROGRESSBOT_DIGEST_SCHEDULE."""
    try:
        day, clock = text.strip().lower().split()
        hour, minute = (int(p) for p in clock.split(":"))
        day = day[:3]
        if day not in DAYS or not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise ValueError(f"PROGRESSBOT_DIGEST_SCHEDULE must look like 'mon 09:00', got {text!r}") from None
    return day, hour, minute


def digest_due(now: dt.datetime, schedule: str, tz: dt.tzinfo) -> bool:
    """True in the hours after this week's digest time (the start-up catch-up uses it).

    A worker down at Monday 09:00 and back by the afternoon still posts; one back on Thursday does not
    post a stale "weekly" digest."""
    day, hour, minute = parse_digest_schedule(schedule)
    local = now.astimezone(tz)
    monday = local.date() - dt.timedelta(days=local.weekday())
    slot = dt.datetime.combine(monday + dt.timedelta(days=DAYS.index(day)), dt.time(hour, minute), tzinfo=tz)
    return slot <= local < slot + DIGEST_CATCH_UP


def reminder_job(ctx: JobContext) -> None:
    run_reminder_pass(
        ctx.session_factory, ctx.client, ctx.now(), config=ctx.config, rate=ctx.rate, email=ctx.email
    )


def digest_job(ctx: JobContext, *, catch_up: bool = False) -> None:
    channel = ctx.settings.digest_channel
    if not channel:
        log.info("PROGRESSBOT_DIGEST_CHANNEL is not set: no weekly digest")
        return
    now = ctx.now()
    if catch_up and not digest_due(now, ctx.settings.digest_schedule, ctx.settings.tz):
        return
    run_digest(ctx.session_factory, ctx.client, now, channel=channel, tz_name=ctx.settings.timezone)


def outbox_job(ctx: JobContext) -> None:
    """Slack work the web processes owe but have not done (one crashed, or none is running): do it."""
    drain_owed(
        ctx.settings,
        ctx.session_factory,
        ctx.client,
        timeout=OUTBOX_SECONDS - 10,
        reminder_refresher=REMINDER_REFRESHER,
    )


def on_job_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        return
    exc = event.exception
    log.error(
        "job %s failed",
        event.job_id,
        exc_info=(type(exc), exc, exc.__traceback__) if exc is not None else None,
    )


def add_jobs(scheduler: BaseScheduler, ctx: JobContext, *, catch_up: bool = True) -> None:
    tz = ctx.settings.tz
    day, hour, minute = parse_digest_schedule(ctx.settings.digest_schedule)
    scheduler.add_job(
        reminder_job,
        CronTrigger(minute="*/15", timezone=tz),
        args=[ctx],
        id=REMINDER_JOB_ID,
        name="reminder pass",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=600,
    )
    scheduler.add_job(
        digest_job,
        CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=tz),
        args=[ctx],
        id=DIGEST_JOB_ID,
        name="weekly digest",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        outbox_job,
        IntervalTrigger(seconds=OUTBOX_SECONDS, timezone=tz),
        args=[ctx],
        id=OUTBOX_JOB_ID,
        name="outbox drain",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=OUTBOX_SECONDS,
    )
    if catch_up:
        scheduler.add_job(
            reminder_job,
            DateTrigger(timezone=tz),
            args=[ctx],
            id="reminder-catch-up",
            replace_existing=True,
            misfire_grace_time=600,
        )
        scheduler.add_job(
            digest_job,
            DateTrigger(timezone=tz),
            args=[ctx],
            kwargs={"catch_up": True},
            id="digest-catch-up",
            replace_existing=True,
            misfire_grace_time=600,
        )
    scheduler.add_listener(on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)


def stop_scheduler(scheduler: BaseScheduler, timeout: float) -> bool:
    """Stop starting jobs, let a running one finish within ``timeout``, shut down; False if cut short.

    Paused first, and the loop's current look at due jobs awaited (APScheduler 3 holds its job-store lock
    for it): ``shutdown()`` from another thread while that look is in progress makes the loop raise
    JobLookupError on the job it is about to remove.
    """
    if not scheduler.running:
        return True
    scheduler.pause()
    with scheduler._jobstores_lock:
        pass
    return within(timeout, lambda: scheduler.shutdown(wait=True), "the running pass")


def create_scheduler(
    settings: Settings,
    session_factory: sessionmaker[Session],
    client: WebClient,
    *,
    rate: float | None = None,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    catch_up: bool = True,
) -> BaseScheduler:
    """The worker's scheduler (``progressbot worker`` calls ``.start()``; ``progressbot run`` starts it in a
    thread next to Socket Mode)."""
    scheduler = scheduler_class(
        timezone=settings.tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600}
    )
    if rate is None:
        rate = getattr(settings, "send_rate", DEFAULT_RATE)
    ctx = JobContext(
        settings=settings,
        session_factory=session_factory,
        client=client,
        rate=rate,
        config=PlannerConfig.from_settings(settings),
        email=email_channel(settings),
    )
    add_jobs(scheduler, ctx, catch_up=catch_up)
    return scheduler
