"""``/progress report`` and the Get report buttons: a request owed through the outbox.

The listener writes who asked for which report (an outbox row of kind ``report``) and only then
acknowledges ("Preparing the DOCX report…"). The outbox renders the report and uploads it to the
person's DM; if the process dies first, the next one (or the worker) does it.

A request older than ``STALE_AFTER`` is no longer worth answering with a file (the board meeting it
was for may be over, and a report appearing an hour later is a surprise): it is dropped, and the
person is told so and how to ask again. A refusal (not allowed to read reports, no such plan) goes
back where the request came from: its ``response_url`` (verified, from Slack), else a DM.

files_upload_v2 has no idempotency key: a crash after the upload and before the row is deleted
sends the file twice (the rare duplicate the README admits to).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.outbox import REPORT, owe
from bot.services import Services
from slackviews.text import escape
from storage.errors import ProgressbotError

if TYPE_CHECKING:
    from bot.verified import Verified

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=30)
APOLOGY = (
    "Sorry, I couldn't prepare the {fmt} report (the details are in the bot's log). "
    "Please try again; if it keeps happening, tell an admin."
)


def owe_report(
    session: Session,
    *,
    uid: str,
    fmt: str,
    plan: str | None,
    plan_id: int | None,
    asked_at: dt.datetime,
    response_url: str | None,
) -> None:
    """In the caller's transaction: owe ``uid`` the report they asked for."""
    payload: dict[str, Any] = {
        "uid": uid,
        "fmt": fmt,
        "plan": plan,
        "plan_id": plan_id,
        "asked_at": asked_at.isoformat(),
        "response_url": response_url,
    }
    owe(session, [(REPORT, payload)])


def request_report(
    services: Services,
    verified: Verified | None,
    uid: str,
    fmt: str,
    plan: str | None = None,
    plan_id: int | None = None,
) -> None:
    """For a listener, before its acknowledgement: store the request, then wake the outbox."""
    services.transaction(
        lambda session: owe_report(
            session,
            uid=uid,
            fmt=fmt,
            plan=plan,
            plan_id=plan_id,
            asked_at=services.now(),
            response_url=verified.response_url if verified is not None else None,
        )
    )
    services.owed()


def deliver(services: Services, payload: dict[str, Any]) -> str:
    """Do an owed request (the outbox's ``report``): the file, a refusal, or the notice that it was
    dropped. Slack's and the database's failures propagate, so the outbox retries them."""
    from bot.features.report_files import send_report

    uid, fmt = str(payload["uid"]), str(payload["fmt"])
    asked_at = dt.datetime.fromisoformat(str(payload["asked_at"]))
    if services.now() - asked_at > STALE_AFTER:
        when = asked_at.astimezone(services.settings.tz)
        log.warning("report request by %s from %s dropped: too old", uid, asked_at.isoformat())
        services.client.chat_postMessage(
            channel=uid,
            text=(
                f"The {fmt.upper()} report you asked for at {when:%H:%M} on {when:%-d %b} could not be "
                f"sent in time (the app was restarting or Slack was unavailable), so it was dropped. "
                f"Ask again with `/progress report {fmt}`."
            ),
        )
        return "dropped"
    try:
        send_report(services, uid, fmt, payload.get("plan"), payload.get("plan_id"))
    except ProgressbotError as exc:
        text = str(exc)
        log.info("report for %s refused: %s", uid, text)
        _tell(services, payload, escape(text[:1].upper() + text[1:]))
        return "refused"
    except (SlackApiError, OSError, SQLAlchemyError):
        raise  # the outbox retries (or drops) these
    except Exception:
        log.exception("rendering the %s report for %s failed", fmt, uid)
        _tell(services, payload, APOLOGY.format(fmt=fmt.upper()))
        return "failed"
    return "sent"


def _tell(services: Services, payload: dict[str, Any], text: str) -> None:
    url = payload.get("response_url")
    if url:
        from slack_sdk.webhook import WebhookClient

        response = WebhookClient(str(url)).send(text=text, response_type="ephemeral", replace_original=False)
        if response.status_code == 200:
            return
        log.info("response_url answered %s; telling %s by DM", response.status_code, payload["uid"])
    services.client.chat_postMessage(channel=str(payload["uid"]), text=text)
