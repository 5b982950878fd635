"""compile_report: current RAG, as-of, direction of travel, exceptions, schemes, edge plans."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from report.compile import compile_report
from report.data import IMPROVED, NEW, UNCHANGED, WORSE
from report.publish import next_version, publish_version
from report.render_json import render_json
from tests.support.report_factories import (
    FIVE_STATE,
    add_action,
    add_history,
    add_section,
    add_update,
    make_plan,
    sign_off,
)

pytestmark = pytest.mark.storage

UTC = dt.UTC


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


def row(data, ref):
    return next(a for a in data.actions if a.ref == ref)


def test_current_rag_is_the_latest_rag_and_text_only_updates_keep_it(session, now):
    plan = make_plan(session)
    a = add_action(session, plan, "1.1")
    add_update(session, a, "Amber", "started", at=at(1, 5), author="Jane Smith")
    add_update(session, a, "Green", "going well", at=at(2, 5), author="Jane Smith")
    add_update(
        session,
        a,
        None,
        "minutes attached",
        at=at(3, 5),
        author="Clerk",
        on_behalf_of="Jane Smith",
        evidence="https://example.org/minutes",
    )

    r = row(compile_report(session, plan, as_of=now, now=now), "1.1")

    assert r.rag == "Green"
    assert r.rag_date == "2026-02-05"
    assert r.progress.text == "minutes attached"
    assert r.progress.date == "2026-03-05"
    assert r.progress.author == "Clerk"
    assert r.progress.on_behalf_of == "Jane Smith"
    assert r.progress.evidence_url == "https://example.org/minutes"
    assert r.leads == ("Jane Smith",)
    assert r.last_update == "2026-03-05"


def test_as_of_counts_only_updates_and_versions_up_to_that_moment(session, now):
    plan = make_plan(session)
    a = add_action(session, plan, "1.1", due=dt.date(2026, 6, 30))
    add_update(session, a, "Green", "fine", at=at(1, 5))
    publish_version(session, plan, now=at(2, 1), summary="v1", author="Me")
    add_update(session, a, "Red", "slipped", at=at(3, 5))
    publish_version(session, plan, now=at(4, 1), summary="v2", author="Me")

    before = compile_report(session, plan, as_of=at(2, 20), now=now)
    assert row(before, "1.1").rag == "Green"
    assert row(before, "1.1").progress.text == "fine"
    assert [h.version for h in before.history] == ["1.0"]
    assert before.headline.baseline.version == "1.0"
    assert row(before, "1.1").overdue is False

    # Exactly at the update's instant it counts; a microsecond before it does not.
    assert row(compile_report(session, plan, as_of=at(3, 5), now=now), "1.1").rag == "Red"
    assert (
        row(compile_report(session, plan, as_of=at(3, 5) - dt.timedelta(microseconds=1), now=now), "1.1").rag
        == "Green"
    )

    later = compile_report(session, plan, as_of=at(7, 10), now=now)
    assert [h.version for h in later.history] == ["1.0", "2.0"]
    assert later.headline.baseline.version == "2.0"
    assert row(later, "1.1").overdue is True


def test_direction_of_travel_across_two_published_versions(session, now):
    plan = make_plan(session)
    a = add_action(session, plan, "A")
    b = add_action(session, plan, "B")
    c = add_action(session, plan, "C")
    add_update(session, a, "Green", "x", at=at(1, 5))
    add_update(session, b, "Amber", "x", at=at(1, 5))
    publish_version(session, plan, now=at(2, 1), summary="v1", author="Me")  # A Green, B Amber, C none
    add_update(session, a, "Red", "x", at=at(2, 10))
    add_update(session, b, "Green", "x", at=at(2, 10))
    add_update(session, c, "Amber", "x", at=at(2, 10))
    publish_version(session, plan, now=at(3, 1), summary="v2", author="Me")  # A Red, B Green, C Amber
    add_update(session, a, "Amber", "x", at=at(3, 10))
    d = add_action(session, plan, "D")
    add_update(session, d, "Green", "x", at=at(3, 10))

    against_v2 = compile_report(session, plan, as_of=at(4, 1), now=now)
    assert against_v2.headline.baseline.version == "2.0"
    assert [(r.ref, r.baseline_rag, r.rag, r.direction) for r in against_v2.actions] == [
        ("A", "Red", "Amber", IMPROVED),
        ("B", "Green", "Green", UNCHANGED),
        ("C", "Amber", "Amber", UNCHANGED),
        ("D", None, "Green", NEW),
    ]
    assert [r.arrow for r in against_v2.actions] == ["↑", "→", "→", "new"]
    change = against_v2.headline.change
    assert (change.improved, change.worse, change.unchanged, change.new) == (1, 0, 2, 1)
    assert dict(change.deltas) == {"Red": -1, "Amber": 1, "Green": 1, "Blue": 0, "No RAG yet": -1}

    against_v1 = compile_report(session, plan, as_of=at(2, 20), now=now)
    assert against_v1.headline.baseline.version == "1.0"
    # The plan's structure is today's; only updates and versions are cut at as-of (D has no RAG then).
    assert [(r.ref, r.direction) for r in against_v1.actions] == [
        ("A", WORSE),
        ("B", IMPROVED),
        ("C", NEW),
        ("D", None),
    ]
    assert against_v1.headline.sentence == (
        "Of 4 actions, 1 is Green, 1 Amber, 1 Red and 1 has no RAG yet; 1 has worsened, 1 has improved and "
        "1 is new or newly rated since version 1.0 (1 Feb 2026), and none is overdue."
    )


def test_report_at_the_moment_of_publishing_compares_with_the_previous_version(session):
    plan = make_plan(session)
    a = add_action(session, plan, "A")
    add_update(session, a, "Green", "x", at=at(1, 5))
    publish_version(session, plan, now=at(2, 1), summary="v1", author="Me")
    add_update(session, a, "Red", "x", at=at(2, 10))
    publish_version(session, plan, now=at(3, 1), summary="v2", author="Me")

    data = compile_report(session, plan, as_of=at(3, 1), now=at(3, 1))
    assert [h.version for h in data.history] == ["1.0", "2.0"]
    assert data.headline.baseline.version == "1.0"
    assert row(data, "A").direction == WORSE


def test_each_exception_type(session):
    plan = make_plan(session)
    sec = add_section(session, plan, "Our people", ref="1")
    red = add_action(session, plan, "1.1", "Red one", section=sec, due=dt.date(2026, 12, 31))
    late = add_action(session, plan, "1.2", "Late amber", section=sec, due=dt.date(2026, 2, 28))
    green_late = add_action(session, plan, "1.3", "Green but late", section=sec, due=dt.date(2026, 2, 28))
    done_no_evidence = add_action(
        session, plan, "1.4", "Done, no proof", section=sec, due=dt.date(2026, 2, 28)
    )
    done_evidence = add_action(session, plan, "1.5", "Done with proof", section=sec, due=dt.date(2026, 2, 28))
    silent = add_action(session, plan, "1.6", "Silent", section=sec)
    for action, rag in (
        (red, "Amber"),
        (late, "Amber"),
        (green_late, "Green"),
        (done_no_evidence, "Green"),
        (done_evidence, "Green"),
        (silent, "Green"),
    ):
        add_update(session, action, rag, "before", at=at(1, 5))
    publish_version(session, plan, now=at(2, 1), summary="v1", author="Me")
    add_update(session, red, "Red", "supplier failed", at=at(2, 10))
    add_update(session, late, "Amber", "still going", at=at(2, 10))
    add_update(session, green_late, "Green", "nearly", at=at(2, 10))
    add_update(session, done_no_evidence, "Blue", "done", at=at(2, 10))
    add_update(session, done_evidence, "Blue", "done", at=at(2, 10), evidence="https://example.org/x")

    data = compile_report(session, plan, as_of=at(3, 10), now=at(3, 10))

    def refs(kind):
        return [e.ref for e in data.exceptions_of(kind)]

    assert refs("red") == ["1.1"]
    assert data.exceptions_of("red")[0].detail == "supplier failed"
    assert refs("overdue") == ["1.2", "1.3"]
    assert data.exceptions_of("overdue")[0].detail == "Due 28 Feb 2026, 10 days ago"
    assert refs("stale") == ["1.6"]
    assert data.exceptions_of("stale")[0].detail == "Last update 5 Jan 2026; nothing since version 1.0"
    contradictions = [(e.ref, e.detail) for e in data.exceptions_of("contradiction")]
    assert contradictions == [
        ("1.3", "Green (on track) but its due date 28 Feb 2026 has passed"),
        ("1.4", "Blue (complete) but no evidence (a link or a note) was given"),
    ]
    assert row(data, "1.4").overdue is False  # complete actions are never overdue
    # Nobody has signed the two completions off: awaiting sign-off, not counted as Blue yet.
    assert refs("signoff") == ["1.4", "1.5"]
    assert data.exceptions_of("signoff")[0].detail == "Marked complete on 10 Feb 2026; no evidence given"
    assert data.exceptions_of("signoff")[1].detail == "Marked complete on 10 Feb 2026; evidence given"
    h = data.headline
    assert (h.overdue, h.stale, h.contradictions, h.awaiting_signoff) == (2, 1, 2, 2)
    assert h.overall.count("Blue") == 0
    assert h.sentence == (
        "Of 6 actions, 2 are Green, 1 Amber, 1 Red and 2 complete awaiting sign-off; 1 has worsened and "
        "2 have improved since version 1.0 (1 Feb 2026), and 2 are overdue."
    )


def test_five_state_scheme_uses_its_own_order_and_meanings(session):
    plan = make_plan(session, scheme=FIVE_STATE)
    a = add_action(session, plan, "A", due=dt.date(2026, 2, 1))
    b = add_action(session, plan, "B", due=dt.date(2026, 2, 1))
    c = add_action(session, plan, "C")
    add_update(session, a, "Ahead", "x", at=at(1, 5))
    add_update(session, b, "Delayed", "x", at=at(1, 5))
    add_update(session, c, "On track", "x", at=at(1, 5))
    publish_version(session, plan, now=at(1, 10), summary="v1", author="Me")
    add_update(session, a, "On track", "x", at=at(1, 20))
    done = add_update(session, b, "Completed", "x", at=at(1, 20), evidence="https://example.org/e")
    sign_off(session, done, by="Board Chair", at=at(1, 21))
    add_update(session, c, "Not started or behind", "x", at=at(1, 20))

    data = compile_report(session, plan, as_of=at(3, 1), now=at(3, 1))

    assert [k.label for k in data.rag_key] == [s[0] for s in FIVE_STATE]
    assert data.scheme_name == "five-state"
    assert [(r.ref, r.direction) for r in data.actions] == [("A", WORSE), ("B", IMPROVED), ("C", WORSE)]
    assert [e.ref for e in data.exceptions_of("red")] == ["C"]
    assert [e.ref for e in data.exceptions_of("overdue")] == ["A"]
    assert [e.ref for e in data.exceptions_of("contradiction")] == ["A"]  # "on track" but past due
    assert data.headline.overall.count("Completed") == 1
    assert "Of 3 actions, 1 is Completed, 1 On track and 1 Not started or behind" in data.headline.sentence


def test_on_track_comes_from_the_plans_own_key(session):
    # Stockton's key: Red "not yet on track", Amber "on track to achieve", Green "achieved" (complete).
    key = (
        ("Red", "#FF0000", "The action is not yet on track", False),
        ("Amber", "#FFC000", "The action is on track to achieve", False),
        ("Green", "#00B050", "This action is achieved", True),
    )
    plan = make_plan(session, scheme=key)
    red = add_action(session, plan, "1", due=dt.date(2026, 1, 31))
    amber = add_action(session, plan, "2", due=dt.date(2026, 1, 31))
    green = add_action(session, plan, "3", due=dt.date(2026, 1, 31))
    add_update(session, red, "Red", "x", at=at(1, 5))
    add_update(session, amber, "Amber", "x", at=at(1, 5))
    add_update(session, green, "Green", "x", at=at(1, 5))

    data = compile_report(session, plan, as_of=at(3, 1), now=at(3, 1))

    assert [(e.ref, e.detail) for e in data.exceptions_of("contradiction")] == [
        ("2", "Amber (on track) but its due date 31 Jan 2026 has passed"),
        ("3", "Green (complete) but no evidence (a link or a note) was given"),
    ]
    assert [e.ref for e in data.exceptions_of("overdue")] == ["1", "2"]


def test_empty_plan(session, now):
    plan = make_plan(session)
    data = compile_report(session, plan, as_of=now, now=now)
    assert data.actions == ()
    assert data.exceptions == ()
    assert data.headline.overall.total == 0
    assert data.headline.sentence == "The plan has no actions yet."
    assert [p.label for p in data.trend] == ["Now"]
    json.loads(render_json(data))


def test_plan_whose_actions_have_no_updates(session, now):
    plan = make_plan(session, scheme=None)  # no stored scheme: the BRAG built-in
    add_action(session, plan, "1", due=dt.date(2026, 1, 31))
    add_action(session, plan, "2")
    data = compile_report(session, plan, as_of=now, now=now)

    assert [k.label for k in data.rag_key] == ["Red", "Amber", "Green", "Blue"]
    assert all(r.rag is None and r.progress is None and r.direction is None for r in data.actions)
    assert data.headline.overall.no_rag == 2
    assert [e.ref for e in data.exceptions_of("stale")] == ["1", "2"]
    assert [e.ref for e in data.exceptions_of("overdue")] == ["1"]
    assert data.headline.sentence == "Of 2 actions, 2 have no RAG yet; 1 is overdue."


def test_sections_are_paths_in_plan_order_with_per_section_counts(session, now):
    plan = make_plan(session)
    top = add_section(session, plan, "Leadership", ref="1")
    sub = add_section(session, plan, "Supervision", ref="1a", parent=top)
    other = add_section(session, plan, "Practice", ref="2")
    a = add_action(session, plan, "1.1", section=sub)
    b = add_action(session, plan, "2.1", section=other)
    add_action(session, plan, "3.1")
    add_update(session, a, "Red", "x", at=at(1, 5))
    add_update(session, b, "Green", "x", at=at(1, 5))

    data = compile_report(session, plan, as_of=now, now=now)

    assert [r.section_path for r in data.actions] == [("1 Leadership", "1a Supervision"), ("2 Practice",), ()]
    sections = {s.section: s.breakdown for s in data.headline.sections}
    assert list(sections) == ["1 Leadership", "2 Practice", "(no section)"]
    assert sections["1 Leadership"].count("Red") == 1
    assert sections["2 Practice"].count("Green") == 1
    assert sections["(no section)"].no_rag == 1


def test_publish_numbers_after_imported_history_and_snapshots_rags(session):
    plan = make_plan(session)
    add_history(session, plan, "4.0", dt.date(2019, 12, 19), summary="Review at CSMG", author="Martin Gray")
    add_history(session, plan, "5.0", dt.date(2020, 2, 10), summary="Review at CSMG", author="Martin Gray")
    a = add_action(session, plan, "1.1")
    b = add_action(session, plan, "1.2")
    add_update(session, a, "Green", "x", at=at(1, 5))

    version = publish_version(session, plan, now=at(2, 1), summary="", author="")

    assert version.version == "6.0"
    assert version.source == "publish"
    assert version.snapshot == {str(a.id): "Green", str(b.id): None}
    assert version.summary.startswith("Of 2 actions")
    data = compile_report(session, plan, as_of=at(3, 1), now=at(3, 1))
    assert [(h.version, h.date, h.source) for h in data.history] == [
        ("4.0", "2019-12-19", "import"),
        ("5.0", "2020-02-10", "import"),
        ("6.0", "2026-02-01", "publish"),
    ]
    assert [p.label for p in data.trend] == ["v6.0", "Now"]


def test_next_version():
    assert next_version([]) == "1.0"
    assert next_version(["1.0", "2.0", "5.0"]) == "6.0"
    assert next_version(["v2", "Version 3.1", "draft"]) == "4.0"


def test_same_data_and_as_of_give_the_same_content(session):
    plan = make_plan(session)
    a = add_action(session, plan, "1.1", due=dt.date(2026, 2, 1))
    add_update(session, a, "Amber", "x", at=at(1, 5))
    first = compile_report(session, plan, as_of=at(3, 1), now=at(3, 1))
    second = compile_report(session, plan, as_of=at(3, 1), now=at(9, 9))
    assert render_json(first) == render_json(second)


def test_naive_datetimes_are_refused(session):
    plan = make_plan(session)
    with pytest.raises(ValueError):
        compile_report(session, plan, as_of=dt.datetime(2026, 1, 1), now=dt.datetime(2026, 1, 1))


def test_publishing_a_number_taken_meanwhile_is_refused_cleanly(session, monkeypatch):
    from report import publish
    from storage.errors import InvalidInput

    plan = make_plan(session)
    publish_version(session, plan, now=at(1, 1), summary="v1", author="Me")
    monkeypatch.setattr(publish, "next_version", lambda existing: "1.0")  # as if a racer took it
    with pytest.raises(InvalidInput, match="published by someone else just now"):
        publish_version(session, plan, now=at(2, 1), summary="v2", author="Me")
    assert [v.version for v in plan.versions] == ["1.0"]


def test_publishing_before_the_latest_version_is_refused(session):
    from storage.errors import InvalidInput

    plan = make_plan(session)
    publish_version(session, plan, now=at(2, 1), summary="v1", author="Me")
    with pytest.raises(InvalidInput, match="already published at or after"):
        publish_version(session, plan, now=at(1, 1), summary="v0", author="Me")


def test_imported_progress_is_attributed_to_the_plan_and_rag_only_stand_ins_are_not_progress(session, now):
    from storage.plans import RAG_ONLY_TEXT

    plan = make_plan(session)
    a = add_action(session, plan, "1")
    b = add_action(session, plan, "2")
    add_update(session, a, "Amber", "Procedure updated in June.", at=at(1, 5), author=None, source="import")
    add_update(session, b, "Green", RAG_ONLY_TEXT.format(rag="Green"), at=at(1, 5), source="import")

    data = compile_report(session, plan, as_of=now, now=now)

    assert row(data, "1").progress.byline == "5 Jan 2026 · from the imported plan"
    assert row(data, "2").progress is None
    assert row(data, "2").rag == "Green"


def test_scheme_colours_are_normalised_and_unknown_labels_shown_as_written(session, now):
    from report.render_html import render_html

    plan = make_plan(session, scheme=(("Red", "ff0000", "bad", False), ("Green", "green", "ok", False)))
    a = add_action(session, plan, "1")
    add_update(session, a, "Purple", "from an older key", at=at(1, 5))
    data = compile_report(session, plan, as_of=now, now=now)
    assert [k.colour for k in data.rag_key] == ["#FF0000", "#FFFFFF"]
    assert row(data, "1").rag == "Purple"
    assert data.headline.overall.no_rag == 1  # not a state of the scheme: counted with the unrated
    assert '<td class="rag">Purple</td>' in render_html(data, charts=False)
    publish_version(session, plan, now=at(2, 1), summary="v1", author="Me")
    add_update(session, a, "Purple", "still", at=at(2, 5))
    assert row(compile_report(session, plan, as_of=now, now=now), "1").direction is None


def test_monthly_trend_replays_the_updates_at_each_month_end(session):
    plan = make_plan(session)
    a = add_action(session, plan, "A")
    b = add_action(session, plan, "B")
    add_update(session, a, "Green", "x", at=at(1, 5))
    add_update(session, a, "Red", "x", at=at(2, 28, 23))  # the last hour of February still counts for it
    add_update(session, b, "Amber", "x", at=at(3, 2))
    add_update(session, a, None, "text only", at=at(3, 3))

    data = compile_report(session, plan, as_of=at(4, 10), now=at(4, 10))

    def counts(point):
        return {c.label: c.count for c in point.counts if c.count} | (
            {"none": point.no_rag} if point.no_rag else {}
        )

    assert [(p.label, p.date, counts(p)) for p in data.monthly] == [
        ("Jan 2026", "2026-01-31", {"Green": 1, "none": 1}),
        ("Feb 2026", "2026-02-28", {"Red": 1, "none": 1}),
        ("Mar 2026", "2026-03-31", {"Red": 1, "Amber": 1}),
        ("Now", "2026-04-10", {"Red": 1, "Amber": 1}),
    ]
