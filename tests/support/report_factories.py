"""Small builders of plan data for the report tests, written straight to the models.

They do what the importer and the update recorder store, without depending on them, so the report
tests describe report behaviour only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from storage.models import Action, ActionLead, Person, Plan, RagState, ReportVersion, Section, SignOff, Update

UTC = dt.UTC

BRAG = (
    ("Red", "#FF0000", "Not on track", False),
    ("Amber", "#FFC000", "Some slippage, being managed", False),
    ("Green", "#00B050", "On track", False),
    ("Blue", "#0070C0", "Complete", True),
)
FIVE_STATE = (
    ("Not started or behind", "#C00000", "X: not started or behind", False),
    ("Delayed", "#ED7D31", "↓: delayed", False),
    ("On track", "#FFC000", "-: on track", False),
    ("Ahead", "#70AD47", "↑: ahead of schedule", False),
    ("Completed", "#4472C4", "✓: completed", True),
)


def make_plan(
    session: Session,
    name: str = "Test plan",
    *,
    scheme: Sequence[tuple[str, str, str, bool]] | None = BRAG,
    title: str = "Improvement Action Plan",
    organisation: str = "Example Borough Council",
) -> Plan:
    plan = Plan(name=name, title=title, organisation=organisation)
    session.add(plan)
    session.flush()
    for rank, (label, colour, meaning, complete) in enumerate(scheme or ()):
        session.add(
            RagState(
                plan_id=plan.id, label=label, rank=rank, colour=colour, meaning=meaning, is_complete=complete
            )
        )
    session.flush()
    return plan


def add_section(
    session: Session, plan: Plan, title: str, *, ref: str | None = None, parent: Section | None = None
) -> Section:
    section = Section(
        plan_id=plan.id,
        title=title,
        ref=ref,
        parent_id=parent.id if parent else None,
        position=session.query(Section).filter_by(plan_id=plan.id).count() + 1,
    )
    session.add(section)
    session.flush()
    return section


def person(session: Session, display_name: str) -> Person:
    existing = session.query(Person).filter_by(display_name=display_name).first()
    if existing is not None:
        return existing
    p = Person(display_name=display_name)
    session.add(p)
    session.flush()
    return p


def add_action(
    session: Session,
    plan: Plan,
    ref: str,
    title: str | None = None,
    *,
    section: Section | None = None,
    due: dt.date | None = None,
    timescale: str | None = None,
    leads: Sequence[str] = ("Jane Smith",),
    position: int | None = None,
) -> Action:
    count = session.query(Action).filter_by(plan_id=plan.id).count()
    action = Action(
        plan_id=plan.id,
        section_id=section.id if section else None,
        ref=ref,
        title=title or f"Action {ref}",
        position=position if position is not None else count + 1,
        timescale=timescale if timescale is not None else (f"{due:%B %Y}" if due else "Ongoing"),
        due_date=due,
        schedule="once" if due else "ongoing",
    )
    session.add(action)
    session.flush()
    for i, name in enumerate(leads):
        session.add(
            ActionLead(action_id=action.id, person_id=person(session, name).id, position=i, lead_text=name)
        )
    session.flush()
    return action


def add_update(
    session: Session,
    action: Action,
    rag: str | None,
    text: str = "",
    *,
    at: dt.datetime,
    author: str | None = None,
    on_behalf_of: str | None = None,
    evidence: str | None = None,
    source: str = "cli",
) -> Update:
    update = Update(
        action_id=action.id,
        rag=rag,
        text=text,
        submitted_at=at,
        author_id=person(session, author).id if author else None,
        author_text=author or "",
        on_behalf_of_id=person(session, on_behalf_of).id if on_behalf_of else None,
        evidence_url=evidence,
        source=source,
    )
    session.add(update)
    session.flush()
    return update


def sign_off(
    session: Session, update: Update, *, by: str, at: dt.datetime, note: str = "Evidence seen"
) -> SignOff:
    """An admin's or board member's sign-off of a completion, as ``storage.signoff`` stores it."""
    row = SignOff(
        action_id=update.action_id, update_id=update.id, note=note, by_text=by, source="slack", at=at
    )
    session.add(row)
    session.flush()
    return row


def add_history(
    session: Session, plan: Plan, version: str, date: dt.date, *, summary: str = "", author: str = ""
) -> ReportVersion:
    """A document-history row as the importer stores it: no snapshot."""
    at = dt.datetime(date.year, date.month, date.day, 12, tzinfo=UTC)
    row = ReportVersion(
        plan_id=plan.id,
        version=version,
        published_at=at,
        as_of=at,
        summary=summary,
        author=author,
        source="import",
        snapshot={},
    )
    session.add(row)
    session.flush()
    return row


def board_scenario(session: Session) -> Plan:
    """A small plan with imported history, a published baseline and an update that turns 1.2 Red.

    At 2026-03-10 10:00 UTC: 1.1 Green →, 1.2 Red ↓ (was Green), 2.1 Blue → with evidence (signed off
    by the Board Chair), 2.2 no RAG, 1.2's due date (28 Feb 2026) has passed.
    """
    from report.publish import publish_version

    plan = make_plan(
        session,
        name="board",
        title="Post Ofsted <ILACS> Action Plan",
        organisation="Stockton & District Council",
    )
    add_history(session, plan, "5.0", dt.date(2020, 2, 10), summary="Review at CSMG", author="Martin Gray")
    people = add_section(session, plan, "Improve timeliness", ref="1")
    practice = add_section(session, plan, "Practice & supervision", ref="2")
    a = add_action(
        session,
        plan,
        "1.1",
        "Develop a quality assurance framework",
        section=people,
        due=dt.date(2026, 11, 30),
        leads=("Service Manager Quality",),
    )
    b = add_action(
        session,
        plan,
        "1.2",
        "Introduce a <legal gateway> panel",
        section=people,
        due=dt.date(2026, 2, 28),
        leads=("Assistant Director", "Service Manager Fieldwork"),
    )
    c = add_action(
        session,
        plan,
        "2.1",
        "Review supervision standards",
        section=practice,
        due=dt.date(2026, 1, 31),
        leads=("Service Manager Quality",),
    )
    add_action(session, plan, "2.2", "Reduce team sizes", section=practice, timescale="Ongoing")
    jan = dt.datetime(2026, 1, 5, 10, tzinfo=UTC)
    add_update(session, a, "Green", "On schedule.", at=jan, author="Service Manager Quality")
    add_update(session, b, "Green", "Panel planned.", at=jan, author="Assistant Director")
    done = add_update(
        session,
        c,
        "Blue",
        "Standards published.",
        at=jan,
        author="Service Manager Quality",
        evidence="https://example.org/standards?a=1&b=2",
    )
    sign_off(session, done, by="Board Chair", at=dt.datetime(2026, 1, 20, 10, tzinfo=UTC))
    publish_version(
        session,
        plan,
        now=dt.datetime(2026, 2, 1, 10, tzinfo=UTC),
        summary="Baseline",
        author="Board Secretary",
    )
    add_update(
        session,
        b,
        "Red",
        "Panel <script>alert(1)</script> delayed & no chair.",
        at=dt.datetime(2026, 3, 2, 10, tzinfo=UTC),
        author="Clerk",
        on_behalf_of="Assistant Director",
    )
    add_update(
        session,
        a,
        None,
        "Draft circulated.",
        at=dt.datetime(2026, 3, 3, 10, tzinfo=UTC),
        author="Service Manager Quality",
    )
    return plan


BOARD_AS_OF = dt.datetime(2026, 3, 10, 10, tzinfo=UTC)
