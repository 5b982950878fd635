"""``plan show`` reads a SQLite file at the newest schema through the standard library's sqlite3, without
SQLAlchemy: it prints exactly what the SQLAlchemy path prints, and falls back to it whenever in doubt."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import storage.sqlite_file
from progressbot.cli import CliContext, main
from storage.schema import head_revisions
from tests.support.governance_factories import governed_plan
from tests.support.plan_builders import phase_plan_docx

FIXTURES = Path(__file__).parent / "fixtures"
STOCKTON = FIXTURES / "stockton-2023-improvement-plan-shaded.docx"
ENV = {"DATABASE_URL": "", "PROGRESSBOT_LOG_LEVEL": "WARNING", "SLACK_BOT_TOKEN": ""}


def cli(url: str, *args: str):
    result = CliRunner().invoke(main, ["--database-url", url, *args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def quick_calls(monkeypatch):
    """What each quick read returned ("table"), raised ("error") or that it declined (None)."""
    calls: list[str | None] = []
    real = storage.sqlite_file.read_quickly

    def spy(url, work):
        try:
            payload = real(url, work)
        except Exception:
            calls.append("error")
            raise
        calls.append(None if payload is None else "table")
        return payload

    monkeypatch.setattr(storage.sqlite_file, "read_quickly", spy)
    return calls


def both_ways(url: str, monkeypatch, quick_calls, *args: str, taken: str = "table"):
    """``plan show ARGS`` the quick way, then the SQLAlchemy way: what each printed and its exit code."""
    quick = cli(url, "plan", "show", *args)
    assert quick_calls == [taken], quick  # the quick path answered (or raised the plan's NotFound)
    with monkeypatch.context() as m:
        m.setattr(CliContext, "read_quickly", lambda self, work: None)
        full = cli(url, "plan", "show", *args)
    quick_calls.clear()
    return quick, full


def ok(result):
    assert result[0] == 0, result[2]
    return result


@pytest.fixture
def history(database, tmp_path):
    """Two imported plans with updates (one text-only), a sign-off, a withdrawal, a changed due date,
    and a third plan with no RAG states of its own (the default scheme)."""
    url = database.url
    ok(cli(url, "import", str(STOCKTON), "--plan", "Stockton"))
    ok(cli(url, "import", str(phase_plan_docx(tmp_path / "phase.docx")), "--plan", "phase"))
    steps = [
        [
            "update",
            "1.1",
            "--plan",
            "stockton",
            "--rag",
            "Red",
            "--text",
            "Slipped",
            "--at",
            "2026-01-05T09:00",
        ],
        [
            "update",
            "1.1",
            "--plan",
            "Stockton",
            "--rag",
            "Amber",
            "--text",
            "Same time",
            "--at",
            "2026-01-05T09:00",
        ],
        [
            "update",
            "1.2",
            "--plan",
            "Stockton",
            "--rag",
            "Blue",
            "--text",
            "Done",
            "--at",
            "2026-01-06T09:00",
        ],
        ["signoff", "1.2", "--plan", "Stockton", "--note", "Seen the minutes", "--at", "2026-01-07T09:00"],
        ["action", "close", "1.3", "--plan", "Stockton", "--as", "withdrawn", "--reason", "Superseded"],
        ["action", "set", "2.1", "--plan", "Stockton", "--due", "2027-02-28", "--reason", "Board agreed"],
    ]
    for args in steps:
        ok(cli(url, *args))
    with database.session_factory.begin() as session:
        governed_plan(session, name="ILACS Plan")
    return url


@pytest.mark.parametrize(
    "args", [["--plan", "Stockton"], ["--plan", "STOCKTON"], ["--plan", " phase "], ["--plan", "ilacs plan"]]
)
def test_the_quick_way_prints_what_the_sqlalchemy_way_prints(history, monkeypatch, quick_calls, args):
    quick, full = both_ways(history, monkeypatch, quick_calls, *args)
    assert quick == full
    assert ok(quick)[1].count("\n") > 5


def test_a_table_after_updates_sign_off_and_withdrawal(history, monkeypatch, quick_calls):
    quick, full = both_ways(history, monkeypatch, quick_calls, "--plan", "stockton")
    assert quick == full
    lines = {line.split()[0]: line for line in quick[1].splitlines() if line[:1].isdigit()}
    assert lines["1.1"].rstrip().endswith("Amber")  # same instant: the one recorded last
    assert lines["1.2"].rstrip().endswith("Blue")
    assert lines["1.3"].rstrip().endswith("withdrawn")
    assert "2027-02-28" in lines["2.1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "there are 3 plans, say which with --plan: ILACS Plan, Stockton, phase"),
        (["--plan", "nope"], "no plan named 'nope'; plans: ILACS Plan, Stockton, phase"),
    ],
)
def test_the_same_errors_either_way(history, monkeypatch, quick_calls, args, message):
    quick, full = both_ways(history, monkeypatch, quick_calls, *args, taken="error")
    assert quick == full == (2, "", f"progressbot: error: {message}\n")


def test_an_empty_database_either_way(database, monkeypatch, quick_calls):
    quick, full = both_ways(database.url, monkeypatch, quick_calls, taken="error")
    assert (
        quick
        == full
        == (2, "", "progressbot: error: no plan has been imported yet (progressbot import PATH)\n")
    )


def test_a_schema_not_at_head_takes_the_usual_way_which_upgrades_it(tmp_path, quick_calls):
    from alembic import command

    from storage.db import alembic_config

    path = tmp_path / "old.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "0006_import")  # as if 0007 were new
    code, _out, err = cli(f"sqlite:///{path}", "plan", "show")
    assert (code, err) == (2, "progressbot: error: no plan has been imported yet (progressbot import PATH)\n")
    assert quick_calls == [None]  # declined: the usual path ran, and upgraded
    with sqlite3.connect(path) as conn:
        assert {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")} == head_revisions()
    conn.close()


def test_a_missing_file_takes_the_usual_way_which_creates_it(tmp_path, quick_calls):
    path = tmp_path / "new.db"
    assert cli(f"sqlite:///{path}", "plan", "show")[0] == 2
    assert quick_calls == [None]
    assert path.is_file()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:x.db?mode=ro&uri=true",
        "sqlite:///x.db?timeout=5",
        "sqlite:///a%20b.db",
        "postgresql+psycopg://u@localhost/db",
    ],
)
def test_only_plain_sqlite_file_urls_are_read_quickly(url):
    assert storage.sqlite_file.plain_sqlite_path(url) is None


def test_plain_sqlite_urls_name_the_file_sqlalchemy_opens():
    from sqlalchemy.engine import make_url

    for url in ("sqlite:///rel/p.db", "sqlite:////abs/p q.db", "sqlite+pysqlite:////abs/p.db"):
        assert storage.sqlite_file.plain_sqlite_path(url) == Path(make_url(url).database)


def test_the_head_revision_is_alembics():
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


_PROBE = """
import sys
from progressbot.cli import main
try:
    main(sys.argv[1:])
finally:
    print("SQLALCHEMY LOADED" if "sqlalchemy" in sys.modules else "NO SQLALCHEMY", file=sys.stderr)
"""


def _process(url: str, *options: str) -> tuple[int, str, str]:
    env = {**os.environ, **ENV}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *options, "--database-url", url, "plan", "show"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_a_process_shows_the_plan_without_sqlalchemy_and_warns_as_before(database):
    ok(cli(database.url, "import", str(STOCKTON)))
    path = Path(database.url.removeprefix("sqlite:///"))
    path.chmod(0o644)  # readable by others: both ways warn
    code, out, err = _process(database.url)
    assert (code, err.splitlines()[-1]) == (0, "NO SQLALCHEMY")
    # SQLite tidied up after the reading connection, as after any other.
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name)) == [path.name]
    full_code, full_out, full_err = _process(database.url, "-v")  # -v: the usual way, with its logs
    assert (full_code, full_err.splitlines()[-1]) == (0, "SQLALCHEMY LOADED")
    assert full_out == out
    warning = f"database file {path} is readable by others (mode 644); chmod 600 it"
    assert [line.split(" storage.db: ")[1] for line in err.splitlines() if "storage.db" in line] == [warning]
    assert f"WARNING storage.db: {warning}" in full_err
