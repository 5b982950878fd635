"""Summaries: pure functions over ReportData, and their text and Markdown renderers."""

from __future__ import annotations

import datetime as dt

import pytest

from report import summaries
from report.compile import compile_report
from report.text import render_markdown, render_text
from tests.support.report_factories import BOARD_AS_OF, board_scenario, make_plan

pytestmark = pytest.mark.storage
UTC = dt.UTC


@pytest.fixture
def data(session):
    plan = board_scenario(session)
    return compile_report(
        session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF, since=dt.datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_overall(data):
    s = summaries.overall(data)
    assert (s.breakdown.total, s.red, s.overdue, s.stale, s.contradictions) == (4, 1, 1, 1, 0)
    assert s.baseline.version == "6.0"
    assert s.sentence == data.headline.sentence
    text = render_text(s)
    assert text.splitlines()[0] == "Post Ofsted <ILACS> Action Plan — as at 10 Mar 2026"
    assert "  Red         1        25.0%  +1" in text
    assert "Red: 1 · Overdue: 1 · No update since v6.0: 1 · Contradictions: 0" in text
    md = render_markdown(s)
    assert md.startswith("**Post Ofsted \\<ILACS\\> Action Plan** — as at 10 Mar 2026")
    assert "| Red | 1 | 25.0% | +1 |" in md
    assert "| Green | 1 | 25.0% | -1 |" in md


def test_by_section(data):
    s = summaries.by_section(data)
    assert [(g.name, g.breakdown.total, g.red, g.overdue) for g in s.groups] == [
        ("1 Improve timeliness", 2, 1, 1),
        ("2 Practice & supervision", 2, 0, 0),
    ]
    assert [a.ref for a in s.groups[0].actions] == ["1.1", "1.2"]
    text = render_text(s)
    assert "1 Improve timeliness — 2 actions: 1 Green, 1 Red; 1 red, 1 overdue" in text
    assert (
        "  1.2  [Red] ↓  Introduce a <legal gateway> panel — lead: Assistant Director, Service Manager "
        "Fieldwork — due 28 Feb 2026 (overdue)" in text
    )
    assert "### 2 Practice & supervision" in render_markdown(s)


def test_by_lead_lists_an_action_under_each_of_its_leads(data):
    s = summaries.by_lead(data)
    assert [(g.name, [a.ref for a in g.actions]) for g in s.groups] == [
        ("Assistant Director", ["1.2"]),
        ("Jane Smith", ["2.2"]),
        ("Service Manager Fieldwork", ["1.2"]),
        ("Service Manager Quality", ["1.1", "2.1"]),
    ]
    assert s.groups[0].red == 1


def test_red_only_and_overdue(data):
    red = summaries.red_only(data)
    assert [i.ref for i in red.items] == ["1.2"]
    assert red.items[0].colour == "#FF0000"
    assert red.items[0].arrow == "↓"
    assert red.items[0].progress == "Panel <script>alert(1)</script> delayed & no chair."
    late = summaries.overdue(data)
    assert [i.ref for i in late.items] == ["1.2"]
    assert render_text(late).startswith("Overdue actions (past due and not complete) — as at 10 Mar 2026: 1")
    md = render_markdown(red)
    assert "\\<script\\>" in md and "<script>" not in md


def test_changes_since_lists_updates_with_rag_transitions(data):
    s = summaries.changes_since(data, dt.datetime(2026, 2, 15, tzinfo=UTC))
    assert [(c.ref, c.rag_before, c.rag_after, c.transition, c.author) for c in s.updates] == [
        ("1.2", "Green", "Red", "worse", "Clerk"),
        ("1.1", "Green", "Green", None, "Service Manager Quality"),
    ]
    assert (s.actions_updated, s.improved, s.worse) == (2, 0, 1)
    assert (
        summaries.changes_since(data, dt.date(2026, 3, 3)).updates[0].ref == "1.1"
    )  # a date: from its start
    text = render_text(s)
    assert text.splitlines()[0] == "Changes since 15 Feb 2026: 2 updates on 2 actions; 0 improved, 1 worse"
    assert "2 Mar 2026  1.2 [Green → Red] ↓ by Clerk on behalf of Assistant Director:" in text
    assert "3 Mar 2026  1.1 [Green, text only] by Service Manager Quality: Draft circulated." in text

    earlier = summaries.changes_since(data, dt.datetime(2026, 1, 1, tzinfo=UTC))
    first = earlier.updates[0]
    assert (first.ref, first.rag_before, first.rag_after, first.transition) == ("1.1", None, "Green", "new")
    assert len(earlier.updates) == 5


def test_changes_since_needs_data_compiled_that_far_back(session):
    plan = board_scenario(session)
    without = compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF)
    assert without.recent_updates == ()
    with pytest.raises(ValueError):
        summaries.changes_since(without, dt.datetime(2026, 3, 1, tzinfo=UTC))
    data = compile_report(session, plan, as_of=BOARD_AS_OF, now=BOARD_AS_OF, since="baseline")
    assert data.updates_since == "2026-02-01T10:00:00+00:00"
    assert len(summaries.changes_since(data, dt.datetime(2026, 2, 1, 10, tzinfo=UTC)).updates) == 2
    with pytest.raises(ValueError):
        summaries.changes_since(data, dt.datetime(2026, 1, 1, tzinfo=UTC))


def test_summaries_of_an_empty_plan(session, now):
    data = compile_report(session, make_plan(session, name="empty"), as_of=now, now=now)
    assert render_text(summaries.by_section(data)).endswith("No actions.\n")
    assert summaries.red_only(data).items == ()
    assert "The plan has no actions yet." in render_text(summaries.overall(data))
    assert render_markdown(summaries.overdue(data)).strip().endswith("None.")


def test_markdown_keeps_typed_line_breaks_inside_their_item_and_starts_nothing_new():
    """A progress update is free text: its lines may start with "- ", "1." or "---". In Markdown each
    stays a line of the same list item (a hard break, indented), and none begins a list, a heading
    underline or a new item; a title's line breaks become spaces."""
    item = summaries.ActionItem(
        id=1,
        ref="1.1",
        title="Audit\n- casework",
        section="1",
        leads=("Head of Service",),
        rag="Amber",
        colour="#FFC000",
        due=None,
        overdue=False,
        direction=None,
        arrow="",
        progress="Done so far:\n- 40 audits\n2. moderation\n---\n+ more\n10) next",
        progress_date="2026-03-01",
    )
    md = render_markdown(summaries.ActionListSummary("p", "2026-03-10", "red", "Red actions", (item,)))
    lines = md.splitlines()[2:]
    assert lines[0] == "- **1.1** [Amber] Audit - casework · Head of Service"
    assert lines[1:] == [
        "  _1 Mar 2026:_ Done so far:  ",
        "  \\- 40 audits  ",
        "  2\\. moderation  ",
        "  \\---  ",
        "  \\+ more  ",
        "  10\\) next",
    ]
