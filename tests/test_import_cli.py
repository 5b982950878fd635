"""`progressbot import` and `progressbot plan show` end to end, including every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from progressbot.cli import main
from tests.support.plan_builders import no_table_docx, phase_plan_docx

FIXTURES = Path(__file__).parent / "fixtures"
PLAN_2019 = FIXTURES / "stockton-2019-ilacs-action-plan.docx"


def run(database, *args):
    result = CliRunner().invoke(main, ["--database-url", database.url, *map(str, args)])
    return result


def test_import_json_round_trips_with_plan_show(database):
    imported = run(database, "import", PLAN_2019, "--json")
    assert imported.exit_code == 0, imported.output
    payload = json.loads(imported.stdout)
    assert set(payload) == {"plan", "actions", "warnings"}
    assert payload["plan"]["name"] == "stockton-2019-ilacs-action-plan"
    assert payload["plan"]["changes"]["created"] is True
    first = payload["actions"][0]
    assert {
        k: first[k]
        for k in ("ref", "title", "leads", "timescale", "due", "milestones", "schedule", "rag", "section")
    } == {
        "ref": "1.1",
        "title": "Develop a quality assurance framework to support a whole systems approach",
        "leads": ["Service Manager Quality, Practice and Review"],
        "timescale": "November 2019",
        "due": "2019-11-30",
        "milestones": ["2019-11-30"],
        "schedule": "once",
        "rag": None,
        "section": "Improve the timeliness in delivering children's plans without delay across all services by "
        "generally improving management oversight and grip.",
    }
    assert first["progress"].startswith("Advice and learning")
    shown = run(database, "plan", "show", "--json")
    assert shown.exit_code == 0, shown.output
    again = json.loads(shown.stdout)
    assert again["actions"] == payload["actions"]
    assert again["plan"]["rag_scheme"] == payload["plan"]["rag_scheme"]


def test_dry_run_stores_nothing(database):
    result = run(database, "import", PLAN_2019, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["actions"]) == 16
    shown = run(database, "plan", "show")
    assert shown.exit_code == 2
    assert "no plan has been imported yet" in shown.stderr


def test_readable_preview_and_reimport_summary(database, tmp_path):
    path = phase_plan_docx(tmp_path / "phase.docx")
    first = run(database, "import", path, "--plan", "phase")
    assert first.exit_code == 0, first.output
    assert "1.2 (2)" in first.stdout and "Sam Patel, Alex Khan, Pat Jones" in first.stdout
    assert "3 warning(s):" in first.stdout and "duplicate ref 1.2" in first.stdout
    assert "imported 6 actions into plan 'phase'" in first.stdout
    second = run(database, "import", path, "--plan", "phase")
    assert "0 new, 0 changed, 0 new progress/RAG updates, 6 unchanged" in second.stdout
    shown = run(database, "plan", "show", "--plan", "phase")
    assert shown.exit_code == 0 and "Launch the practice model" in shown.stdout
    missing = run(database, "plan", "show", "--plan", "nope")
    assert (
        missing.exit_code == 2
        and missing.stderr == "progressbot: error: no plan named 'nope'; plans: phase\n"
    )


def _truncated(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return dest


def _bad_inputs(tmp_path: Path) -> list[tuple[Path, str]]:
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    text = tmp_path / "plan.pdf"
    text.write_text("%PDF-1.4")
    garbage_xlsx = tmp_path / "garbage.xlsx"
    garbage_xlsx.write_bytes(b"not a zip file at all" * 20)
    xlsx_src = tmp_path / "src.xlsx"
    from tests.support.plan_builders import fill_plan_xlsx

    fill_plan_xlsx(xlsx_src)
    binary_csv = tmp_path / "binary.csv"
    binary_csv.write_bytes(b"\x00\x01\x02ref,action\x00")
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("just,some,numbers\n1,2,3\n")
    header_only = tmp_path / "header-only.csv"
    header_only.write_text("Ref,Action,Lead,Timescale,RAG\n,,,,\n")
    return [
        (tmp_path / "missing.docx", "missing.docx: no such file"),
        (empty, "empty.docx: the file is empty"),
        (text, "plan.pdf: unknown file type '.pdf'; expected one of .docx, .xlsx, .xlsm, .csv"),
        (tmp_path, "is a directory, not a plan file"),
        (_truncated(PLAN_2019, tmp_path / "truncated.docx"), "truncated.docx: not a readable Word document"),
        (_truncated(xlsx_src, tmp_path / "truncated.xlsx"), "truncated.xlsx: not a readable Excel workbook"),
        (garbage_xlsx, "garbage.xlsx: not a readable Excel workbook"),
        (no_table_docx(tmp_path / "minutes.docx"), "minutes.docx: no action table found"),
        (binary_csv, "binary.csv: not a text CSV file"),
        (headerless, "headerless.csv: no action table found"),
        (header_only, "header-only.csv: the action table has a header row but no actions under it"),
    ]


@pytest.mark.parametrize("case", range(11))
def test_bad_input_is_one_line_exit_2_and_stores_nothing(database, tmp_path, case):
    path, message = _bad_inputs(tmp_path)[case]
    result = run(database, "import", path)
    assert result.exit_code == 2
    assert result.stderr.startswith("progressbot: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert "no plan has been imported yet" in run(database, "plan", "show").stderr


def test_bad_reference_date(database):
    result = run(database, "import", PLAN_2019, "--reference-date", "May 2023")
    assert result.exit_code == 2
    assert result.stderr == "progressbot: error: --reference-date: 'May 2023' is not a date (YYYY-MM-DD)\n"


def test_reference_date_option_wins(database):
    result = run(database, "import", PLAN_2019, "--reference-date", "2019-09-01", "--json", "--dry-run")
    assert json.loads(result.stdout)["plan"]["reference_date"] == "2019-09-01"


def test_overlong_plan_name(database):
    result = run(database, "import", PLAN_2019, "--plan", "x" * 201)
    assert result.exit_code == 2
    assert result.stderr == (
        "progressbot: error: stockton-2019-ilacs-action-plan.docx: a plan name has at most "
        "200 characters (got 201)\n"
    )


def test_import_pauses_cycle_collection_only_while_it_runs(database, monkeypatch):
    import gc

    seen = []
    from storage import importers

    real = importers.read_plan

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(importers, "read_plan", watched)
    assert gc.isenabled()
    assert run(database, "import", PLAN_2019).exit_code == 0
    assert seen == [False]  # paused while reading
    assert gc.isenabled()  # and back on afterwards
    assert run(database, "import", "/no/such/plan.docx").exit_code != 0
    assert gc.isenabled()  # even when the import fails
