"""Storing plans: re-import merges by ref, nothing is deleted, changes become new updates; look-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
from sqlalchemy import func, select

from storage.errors import NotFound
from storage.importers import read_plan
from storage.models import Action, Plan, Update
from storage.plan_rows import plan_table
from storage.plans import get_action, get_plan, import_plan, list_plans, plan_payload, rows_of
from tests.support.plan_builders import add_table, phase_plan_docx, write

pytestmark = pytest.mark.storage

FIXTURES = Path(__file__).parent / "fixtures"
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def _replace(doc, old: str, new: str) -> None:
    for table in doc.tables[1:]:  # table 0 is the RAG key
        for row in table.rows:
            for cell in row.cells:
                if cell.text == old:
                    for p in cell.paragraphs[1:]:
                        p._p.getparent().remove(p._p)
                    cell.paragraphs[0].clear()
                    write(cell, new)
                    return
    raise AssertionError(old)


def _newer_version(tmp_path: Path) -> Path:
    path = phase_plan_docx(tmp_path / "v2.docx")
    doc = docx.Document(str(path))
    _replace(doc, "Two appointed", "Four appointed")  # 1.1: new progress
    _replace(doc, "↓", "-")  # 1.3: Delayed -> On track
    _replace(doc, "June 2024", "July 2024")  # the first "June 2024" is 1.2 (2)
    _replace(doc, "Publish the sufficiency strategy", "Publish the sufficiency strategy for 2025")
    _replace(doc, "2.2", "2.3")  # 2.2 disappears from the document, 2.3 is new
    table = doc.tables[2]
    row = table.add_row().cells
    for cell, text in zip(
        row, ["2.4", "Open a family hub", "OD", "March 2025", "Site found", "-"], strict=True
    ):
        write(cell, text)
    doc.save(str(path))
    return path


def _updates(session, action: Action) -> list[Update]:
    return list(session.scalars(select(Update).where(Update.action_id == action.id).order_by(Update.id)))


def test_reimport_merges_by_ref(session, tmp_path):
    first = import_plan(session, read_plan(phase_plan_docx(tmp_path / "v1.docx")), plan_name="phase", now=NOW)
    assert first.created and len(first.added) == 6
    plan = first.plan
    a11 = get_action(session, plan, "1.1")
    assert [u.text for u in _updates(session, a11)] == ["Two appointed"]
    assert _updates(session, a11)[0].source == "import"

    later = NOW + dt.timedelta(days=30)
    second = import_plan(session, read_plan(_newer_version(tmp_path)), plan_name="phase", now=later)
    assert not second.created
    assert second.added == ["2.3", "2.4"]
    assert second.updated == {"1.2 (2)": ["timescale", "due_date", "milestones"]}
    assert sorted(second.new_updates) == ["1.1", "1.3", "2.4"]
    assert session.scalar(select(func.count()).select_from(Action).where(Action.plan_id == plan.id)) == 8
    # nothing deleted: 2.2 stays, with its data
    assert get_action(session, plan, "2.2").title == "Publish the sufficiency strategy"
    refs = [a["ref"] for a in plan_payload(session, plan)["actions"]]
    assert refs == ["1.1", "1.2", "1.2 (2)", "1.3", "2.1", "2.3", "2.4", "2.2"]
    updates = _updates(session, a11)
    assert [u.text for u in updates] == ["Two appointed", "Four appointed"]
    assert updates[1].submitted_at > updates[0].submitted_at
    a13 = _updates(session, get_action(session, plan, "1.3"))
    assert [u.rag for u in a13] == ["Delayed", "On track"]
    assert get_action(session, plan, "1.2 (2)").due_date == dt.date(2024, 7, 31)

    third = import_plan(session, read_plan(tmp_path / "v2.docx"), plan_name="phase", now=later)
    assert third.added == [] and third.updated == {} and third.new_updates == []
    assert len(third.unchanged) == 7


def test_reimport_generated_refs_match_by_title_and_add_rag(session):
    import_plan(
        session, read_plan(FIXTURES / "stockton-2023-improvement-plan.docx"), plan_name="sbc", now=NOW
    )
    result = import_plan(
        session, read_plan(FIXTURES / "stockton-2023-improvement-plan-shaded.docx"), plan_name="sbc", now=NOW
    )
    assert result.added == [] and result.updated == {}
    assert len(result.new_updates) == 35  # every action with a fill now has a RAG update
    payload = plan_payload(session, result.plan)
    assert {a["ref"]: a["rag"] for a in payload["actions"]}["2.14"] == "Red"


def test_import_records_history_once(session):
    parsed = read_plan(FIXTURES / "stockton-2019-ilacs-action-plan.docx")
    import_plan(session, parsed, plan_name="ilacs", now=NOW)
    import_plan(session, parsed, plan_name="ilacs", now=NOW)
    plan = get_plan(session, "ilacs")
    assert [v.version for v in plan.versions] == ["1.0", "2.0", "3.0", "4.0", "5.0"]
    a61 = get_action(session, plan, "6.1")
    update = _updates(session, a61)[0]
    # the document's latest issue (10/02/2020) at noon UTC
    assert update.submitted_at == dt.datetime(2020, 2, 10, 12, tzinfo=dt.UTC)
    assert update.rag == "Amber" and update.author_text.startswith("import: stockton-2019")


def test_get_plan_and_action_errors(session, tmp_path):
    with pytest.raises(NotFound, match="no plan has been imported"):
        get_plan(session, None)
    import_plan(session, read_plan(phase_plan_docx(tmp_path / "a.docx")), plan_name="alpha", now=NOW)
    assert get_plan(session, None).name == "alpha"
    import_plan(session, read_plan(phase_plan_docx(tmp_path / "b.docx")), plan_name="beta", now=NOW)
    assert [p.name for p in list_plans(session)] == ["alpha", "beta"]
    with pytest.raises(NotFound, match=r"2 plans.*alpha, beta"):
        get_plan(session, None)
    with pytest.raises(NotFound, match="no plan named 'gamma'; plans: alpha, beta"):
        get_plan(session, "gamma")
    with pytest.raises(NotFound, match=r"no action '1\.9' in plan 'alpha'; did you mean"):
        get_action(session, get_plan(session, "alpha"), "1.9")


def test_plan_name_defaults_to_file_slug(session, tmp_path):
    doc = docx.Document()
    add_table(doc, [["Action", "Lead", "Timescale"], ["Do the thing", "Chief Executive", "May 2025"]])
    doc.save(str(tmp_path / "My Plan (v2).docx"))
    result = import_plan(session, read_plan(tmp_path / "My Plan (v2).docx"), plan_name=None, now=NOW)
    assert result.plan.name == "my-plan-v2"
    assert session.scalar(select(Plan.title).where(Plan.id == result.plan.id)) == "My Plan (v2)"


def test_people_already_known_split_leads_and_explain_abbreviations(session, tmp_path):
    from storage.people import add_alias, get_or_create_person
    from tests.support.plan_builders import text_plan_csv

    get_or_create_person(session, "Head of Exploitation")
    get_or_create_person(session, "Head of Safeguarding")
    director = get_or_create_person(
        session, "Pat Jones", name="Pat Jones", role_title="Director of Children's Services"
    )
    add_alias(session, director, "DCS")

    csv_plan = import_plan(session, read_plan(text_plan_csv(tmp_path / "x.csv")), plan_name="x", now=NOW)
    leads = {a["ref"]: a["leads"] for a in plan_payload(session, csv_plan.plan)["actions"]}
    assert leads["2"] == ["Head of Exploitation", "Head of Safeguarding"]

    sbc = import_plan(
        session, read_plan(FIXTURES / "stockton-2023-improvement-plan.docx"), plan_name="sbc", now=NOW
    )
    assert not any("'DCS' is an abbreviation" in w for w in sbc.warnings)
    leads = {a["ref"]: a["leads"] for a in plan_payload(session, sbc.plan)["actions"]}
    assert leads["1.6"] == ["Pat Jones"]
    assert leads["4.5"] == ["Pat Jones"]  # "DCS and key partner agencies And partnerships"


def test_reimport_after_a_text_only_update_keeps_the_rag(session, tmp_path):
    from storage.updates import record_update

    path = phase_plan_docx(tmp_path / "p.docx")
    plan = import_plan(session, read_plan(path), plan_name="p", now=NOW).plan
    a13 = get_action(session, plan, "1.3")
    record_update(session, a13, rag=None, text="Spoke to the auditors", source="cli", submitted_at=NOW)
    payload = {a["ref"]: a for a in plan_payload(session, plan)["actions"]}
    assert (payload["1.3"]["rag"], payload["1.3"]["progress"]) == ("Delayed", "Spoke to the auditors")
    again = import_plan(session, read_plan(path), plan_name="p", now=NOW)
    # the document has not changed: its older text must not come back on top of the newer update
    assert again.new_updates == [] and again.updated == {}
    payload = {a["ref"]: a for a in plan_payload(session, plan)["actions"]}
    assert payload["1.3"]["progress"] == "Spoke to the auditors"


def test_reimport_with_a_different_rag_scheme_warns(session, tmp_path):
    import_plan(
        session, read_plan(FIXTURES / "stockton-2023-improvement-plan-shaded.docx"), plan_name="s", now=NOW
    )
    path = tmp_path / "s.csv"
    path.write_text("Ref,Action,Lead,Timescale,RAG\n1,Do a,Head of A,May 2025,✓\n", encoding="utf-8")
    result = import_plan(session, read_plan(path), plan_name="s", now=NOW)
    assert result.warnings[-1] == (
        "the RAG scheme changed from Red, Amber, Green, Blue to Not started or behind, Delayed, On track, "
        "Ahead, Completed; 35 earlier update(s) use a label the new scheme does not have"
    )


_TABLE_FIELDS = ("ref", "title", "leads", "timescale", "due", "rag", "section", "status")


@pytest.mark.parametrize("fixture", ["phase", "stockton-2023-improvement-plan-shaded.docx"])
def test_plan_table_shows_what_the_full_payload_shows(session, tmp_path, fixture):
    """``plan show`` and ``import`` print ``plan_table``, read as plain rows: the same values, in the same
    order, as the full payload's, after a text-only update (the RAG stays) and a withdrawal."""
    from storage.updates import record_update

    path = phase_plan_docx(tmp_path / "p.docx") if fixture == "phase" else FIXTURES / fixture
    plan = import_plan(session, read_plan(path), plan_name="p", now=NOW).plan
    first, second = plan.actions[0], plan.actions[1]
    record_update(session, first, rag=None, text="Spoke to the auditors", source="cli", submitted_at=NOW)
    second.status = "withdrawn"
    full = plan_payload(session, plan, warnings=["w"])
    table = plan_table(rows_of(session), plan.id, warnings=["w"])
    assert len(full["actions"]) == len(table["actions"]) > 2
    for shown, expected in zip(table["actions"], full["actions"], strict=True):
        assert shown == {k: expected[k] for k in _TABLE_FIELDS}
    assert table["actions"][1]["status"] == "withdrawn"
    assert table["actions"][0]["rag"] is not None  # the RAG before the text-only update
    header = full["plan"]
    assert table["plan"] == {
        "name": header["name"],
        "title": header["title"],
        "organisation": header["organisation"],
        "reference_date": header["reference_date"],
        "rag_scheme": {
            "name": header["rag_scheme"]["name"],
            "states": [{"label": s["label"]} for s in header["rag_scheme"]["states"]],
        },
        "action_count": header["action_count"],
    }
    assert table["warnings"] == ["w"]


