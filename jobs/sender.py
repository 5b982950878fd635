"""Posting to Slack at a steady rate, and telling retryable failures from permanent ones.

Slack's chat.postMessage allows about one message per second *per channel*; every reminder goes to a
different DM, so what bounds a pass is the workspace-wide limit. The sender paces itself to
``rate`` messages per second instead of bursting into 429s. A 429 that still happens is waited out by
the client's ``RateLimitErrorRetryHandler`` (it honours Retry-After); 5xx and connection errors are
retried here a couple of times with backoff, then left pending for the next pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

log = logging.getLogger(__name__)

DEFAULT_RATE = 1.0  # messages per second; see the README for choosing it
RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


@dataclass
class Pacer:
    """At most ``rate`` calls per second on average, spaced evenly.

    Calls are given slots 1/rate apart. A call that comes late (the previous send was slow) may take a
    slot up to one interval in the past, so a slow send is caught up on instead of lost for good,
    while bursts stay at most one message above the even spacing.
    """

    rate: float = DEFAULT_RATE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float | None = field(default=None, repr=False)

    def wait(self) -> None:
        if self.rate <= 0:
            return
        interval = 1.0 / self.rate
        now = self.clock()
        slot = now if self._next is None else max(self._next, now - interval)
        if slot > now:
            self.sleep(slot - now)
        self._next = slot + interval


@dataclass(frozen=True)
class SendResult:
    ok: bool
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    retryable: bool = False


@dataclass
class Sender:
    client: Any  # slack_sdk.WebClient (or anything with chat_postMessage / chat_update)
    pacer: Pacer = field(default_factory=Pacer)
    retries: int = 2
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], metadata: dict[str, Any] | None = None
    ) -> SendResult:
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks}
        if metadata:
            kwargs["metadata"] = metadata
        result = SendResult(ok=False)
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self.pacer.wait()
            result = self._post_once(kwargs)
            if result.ok or not result.retryable:
                return result
            log.warning("chat.postMessage to %s failed (%s), attempt %s", channel, result.error, attempt + 1)
        return result

    def _post_once(self, kwargs: dict[str, Any]) -> SendResult:
        try:
            response = self.client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            return classify(exc)
        except (SlackClientError, OSError, TimeoutError) as exc:  # connection refused, reset, DNS...
            return SendResult(ok=False, error=f"connection: {exc}", retryable=True)
        return SendResult(ok=True, channel=response.get("channel"), ts=response.get("ts"))


def classify(exc: SlackApiError) -> SendResult:
    status = getattr(exc.response, "status_code", 200)
    data = getattr(exc.response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    error = error or f"http_{status}"
    retryable = status == 429 or status >= 500 or error in RETRYABLE_ERRORS
    return SendResult(ok=False, error=error, retryable=retryable)
