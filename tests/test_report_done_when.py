"""Issue 3's "done when": import the 2019 Stockton plan, publish a baseline, turn an action Red,
then ``progressbot report --format docx`` — checked cell by cell with python-docx."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from progressbot.cli import main

PLAN = Path(__file__).parent / "fixtures" / "stockton-2019-ilacs-action-plan.docx"


def cli(db, *args):
    result = CliRunner().invoke(main, ["--database-url", db.url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def cell_texts(tr) -> list[str]:
    return ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.findall(qn("w:tc"))]


def cell_fill(tc) -> str | None:
    shd = tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
    return shd.get(qn("w:fill")) if shd is not None else None


def test_import_publish_red_update_report(database, tmp_path):
    cli(database, "import", str(PLAN), "--plan", "stockton")
    baseline_json = tmp_path / "baseline.json"
    out = cli(
        database,
        "report",
        "--publish",
        "--summary",
        "Baseline for the board",
        "--author",
        "Board Secretary",
        "--format",
        "json",
        "--out",
        str(baseline_json),
    )
    baseline = json.loads(baseline_json.read_text())
    version = baseline["history"][-1]["version"]
    assert f"published version {version} of stockton" in out
    # Turn Red an action that was rated, not Red and not complete at the baseline.
    complete = {k["label"] for k in baseline["rag_key"] if k["is_complete"]}
    worst = baseline["rag_key"][0]["label"]
    target = next(
        a for a in baseline["actions"] if a["rag"] and a["rag"] not in complete and a["rag"] != worst
    )
    cli(
        database,
        "update",
        target["ref"],
        "--plan",
        "stockton",
        "--rag",
        worst,
        "--text",
        "Slipped: the lead officer has left; recovery plan to the next board.",
    )

    docx_path = tmp_path / "report.docx"
    cli(database, "report", "--plan", "stockton", "--format", "docx", "--out", str(docx_path))
    json_path = tmp_path / "report.json"
    cli(database, "report", "--plan", "stockton", "--format", "json", "--out", str(json_path))
    data = json.loads(json_path.read_text())
    doc = Document(io.BytesIO(docx_path.read_bytes()))

    # The baseline is in the document history, after the imported versions.
    history = next(t._tbl for t in doc.tables if cell_texts(t._tbl.tr_lst[0])[0] == "Date issued")
    rows = [cell_texts(tr) for tr in history.tr_lst[1:]]
    assert rows[-1][1:] == [version, "Baseline for the board", "Board Secretary"]
    assert [r[1] for r in rows[:-1]] == [h["version"] for h in baseline["history"][:-1]]

    # Every action appears with its lead, timescale and latest progress; RAG cells are filled.
    main_table = next(
        t._tbl for t in doc.tables if cell_texts(t._tbl.tr_lst[0])[:2] == ["Ref", "Action / required outcome"]
    )
    action_rows = {cell_texts(tr)[0]: tr for tr in main_table.tr_lst[1:] if len(tr.findall(qn("w:tc"))) == 7}
    assert list(action_rows) == [a["ref"] for a in data["actions"]]
    assert len(action_rows) >= 15
    colours = {k["label"]: k["colour"].lstrip("#") for k in data["rag_key"]}
    for a in data["actions"]:
        cells = cell_texts(action_rows[a["ref"]])
        tcs = action_rows[a["ref"]].findall(qn("w:tc"))
        for lead in a["leads"]:
            assert lead in cells[2]
        assert cells[3].startswith(a["timescale"])
        if a["progress"]:
            assert cells[4].startswith(a["progress"]["text"].split("\n")[0].strip())
        if a["rag"]:
            assert cells[5] == a["rag"]
            assert cell_fill(tcs[5]) == colours[a["rag"]]

    # The Red action shows ↓ and is listed under Red in the exceptions.
    red_cells = cell_texts(action_rows[target["ref"]])
    assert red_cells[5] == worst
    assert red_cells[6] == f"↓was {target['rag']}"
    assert cell_fill(action_rows[target["ref"]].findall(qn("w:tc"))[5]) == colours[worst]
    assert red_cells[4].startswith("Slipped: the lead officer has left")
    red_table = next(
        t._tbl
        for t in doc.tables
        if cell_texts(t._tbl.tr_lst[0])[-1:] == ["Detail"]
        and target["ref"] in cell_texts(t._tbl.tr_lst[1])[0]
        and "Slipped" in cell_texts(t._tbl.tr_lst[1])[-1]
    )
    assert len(red_table.tr_lst) == 1 + sum(1 for a in data["actions"] if a["rag"] == worst)

    # Summary: one worsened since the baseline, and the sentence is in the paper.
    change = data["headline"]["change"]
    assert change["worse"] == 1
    assert data["headline"]["baseline"]["version"] == version
    assert f"1 has worsened since version {version}" in data["headline"]["sentence"]
    assert data["headline"]["sentence"] in [p.text for p in doc.paragraphs]
    assert [e["ref"] for e in data["exceptions"] if e["kind"] == "red"] == [
        a["ref"] for a in data["actions"] if a["rag"] == worst
    ]
    overdue = [a["ref"] for a in data["actions"] if a["overdue"]]
    assert [e["ref"] for e in data["exceptions"] if e["kind"] == "overdue"] == overdue
    stale = [e["ref"] for e in data["exceptions"] if e["kind"] == "stale"]
    assert target["ref"] not in stale
