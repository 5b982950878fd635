"""RAG schemes: parsing what people type, matching cell fills, persisting a plan's scheme."""

from __future__ import annotations

import pytest

from storage.models import Plan
from storage.rag import BUILTIN_SCHEMES, colour_family, save_scheme, scheme_for_plan

BRAG = BUILTIN_SCHEMES["brag"]
RAG = BUILTIN_SCHEMES["rag"]
FIVE = BUILTIN_SCHEMES["five-state"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Amber", "Amber"),
        ("amber", "Amber"),
        ("AMBER", "Amber"),
        ("A", "Amber"),
        ("a", "Amber"),
        ("G", "Green"),
        ("Green (on track)", "Green"),
        ("Red - off track", "Red"),
        ("B", "Blue"),
        ("Complete", "Blue"),
        ("🔴", "Red"),
        ("🟠", "Amber"),
        ("🟡", "Amber"),
        ("🟢", "Green"),
        ("🔵", "Blue"),
        (":red_circle:", "Red"),
        (":large_green_circle:", "Green"),
        (":large_blue_circle:", "Blue"),
        (":large_orange_circle:", "Amber"),
        ("Yellow", "Amber"),
        ("G/A", "Green"),
        ("A - some slippage", "Amber"),
        ("On track", "Green"),
        ("off track", "Red"),
        ("Not on track", "Red"),
        ("At risk", "Amber"),
        ("", None),
        ("Banana", None),
        ("X", None),
        ("   ", None),
        ("In progress", None),
    ],
)
def test_brag_parse(text, label):
    assert BRAG.parse(text) == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("X", "Not started or behind"),
        ("x", "Not started or behind"),
        ("-", "On track"),
        ("–", "On track"),
        ("↓", "Delayed"),
        ("↑", "Ahead"),
        ("✓", "Completed"),
        ("✔", "Completed"),
        ("on track", "On track"),
        ("🔴", "Not started or behind"),
        ("🔵", "Completed"),
        ("Amber", "Delayed"),
        ("?", None),
        ("✓ Completed in May", "Completed"),
        ("↓ (staffing)", "Delayed"),
    ],
)
def test_five_state_parse(text, label):
    assert FIVE.parse(text) == label


def test_rag_scheme_has_no_blue():
    assert RAG.parse("Blue") is None
    assert RAG.colour_to_label("0070C0") is None
    assert RAG.labels == ["Red", "Amber", "Green"]


@pytest.mark.parametrize(
    ("fill", "label"),
    [
        ("FF0000", "Red"),
        ("C00000", "Red"),
        ("FFC000", "Amber"),
        ("FFFF00", "Amber"),
        ("FF9900", "Amber"),
        ("00B050", "Green"),
        ("92D050", "Green"),
        ("00FF00", "Green"),
        ("0070C0", "Blue"),
        ("00B0F0", "Blue"),
        ("#0070c0", "Blue"),
        ("FF00B050", "Green"),
        ("FFFFFF", None),
        ("D9D9D9", None),
        ("000000", None),
        ("auto", None),
        (None, None),
    ],
)
def test_colour_to_label_nearest(fill, label):
    assert BRAG.colour_to_label(fill) == label


def test_five_state_fill_picks_nearest_of_two_greens():
    assert FIVE.colour_to_label("00B050") == "On track"
    assert FIVE.colour_to_label("92D050") == "Ahead"


def test_scheme_ranks_and_completion():
    assert BRAG.labels == ["Red", "Amber", "Green", "Blue"]
    assert BRAG.rank("Red") == 0 and BRAG.rank("Blue") == 3
    assert BRAG.is_complete("Blue") and not BRAG.is_complete("Green") and not BRAG.is_complete(None)
    assert FIVE.is_complete("Completed") and FIVE.rank("Not started or behind") == 0
    assert BRAG.rank(None) is None and BRAG.rank("Nope") is None
    with pytest.raises(KeyError):
        BRAG.state("Purple")
    assert colour_family("FFC000") == "amber"


@pytest.mark.storage
def test_save_and_rebuild_scheme(session):
    plan = Plan(name="p")
    session.add(plan)
    session.flush()
    assert scheme_for_plan(plan).name == "brag"  # the default when a plan names no key
    save_scheme(session, plan, FIVE.with_meanings({"Completed": "Done and evidenced"}))
    session.expire_all()
    rebuilt = scheme_for_plan(plan)
    assert rebuilt.name == "five-state"
    assert rebuilt.labels == FIVE.labels
    assert rebuilt.state("Completed").meaning == "Done and evidenced"
    assert rebuilt.parse("✓") == "Completed"
    save_scheme(session, plan, RAG)  # replacing a scheme must not trip the (plan, rank) key
    session.expire_all()
    assert scheme_for_plan(plan).labels == ["Red", "Amber", "Green"]
