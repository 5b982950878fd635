"""Each alternative of the date scanner has its own reader; each reader on its own."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.timescales import _DATE_RE, _READERS, _Parser

D = dt.date
REFERENCE = D(2023, 4, 1)

# (text, the alternative that matches it, first day, last day, has a year)
READS = [
    ("2024-03-05", "iso", D(2024, 3, 5), D(2024, 3, 5), True),
    ("5/3/2024", "num", D(2024, 3, 5), D(2024, 3, 5), True),
    ("3/13/2024", "num", D(2024, 3, 13), D(2024, 3, 13), True),
    ("03/2024", "nmy", D(2024, 3, 1), D(2024, 3, 31), True),
    ("Q1 2024", "qtr", D(2024, 4, 1), D(2024, 6, 30), True),
    ("Winter 2023", "season", D(2023, 12, 1), D(2024, 2, 29), True),
    ("5 March 2024", "dmy", D(2024, 3, 5), D(2024, 3, 5), True),
    ("5 March", "dmy", D(2024, 3, 5), D(2024, 3, 5), False),
    ("March 5, 2024", "mdy", D(2024, 3, 5), D(2024, 3, 5), True),
    ("March 2024", "my", D(2024, 3, 1), D(2024, 3, 31), True),
    ("December 31", "my", D(2023, 12, 31), D(2023, 12, 31), False),
    ("June", "mon", D(2023, 6, 1), D(2023, 6, 30), False),
    ("2023/24", "fy", D(2023, 4, 1), D(2024, 3, 31), True),
    ("2024", "year", D(2024, 1, 1), D(2024, 12, 31), True),
]


def read(text: str) -> tuple[str | None, object]:
    parser = _Parser(text, REFERENCE, None)
    match = _DATE_RE.search(text)
    assert match is not None
    return match.lastgroup, parser.read(match)


@pytest.mark.parametrize(("text", "kind", "first", "last", "has_year"), READS)
def test_each_reader(text, kind, first, last, has_year):
    got_kind, found = read(text)
    assert got_kind == kind
    assert (found.first, found.last, found.has_year) == (first, last, has_year)
    assert (found.start, found.end) == (0, len(text))


def test_every_alternative_has_a_reader_and_a_case():
    alternatives = [name for name, _ in _READERS]
    assert len(alternatives) == len(set(alternatives))
    assert {kind for _, kind, *_ in READS} == set(alternatives)
    for name in alternatives:
        assert name in _DATE_RE.groupindex


def test_month_first_is_noted():
    _, found = read("3/13/2024")
    assert found.note == "read '3/13/2024' as 13 March (month and day swapped)"


@pytest.mark.parametrize(
    "text",
    [
        "31/4/2024",  # no 31 April
        "2999-01-01",  # out of the plan's range
        "2023/26",  # not consecutive years
        "it may slip",  # the verb
    ],
)
def test_texts_that_name_no_period(text):
    _, found = read(text)
    assert found is None


def test_out_of_range_year_is_recorded():
    parser = _Parser("2999-01-01", REFERENCE, None)
    assert parser.read(_DATE_RE.search("2999-01-01")) is None
    assert parser.rejected == ["2999-01-01"]


def test_academic_year():
    parser = _Parser("academic year 2023/24", REFERENCE, None)
    found = parser.read(_DATE_RE.search(parser.text))
    assert (found.first, found.last) == (D(2023, 9, 1), D(2024, 8, 31))
