"""The worker's scheduler: job ids, triggers, misfire/coalesce choices, the error listener, thin jobs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.blocking import BlockingScheduler

from progressbot import scheduler as sched
from tests.support.jobs_factories import RecordingClient, make_action, make_person, make_plan

MON = dt.datetime(2026, 11, 23, 9, 15, tzinfo=dt.UTC)


@dataclasses.dataclass
class FixedContext(sched.JobContext):
    fixed: dt.datetime = MON

    def now(self) -> dt.datetime:
        return self.fixed


def test_jobs_have_ids_triggers_and_deliberate_misfire_settings(settings, database):
    scheduler = sched.create_scheduler(settings, database.session_factory, RecordingClient())
    assert isinstance(scheduler, BlockingScheduler)
    assert str(scheduler.timezone) == "Europe/London"
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "reminder-pass",
        "weekly-digest",
        "outbox-drain",
        "reminder-catch-up",
        "digest-catch-up",
    }
    reminder, digest = jobs["reminder-pass"], jobs["weekly-digest"]
    assert "minute='*/15'" in str(reminder.trigger)
    assert "day_of_week='mon'" in str(digest.trigger) and "hour='9'" in str(digest.trigger)
    assert reminder.trigger.timezone == ZoneInfo("Europe/London")
    assert (reminder.coalesce, reminder.max_instances, reminder.misfire_grace_time) == (True, 1, 600)
    assert (digest.coalesce, digest.misfire_grace_time) == (True, 6 * 3600)
    assert reminder.func is sched.reminder_job and digest.func is sched.digest_job
    outbox = jobs["outbox-drain"]
    assert "interval[0:01:00]" in str(outbox.trigger) and outbox.func is sched.outbox_job
    assert (outbox.coalesce, outbox.max_instances) == (True, 1)


def test_a_custom_digest_schedule_and_a_bad_one(settings, database):
    custom = dataclasses.replace(settings, digest_schedule="Fri 16:30")
    scheduler = sched.create_scheduler(custom, database.session_factory, RecordingClient(), catch_up=False)
    digest = scheduler.get_job("weekly-digest")
    assert "day_of_week='fri'" in str(digest.trigger) and "minute='30'" in str(digest.trigger)
    with pytest.raises(ValueError, match="PROGRESSBOT_DIGEST_SCHEDULE"):
        sched.create_scheduler(
            dataclasses.replace(settings, digest_schedule="someday"),
            database.session_factory,
            RecordingClient(),
        )


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (dt.datetime(2026, 11, 23, 8, 59, tzinfo=dt.UTC), False),  # Monday 08:59 London
        (dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC), True),  # Monday afternoon: catch up
        (dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC), False),  # Friday: too stale to post
        (dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC), False),  # Sunday night: next week not yet
    ],
)
def test_digest_due_for_the_start_up_catch_up(now, due):
    assert sched.digest_due(now, "mon 09:00", ZoneInfo("Europe/London")) is due


def test_the_jobs_are_thin_calls_into_the_passes(settings, database):
    with database.session_factory.begin() as s:
        plan = make_plan(s)
        make_action(s, plan, "1.1", leads=[make_person(s, "Ann", uid="UANN")], due=dt.date(2026, 11, 23))
    client = RecordingClient()
    ctx = FixedContext(settings=settings, session_factory=database.session_factory, client=client, rate=0)
    sched.reminder_job(ctx)
    sched.reminder_job(ctx)
    assert [p["channel"] for p in client.posts] == ["UANN"]
    sched.digest_job(ctx)  # posts to settings.digest_channel; the chart upload is not on this fake client
    sched.digest_job(ctx, catch_up=True)
    assert [p["channel"] for p in client.posts] == ["UANN", "C0DIGEST"]


def test_job_errors_reach_the_listener_with_the_traceback(caplog):
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        event = JobExecutionEvent(
            EVENT_JOB_ERROR, "reminder-pass", "default", MON, exception=exc, traceback="..."
        )
    with caplog.at_level(logging.ERROR, logger="progressbot.scheduler"):
        sched.on_job_event(event)
    (record,) = caplog.records
    assert "reminder-pass failed" in record.getMessage() and record.exc_info[1].args == ("boom",)
