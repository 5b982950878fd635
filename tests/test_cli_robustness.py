"""The command line under a careless admin: global options anywhere, database paths, settings that do
not exist, Slack out of reach. Always one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from progressbot.cli import hoist_global_options, main
from progressbot.config import ConfigError, Settings
from storage.models import Plan
from tests.support.jobs_factories import make_action, make_person, make_plan

BASE_ENV = {
    "DATABASE_URL": "",
    "PROGRESSBOT_LOG_LEVEL": "",
    "PROGRESSBOT_HOLIDAY_SUBDIVISION": "",
    "SLACK_BOT_TOKEN": "",
}


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={**BASE_ENV, **(env or {})}, catch_exceptions=False)


def one_line_error(result, exit_code: int = 2) -> str:
    assert result.exit_code == exit_code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def seeded(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "ilacs")
        make_action(s, plan, "1.1", leads=[make_person(s, "Ann", uid="UANN")])
    return database


@pytest.mark.parametrize(
    "args",
    [
        ("--database-url", "{url}", "plan", "show", "--json"),
        ("plan", "show", "--database-url", "{url}", "--json"),
        ("plan", "show", "--json", "--database-url={url}"),
        ("plan", "--database-url", "{url}", "show", "--json"),
    ],
)
def test_database_url_before_or_after_the_subcommand(seeded, args):
    result = invoke(
        *(a.format(url=seeded.url) for a in args), env={"DATABASE_URL": "sqlite:////nonexistent/x.db"}
    )
    assert result.exit_code == 0, result.output
    assert '"name": "ilacs"' in result.stdout


def test_hoisting_leaves_arguments_after_a_double_dash_alone():
    args = ["update", "1.1", "--database-url", "a.db", "--", "--database-url", "b.db"]
    assert hoist_global_options(args) == [
        "--database-url",
        "a.db",
        "update",
        "1.1",
        "--",
        "--database-url",
        "b.db",
    ]


def test_a_plain_or_relative_path_is_a_sqlite_file(seeded, monkeypatch):
    path = Path(seeded.url.removeprefix("sqlite:///"))
    assert invoke("plan", "show", "--database-url", str(path)).exit_code == 0
    monkeypatch.chdir(path.parent)
    for args, env in (
        (("--database-url", path.name, "plan", "show"), {}),
        (("plan", "show"), {"DATABASE_URL": path.name}),
    ):
        result = invoke(*args, env=env)
        assert result.exit_code == 0 and "ilacs" in result.stdout
    fresh = invoke("db", "upgrade", "--database-url", "new.db")
    assert fresh.exit_code == 0 and f"sqlite:///{path.parent / 'new.db'}" in fresh.stdout


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (
            "no/such/folder/plan.db",
            "--database-url 'no/such/folder/plan.db': the folder no/such/folder does not exist",
        ),
        (".", "is a folder: give a file"),
        ("postgres:/db", "is neither a database URL"),
        ("mysql://u@h/db", "cannot use the database URL mysql://u@h/db"),
        ("sqlite:////no/such/folder/x.db", "cannot open the database sqlite:////no/such/folder/x.db"),
    ],
)
def test_a_database_url_that_cannot_work_is_one_line(value, says):
    assert says in one_line_error(invoke("plan", "show", "--database-url", value))


def test_postgresql_out_of_reach_is_one_line():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = one_line_error(
        invoke("plan", "show", "--database-url", f"postgresql://u:secret@127.0.0.1:{port}/x")
    )
    assert line.startswith(
        f"progressbot: error: cannot open the database postgresql://u:***@127.0.0.1:{port}/x:"
    )
    assert "secret" not in line


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"PROGRESSBOT_LOG_LEVEL": "LOUD"},
            "PROGRESSBOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got 'LOUD'",
        ),
        (
            {"PROGRESSBOT_HOLIDAY_SUBDIVISION": "XYZ"},
            "PROGRESSBOT_HOLIDAY_SUBDIVISION 'XYZ' is not a subdivision of GB: one of ENG, NIR, SCT, WLS",
        ),
        ({"PROGRESSBOT_HOLIDAY_COUNTRY": "ZZ"}, "PROGRESSBOT_HOLIDAY_COUNTRY 'ZZ' is not a country"),
    ],
)
def test_a_setting_that_does_not_exist_is_refused_at_load(seeded, env, says):
    with pytest.raises(ConfigError, match="PROGRESSBOT_"):
        Settings.from_env(env)
    line = one_line_error(invoke("--database-url", seeded.url, "plan", "show", env=env))
    assert line.startswith(f"progressbot: error: {says}")


def test_log_levels_are_read_in_any_case_and_subdivisions_by_name():
    settings = Settings.from_env(
        {"PROGRESSBOT_LOG_LEVEL": "debug", "PROGRESSBOT_HOLIDAY_SUBDIVISION": "Scotland"}
    )
    assert settings.log_level == "DEBUG"
    from storage.calendar import calendar_for

    calendar = calendar_for(settings.holiday_country, settings.holiday_subdivision)
    assert not calendar.is_working_day(dt.date(2026, 11, 30))  # St Andrew's Day, Scotland only


def test_leads_sync_with_slack_out_of_reach_is_one_line_and_exit_3(seeded, monkeypatch):
    from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

    # slack_sdk retries a refused connection twice; take its waits out of the test, keep its tries.
    monkeypatch.setattr(BackoffRetryIntervalCalculator, "calculate_sleep_duration", lambda self, n: 0.0)
    with seeded.session_factory.begin() as s:  # an unlinked lead, so sync has to ask Slack
        make_action(s, s.scalars(select(Plan)).one(), "1.2", leads=[make_person(s, "Bo Unlinked")])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": f"http://127.0.0.1:{port}/api/"}
    line = one_line_error(invoke("--database-url", seeded.url, "leads", "sync", env=env), exit_code=3)
    assert line.startswith(f"progressbot: cannot reach Slack at http://127.0.0.1:{port}/api/ (")
    assert line.endswith("nothing was linked")


def test_leads_sync_with_a_revoked_token_says_what_to_fix(seeded, fake_slack):
    fake_slack.invalid_auth(True)
    env = {"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_URL": fake_slack.url}
    with seeded.session_factory.begin() as s:  # an unlinked lead, so sync has to ask Slack
        make_action(s, s.scalars(select(Plan)).one(), "1.2", leads=[make_person(s, "Bo Unlinked")])
    line = one_line_error(invoke("--database-url", seeded.url, "leads", "sync", env=env))
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in line and "xoxb-revoked" not in line


@pytest.mark.parametrize(
    ("option", "env"),
    [
        # A careless admin: the scheme forgotten, so the value is neither a URL nor a path.
        (("--database-url", "dbuser:Hunter2pw@db.council.example/progress"), {}),
        ((), {"DATABASE_URL": "dbuser:Hunter2pw@db.council.example/progress"}),
        # Credentials where none belong: the form's address is echoed back as wrong.
        ((), {"PROGRESSBOT_PUBLIC_URL": "https://admin:Hunter2pw@progress.council.example"}),
    ],
)
def test_a_setting_echoed_in_an_error_never_shows_its_password(option, env):
    result = invoke(*option, "plan", "show", env=env)
    line = one_line_error(result)
    assert result.exit_code == 2 and "Hunter2pw" not in result.output
    assert ":***@" in line  # still says which value was wrong


def test_config_errors_mask_credentials_and_slack_tokens_whatever_the_message():
    message = str(ConfigError("X is wrong: 'postgres://u:pw1234@h/db' and xoxb-1-2-abcdef"))
    assert "pw1234" not in message and "xoxb-1-2" not in message
