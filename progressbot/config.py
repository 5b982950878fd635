"""One frozen settings object, built from the environment once, at start-up.

Nothing reads os.environ anywhere else: tests build Settings directly.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from email.headerregistry import Address

DEFAULT_DATABASE_URL = "sqlite:///progressbot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TIMEZONE = "Europe/London"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


# --- Masking secrets in text a person or a log will see -------------------------------------------------
# Settings are echoed in error messages so a person can see what they typed wrong; a value can carry a
# credential even where none belongs (``DATABASE_URL=user:password@host/db`` with the scheme forgotten,
# ``PROGRESSBOT_PUBLIC_URL=https://admin:password@host``). Rather than trusting each message to leave it
# out, every configuration and command-line error, and every log record (``bot.logs``), passes through
# ``hide_secrets``: the password of anything shaped like ``user:password@host`` becomes ``***`` and
# anything shaped like a Slack token becomes ``[redacted]``. It lives here because config is the one
# module every package may import.

SLACK_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
# ``user:password@`` after a scheme's ``//``, or at the start of a word (a URL without its scheme).
# The password runs to the last ``@`` before the host, so ``p@ss`` typed unencoded is masked whole.
_USERINFO = re.compile(r"(?P<user>(?:(?<=//)|(?<![^\s'\"(<=,;]))[^\s:/@'\"]+):(?P<password>[^\s/'\"]*)@")


def hide_secrets(text: str) -> str:
    text = SLACK_TOKEN.sub("[redacted]", text)
    return _USERINFO.sub(lambda m: f"{m.group('user')}:***@", text)


_NUMBERS = {"send_rate": "messages per second", "shutdown_timeout": "seconds", "import_max_mb": "megabytes"}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable, never a password in it."""

    def __init__(self, message: str) -> None:
        super().__init__(hide_secrets(message))


def database_url(value: str, *, name: str = "DATABASE_URL") -> str:
    """A database URL, or a plain (relative) path to a SQLite file, which becomes ``sqlite:///ABS``."""
    value = value.strip()
    if not value:
        raise ConfigError(f"{name} is empty")
    if "://" in value or value.startswith("sqlite:"):
        return value
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:", value):
        raise ConfigError(
            f"{name} {value!r} is neither a database URL (sqlite:///file.db, postgresql://user@host/db) "
            "nor a path to a SQLite file"
        )
    path = Path(value).expanduser()
    if path.is_dir():
        raise ConfigError(f"{name} {value!r} is a folder: give a file, e.g. {path / 'progressbot.db'}")
    if not path.parent.is_dir():
        raise ConfigError(f"{name} {value!r}: the folder {path.parent} does not exist")
    return f"sqlite:///{path.resolve()}"


