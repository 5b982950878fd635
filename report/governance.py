"""The governance part of the report: revised timescales, sign-off, challenges, closures and the count of
plan changes since the last version. Pure functions over what ``storage.governance`` loaded.

Rules (also in the README):
- an action's completion is the run of complete RAGs at the end of its updates; with the plan's
  ``completion_needs_signoff`` policy it counts as complete only once signed off, and until then is
  "complete, awaiting sign-off" (its own row in the counts, and an exception);
- a completion that came from the imported plan is signed off by that import, and is never a
  contradiction for want of evidence;
- completion needs evidence (a link or a note) and so does a sign-off, or the report flags it;
- withdrawn and merged actions (as at the report date) leave counts, percentages and exceptions, and
  are listed in a band of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from report.data import ActionRow, ChallengeNote, PlanChanges
from storage.governance import CHANGE_WORDS, ActionGovernance, changes_between, describe_counts
from storage.models import Action, ReportVersion
from storage.signoff import completion_run, completion_state


def _date(value: dt.datetime | dt.date | None, tz: dt.tzinfo) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).date().isoformat()
    return value.isoformat()


def with_governance(
    row: ActionRow,
    action: Action,
    updates: Sequence,
    gov: ActionGovernance | None,
    *,
    needs: bool,
    complete: set[str],
    tz: dt.tzinfo,
) -> ActionRow:
    gov = gov or ActionGovernance()
    run = completion_run(updates, complete)
    run_ids = {u.id for u in run}
    by_import = any(u.source == "import" for u in run)
    state = completion_state(run, gov.signed_update_ids, needs=needs)
    signoff = next((s for s in gov.signoffs if s.update_id in run_ids), None)
    contradictions = list(row.contradictions)
    if run and not row.evidence and not by_import:
        contradictions.append(f"{row.rag} (complete) but no evidence (a link or a note) was given")
    if signoff is not None and not (signoff.note or signoff.evidence_url):
        contradictions.append(f"signed off by {signoff.by} without a note or link as evidence")
    revisions = gov.revisions
    closure = gov.closure
    fields = {
        "original_due": _date(gov.original_due(action.due_date), tz),
        "revised_date": _date(revisions[-1].agreed_at, tz) if revisions else None,
        "revisions": len(revisions),
        "completion": state,
        "signed_off_by": signoff.by if signoff else ("the imported plan" if by_import else ""),
        "signed_off_date": _date(signoff.at, tz) if signoff else None,
        "challenges": tuple(
            ChallengeNote(c.by, _date(c.at, tz) or "", c.question) for c in gov.open_challenges
        ),
        "contradictions": _unique(contradictions),
    }
    if closure is not None:  # left the plan by the report date: out of every count and exception
        fields.update(
            status=closure.status,
            merged_into=closure.into,
            closed_reason=closure.reason,
            closed_date=_date(closure.at, tz),
            overdue=False,
            stale=False,
            contradictions=(),
            challenges=(),
            direction=None,
        )
    return dataclasses.replace(row, **fields)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def retimed_since(
    governance: dict[int, ActionGovernance],
    action_ids: set[int],
    since: dt.datetime | None,
    until: dt.datetime,
) -> int:
    """How many of these actions had their due date revised after ``since`` (ever, when None)."""
    return sum(
        1
        for action_id, gov in governance.items()
        if action_id in action_ids
        and any((since is None or r.agreed_at > since) and r.agreed_at <= until for r in gov.revisions)
    )


def plan_changes(
    governance: dict[int, ActionGovernance], base: ReportVersion | None, as_of: dt.datetime, tz: dt.tzinfo
) -> PlanChanges:
    counts = changes_between(governance, base.as_of if base else None, as_of)
    ordered = tuple((key, counts[key]) for key in CHANGE_WORDS if counts.get(key))
    return PlanChanges(
        since_version=base.version if base else None,
        since_date=_date(base.published_at, tz) if base else None,
        counts=ordered,
        text=describe_counts(counts),
    )
