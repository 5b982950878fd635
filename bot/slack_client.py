"""The one way to build a Slack ``WebClient``: the bot and the jobs both use it.

slack_sdk's own retry handlers do the waiting: ``RateLimitErrorRetryHandler`` sleeps for the 429's
``Retry-After`` and tries again; ``ConnectionErrorRetryHandler`` retries a dropped connection. 5xx
answers are not retried here: the reminder ledger keeps a failed send pending and the next pass
retries it with backoff, which is safer than a hidden loop inside a request.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from progressbot.config import Settings

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 30


def retry_handlers(
    *, rate_limit_retries: int = RATE_LIMIT_RETRIES, connection_retries: int = CONNECTION_RETRIES
):
    return [
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        ConnectionErrorRetryHandler(max_retry_count=connection_retries),
    ]


def make_client(
    settings: Settings,
    *,
    rate_limit_retries: int = RATE_LIMIT_RETRIES,
    connection_retries: int = CONNECTION_RETRIES,
) -> WebClient:
    """A WebClient for ``settings.slack_api_url``; building it makes no network call."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=retry_handlers(
            rate_limit_retries=rate_limit_retries, connection_retries=connection_retries
        ),
    )