def _secret() -> str:
    return field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str = _secret()
    slack_signing_secret: str = _secret()
    slack_app_token: str = _secret()
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    timezone: str = DEFAULT_TIMEZONE
    digest_channel: str = ""
    # "Mon 09:00" style; parsed by progressbot.scheduler.
    digest_schedule: str = "mon 09:00"
    holiday_country: str = "GB"
    holiday_subdivision: str = "ENG"
    log_level: str = "INFO"
    # Messages per second the reminder sender allows itself (a little under Slack's limit).
    send_rate: float = 1.0
    # Seconds web, run and worker give acknowledged work to finish after SIGTERM or Ctrl-C.
    shutdown_timeout: float = 20.0
    # The largest plan file `progressbot import` reads, in megabytes.
    import_max_mb: float = 50.0
    # Leads outside Slack (see README, "Leads outside Slack"): SMTP, the sender, the form links.
    smtp_url: str = _secret()
    mail_from: str = ""
    secret_key: str = _secret()
    public_url: str = ""
    link_days: int = 14

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        names = {
            "database_url": "DATABASE_URL",
            "slack_bot_token": "SLACK_BOT_TOKEN",
            "slack_signing_secret": "SLACK_SIGNING_SECRET",
            "slack_app_token": "SLACK_APP_TOKEN",
            "slack_api_url": "SLACK_API_URL",
            "port": "PORT",
            "timezone": "PROGRESSBOT_TIMEZONE",
            "digest_channel": "PROGRESSBOT_DIGEST_CHANNEL",
            "digest_schedule": "PROGRESSBOT_DIGEST_SCHEDULE",
            "holiday_country": "PROGRESSBOT_HOLIDAY_COUNTRY",
            "holiday_subdivision": "PROGRESSBOT_HOLIDAY_SUBDIVISION",
            "log_level": "PROGRESSBOT_LOG_LEVEL",
            "send_rate": "PROGRESSBOT_SEND_RATE",
            "shutdown_timeout": "PROGRESSBOT_SHUTDOWN_TIMEOUT",
            "import_max_mb": "PROGRESSBOT_IMPORT_MAX_MB",
            "smtp_url": "PROGRESSBOT_SMTP_URL",
            "mail_from": "PROGRESSBOT_MAIL_FROM",
            "secret_key": "PROGRESSBOT_SECRET_KEY",
            "public_url": "PROGRESSBOT_PUBLIC_URL",
            "link_days": "PROGRESSBOT_LINK_DAYS",
        }
        values: dict[str, object] = {}
        for attr, var in names.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            if attr in ("port", "link_days"):
                try:
                    values[attr] = int(raw)
                except ValueError:
                    raise ConfigError(f"{var} must be a whole number, got {raw!r}") from None
            elif attr == "database_url":
                values[attr] = database_url(raw, name=var)
            elif attr in _NUMBERS:
                try:
                    values[attr] = float(raw)
                except ValueError:
                    raise ConfigError(f"{var} must be a number of {_NUMBERS[attr]}, got {raw!r}") from None
            else:
                values[attr] = raw.strip()
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"PROGRESSBOT_TIMEZONE is not a known time zone: {self.timezone!r}") from None
        if not self.send_rate > 0:
            raise ConfigError(f"PROGRESSBOT_SEND_RATE must be above 0, got {self.send_rate!r}")
        if not 0 <= self.shutdown_timeout <= 3600:
            raise ConfigError(
                f"PROGRESSBOT_SHUTDOWN_TIMEOUT must be between 0 and 3600 seconds, got {self.shutdown_timeout!r}"
            )
        if not 0 < self.import_max_mb <= 1024:
            raise ConfigError(
                f"PROGRESSBOT_IMPORT_MAX_MB must be above 0 and at most 1024, got {self.import_max_mb!r}"
            )
        level = self.log_level.strip().upper()
        if level not in LOG_LEVELS:
            raise ConfigError(
                f"PROGRESSBOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )
        object.__setattr__(self, "log_level", level)
        self._check_holidays()
        if not self.slack_api_url.endswith("/"):
            object.__setattr__(self, "slack_api_url", self.slack_api_url + "/")
        self._validate_email_settings()

    def _validate_email_settings(self) -> None:
        """Each email setting is checked when given; ``email_enabled`` says whether all are."""
        if self.smtp_url:
            SmtpConfig.parse(self.smtp_url)  # raises ConfigError naming the variable, never the password
        if self.mail_from:
            check_mail_from(self.mail_from)
        if self.secret_key:
            check_secret_key(self.secret_key)
        if self.public_url:
            object.__setattr__(self, "public_url", check_public_url(self.public_url))
        check_link_days(self.link_days)

    @property
    def forms_enabled(self) -> bool:
        """The update form needs a key to sign its links and the address they point at."""
        return bool(self.secret_key and self.public_url)

    @property
    def email_enabled(self) -> bool:
        """Email reminders need the form, an SMTP server and a sender address."""
        return self.forms_enabled and bool(self.smtp_url and self.mail_from)

    def missing_email_settings(self) -> list[str]:
        pairs = [
            ("PROGRESSBOT_SMTP_URL", self.smtp_url),
            ("PROGRESSBOT_MAIL_FROM", self.mail_from),
            ("PROGRESSBOT_SECRET_KEY", self.secret_key),
            ("PROGRESSBOT_PUBLIC_URL", self.public_url),
        ]
        return [name for name, value in pairs if not value]

    def _check_holidays(self) -> None:
        """The bank holiday calendar must exist: a typo would silently send reminders on holidays."""
        if (self.holiday_country.upper(), self.holiday_subdivision) == ("GB", "ENG"):
            object.__setattr__(self, "holiday_country", "GB")
            return  # the default is known good; checking it loads every country (0.2-0.5 s a command)
        import holidays

        supported = holidays.list_supported_countries()
        country = self.holiday_country.upper()
        if country not in supported:
            raise ConfigError(
                f"PROGRESSBOT_HOLIDAY_COUNTRY {self.holiday_country!r} is not a country the holidays "
                "package knows (an ISO code such as GB, IE, US)"
            )
        object.__setattr__(self, "holiday_country", country)
        subdiv = self.holiday_subdivision
        if not subdiv or subdiv in supported[country]:
            return  # known without building a calendar (0.2 s every command would pay at start-up)
        try:  # an alias the package accepts ("England") is only found by building the calendar
            holidays.country_holidays(country, subdiv=subdiv)
        except NotImplementedError:
            known = ", ".join(supported[country]) or "none: leave it empty"
            raise ConfigError(
                f"PROGRESSBOT_HOLIDAY_SUBDIVISION {self.holiday_subdivision!r} is not a subdivision of {country}: "
                f"one of {known}"
            ) from None

    def require_slack(self, *, socket_mode: bool = False) -> None:
        """Fail with one clear message listing every missing Slack credential."""
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if socket_mode and not self.slack_app_token:
            missing.append("SLACK_APP_TOKEN")
        if not socket_mode and not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        if missing:
            raise ConfigError(
                "missing Slack settings: " + ", ".join(missing) + " (see README, 'Connect to Slack')"
            )

    def redacted(self) -> dict[str, object]:
        """For logs: every setting, secrets replaced by whether they are set."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("set" if value else "unset") if not f.repr else value
        return out


# --- the email settings -------------------------------------------------------------------------
# Each check raises ConfigError naming its variable and never echoes a secret. They live here, with
# the settings they check, so this module imports nothing of ours and every package may import it.

MIN_SECRET_KEY = 32
LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_secret_key(key: str) -> None:
    if len(key) < MIN_SECRET_KEY:
        raise ConfigError(
            f"PROGRESSBOT_SECRET_KEY must be at least {MIN_SECRET_KEY} characters "
            '(make one with: python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )


def check_public_url(url: str) -> str:
    """The site's base URL without a trailing slash; https, or http on this machine only."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"PROGRESSBOT_PUBLIC_URL must be an https:// address, got {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        # The links are the only credential a partner has: they must never cross a network in clear.
        raise ConfigError(f"PROGRESSBOT_PUBLIC_URL must use https (http only for localhost), got {url!r}")
    if parts.query or parts.fragment or parts.username:
        raise ConfigError(f"PROGRESSBOT_PUBLIC_URL must be a plain base address, got {url!r}")
    return url.strip().rstrip("/")


def check_mail_from(value: str) -> Address:
    """``progressbot@council.gov.uk`` or ``Improvement Board <progressbot@council.gov.uk>``."""
    # Imported here: the email package is a good part of a short command's start-up, and only mail uses it.
    from email.headerregistry import Address
    from email.utils import parseaddr

    if "\n" in value or "\r" in value:
        raise ConfigError("PROGRESSBOT_MAIL_FROM must be one line")
    name, addr = parseaddr(value)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@") or " " in addr:
        raise ConfigError(f"PROGRESSBOT_MAIL_FROM is not an email address: {value!r}")
    local, domain = addr.rsplit("@", 1)
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError):
        raise ConfigError(f"PROGRESSBOT_MAIL_FROM is not an email address: {value!r}") from None


