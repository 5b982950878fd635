"""``progressbot demo``: the whole job on a fresh SQLite file, with no Slack and no network.

It imports the bundled sample plan (Stockton-on-Tees' 2019 ILACS action plan, a public document)
with the progress it records, publishes a baseline, adds a few dated example updates (one turns an
action Red), then writes the board report as Word and HTML. The story runs on fixed dates in spring
2020, the plan's own time, so every run prints and writes the same thing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
PLAN_NAME = "stockton-2019"
SAMPLE = "sample-plan.docx"
IMPORTED_AT = dt.datetime(2020, 2, 14, 9, 0, tzinfo=LONDON)
BASELINE_AT = dt.datetime(2020, 3, 2, 9, 0, tzinfo=LONDON)
REPORT_AT = dt.datetime(2020, 3, 31, 17, 0, tzinfo=LONDON)

# (preferred ref, RAG or None for a text-only update, text, days after the baseline, evidence link).
# The Red one goes to an action that had a better RAG at the baseline, so the report shows it worsen.
EXAMPLE_UPDATES = (
    (
        "1.4",
        "Red",
        "Slipped: the two officers leading this work have left and it has stalled. A recovery "
        "plan and a revised date will come to the board by 30 April.",
        9,
        None,
    ),
    (
        "1.1",
        "Blue",
        "Signed off at CSMG and published to all staff; the first audits under it are booked.",
        12,
        "https://example.org/csmg/signed-off-2020.pdf",
    ),
    (
        "5.4",
        "Amber",
        "Consultation on the new team structure opened; two team manager posts are vacant.",
        16,
        None,
    ),
    ("6.1", None, "Drafts circulated to practitioners; workshops booked for April.", 21, None),
)
# The board at work: the chair signs off the completion, agrees a revised date for the slipped action
# (the lead asked for it), and asks the lead of the restructure a question that is still open.
CHAIR_UID, CHAIR = "U0DEMOCHAIR", "Chair of the Improvement Board"
REVISED_DUE = dt.date(2020, 6, 30)


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    database: Path
    docx: Path
    html: Path
    summary_text: str


def _fresh_database(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "progressbot-demo.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()
    return path


def run_demo(folder: Path) -> DemoResult:
    from report.compile import compile_report
    from report.publish import publish_version
    from report.render_docx import render_docx
    from report.render_html import render_html
    from report.summaries import overall, red_only
    from report.text import render_text
    from storage.db import open_database

    folder = folder.resolve()
    db_path = _fresh_database(folder)
    engine, session_factory = open_database(f"sqlite:///{db_path}")
    try:
        with session_factory.begin() as session:
            plan = _import_sample(session)
        with session_factory.begin() as session:
            plan = session.merge(plan)
            publish_version(
                session,
                plan,
                now=BASELINE_AT,
                author="Performance and Improvement Officer",
                summary="Baseline published by the progressbot demo after importing version 5.0.",
            )
        with session_factory.begin() as session:
            plan = session.merge(plan)
            chosen = _add_example_updates(session, plan)
            _add_example_governance(session, chosen)
        with session_factory.begin() as session:
            plan = session.merge(plan)
            data = compile_report(session, plan, as_of=REPORT_AT, now=REPORT_AT)
    finally:
        engine.dispose()
    docx_path = folder / "report.docx"
    html_path = folder / "report.html"
    docx_path.write_bytes(render_docx(data))
    html_path.write_text(render_html(data), encoding="utf-8")
    text = render_text(overall(data)) + "\n" + render_text(red_only(data))
    log.info("demo written to %s", folder)
    return DemoResult(folder, db_path, docx_path, html_path, text)


def _import_sample(session):
    from storage.importers import read_plan
    from storage.plans import get_plan, import_plan

    with resources.as_file(resources.files("progressbot.data") / SAMPLE) as path:
        parsed = read_plan(Path(path))
    import_plan(session, parsed, plan_name=PLAN_NAME, now=IMPORTED_AT)
    session.flush()
    return get_plan(session, PLAN_NAME)


def _pick_actions(session, plan, scheme) -> list:
    """An action for each example: the preferred ref when the plan has it, else the next in plan order.

    The Red example prefers an action that is rated, not Red and not complete at the baseline.
    """
    from report.compile import compile_report

    rows = compile_report(session, plan, as_of=BASELINE_AT, now=BASELINE_AT).actions
    worst = scheme.labels[0]
    by_ref = {r.ref: r for r in rows}
    chosen, used = [], set()
    for ref, rag, *_ in EXAMPLE_UPDATES:
        candidates = [r for r in rows if r.id not in used]
        if rag == "Red":
            rated = [r for r in candidates if r.rag and r.rag != worst and not scheme.is_complete(r.rag)]
            preferred = by_ref.get(ref)
            pick = preferred if preferred in rated else (rated[0] if rated else None)
        else:
            pick = None
        if pick is None:
            pick = by_ref.get(ref) if ref in by_ref and by_ref[ref].id not in used else None
        if pick is None and candidates:
            pick = candidates[0]
        if pick is None:
            break
        used.add(pick.id)
        chosen.append(pick.id)
    return chosen


def _add_example_updates(session, plan) -> list[int]:
    """The example updates; returns the ids of the actions they went to, in EXAMPLE_UPDATES order."""
    from storage.models import Action
    from storage.rag import scheme_for_plan

    scheme = scheme_for_plan(plan)
    chosen = _pick_actions(session, plan, scheme)
    for action_id, (_ref, rag, text, days, evidence) in zip(chosen, EXAMPLE_UPDATES, strict=False):
        label = scheme.parse(rag) if rag else None
        if rag and label is None:
            # A plan whose own key has no such state: its worst state for Red, else its best.
            label = scheme.labels[0] if rag == "Red" else scheme.labels[-1]
        _record(
            session,
            session.get(Action, action_id),
            rag=label,
            text=text,
            at=BASELINE_AT + dt.timedelta(days=days),
            evidence=evidence,
        )
    return chosen


def _add_example_governance(session, chosen: list[int]) -> None:
    from storage import challenges, proposals
    from storage.authority import slack_actor
    from storage.models import Action
    from storage.people import grant_role, name_slack_user
    from storage.signoff import AWAITING, completion, sign_off

    grant_role(session, CHAIR_UID, "board", by="progressbot demo", now=IMPORTED_AT)
    name_slack_user(session, CHAIR_UID, CHAIR)
    chair = slack_actor(session, CHAIR_UID)
    day = BASELINE_AT.replace(hour=14)
    slipped, completed, restructure = (
        session.get(Action, i) for i in chosen[:3]
    )  # the bundled plan has them
    if completion(session, completed).state == AWAITING:
        sign_off(
            session,
            completed,
            actor=chair,
            now=day + dt.timedelta(days=14),
            note="Seen the signed-off framework",
        )
    if slipped.due_date is None or slipped.due_date < REVISED_DUE:
        stamp = {"by_uid": None, "by_person_id": None, "by_text": "progressbot demo", "source": "cli"}
        asked = proposals.propose(session, slipped, REVISED_DUE, reason="The recovery plan needs until the end of June",
                                  stamp=stamp, now=day + dt.timedelta(days=10))  # fmt: skip
        proposals.decide(
            session, asked.proposal, agree=True, actor=chair, reason="", now=day + dt.timedelta(days=17)
        )
    challenges.raise_challenge(session, restructure, actor=chair, now=day + dt.timedelta(days=22),
                               question="When will the two vacant team manager posts be filled?")  # fmt: skip


def _record(session, action, *, rag, text, at, evidence) -> None:
    from storage.updates import record_update

    record_update(
        session,
        action,
        rag=rag,
        text=text,
        source="cli",
        submitted_at=at,
        author_text="progressbot demo",
        evidence_url=evidence,
    )
