"""Checks for the email settings; each error names its variable and never echoes a secret."""

from __future__ import annotations

import ipaddress
from email.headerregistry import Address
from email.utils import parseaddr
from urllib.parse import urlsplit

from progressbot.config import ConfigError

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