def test_plan_table_picks_the_rag_latest_updates_picks(session, tmp_path):
    """The table's plain SQL ranks updates as ``latest_updates`` does: the newest with a RAG, a tie on
    ``submitted_at`` going to the one recorded last, a later text-only update not counting."""
    from storage.rag import scheme_for_plan
    from storage.updates import latest_updates, record_update

    plan = import_plan(session, read_plan(phase_plan_docx(tmp_path / "p.docx")), plan_name="p", now=NOW).plan
    a, b, c = plan.actions[:3]
    labels = [s.label for s in scheme_for_plan(plan).states]
    later = NOW + dt.timedelta(days=1)
    for action, rag in ((a, labels[0]), (a, labels[1]), (b, labels[2]), (b, labels[0])):
        record_update(session, action, rag=rag, text=f"{rag} now", source="cli", submitted_at=later)
    record_update(session, c, rag=labels[3], text="ahead", source="cli", submitted_at=later)
    record_update(session, c, rag=None, text="no RAG this time", source="cli", submitted_at=later)
    table = {row["ref"]: row["rag"] for row in plan_table(rows_of(session), plan.id)["actions"]}
    picked = {
        ref: u.rag
        for ref, u in ((x.ref, latest_updates(session, plan.id).get(x.id)) for x in plan.actions)
        if u
    }
    assert {ref: rag for ref, rag in table.items() if ref in picked} == picked
    assert [table[x.ref] for x in (a, b, c)] == [labels[1], labels[0], labels[3]]
