"""``progressbot report`` and ``progressbot summary`` through click, on a fresh SQLite file."""

from __future__ import annotations

import io
import json
import sys

import pytest
from click.testing import CliRunner
from docx import Document

from progressbot.cli import main
from tests.support.report_factories import board_scenario


@pytest.fixture
def db(database):
    with database.session_factory.begin() as session:
        board_scenario(session)
    return database


def run(db, *args):
    result = CliRunner().invoke(main, ["--database-url", db.url, *args], catch_exceptions=False)
    return result


def test_report_in_every_text_format(db, tmp_path):
    for fmt in ("json", "html", "md"):
        out = tmp_path / f"r.{fmt}"
        result = run(
            db, "report", "--plan", "board", "--as-of", "2026-03-10", "--format", fmt, "--out", str(out)
        )
        assert result.exit_code == 0, result.output
        assert f"wrote {out}" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["as_of"] == "2026-03-10T23:59:59.999999+00:00"  # the whole day, London time (GMT in March)
    assert [a["rag"] for a in data["actions"]] == ["Green", "Red", "Blue", None]
    assert "<h1>Post Ofsted &lt;ILACS&gt; Action Plan</h1>" in (tmp_path / "r.html").read_text()
    assert "# Post Ofsted \\<ILACS\\> Action Plan" in (tmp_path / "r.md").read_text()


def test_report_docx_default_name(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(db, "report", "--as-of", "2026-03-10")
    assert result.exit_code == 0, result.output
    path = tmp_path / "board-report-2026-03-10.docx"
    doc = Document(io.BytesIO(path.read_bytes()))
    assert any(p.text.startswith("Of 4 actions") for p in doc.paragraphs)


def test_as_of_an_earlier_date_shows_the_plan_as_it_stood(db, tmp_path):
    out = tmp_path / "r.json"
    assert run(db, "report", "--as-of", "2026-02-15", "--format", "json", "--out", str(out)).exit_code == 0
    data = json.loads(out.read_text())
    assert [a["rag"] for a in data["actions"]] == ["Green", "Green", "Blue", None]
    assert [h["version"] for h in data["history"]] == ["5.0", "6.0"]


def test_publish_adds_a_version_that_becomes_the_baseline(db, tmp_path):
    out = tmp_path / "r.json"
    result = run(
        db,
        "report",
        "--publish",
        "--summary",
        "Quarterly review",
        "--author",
        "Board Secretary",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "published version 7.0 of board" in result.output
    published = json.loads(out.read_text())
    assert published["history"][-1] | {"date": None} == {
        "date": None,
        "version": "7.0",
        "summary": "Quarterly review",
        "author": "Board Secretary",
        "source": "publish",
    }
    # The published paper itself compares with the version before it ...
    assert published["headline"]["baseline"]["version"] == "6.0"
    assert [a["direction"] for a in published["actions"]] == ["unchanged", "worse", "unchanged", None]
    # ... and every later report compares with the new version.
    later = tmp_path / "later.json"
    assert run(db, "report", "--format", "json", "--out", str(later)).exit_code == 0
    data = json.loads(later.read_text())
    assert data["headline"]["baseline"]["version"] == "7.0"
    assert [a["direction"] for a in data["actions"]] == ["unchanged", "unchanged", "unchanged", None]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--summary", "x"], "--summary and --author describe a published version; add --publish"),
        (["report", "--publish", "--as-of", "2026-01-01"], "--publish freezes the plan as it stands now"),
        (["report", "--plan", "nope"], "nope"),
        (["report", "--as-of", "31/12/2026"], "--as-of: '31/12/2026' is not a date"),
        (["summary", "--since", "yesterday"], "--since: 'yesterday' is not a date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(db, args, message):
    result = CliRunner().invoke(main, ["--database-url", db.url, *args])
    assert result.exit_code == 2
    assert message in result.output
    assert result.output.startswith("progressbot: error: ")
    assert "Traceback" not in result.output


def test_pdf_without_weasyprint_says_what_to_install(db, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes the import fail
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(
        main, ["--database-url", db.url, "report", "--format", "pdf", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "pip install 'progressbot[pdf]'" in result.output
    assert not out.exists()


def test_pdf_is_rendered_from_the_html_when_weasyprint_is_there(db, tmp_path, monkeypatch):
    rendered = []

    class FakeHTML:
        def __init__(self, string):
            rendered.append(string)

        def write_pdf(self):
            return b"%PDF-1.7 fake"

    fake = type(sys)("weasyprint")
    fake.HTML = FakeHTML
    monkeypatch.setitem(sys.modules, "weasyprint", fake)
    out = tmp_path / "r.pdf"
    assert run(db, "report", "--format", "pdf", "--out", str(out)).exit_code == 0
    assert out.read_bytes() == b"%PDF-1.7 fake"
    assert rendered[0].startswith("<!DOCTYPE html>")


def test_failed_render_does_not_publish(db, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    args = ["report", "--publish", "--format", "pdf", "--out", str(tmp_path / "r.pdf")]
    assert CliRunner().invoke(main, ["--database-url", db.url, *args]).exit_code == 2
    out = tmp_path / "r.json"
    assert run(db, "report", "--format", "json", "--out", str(out)).exit_code == 0
    assert [h["version"] for h in json.loads(out.read_text())["history"]] == ["5.0", "6.0"]


def test_summary_commands(db):
    overall = run(db, "summary", "--as-of", "2026-03-10")
    assert overall.exit_code == 0, overall.output
    assert "Of 4 actions, 1 is Blue, 1 Green, 1 Red and 1 has no RAG yet" in overall.output

    by_lead = run(db, "summary", "--by", "lead", "--as-of", "2026-03-10")
    assert "Service Manager Quality — 2 actions: 1 Blue, 1 Green; 0 red, 0 overdue" in by_lead.output

    red_overdue = run(db, "summary", "--red", "--overdue", "--as-of", "2026-03-10", "--markdown")
    assert "**Red actions** — as at 10 Mar 2026: 1" in red_overdue.output
    assert "**Overdue actions (past due and not complete)** — as at 10 Mar 2026: 1" in red_overdue.output

    since = run(db, "summary", "--since", "2026-03-02", "--as-of", "2026-03-10")
    assert since.output.startswith("Changes since 2 Mar 2026: 2 updates on 2 actions; 0 improved, 1 worse")

    as_json = run(
        db, "summary", "--by", "section", "--since", "2026-03-03", "--json", "--as-of", "2026-03-10"
    )
    payload = json.loads(as_json.output)
    assert list(payload) == ["by_section", "changes"]
    assert [g["name"] for g in payload["by_section"]["groups"]] == [
        "1 Improve timeliness",
        "2 Practice & supervision",
    ]
    assert [u["ref"] for u in payload["changes"]["updates"]] == ["1.1"]
