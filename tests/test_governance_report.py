"""The board report shows governance: original and revised timescales, retimed actions in the headline,
challenges, sign-off, withdrawn and merged actions in their own band, and plan changes since the last
version, in every format."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from report.compile import compile_report
from report.publish import publish_version
from report.render_docx import render_docx
from report.render_html import render_html
from report.render_md import render_md
from storage import challenges, proposals
from storage.authority import slack_actor
from storage.changes import Edit, set_action
from storage.closing import close_action
from storage.followups import record_lead_update
from storage.signoff import sign_off
from storage.updates import record_update
from tests.support.governance_factories import ADA, KIM, NOW, PAT, governed_plan

pytestmark = pytest.mark.storage

DAY = dt.timedelta(days=1)
AS_OF = NOW + 10 * DAY


def _row(data, ref):
    return next(r for r in (*data.actions, *data.closed) if r.ref == ref)


def _lead(session, world, ref, rag, text, *, at, **extra):
    person = world.people["jo"] if ref.startswith("1") else world.people["sam"]
    return record_lead_update(session, world.actions[ref], today=at.date(), rag=rag, text=text, source="slack",
                              submitted_at=at, author=person, **extra)  # fmt: skip


@pytest.fixture
def governed(session):
    """Published at NOW; then 1.1 retimed, 1.2 withdrawn, 2.1 completed, challenged on 1.1."""
    world = governed_plan(session)
    _lead(session, world, "1.1", "Green", "On track", at=NOW - 5 * DAY)
    _lead(session, world, "1.2", "Amber", "Forum planned", at=NOW - 5 * DAY)
    _lead(session, world, "2.1", "Green", "Drafting", at=NOW - 5 * DAY)
    publish_version(session, world.plan, now=NOW, summary="Baseline", author="Board Secretary")
    proposal = _lead(session, world, "1.1", "Amber", "Partner sign-off delayed", at=NOW + DAY,
                     proposed_due=dt.date(2027, 1, 31)).followups.proposed.proposal  # fmt: skip
    proposals.decide(
        session, proposal, agree=True, actor=slack_actor(session, PAT), reason="", now=NOW + 2 * DAY
    )
    close_action(session, world.actions["1.2"], as_="withdrawn", into=None, reason="Covered by 1.1",
                 actor=slack_actor(session, ADA), now=NOW + 3 * DAY)  # fmt: skip
    challenges.raise_challenge(session, world.actions["1.1"], actor=slack_actor(session, KIM),
                               question="What is the partner's new date?", now=NOW + 4 * DAY)  # fmt: skip
    _lead(
        session,
        world,
        "2.1",
        "Blue",
        "Standards published",
        at=NOW + 5 * DAY,
        evidence_url="https://x.example/s",
    )
    return world


def test_revised_timescale_and_the_retimed_headline(session, governed):
    data = compile_report(session, governed.plan, as_of=AS_OF, now=AS_OF)
    row = _row(data, "1.1")
    assert (row.due, row.original_due, row.revised_date, row.revisions) == (
        "2027-01-31",
        "2026-12-01",
        "2026-11-25",
        1,
    )
    assert row.timescale_note == "Original: 1 Dec 2026 · Revised: 31 Jan 2027 (agreed 25 Nov 2026)"
    assert data.headline.retimed == 1 and data.headline.retimed_text == "1 action retimed since version 1.0"
    # Retimes before the baseline are not "since the last version".
    publish_version(session, governed.plan, now=AS_OF - DAY, summary="v2", author="Me")
    assert compile_report(session, governed.plan, as_of=AS_OF, now=AS_OF).headline.retimed == 0


def test_withdrawn_actions_leave_counts_and_sit_in_their_own_band(session, governed):
    data = compile_report(session, governed.plan, as_of=AS_OF, now=AS_OF)
    assert [r.ref for r in data.actions] == ["1.1", "2.1"] and [r.ref for r in data.closed] == ["1.2"]
    assert data.headline.overall.total == 2
    closed = data.closed[0]
    assert (closed.status, closed.closed_reason, closed.closed_date) == (
        "withdrawn",
        "Covered by 1.1",
        "2026-11-26",
    )
    assert not any(e.ref == "1.2" for e in data.exceptions)
    rows = data.table_rows()
    assert rows[-2].title == "Withdrawn or merged actions" and rows[-1].ref == "1.2"
    # As at a date before it was withdrawn, it is an ordinary action.
    earlier = compile_report(session, governed.plan, as_of=NOW + 2 * DAY, now=NOW + 2 * DAY)
    assert [r.ref for r in earlier.actions] == ["1.1", "1.2", "2.1"] and earlier.closed == ()


def test_challenges_and_sign_off_in_the_exceptions_and_the_counts(session, governed):
    data = compile_report(session, governed.plan, as_of=AS_OF, now=AS_OF)
    [challenged] = data.exceptions_of("challenge")
    assert challenged.ref == "1.1"
    assert challenged.detail == "Asked by Kim Member on 27 Nov 2026: What is the partner's new date?"
    assert _row(data, "1.1").challenged
    [awaiting] = data.exceptions_of("signoff")
    assert awaiting.ref == "2.1" and awaiting.detail == "Marked complete on 28 Nov 2026; evidence given"
    overall = data.headline.overall
    assert (overall.count("Blue"), overall.awaiting_signoff) == (0, 1)
    assert "1 complete awaiting sign-off" in data.headline.sentence
    # The lead answers and the board signs off: the challenge closes, the action counts as Blue.
    _lead(session, governed, "1.1", None, "The partner signs on 15 January", at=AS_OF + DAY)
    sign_off(session, governed.actions["2.1"], actor=slack_actor(session, PAT), now=AS_OF + DAY, note="Seen")
    later = compile_report(session, governed.plan, as_of=AS_OF + 2 * DAY, now=AS_OF + 2 * DAY)
    assert later.exceptions_of("challenge") == () and later.exceptions_of("signoff") == ()
    assert later.headline.overall.count("Blue") == 1
    row = _row(later, "2.1")
    assert (row.completion, row.signed_off_by, row.signed_off_date) == (
        "signed_off",
        "Pat Chair",
        "2026-12-04",
    )


def test_evidence_rules_for_completion_and_sign_off(session):
    world = governed_plan(session)
    record_update(
        session, world.actions["1.2"], rag="Blue", text="Done in the plan", source="import", submitted_at=NOW
    )
    _lead(session, world, "2.1", "Blue", "Done", at=NOW)
    sign_off(session, world.actions["2.1"], actor=slack_actor(session, PAT), now=NOW + DAY)
    data = compile_report(session, world.plan, as_of=AS_OF, now=AS_OF)
    imported = _row(data, "1.2")
    assert imported.completion == "signed_off" and imported.signed_off_by == "the imported plan"
    assert imported.contradictions == ()  # complete in the imported plan: not a contradiction
    assert _row(data, "2.1").contradictions == (
        "Blue (complete) but no evidence (a link or a note) was given",
        "signed off by Pat Chair without a note or link as evidence",
    )
    assert data.headline.overall.count("Blue") == 2


def test_the_document_history_counts_plan_changes_since_the_last_version(session, governed):
    set_action(session, governed.actions["2.1"], Edit(leads=[governed.people["jo"]]), actor=slack_actor(session, ADA),
               reason="Sam left", now=NOW + 6 * DAY)  # fmt: skip
    data = compile_report(session, governed.plan, as_of=AS_OF, now=AS_OF)
    assert data.plan_changes.sentence == (
        "3 changes to the plan since version 1.0 (23 Nov 2026): 1 timescale revised, 1 lead changed, "
        "1 action withdrawn."
    )


def test_every_format_shows_it(session, governed):
    from docx import Document

    data = compile_report(session, governed.plan, as_of=AS_OF, now=AS_OF)
    revised = "Original: 1 Dec 2026 · Revised: 31 Jan 2027 (agreed 25 Nov 2026)"
    html = render_html(data)
    md = render_md(data)
    document = Document(io.BytesIO(render_docx(data)))
    docx_text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for text in (html.replace("&#x27;", "'"), md.replace("\\", ""), docx_text):
        assert revised in text
        assert "1 action retimed since version 1.0" in text
        assert "Withdrawn or merged actions" in text
        assert "Open challenges" in text
        assert "Complete, awaiting sign-off" in text
        assert "2 changes to the plan since version 1.0" in text
    assert 'class="closed"' in html and 'class="action challenged"' in html
    assert "Challenged by Kim Member on 27 Nov 2026: What is the partner's new date?" in docx_text
