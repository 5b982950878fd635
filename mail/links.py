"""Signed links: the only credential a lead outside Slack has.

A token is ``v1.<person id>.<plan id>.<issued, unix seconds>.<address tag>.<signature>``:

- the signature is HMAC-SHA256 with a key derived from ``PROGRESSBOT_SECRET_KEY`` (one key for links,
  another for the form's CSRF token, so one can never stand in for the other), compared in constant
  time;
- it is scoped to one lead and one plan: it opens that lead's actions in that plan and nothing else;
- it expires ``PROGRESSBOT_LINK_DAYS`` (14) days after it was issued, judged when it is used, so
  shortening the setting shortens every link already sent;
- the address tag is a digest of the lead's email address when the link was made: changing a lead's
  address (a typo fixed, a person replaced) makes every link sent to the old address stop working.

Tokens are not stored anywhere: an email is rendered with a fresh one as it is sent. They never go in a
log line (``bot.logs`` redacts ``/u/...`` paths, the web server's access lines included).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

VERSION = "v1"
_TOKEN = re.compile(
    r"v1\.([0-9]{1,12})\.([0-9]{1,12})\.([0-9]{1,12})\.([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{43})"
)
MAX_TOKEN_LENGTH = 120


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _derive(secret_key: str, purpose: str) -> bytes:
    return hmac.new(secret_key.encode("utf-8"), f"progressbot {purpose}".encode(), hashlib.sha256).digest()


def address_tag(email: str | None) -> str:
    return _b64(hashlib.sha256((email or "").strip().lower().encode("utf-8")).digest()[:8])


@dataclass(frozen=True)
class LinkClaims:
    person_id: int
    plan_id: int
    issued_at: dt.datetime
    address_tag: str

    def expires_at(self, days: int) -> dt.datetime:
        return self.issued_at + dt.timedelta(days=days)


class BadLink(Exception):
    """Not a token we made (forged, altered, truncated): 403, nothing else is looked at."""


class Links:
    """Makes and checks tokens with keys derived from the secret key."""

    def __init__(self, secret_key: str, *, days: int = 14) -> None:
        if not secret_key:
            raise ValueError("a secret key is needed to sign links")
        self._link_key = _derive(secret_key, "form link v1")
        self._csrf_key = _derive(secret_key, "form csrf v1")
        self.days = days

    def __repr__(self) -> str:
        return f"Links(days={self.days})"

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._link_key, body.encode("ascii"), hashlib.sha256).digest())

    def make(self, person_id: int, plan_id: int, email: str, now: dt.datetime) -> str:
        body = f"{VERSION}.{int(person_id)}.{int(plan_id)}.{int(now.timestamp())}.{address_tag(email)}"
        return f"{body}.{self._sign(body)}"

    def read(self, token: str) -> LinkClaims:
        """The claims of an authentic token, expired or not; BadLink for anything else."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise BadLink("no token")
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise BadLink("malformed")
        body, signature = token.rsplit(".", 1)
        if not hmac.compare_digest(self._sign(body), signature):
            raise BadLink("bad signature")
        person_id, plan_id, issued, tag = match.group(1), match.group(2), match.group(3), match.group(4)
        return LinkClaims(
            person_id=int(person_id),
            plan_id=int(plan_id),
            issued_at=dt.datetime.fromtimestamp(int(issued), dt.UTC),
            address_tag=tag,
        )

    def expired(self, claims: LinkClaims, now: dt.datetime) -> bool:
        # A token from the future (a clock set wrong when it was made) is treated as expired too.
        return not (claims.issued_at - dt.timedelta(minutes=5) <= now < claims.expires_at(self.days))

    # --- CSRF: ties a POST to a form this server rendered for this link -------------------------

    def csrf(self, token: str, nonce: str) -> str:
        return _b64(hmac.new(self._csrf_key, f"{token}|{nonce}".encode(), hashlib.sha256).digest())

    def csrf_ok(self, token: str, nonce: str, value: str) -> bool:
        if not nonce or not value or len(nonce) > 64 or len(value) > 64:
            return False
        return hmac.compare_digest(self.csrf(token, nonce), value)


def form_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/u/{token}"
