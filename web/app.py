"""The update form as a WSGI app: ``GET``/``POST /u/TOKEN`` and ``POST /u/TOKEN/new-link``.

Every request is verified before anything else is read: the token's signature first (a forged or
altered token is 403 and nothing else happens), then for a POST the Origin, the size and time of the
body, and the CSRF token. Only then is the database touched. Nothing is acknowledged before it is
committed, and emails are sent only after the commit (``mail.outbox``); the worker's pass sends any the
web process could not.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mail.links import BadLink, LinkClaims, Links
from mail.outbox import EmailChannel, email_channel
from storage.rag import scheme_for_plan
from web import pages
from web.body import BodyRefused, read_form_body
from web.forms import parse_form, read_inputs
from web.service import LinkRevoked, ask_new_link, date_problems, load_form, save_form, saved_updates

log = logging.getLogger(__name__)

PREFIX = "/u/"
NEW_LINK = "new-link"
MAX_FIELDS = 2000
WRITE_ATTEMPTS = 4

STATUS = {
    200: "200 OK",
    400: "400 Bad Request",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    408: "408 Request Timeout",
    410: "410 Gone",
    411: "411 Length Required",
    413: "413 Content Too Large",
    415: "415 Unsupported Media Type",
    422: "422 Unprocessable Content",
    503: "503 Service Unavailable",
}
SECURITY_HEADERS = [
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'",
    ),
]
FORBIDDEN_TEXT = (
    "This link is not valid. If it came in an email from us, it may have been changed or cut short: "
    "open it again from the email, or ask the plan's officer for a new one."
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def is_form_path(path: str) -> bool:
    return path.startswith(PREFIX)


def _write_conflict(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database table is locked" in text


class FormApp:
    def __init__(
        self,
        settings: Any,
        session_factory: sessionmaker[Session],
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        channel: EmailChannel | None = None,
        max_body: int | None = None,
        read_timeout: float | None = None,
        slack: Any = None,
    ) -> None:
        from bot.logs import install_redaction

        install_redaction(
            settings
        )  # the links are credentials: no log line, access lines included, shows one
        self.settings = settings
        self.factory = session_factory
        # What updates set in motion is owed to Slack in the form's transaction (bot.wsgi.FormNotices).
        self.slack = slack
        self.clock = clock
        self.links = Links(settings.secret_key, days=settings.link_days)
        self.origin = _origin(settings.public_url)
        self.channel = channel if channel is not None else email_channel(settings)
        self.body_options = {
            k: v for k, v in (("limit", max_body), ("timeout", read_timeout)) if v is not None
        }
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="form-mail")

    # --- dispatch -----------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        token, _, tail = environ.get("PATH_INFO", "")[len(PREFIX) :].partition("/")
        if tail not in ("", NEW_LINK):
            return self._respond(
                start_response, 404, pages.message_page("Page not found", "There is no such page.")
            )
        try:
            claims = self.links.read(token)
        except BadLink as exc:
            log.info("form %s refused: %s", method, exc)
            return self._forbidden(start_response)
        allowed = ("POST",) if tail == NEW_LINK else ("GET", "HEAD", "POST")
        if method not in allowed:
            return self._respond(
                start_response,
                405,
                pages.message_page("Not allowed", "That is not allowed here."),
                [("Allow", ", ".join(allowed))],
            )
        try:
            if tail == NEW_LINK:
                status, html = self._new_link(environ, token, claims)
            elif method == "POST":
                status, html = self._submit(environ, token, claims)
            else:
                status, html = self._show(environ, token, claims)
        except LinkRevoked:
            return self._forbidden(start_response)
        except BodyRefused as exc:
            log.info("form POST refused (%s): %s", exc.status, exc)
            status, html = exc.status, pages.message_page("Not sent", _body_message(exc.status))
        except OperationalError:
            log.exception("form: the database is unavailable")
            status, html = (
                503,
                pages.message_page(
                    "Please try again",
                    "We could not reach our database, so nothing was saved. Please try again in a minute.",
                ),
            )
        log.info("form %s person=%s plan=%s -> %s", method, claims.person_id, claims.plan_id, status)
        return self._respond(start_response, status, html, head=method == "HEAD")

    def _respond(
        self,
        start_response: Callable,
        status: int,
        html: str,
        extra: list | None = None,
        *,
        head: bool = False,
    ) -> Iterable[bytes]:
        body = html.encode("utf-8")
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *SECURITY_HEADERS,
            *(extra or []),
        ]
        start_response(STATUS[status], headers)
        return [b""] if head else [body]

    def _forbidden(self, start_response: Callable) -> Iterable[bytes]:
        return self._respond(start_response, 403, pages.message_page("Link not valid", FORBIDDEN_TEXT))

    # --- pages --------------------------------------------------------------------------------------

    def _today(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.settings.tz).date()

    def _expires(self, claims: LinkClaims) -> dt.date:
        return claims.expires_at(self.links.days).astimezone(self.settings.tz).date()

    def _show(self, environ: dict, token: str, claims: LinkClaims) -> tuple[int, str]:
        now = self.clock()
        if self.links.expired(claims, now):
            return 410, self._expired_page(environ, token, claims)
        with self.factory() as session:
            view = load_form(session, claims, self.settings.tz)
        return 200, self._form(environ, token, view, pages.FormState({}, {}), now, claims)

    def _form(self, environ, token, view, state, now, claims) -> str:
        nonce = secrets.token_urlsafe(16)
        return pages.form_page(
            view,
            state,
            csrf=self.links.csrf(token, nonce),
            nonce=nonce,
            action_url=_here(environ),
            today=self._today(now),
            expires=self._expires(claims),
        )

    def _expired_page(self, environ: dict, token: str, claims: LinkClaims, kept=None) -> str:
        nonce = secrets.token_urlsafe(16)
        with self.factory() as session:
            load_form(session, claims, self.settings.tz)  # raises LinkRevoked for a revoked link
        return pages.expired_page(
            renew_url=_here(environ).rstrip("/") + "/" + NEW_LINK,
            csrf=self.links.csrf(token, nonce),
            nonce=nonce,
            kept=kept or [],
        )

    def _post_fields(self, environ: dict, token: str) -> dict[str, str] | None:
        """The verified form fields, or None when the POST did not come from our own page."""
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin != self.origin:
            log.info("form POST refused: Origin %r is not ours", origin[:100])
            return None
        if environ.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            return None
        content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise BodyRefused(415, f"content type {content_type[:60]!r}")
        raw = read_form_body(environ, **self.body_options)
        try:
            parsed = parse_qs(
                raw.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                max_num_fields=MAX_FIELDS,
                errors="strict",
            )
        except (UnicodeDecodeError, ValueError):
            raise BodyRefused(400, "not a form") from None
        fields = {name: values[0] for name, values in parsed.items()}
        if not self.links.csrf_ok(token, fields.get("nonce", ""), fields.get("csrf", "")):
            log.info("form POST refused: CSRF token missing or wrong")
            return None
        return fields

    def _submit(self, environ: dict, token: str, claims: LinkClaims) -> tuple[int, str]:
        fields = self._post_fields(environ, token)
        if fields is None:
            raise LinkRevoked("not our form")
        now = self.clock()
        if self.links.expired(claims, now):
            with self.factory() as session:
                view = load_form(session, claims, self.settings.tz)
            inputs = read_inputs(fields, [c.id for c in view.cards])
            kept = [(c.ref, inputs[c.id].text) for c in view.cards if inputs[c.id].text.strip()]
            return 410, self._expired_page(environ, token, claims, kept)

        def store(session: Session):
            view = load_form(session, claims, self.settings.tz)
            parsed = parse_form(fields, [c.id for c in view.cards], view.scheme.labels, self._today(now))
            if parsed.ok:
                parsed.errors.update(date_problems(session, parsed.updates, self._today(now)))
            if not parsed.ok:
                return view, parsed, None
            saved = save_form(session, view, parsed.updates, now=now, tz=self.settings.tz)
            if saved.followups and self.slack is not None:
                self.slack.owe(session, saved.followups)  # e.g. the board hears of a date request
            return view, parsed, saved

        view, parsed, saved = self._transaction(store)
        if saved is None:
            state = pages.FormState(parsed.inputs, parsed.errors, parsed.form_error)
            return 422, self._form(environ, token, view, state, now, claims)
        if saved.confirmation_id is not None:
            self._send_soon(saved.confirmation_id)
        if saved.followups and self.slack is not None:
            self.slack.owed()
        with self.factory() as session:
            lines = [_line(u) for u in saved_updates(session, saved.update_ids)]
        html = pages.confirmation_page(
            view.plan_title, lines, again_url=_here(environ), already=saved.created == 0
        )
        return 200, html

    def _new_link(self, environ: dict, token: str, claims: LinkClaims) -> tuple[int, str]:
        if self._post_fields(environ, token) is None:
            raise LinkRevoked("not our form")
        now = self.clock()
        result = self._transaction(lambda session: ask_new_link(session, claims, now))
        if result.message_id is not None:
            self._send_soon(result.message_id)
        return 200, pages.new_link_page(
            masked_address=result.masked_address,
            queued=result.queued,
            last_sent=result.last_sent,
            tz=self.settings.tz,
        )

    # --- plumbing -----------------------------------------------------------------------------------

    def _transaction(self, fn: Callable[[Session], Any]) -> Any:
        """One transaction; re-run whole when SQLite reports a write conflict (nothing is half-written)."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self.factory.begin() as session:
                    return fn(session)
            except OperationalError as exc:
                if attempt == WRITE_ATTEMPTS or not _write_conflict(exc):
                    raise
                time.sleep(random.uniform(0.005, 0.03) * attempt)
        raise AssertionError("unreachable")

    def _send_soon(self, message_id: int) -> None:
        """After the commit, off the request thread; if this process dies first, the worker sends it."""
        if self.channel is None:
            log.warning("email %s queued, but email is not configured; it waits in the outbox", message_id)
            return
        channel = self.channel

        def run() -> None:
            try:
                channel.deliver(self.factory, message_id, self.clock())
            except (
                Exception
            ):  # the row stays pending (or "sending" until its claim lapses): the worker retries
                log.exception("sending email %s after the form failed", message_id)

        self.executor.submit(run)

    def shutdown(self, wait: bool = True) -> None:
        self.executor.shutdown(wait=wait)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _here(environ: dict) -> str:
    return (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "")


def _body_message(status: int) -> str:
    return {
        413: "That was too much to send at once, so nothing was saved. Please shorten your updates and try again.",
        408: "The connection was too slow, so nothing was saved. Please go back and try again.",
    }.get(
        status,
        "Your browser sent something we could not read, so nothing was saved. Please go back and try again.",
    )


def _line(update) -> pages.SavedLine:
    action = update.action
    colour = None
    if update.rag:
        try:
            colour = scheme_for_plan(action.plan).state(update.rag).colour
        except KeyError:
            colour = None
    return pages.SavedLine(
        ref=action.ref,
        title=action.title,
        rag=update.rag,
        rag_colour=colour,
        text=update.text,
        evidence_url=update.evidence_url,
        proposed_due=update.proposed_due,
    )
