"""The timescale reader: a table of what plans really write, and properties it must always keep."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from storage.timescales import YEAR_WINDOW, Timescale, parse_timescale, reference_date_from_text

D = dt.date
PLAN_2019 = D(2019, 7, 1)  # "July 2019 – July 2020" on the Stockton ILACS plan's cover
PLAN_2020 = D(2020, 2, 7)
PLAN_2023 = D(2023, 4, 1)  # "April 2023" on the 2023 improvement plan's cover

# (text, reference, schedule, due, milestones or None to skip, recurrence)
CASES = [
    # months with a year: the end of the month
    ("November 2019", PLAN_2019, "once", D(2019, 11, 30), [D(2019, 11, 30)], None),
    ("July 2019", PLAN_2019, "once", D(2019, 7, 31), None, None),
    ("January 2020", PLAN_2019, "once", D(2020, 1, 31), None, None),
    ("Sept. 2023", PLAN_2023, "once", D(2023, 9, 30), None, None),
    ("February 2024", PLAN_2023, "once", D(2024, 2, 29), None, None),
    # two-digit years in a 2023 plan: the month of 2023, not the 23rd
    ("May 23", PLAN_2023, "once", D(2023, 5, 31), [D(2023, 5, 31)], None),
    ("Sep 23", PLAN_2023, "once", D(2023, 9, 30), None, None),
    ("Jul 23", PLAN_2023, "once", D(2023, 7, 31), None, None),
    ("July 23", PLAN_2023, "once", D(2023, 7, 31), None, None),
    ("<p>Nov 23</p>", PLAN_2023, "once", D(2023, 11, 30), None, None),
    ("Jun-23", PLAN_2023, "once", D(2023, 6, 30), None, None),
    ("May '24", PLAN_2023, "once", D(2024, 5, 31), None, None),
    # ... but a day when it comes first, or when 20xx is nowhere near the plan
    ("23 May", PLAN_2023, "once", D(2023, 5, 23), None, None),
    ("December 31", PLAN_2023, "once", D(2023, 12, 31), None, None),
    ("23 May 23", PLAN_2023, "once", D(2023, 5, 23), None, None),
    # full dates, UK day-first
    ("To be completed by 30 th September 2020", PLAN_2020, "once", D(2020, 9, 30), None, None),
    ("6 September 2020", PLAN_2020, "once", D(2020, 9, 6), None, None),
    ("31 Dec 2021", PLAN_2020, "once", D(2021, 12, 31), None, None),
    ("31/12/2021", PLAN_2020, "once", D(2021, 12, 31), None, None),
    ("06/09/2020", PLAN_2020, "once", D(2020, 9, 6), None, None),
    ("1st March 2021", PLAN_2020, "once", D(2021, 3, 1), None, None),
    ("31.03.21", PLAN_2020, "once", D(2021, 3, 31), None, None),
    ("2020-12-31", PLAN_2020, "once", D(2020, 12, 31), None, None),
    ("March 5, 2021", PLAN_2020, "once", D(2021, 3, 5), None, None),
    # the typo must not become 2031
    ("by 31 30 December 2020", PLAN_2020, "once", D(2020, 12, 30), None, None),
    # quarters (UK financial), seasons, years, financial years
    ("Q3 2023/24", PLAN_2023, "once", D(2023, 12, 31), None, None),
    ("Q4 2023/24", PLAN_2023, "once", D(2024, 3, 31), None, None),
    ("Q1 2024/25", PLAN_2023, "once", D(2024, 6, 30), None, None),
    ("Q3 2023", PLAN_2023, "once", D(2023, 12, 31), None, None),
    ("Q2", PLAN_2023, "once", D(2023, 9, 30), None, None),
    ("Spring 2024", PLAN_2023, "once", D(2024, 5, 31), None, None),
    ("Autumn 2023", PLAN_2023, "once", D(2023, 11, 30), None, None),
    ("Winter 2023", PLAN_2023, "once", D(2024, 2, 29), None, None),
    ("Summer term 2024", PLAN_2023, "once", D(2024, 7, 31), None, None),
    ("2024", PLAN_2023, "once", D(2024, 12, 31), None, None),
    ("end of 2023", PLAN_2023, "once", D(2023, 12, 31), None, None),
    ("2023/24", PLAN_2023, "once", D(2024, 3, 31), None, None),
    ("early 2024", PLAN_2023, "once", D(2024, 3, 31), None, None),
    ("mid-2024", PLAN_2023, "once", D(2024, 6, 30), None, None),
    ("mid March 2024", PLAN_2023, "once", D(2024, 3, 15), None, None),
    ("late March 2024", PLAN_2023, "once", D(2024, 3, 31), None, None),
    # no year: the next one on or after the plan's date
    ("end of March", PLAN_2023, "once", D(2024, 3, 31), None, None),
    ("By end of June", PLAN_2023, "once", D(2023, 6, 30), None, None),
    # ranges: due at the end
    ("July 2020-September 2020", PLAN_2020, "once", D(2020, 9, 30), [D(2020, 9, 30)], None),
    ("July - September 2020", PLAN_2020, "once", D(2020, 9, 30), [D(2020, 9, 30)], None),
    ("Dec 2020 – Mar 2021", PLAN_2020, "once", D(2021, 3, 31), [D(2021, 3, 31)], None),
    ("October 2020 to January 2021", PLAN_2020, "once", D(2021, 1, 31), None, None),
    # several dates: milestones, due = the last
    ("September 2020 March 2021", PLAN_2020, "once", D(2021, 3, 31), [D(2020, 9, 30), D(2021, 3, 31)], None),
    (
        "Systemic March 2021 / RiP November 2020",
        PLAN_2020,
        "once",
        D(2021, 3, 31),
        [D(2020, 11, 30), D(2021, 3, 31)],
        None,
    ),
    (
        "Jun 23 Sep 23 Oct 23",
        PLAN_2023,
        "once",
        D(2023, 10, 31),
        [D(2023, 6, 30), D(2023, 9, 30), D(2023, 10, 31)],
        None,
    ),
    ("Nov 23  Aug 23", PLAN_2023, "once", D(2023, 11, 30), [D(2023, 8, 31), D(2023, 11, 30)], None),
    ("May 23  Jun 23", PLAN_2023, "once", D(2023, 6, 30), [D(2023, 5, 31), D(2023, 6, 30)], None),
    # ongoing
    ("31 July 2020 and Ongoing", PLAN_2020, "ongoing", D(2020, 7, 31), [D(2020, 7, 31)], None),
    ("Ongoing", PLAN_2023, "ongoing", None, [], None),
    ("On-going", PLAN_2023, "ongoing", None, [], None),
    ("May 23          Ongoing", PLAN_2023, "ongoing", D(2023, 5, 31), None, None),
    ("From September 2023", PLAN_2023, "ongoing", None, [], None),
    ("Business as usual", PLAN_2023, "ongoing", None, [], None),
    # recurring
    ("Every Q", PLAN_2023, "recurring", None, [], "quarterly"),
    ("Quarterly", PLAN_2023, "recurring", None, [], "quarterly"),
    ("Monthly", PLAN_2023, "recurring", None, [], "monthly"),
    ("Bi-monthly", PLAN_2023, "recurring", None, [], "bi-monthly"),
    ("Annually", PLAN_2023, "recurring", None, [], "annually"),
    ("Weekly", PLAN_2023, "recurring", None, [], "weekly"),
    ("Six-monthly", PLAN_2023, "recurring", None, [], "six-monthly"),
    ("Termly", PLAN_2023, "recurring", None, [], "termly"),
    ("Reported to governors each term", PLAN_2023, "recurring", None, [], "termly"),
    ("Monthly from Sep 23", PLAN_2023, "recurring", None, [], "monthly"),
    # done
    ("Completed", PLAN_2023, "done", None, [], None),
    ("Complete", PLAN_2023, "done", None, [], None),
    ("Done", PLAN_2023, "done", None, [], None),
    ("Achieved", PLAN_2023, "done", None, [], None),
    ("Completed June 2019", PLAN_2019, "done", D(2019, 6, 30), None, None),
    # relative to the start (here no start: the reference date)
    ("within 3 months", PLAN_2023, "once", D(2023, 7, 1), None, None),
    ("within 6 weeks", PLAN_2023, "once", D(2023, 5, 13), None, None),
    ("Within three months", PLAN_2023, "once", D(2023, 7, 1), None, None),
    ("3-6 months", PLAN_2023, "once", D(2023, 10, 1), None, None),
    ("immediate", PLAN_2023, "once", D(2023, 4, 1), None, None),
    ("Immediately", PLAN_2023, "once", D(2023, 4, 1), None, None),
    # more shapes seen in council plans
    ("04/2021", PLAN_2020, "once", D(2021, 4, 30), None, None),
    ("Q3 20/21", PLAN_2020, "once", D(2020, 12, 31), None, None),
    ("Complete by March 2021", PLAN_2020, "once", D(2021, 3, 31), None, None),
    ("Sept 2020 - complete", PLAN_2020, "done", D(2020, 9, 30), None, None),
    ("Achieved (July 2020)", PLAN_2020, "done", D(2020, 7, 31), None, None),
    ("must be achieved by May 2020", PLAN_2020, "once", D(2020, 5, 31), None, None),
    ("Sept 2020 onwards", PLAN_2020, "ongoing", None, [], None),
    ("By the end of the financial year", PLAN_2023, "once", D(2024, 3, 31), None, None),
    ("end of the year", PLAN_2023, "once", D(2023, 12, 31), None, None),
    ("Academic year 2023/24", PLAN_2023, "once", D(2024, 8, 31), None, None),
    ("w/c 6th July 2020", PLAN_2020, "once", D(2020, 7, 6), None, None),
    (
        "Jan 2021 (revised from Oct 2020)",
        PLAN_2020,
        "once",
        D(2021, 1, 31),
        [D(2021, 1, 31)],
        None,
    ),
    ("March 2021 (originally December 2020)", PLAN_2020, "once", D(2021, 3, 31), [D(2021, 3, 31)], None),
    ("Every six weeks", PLAN_2020, "recurring", None, [], "monthly"),
    ("every 2 weeks", PLAN_2020, "recurring", None, [], "fortnightly"),
    ("Twice yearly", PLAN_2020, "recurring", None, [], "six-monthly"),
    ("Dec 2020 and quarterly thereafter", PLAN_2020, "recurring", D(2020, 12, 31), None, "quarterly"),
    ("Immediate and ongoing", PLAN_2020, "ongoing", PLAN_2020, None, None),
    ("between May and July 2020", PLAN_2020, "once", D(2020, 7, 31), [D(2020, 7, 31)], None),
    ("From April 2020 to March 2021", PLAN_2020, "once", D(2021, 3, 31), [D(2021, 3, 31)], None),
    ("01.04.2020 - 31.03.2021", PLAN_2020, "once", D(2021, 3, 31), [D(2021, 3, 31)], None),
    ("12/31/2021", PLAN_2020, "once", D(2021, 12, 31), None, None),
    ("30/02/2021", PLAN_2020, "unknown", None, [], None),
    # nothing to read
    ("", PLAN_2023, "unknown", None, [], None),
    ("   ", PLAN_2023, "unknown", None, [], None),
    ("banana", PLAN_2023, "unknown", None, [], None),
    ("TBC", PLAN_2023, "unknown", None, [], None),
    ("Actions may be reviewed", PLAN_2023, "unknown", None, [], None),
]


@pytest.mark.parametrize(("text", "reference", "schedule", "due", "milestones", "recurrence"), CASES)
def test_timescale_table(text, reference, schedule, due, milestones, recurrence):
    result = parse_timescale(text, reference=reference)
    assert result.raw == text
    assert result.schedule == schedule
    assert result.due == due
    if milestones is not None:
        assert list(result.milestones) == milestones
    assert result.recurrence == recurrence
    if result.due is not None:
        assert result.milestones[-1] == result.due


def test_table_is_big_enough():
    assert len(CASES) >= 50


def test_relative_timescales_count_from_the_plan_start_when_given():
    start = D(2023, 9, 1)
    assert parse_timescale("within 3 months", reference=PLAN_2023, start=start).due == D(2023, 12, 1)
    assert parse_timescale("immediate", reference=PLAN_2023, start=start).due == start


def test_ranges_keep_their_start():
    result = parse_timescale("July 2020-September 2020", reference=PLAN_2020)
    assert result.starts == D(2020, 7, 1)
    assert result.milestones == (D(2020, 9, 30),)


def test_warnings_name_the_text_and_only_when_something_was_guessed():
    assert parse_timescale("", reference=PLAN_2023).warning is None
    assert parse_timescale("May 23", reference=PLAN_2023).warning is None
    garbage = parse_timescale("when the moon is blue", reference=PLAN_2023)
    assert garbage.warning is not None and "when the moon is blue" in garbage.warning
    far = parse_timescale("May 2045", reference=PLAN_2023)
    assert far.due is None and far.schedule == "unknown"
    assert "May 2045" in far.warning and "10 years" in far.warning
    # A single-year quarter could be calendar or financial: the reading is stated.
    assert "financial" in parse_timescale("Q3 2023", reference=PLAN_2023).warning
    assert parse_timescale("Q3 2023/24", reference=PLAN_2023).warning is None


def test_two_digit_year_depends_on_the_reference():
    # In a 2023 plan "Nov 23" is November 2023; in a 2010 plan 2023 is too far, so it is the 23rd.
    assert parse_timescale("Nov 23", reference=PLAN_2023).due == D(2023, 11, 30)
    assert parse_timescale("Nov 23", reference=D(2010, 1, 1)).due == D(2010, 11, 23)


def test_to_dict_is_json_friendly_and_round_trips():
    import json

    result = parse_timescale("July 2020-September 2020", reference=PLAN_2020)
    data = json.loads(json.dumps(result.to_dict()))
    assert data == {
        "raw": "July 2020-September 2020",
        "due": "2020-09-30",
        "milestones": ["2020-09-30"],
        "schedule": "once",
        "recurrence": None,
        "warning": None,
        "starts": "2020-07-01",
    }
    assert Timescale.from_dict(data) == result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Post Ofsted ILACS Inspection Action Plan**\n\n**July 2019 – July 2020**\n", D(2019, 7, 1)),
        (
            "Some introduction mentioning September 2022.\n\n**Draft Improvement Plan**\n\n**April 2023**\n",
            D(2023, 4, 1),
        ),
        ("# Committee\n\n7 February 2020\n\n## Report", D(2020, 2, 7)),
        ("Date issued\tVersion No.\n26/09/2019\t1.0\tfirst\n09/10/2019\t2.0\treview\n", D(2019, 9, 26)),
        ("# Children's Services Improvement Plan 2023-2025\n\nWe will improve.", D(2023, 1, 1)),
        ("Nothing dated here at all.", None),
        ("", None),
    ],
)
def test_reference_date_from_text(text, expected):
    assert reference_date_from_text(text) == expected


def test_reference_dates_of_the_seed_plans():
    from pathlib import Path

    seeds = Path(__file__).parent / "fixtures"
    found = {p.name: reference_date_from_text(p.read_text()) for p in sorted(seeds.glob("*.txt"))}
    assert found == {
        "000_748b323cfeea528c.txt": D(2019, 7, 1),
        "001_1b25ab6feb2c5951.txt": D(2023, 4, 1),
        "002_90778cf8c9196289.txt": D(2020, 2, 7),
    }


references = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
# Fragments of real timescales, so the generated text exercises every rule, not just random noise.
FRAGMENTS = [
    *"0123456789 /-.,'()&",
    *("May", "may", "Sep", "Q", "within", "months", " weeks", "every", "ongoing", "2019", "2023", "20"),
    *("from", "to", "end of", "early", "mid", "late", "winter", "spring", "term", "academic year"),
    *("revised from", "onwards", "completed", "by", "immediate", "FY", "st", "th", "year end"),
]
date_ish = st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text=st.one_of(st.text(), date_ish), reference=references, start=st.one_of(st.none(), st.dates()))
@example(text="immediate", reference=D(2011, 1, 1), start=D(2000, 1, 1))  # a start far from the plan's date
@example(text="by 31 30 December 2020", reference=D(2020, 2, 7), start=None)
def test_never_raises_and_never_strays_from_the_reference_year(text, reference, start):
    result = parse_timescale(text, reference=reference, start=start)
    assert result.raw == text
    assert result.schedule in ("once", "ongoing", "recurring", "done", "unknown")
    for day in (result.due, result.starts, *result.milestones):
        if day is not None:
            assert abs(day.year - reference.year) <= YEAR_WINDOW
    if result.due is not None:
        assert result.due == max(result.milestones)


@settings(max_examples=200, deadline=None)
@given(text=st.text(), start=st.one_of(st.none(), references))
def test_reference_date_from_text_never_raises(text, start):
    reference_date_from_text(text)
