"""A new due date in a thread reply counts only when the reply introduces it as one."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.date_phrases import find_proposed_date

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Amber – new date 30 June", dt.date(2027, 6, 30)),
        ("new date 30 June", dt.date(2027, 6, 30)),
        ("revised date end of March", dt.date(2027, 3, 31)),
        ("new target 30/06/2027", dt.date(2027, 6, 30)),
        ("New deadline - 15 January 2027, because the partner is late", dt.date(2027, 1, 15)),
        ("we need to extend the deadline to 31 July as staff left", dt.date(2027, 7, 31)),
        ("Target date moved to 15 January", dt.date(2027, 1, 15)),
        ("request an extension to 31 July", dt.date(2027, 7, 31)),
        ("Please agree a revised timescale of June 2027.", dt.date(2027, 6, 30)),
        ("propose a new date of 30 June", dt.date(2027, 6, 30)),
        ("forum designed; new date: 30 June", dt.date(2027, 6, 30)),
        ("G: on track, new target date 31/01/2027", dt.date(2027, 1, 31)),
        ("revised timescale: the end of March 2027", dt.date(2027, 3, 31)),
        (
            "Red – we need to extend the deadline to the end of March 2027 because the contract fell",
            dt.date(2027, 3, 31),
        ),
    ],
)
def test_a_date_introduced_as_the_new_one_is_read(text, expected):
    found = find_proposed_date(text, today=TODAY)
    assert found is not None and found.day == expected


@pytest.mark.parametrize(
    "text",
    [
        "first session booked for 30 June",
        "Training has a new date: 4 May",  # a new date of something else, mid-sentence
        "The revised date for the panel was 3 March",
        "Meeting on 30 June, new staff start 1 July",
        "new date TBC",  # no date given at all
        "Audit done 12/03/2027 and reviewed at CSMG",
        "On track for the deadline of 31 March",
        "",
    ],
)
def test_a_date_mentioned_in_passing_is_not_a_proposal(text):
    assert find_proposed_date(text, today=TODAY) is None


def test_a_new_date_that_is_not_one_day_is_reported_not_guessed():
    found = find_proposed_date("Amber - new date 30 June or 15 July", today=TODAY)
    assert found is not None and found.day is None and found.phrase == "30 June or 15 July"
