"""Publishing freezes a version of the report: a document-history row and the next baseline."""

from __future__ import annotations

import datetime as dt
import logging
import math

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from report.compile import compile_report, version_number
from storage.errors import InvalidInput
from storage.models import Plan, ReportVersion

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 2000


def next_version(existing: list[str]) -> str:
    """The next whole version after the highest numeric one, imported history included: 5.0 → 6.0.

    Pass only numbered versions: a board pack's version is named after its meeting ("Board 16 March
    2027"), whose day is not a version number."""
    numbers = [n for n in (version_number(v) for v in existing) if n is not None]
    if not numbers:
        return "1.0"
    return f"{math.floor(max(numbers)) + 1}.0"


def publish_version(
    session: Session, plan: Plan, *, now: dt.datetime, summary: str, author: str
) -> ReportVersion:
    """Freeze the plan as it stands at ``now``: RAG per action into the snapshot, a history row.

    The new version becomes the baseline for every report compiled after ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("publish_version needs an aware datetime")
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_LIMIT:
        raise InvalidInput(f"the summary of changes is limited to {SUMMARY_LIMIT} characters", "summary")
    existing = list(
        session.scalars(
            select(ReportVersion.version).where(
                ReportVersion.plan_id == plan.id, ReportVersion.source != "board"
            )
        )
    )
    if any(
        v.published_at >= now
        for v in session.scalars(select(ReportVersion).where(ReportVersion.plan_id == plan.id))
        if v.source in ("publish", "board")
    ):
        raise InvalidInput("a version was already published at or after this time", "now")
    data = compile_report(session, plan, as_of=now, now=now)
    version = ReportVersion(
        plan_id=plan.id,
        version=next_version(existing),
        published_at=now,
        as_of=now,
        summary=summary or data.headline.sentence,
        author=(author or "").strip() or "progressbot",
        source="publish",
        snapshot={str(row.id): row.rag for row in data.actions},
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        # Two people published at once and took the same number: theirs stands, this one is refused.
        raise InvalidInput(
            f"version {version.version} of {plan.name} was published by someone else just now; try again",
            "version",
        ) from None
    log.info("published plan %s version %s (%d actions)", plan.name, version.version, len(data.actions))
    return version
