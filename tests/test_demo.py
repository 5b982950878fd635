"""``progressbot demo``: fresh SQLite file, bundled plan, baseline, example updates, DOCX and HTML."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from progressbot.cli import main


def test_demo_writes_the_board_report(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Post Ofsted ILACS Inspection Action Plan — as at 31 Mar 2020" in out
    assert "since version 6.0 (2 Mar 2020)" in out
    assert f"report (Word): {folder / 'report.docx'}" in out
    assert f"report (HTML): {folder / 'report.html'}" in out
    assert (folder / "progressbot-demo.db").exists()

    doc = Document(io.BytesIO((folder / "report.docx").read_bytes()))
    main_table = next(
        t._tbl
        for t in doc.tables
        if ["".join(x.text or "" for x in tc.iter(qn("w:t"))) for tc in t._tbl.tr_lst[0].findall(qn("w:tc"))][
            :1
        ]
        == ["Ref"]
        and len(t._tbl.tr_lst[0].findall(qn("w:tc"))) == 7
    )
    directions = [
        "".join(x.text or "" for x in tr.findall(qn("w:tc"))[6].iter(qn("w:t")))
        for tr in main_table.tr_lst[1:]
        if len(tr.findall(qn("w:tc"))) == 7
    ]
    assert any(d.startswith("↓") for d in directions)
    html = (folder / "report.html").read_text()
    assert "Baseline published by the progressbot demo" in html

    # A second run starts again from a fresh file and gives the same report.
    first = (folder / "report.html").read_text()
    again = CliRunner().invoke(main, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert again.exit_code == 0
    assert (folder / "report.html").read_text() == first

    # The demo database works with the other commands.
    summary = CliRunner().invoke(
        main,
        [
            "--database-url",
            f"sqlite:///{folder / 'progressbot-demo.db'}",
            "summary",
            "--red",
            "--as-of",
            "2020-03-31",
            "--json",
        ],
    )
    assert summary.exit_code == 0, summary.output
    assert len(json.loads(summary.output)["red"]["items"]) >= 1
