"""The one error path for listeners: every failure reaches ``@app.error`` and the person hears about it.

It answers only a request that was verified (``bot.verified``): the address it answers to (a
response_url, a channel, a user) comes from the request's ``Verified``, never from its body. A request
without one gets 401 and nothing else happens; there is nothing here that could read an attacker's
``response_url``.

Expected failures (``ProgressbotError``: not found, not allowed, invalid input) are told as they are;
a database that cannot be reached says "try again" (the listener's transaction rolled back, so
nothing is half-written); anything else is logged with its traceback and the person gets an apology.
The message is escaped wherever Slack reads mrkdwn, so a ref or date the person typed is shown, never
obeyed.

Where the answer goes:
- a command or modal submission not yet acknowledged: in the acknowledgement itself (ephemeral text,
  or ``response_action: errors`` next to the field, so the modal stays open and nothing typed is lost);
  a modal answered after Slack's 3 s has closed, so the person also gets a DM;
- otherwise, after the response: through ``response_url`` when Slack gave one, in the thread for
  thread replies, else as a direct message.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.services import Services
from bot.verified import Verified, verified_of
from slackviews.text import escape
from slackviews.update_modal import BLOCK_PROGRESS, CALLBACK_ID, FIELD_TO_BLOCK
from storage.db import DatabaseUnavailable
from storage.errors import InvalidInput, ProgressbotError

log = logging.getLogger(__name__)

TRY_AGAIN = "I couldn't reach the database just now, so nothing was saved. Please try again in a minute."
APOLOGY = (
    "Sorry, something went wrong on my side. Please try again; if it keeps happening, "
    "tell an admin (the details are in the bot's log)."
)
# Slack waits 3 s for a modal's answer; past this, the answer may not reach the modal.
MODAL_ANSWER_SECONDS = 2.5


def is_database_down(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable | OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def message_for(error: BaseException) -> str:
    """What the person is told, as plain text (escape it before it goes into mrkdwn)."""
    if isinstance(error, ProgressbotError):
        text = str(error)
        return text[:1].upper() + text[1:]
    if is_database_down(error):
        return TRY_AGAIN
    if isinstance(error, SlackApiError):
        return f"Slack did not accept that ({error.response.get('error', 'error')}). Please try again."
    return APOLOGY


def _log(error: BaseException, kind: str, text: str) -> None:
    if isinstance(error, ProgressbotError):
        log.info("refused %s: %s", kind, text)
    elif is_database_down(error):
        log.error("database unavailable while handling %s: %s", kind, error.__class__.__name__)
    else:
        log.exception("failed to handle %s", kind, exc_info=error)


def _json(payload: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})


def handle_error(
    services: Services, error: Exception, verified: Verified | None, *, acknowledged: bool
) -> BoltResponse:
    """The answer to Slack for a failed request; telling the person waits until after the response."""
    if verified is None:
        log.warning("refused a request that was not verified (%s)", error.__class__.__name__)
        return BoltResponse(status=401, body="")
    text = message_for(error)
    _log(error, verified.kind, text)
    if not acknowledged and verified.kind == "view_submission" and verified.callback_id == CALLBACK_ID:
        if verified.age() > MODAL_ANSWER_SECONDS:  # Slack may have given up on the modal: DM it too
            services.after_ack(verified, tell, services, verified, text, quiet=True, direct=True)
        field = error.field if isinstance(error, InvalidInput) else None
        block = FIELD_TO_BLOCK.get(field or "", BLOCK_PROGRESS)
        return _json({"response_action": "errors", "errors": {block: text}})
    if not acknowledged and verified.kind == "command":
        return _json({"response_type": "ephemeral", "text": escape(text)})
    services.after_ack(verified, tell, services, verified, text, quiet=True)
    # Acknowledged or not, never answer Slack with a 500: it would retry and repeat the failure.
    return BoltResponse(status=200, body="")


def tell(services: Services, verified: Verified, text: str, *, direct: bool = False) -> None:
    """Reach the person after the response has gone (``direct``: by DM, whatever else Slack gave)."""
    client = services.client
    shown = escape(text)
    try:
        if verified.response_url and not direct:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(verified.response_url).send(
                text=shown, response_type="ephemeral", replace_original=False
            )
        elif verified.kind == "event_callback" and verified.channel and verified.thread_ts and not direct:
            client.chat_postMessage(channel=verified.channel, thread_ts=verified.thread_ts, text=shown)
        elif verified.user_id:
            client.chat_postMessage(channel=verified.user_id, text=shown)
    except SlackApiError as exc:  # Slack itself is failing: the log is all that is left
        log.error("could not tell the person about an error: %s", exc.response.get("error"))


def register(app: App, services: Services) -> None:
    def after_ack_failed(error: Exception, verified: Verified | None) -> None:
        if verified is None:
            log.error("work after an acknowledgement failed", exc_info=error)
            return
        _log(error, verified.kind, message_for(error))
        tell(services, verified, message_for(error))

    services.on_error = after_ack_failed

    @app.error
    def on_error(error: Exception, context: dict) -> BoltResponse:
        ack = context.get("ack") if context is not None else None
        acknowledged = ack is not None and ack.response is not None
        return handle_error(services, error, verified_of(context), acknowledged=acknowledged)
