"""Settings come from the environment once, fail with the variable's name, and never show secrets."""

from __future__ import annotations

import pytest

from progressbot.config import ConfigError, Settings


def test_defaults_without_environment():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///progressbot.db"
    assert settings.timezone == "Europe/London"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.send_rate == 1.0


def test_reads_every_variable():
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "shh",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "PORT": "8080",
            "PROGRESSBOT_TIMEZONE": "America/New_York",
            "PROGRESSBOT_DIGEST_CHANNEL": "C123",
            "PROGRESSBOT_SEND_RATE": "2.5",
        }
    )
    assert (settings.port, settings.timezone, settings.digest_channel) == (8080, "America/New_York", "C123")
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.send_rate == 2.5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PROGRESSBOT_TIMEZONE": "Mars/Olympus"}, "PROGRESSBOT_TIMEZONE is not a known time zone"),
        ({"PROGRESSBOT_SEND_RATE": "fast"}, "PROGRESSBOT_SEND_RATE must be a number"),
        ({"PROGRESSBOT_SEND_RATE": "0"}, "PROGRESSBOT_SEND_RATE must be above 0"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secrets_stay_out_of_repr_and_redacted_view():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-secret", "SLACK_SIGNING_SECRET": "sign-secret"})
    shown = repr(settings) + repr(settings.redacted())
    assert "xoxb-secret" not in shown and "sign-secret" not in shown
    assert settings.redacted()["slack_bot_token"] == "set"
    assert settings.redacted()["slack_app_token"] == "unset"


def test_missing_slack_credentials_are_listed_together():
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN, SLACK_APP_TOKEN"):
        Settings.from_env({}).require_slack(socket_mode=True)
