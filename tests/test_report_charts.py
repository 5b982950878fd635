"""Charts: PNG bytes, stable for the same data, no date or software stamp inside."""

from __future__ import annotations

import struct

import pytest

from report.charts import rag_distribution_png, rag_over_time_png
from report.compile import compile_report
from tests.support.report_factories import BOARD_AS_OF, board_scenario, make_plan

pytestmark = pytest.mark.storage


def chunk_types(png: bytes) -> list[bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    types, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        types.append(png[pos + 4 : pos + 8])
        pos += 12 + length
    return types


@pytest.mark.parametrize("chart", [rag_distribution_png, rag_over_time_png])
def test_charts_are_stable_pngs_without_stamps(session, chart):
    data = compile_report(session, board_scenario(session), as_of=BOARD_AS_OF, now=BOARD_AS_OF)
    png = chart(data)
    assert chart(data) == png
    types = chunk_types(png)
    assert types[0] == b"IHDR" and types[-1] == b"IEND"
    assert b"tIME" not in types and b"tEXt" not in types


def test_charts_of_an_empty_plan(session, now):
    data = compile_report(session, make_plan(session, name="empty"), as_of=now, now=now)
    assert chunk_types(rag_distribution_png(data))[0] == b"IHDR"
    assert chunk_types(rag_over_time_png(data))[0] == b"IHDR"
