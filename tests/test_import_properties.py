"""Property tests: whatever tables a document holds, the parser returns a plan with unique refs and
valid RAG labels, and never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.importers.model import BodyText, Cell, Para, Table
from storage.importers.parse import parse_blocks

WORDS = [
    "Action",
    "Lead",
    "Timescale",
    "RAG",
    "Ref",
    "Progress",
    "Outcome",
    "1.1",
    "2.",
    "A.",
    "Amber",
    "G",
    "✓",
    "X",
    "-",
    "•",
    "Develop",
    "the",
    "plan",
    "DCS",
    "Jane Smith",
    "May 23",
    "Ongoing",
    "and",
    "/",
    "Improvement Area One",
    "Phase 2",
    "Key",
    ":",
    "Abbreviation",
    "Title",
    "Name",
    "Version",
    "Date",
    "",
    "  ",
    "\n",
]
text = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
cell = st.builds(
    lambda t, bold, fill, span: Cell([Para([(t, bold)])], fill, span),
    text,
    st.booleans(),
    st.sampled_from([None, "FF0000", "FFC000", "00B050", "0070C0", "92D050", "D9D9D9"]),
    st.sampled_from([1, 1, 1, 2]),
)
header = st.just([Cell.of(h) for h in ["Ref", "Action", "Lead", "Timescale", "Progress", "RAG"]])
row = st.lists(cell, min_size=1, max_size=7)
table = st.builds(
    lambda h, rows, use: Table(([h] if use else []) + rows, "t"),
    header,
    st.lists(row, max_size=8),
    st.booleans(),
)
blocks = st.lists(st.one_of(table, st.builds(BodyText, text)), max_size=6)


@settings(max_examples=60, deadline=None)
@given(blocks)
def test_parser_never_raises_and_keeps_refs_unique(document):
    parsed = parse_blocks(document, filename="x.docx", reference_date=None)
    refs = [a.ref for a in parsed.actions]
    assert all(refs) and len(refs) == len(set(refs))
    labels = set(parsed.scheme.labels)
    assert all(a.rag is None or a.rag in labels for a in parsed.actions)
    assert all(a.title.strip() for a in parsed.actions)
