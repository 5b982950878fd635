"""Commands reach their first output quickly: no Alembic upgrade when the schema is already at its
newest revision, and the heavy modules (python-docx, openpyxl, matplotlib, the importers, Alembic) are
loaded only by the commands that use them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storage import db as storage_db

HEAVY = ("docx", "openpyxl", "matplotlib", "storage.importers.parse", "storage.plan_import", "alembic")
_PROBE = """
import sys
import click
from progressbot.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except (SystemExit, click.ClickException):
    pass
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def _loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, check=True
    )
    marker = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("LOADED:"))
    return [m for m in marker.removeprefix("LOADED:").split(",") if m]


def test_plan_show_loads_none_of_the_heavy_modules(database, tmp_path):
    from click.testing import CliRunner

    from progressbot.cli import main
    from tests.support.plan_builders import phase_plan_docx

    imported = CliRunner().invoke(
        main, ["--database-url", database.url, "import", str(phase_plan_docx(tmp_path / "p.docx"))]
    )
    assert imported.exit_code == 0, imported.output
    assert _loaded("--database-url", database.url, "plan", "show") == []
    assert _loaded("--help") == []


def test_the_schema_is_not_upgraded_again_when_it_is_at_head(database, monkeypatch):
    assert storage_db.current_revisions(database.engine) == storage_db.head_revisions()

    def refuse(*_args, **_kwargs):
        raise AssertionError("upgrade ran on a database already at head")

    monkeypatch.setattr(storage_db, "upgrade", refuse)
    engine, _factory = storage_db.open_database(database.url)
    engine.dispose()


def test_a_new_database_is_upgraded(tmp_path, monkeypatch):
    calls = []
    real = storage_db.upgrade
    monkeypatch.setattr(storage_db, "upgrade", lambda engine: calls.append(engine) or real(engine))
    engine, _factory = storage_db.open_database(f"sqlite:///{tmp_path / 'new.db'}")
    assert len(calls) == 1
    assert storage_db.current_revisions(engine) == storage_db.head_revisions()
    engine.dispose()


@pytest.mark.parametrize("command", [["import", "--help"], ["plan", "show", "--help"]])
def test_help_never_needs_the_heavy_modules(command):
    assert _loaded(*command) == []


def test_importing_reads_a_plan_without_python_docx_openpyxl_or_matplotlib(database, tmp_path):
    from tests.support.plan_builders import fill_plan_xlsx, phase_plan_docx, text_plan_csv

    for path in (
        text_plan_csv(tmp_path / "p.csv"),
        phase_plan_docx(tmp_path / "p.docx"),
        fill_plan_xlsx(tmp_path / "p.xlsx"),
    ):
        loaded = _loaded("--database-url", database.url, "import", str(path), "--plan", path.suffix[1:])
        assert loaded == ["storage.importers.parse", "storage.plan_import"], path


def test_importing_into_a_new_database_creates_it_without_alembic(tmp_path):
    from tests.support.plan_builders import text_plan_csv

    url = f"sqlite:///{tmp_path / 'new.db'}"
    path = text_plan_csv(tmp_path / "p.csv")
    assert _loaded("--database-url", url, "import", str(path)) == [
        "storage.importers.parse",
        "storage.plan_import",
    ]
    engine = storage_db.create_db_engine(url)
    assert storage_db.current_revisions(engine) == storage_db.head_revisions()
    engine.dispose()