def check_link_days(days: int) -> None:
    if not 1 <= days <= 90:
        raise ConfigError(f"PROGRESSBOT_LINK_DAYS must be between 1 and 90, got {days}")


DEFAULT_TIMEOUT = 30.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "starttls" | "tls" | "none"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """Raises ConfigError naming ``PROGRESSBOT_SMTP_URL``; the message never carries the password."""
        name = "PROGRESSBOT_SMTP_URL"
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ConfigError(f"{name} is not a valid URL (smtp://user:password@host:587)") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(f"{name} must look like smtp://user:password@host:587 or smtps://host:465")
        query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"starttls", "timeout"}
        if unknown:
            raise ConfigError(f"{name}: unknown option(s) {', '.join(sorted(unknown))} (starttls, timeout)")
        if parts.scheme == "smtps":
            security = "tls"
        else:
            flag = query.get("starttls", "true")
            if flag not in _TRUE | _FALSE:
                raise ConfigError(f"{name}: starttls must be true or false")
            security = "starttls" if flag in _TRUE else "none"
        try:
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise ConfigError(f"{name}: timeout must be a number of seconds") from None
        if not 1 <= timeout <= 300:
            raise ConfigError(f"{name}: timeout must be between 1 and 300 seconds")
        username, password = unquote(parts.username or ""), unquote(parts.password or "")
        if security == "none" and not is_loopback(parts.hostname):
            # Mail and the links in it would cross the network in clear, and so would the password.
            raise ConfigError(f"{name}: starttls=false is allowed only for a server on this machine")
        return cls(
            host=parts.hostname,
            port=port or (465 if security == "tls" else 587),
            security=security,
            username=username,
            password=password,
            timeout=timeout,
        )
