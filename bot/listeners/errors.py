"""The one error path for listeners: every failure reaches ``@app.error`` and the person hears about it.

Expected failures (``ProgressbotError``: not found, not allowed, invalid input) are told as they are;
a database that cannot be reached says "try again" (the listener's transaction rolled back, so
nothing is half-written); anything else is logged with its traceback and the person gets an apology.

Where the answer goes:
- a command or modal submission not yet acknowledged: in the acknowledgement itself (ephemeral text,
  or ``response_action: errors`` next to the field, so the modal stays open and nothing typed is lost);
- after ``ack()``: through ``response_url`` when Slack gave one, in the thread for thread replies,
  otherwise as a direct message.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.services import Services
from bot.views.update_modal import BLOCK_PROGRESS, CALLBACK_ID, FIELD_TO_BLOCK
from storage.db import DatabaseUnavailable
from storage.errors import InvalidInput, ProgressbotError

log = logging.getLogger(__name__)

TRY_AGAIN = "I couldn't reach the database just now, so nothing was saved. Please try again in a minute."
APOLOGY = (
    "Sorry, something went wrong on my side. Please try again; if it keeps happening, "
    "tell an admin (the details are in the bot's log)."
)


def is_database_down(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def message_for(error: BaseException) -> str:
    if isinstance(error, ProgressbotError):
        text = str(error)
        return text[:1].upper() + text[1:]
    if is_database_down(error):
        return TRY_AGAIN
    if isinstance(error, SlackApiError):
        return f"Slack did not accept that ({error.response.get('error', 'error')}). Please try again."
    return APOLOGY


def _user_id(body: dict) -> str | None:
    user = body.get("user") or body.get("user_id") or (body.get("event") or {}).get("user")
    if isinstance(user, dict):
        return user.get("id")
    return user


def handle_error(
    services: Services, error: Exception, body: dict, response: BoltResponse | None
) -> BoltResponse | None:
    text = message_for(error)
    kind = body.get("type") or ("command" if body.get("command") else "")
    if isinstance(error, ProgressbotError):
        log.info("refused %s: %s", kind or "request", text)
    elif is_database_down(error):
        log.error("database unavailable while handling %s: %s", kind or "request", error.__class__.__name__)
    else:
        log.exception("failed to handle %s", kind or "request", exc_info=error)

    acked = response is None
    if not acked and kind == "view_submission" and (body.get("view") or {}).get("callback_id") == CALLBACK_ID:
        field = error.field if isinstance(error, InvalidInput) else None
        block = FIELD_TO_BLOCK.get(field or "", BLOCK_PROGRESS)
        payload = {"response_action": "errors", "errors": {block: text}}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    if not acked and kind == "command":
        payload = {"response_type": "ephemeral", "text": text}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    _tell(services, body, text)
    if response is not None:
        # Acknowledged or not, never answer Slack with a 500: it would retry and repeat the failure.
        return BoltResponse(status=200, body="")
    return None


def _tell(services: Services, body: dict, text: str) -> None:
    """Reach the person after the acknowledgement has gone."""
    client = services.client
    try:
        response_url = body.get("response_url") or next(iter(body.get("response_urls") or []), {}).get(
            "response_url"
        )
        if response_url:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
            return
        event = body.get("event") or {}
        if event.get("channel") and (event.get("thread_ts") or event.get("ts")):
            client.chat_postMessage(
                channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], text=text
            )
            return
        uid = _user_id(body)
        if uid:
            client.chat_postMessage(channel=uid, text=text)
    except SlackApiError as exc:  # Slack itself is failing: the log is all that is left
        log.error("could not tell the person about an error: %s", exc.response.get("error"))


def register(app: App, services: Services) -> None:
    services.on_error = lambda error, body: handle_error(services, error, body, None)

    @app.error
    def on_error(error: Exception, body: dict, response: BoltResponse | None) -> BoltResponse | None:
        return handle_error(services, error, body, response)
