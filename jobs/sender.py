"""Posting a pass's messages to Slack: steady pacing, one pause for the whole pass on a 429, and what
each failure means for the pass.

- **Pacing.** Slack allows about one message per second *per channel*; every reminder goes to a
  different DM, so what bounds a pass is the workspace-wide limit. The sender paces itself to ``rate``
  messages per second instead of bursting into 429s.
- **429.** slack_sdk's ``RateLimitErrorRetryHandler`` does the retry, but its wait is taken on the
  pass's pacer (``PassRateLimitHandler``): the whole pass pauses for the Retry-After, then pacing
  resumes. A 429 that persists past ``rate_limit_retries`` pauses, or asks for more than
  ``MAX_RETRY_AFTER`` seconds, stops the pass: the rest stays pending for the next pass.
- **Connection errors** before the request left (refused, DNS, connect timeout: urllib's ``URLError``)
  are retried by slack_sdk's ``ConnectionErrorRetryHandler``. A failure after the request may have
  reached Slack (a read timeout, a reset, a 5xx) is never retried blindly: it is marked ``in_doubt``
  and the delivery loop looks for the message in Slack before posting it again.
- **Token and permission errors** (``invalid_auth``, ``token_revoked``, ``missing_scope`` …) stop the
  pass at once: nothing more can be sent until someone fixes the token or the app's scopes.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

log = logging.getLogger(__name__)

DEFAULT_RATE = 1.0  # messages per second; see the README for choosing it
RATE_LIMIT_RETRIES = 3  # 429 pauses per request before the pass gives up
MAX_RETRY_AFTER = 60  # seconds; a longer Retry-After stops the pass instead of holding it
CONNECTION_RETRIES = 2
RETRYABLE_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# Errors about the token or the app, not the message: every other message would fail the same way.
TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "not_allowed_token_type",
    "invalid_token",
}
SCOPE_ERRORS = {"missing_scope"}
ADMIN_ERRORS = {
    "no_permission",
    "access_denied",
    "ekm_access_denied",
    "team_access_not_granted",
    "org_login_required",
    "two_factor_setup_required",
    "enterprise_is_restricted",
    "app_missing_action_url",
}
AUTH_ERRORS = TOKEN_ERRORS | SCOPE_ERRORS | ADMIN_ERRORS


def what_to_fix(error: str, data: dict[str, Any] | None = None) -> str:
    """One line for the operator: what Slack said and what to change."""
    data = data or {}
    if error in SCOPE_ERRORS:
        needed = data.get("needed") or "a scope listed in manifest.yml"
        return (
            f"Slack says the app is missing the scope {needed} ({error}): add it under OAuth & Permissions "
            "(or update the app from manifest.yml), reinstall the app, put the new token in SLACK_BOT_TOKEN "
            "and run again"
        )
    if error in ADMIN_ERRORS:
        return (
            f"Slack refused the app ({error}): a workspace admin has to allow or reinstall progressbot, "
            "then run again"
        )
    return (
        f"Slack refused SLACK_BOT_TOKEN ({error}): set it to the app's current Bot User OAuth Token (xoxb-…), "
        "from Install App in the app's settings, and run again"
    )


@dataclass
class Pacer:
    """At most ``rate`` calls per second on average, spaced evenly.

    Calls are given slots 1/rate apart. A call that comes late (the previous send was slow) may take a
    slot up to one interval in the past, so a slow send is caught up on instead of lost for good,
    while bursts stay at most one message above the even spacing. ``hold`` pauses every call for a
    while (a 429's Retry-After), whatever the rate.
    """

    rate: float = DEFAULT_RATE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float | None = field(default=None, repr=False)
    holds: int = 0  # how many times, and for how long, the pass was paused (for its summary line)
    held_seconds: float = 0.0

    def wait(self) -> None:
        if self.rate <= 0:
            return
        interval = 1.0 / self.rate
        now = self.clock()
        slot = now if self._next is None else max(self._next, now - interval)
        if slot > now:
            self.sleep(slot - now)
        self._next = slot + interval

    def hold(self, seconds: float) -> None:
        """Pause the pass for ``seconds``; the call that waited goes first, the next one a slot later."""
        resume = self.clock() + max(seconds, 0.0)
        self.holds += 1
        self.held_seconds += max(seconds, 0.0)
        if seconds > 0:
            self.sleep(seconds)
        if self.rate > 0:
            self._next = resume + 1.0 / self.rate


def retry_after(response: Any) -> float:
    for name, values in (getattr(response, "headers", None) or {}).items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return max(float(value), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0


class PassRateLimitHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, with the wait taken on the pass's pacer instead of a private sleep."""

    def __init__(
        self,
        pacer: Pacer,
        *,
        max_retry_count: int = RATE_LIMIT_RETRIES,
        max_wait: float = MAX_RETRY_AFTER,
        on_pause: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer, self.max_wait, self.on_pause = pacer, max_wait, on_pause

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        ok = super()._can_retry(state=state, request=request, response=response, error=error)
        return ok and retry_after(response) <= self.max_wait

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        state.next_attempt_requested = True
        seconds = retry_after(response)
        log.info("Slack answered 429: the pass pauses for %.0f s", seconds)
        self.pacer.hold(seconds)
        if self.on_pause is not None:
            self.on_pause()  # renews the pass's lease after a long pause
        state.increment_current_attempt()


def paced_client(client: Any, handlers: list[Any]) -> Any:
    """A copy of a slack_sdk WebClient whose retry handlers are the pass's; stand-ins pass through."""
    if not isinstance(getattr(client, "retry_handlers", None), list):
        return client
    clone = copy.copy(client)
    clone.retry_handlers = handlers
    return clone


@dataclass(frozen=True)
class SendResult:
    ok: bool
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    retryable: bool = False  # worth another try, in this pass or a later one
    in_doubt: bool = False  # the request may have reached Slack: look for it before posting again
    stop: bool = False  # the pass must stop (token/permission trouble, or Slack keeps rate limiting)
    hint: str | None = None  # for ``stop``: what the operator should do


@dataclass
class Sender:
    """Posts one message at a time for a pass. ``retries`` is how many rounds the pass gives messages
    that failed retryably, after the others were sent, waiting ``backoff`` seconds (doubled each round)
    before each; ``guard`` (the pass's lease check) runs right before every request."""

    client: Any  # slack_sdk.WebClient (or anything with chat_postMessage / conversations_*)
    pacer: Pacer = field(default_factory=Pacer)
    retries: int = 2
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    rate_limit_retries: int = RATE_LIMIT_RETRIES
    guard: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.client = paced_client(
            self.client,
            [
                PassRateLimitHandler(
                    self.pacer, max_retry_count=self.rate_limit_retries, on_pause=self._guard
                ),
                ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES, error_types=[URLError]),
            ],
        )

    def _guard(self) -> None:
        if self.guard is not None:
            self.guard()

    def before_request(self) -> None:
        """Every request of the pass: its pacing slot, then the lease check."""
        self.pacer.wait()
        self._guard()

    def wait_before_retry(self, round_number: int) -> None:
        self.sleep(self.backoff * 2**round_number)

    def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], metadata: dict[str, Any] | None = None
    ) -> SendResult:
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks}
        if metadata:
            kwargs["metadata"] = metadata
        self.before_request()
        try:
            response = self.client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            return classify(exc)
        except URLError as exc:
            if isinstance(exc, HTTPError):
                return SendResult(ok=False, error=f"http_{exc.code}", retryable=True, in_doubt=True)
            # urllib raises URLError while connecting or sending: Slack never got the request.
            return SendResult(ok=False, error=f"connection: {exc.reason}", retryable=True)
        except (SlackClientError, OSError, TimeoutError) as exc:  # a reset or timeout after sending
            return SendResult(ok=False, error=f"connection: {exc}", retryable=True, in_doubt=True)
        return SendResult(ok=True, channel=response.get("channel"), ts=response.get("ts"))


def classify(exc: SlackApiError) -> SendResult:
    status = getattr(exc.response, "status_code", 200)
    data = getattr(exc.response, "data", None)
    data = data if isinstance(data, dict) else {}
    error = data.get("error") or ""
    if not error or " " in error:  # an edge's HTML or text body, not one of Slack's error codes
        error = f"http_{status}"
    if error in AUTH_ERRORS:
        return SendResult(ok=False, error=error, stop=True, hint=what_to_fix(error, data))
    if status == 429 or error == "ratelimited":
        hint = "Slack kept rate limiting; the rest is left pending for the next pass (or lower --rate)"
        return SendResult(ok=False, error="ratelimited", stop=True, hint=hint)
    if status >= 500 or error in RETRYABLE_ERRORS:
        return SendResult(ok=False, error=error, retryable=True, in_doubt=True)
    return SendResult(ok=False, error=error)
