"""The update modal: opened from any ``open_update_modal`` button, submitted, stored, confirmed.

The acknowledgement carries only what needs no database: field errors (``response_action: errors``)
for what was typed, or the switch to a "Saving…" view (no Submit button, so no second submit). The
update is stored after ``ack()``; the modal then shows "Saved" (or the form again, filled in, with the
reason on top), the lead gets a DM, and the reminder it answers is refreshed.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot import features, governance
from bot.listeners.errors import is_database_down, message_for
from bot.services import Services
from bot.updating import submit_modal
from bot.views.common import OPEN_UPDATE_MODAL
from bot.views.messages import confirmation_reply
from bot.views.update_modal import (
    CALLBACK_ID,
    ModalMetadata,
    Submission,
    read_submission,
    retry_view,
    saved_view,
    saving_view,
    values_fingerprint,
)
from storage.errors import ProgressbotError

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(OPEN_UPDATE_MODAL)
    def open_modal(ack: Ack, body: dict, action: dict) -> None:
        ack()
        value = json.loads(action.get("value") or "{}")
        services.after_ack(
            body,
            features.open_update_modal_for_button,
            services,
            body["user"]["id"],
            int(value["action_id"]),
            value.get("reminder_message_id"),
            body["trigger_id"],
        )

    @app.view(CALLBACK_ID)
    def submitted(ack: Ack, body: dict, view: dict) -> None:
        values = view["state"]["values"]
        submission, errors = read_submission(values)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=saving_view(view))
        services.after_ack(body, store_submission, services, body, view, submission)


def store_submission(services: Services, body: dict, view: dict, submission: Submission) -> None:
    """After the acknowledgement: store, then show "Saved" in the modal, DM, refresh the reminder.

    If it cannot be stored (not allowed, invalid, database down) the form comes back filled in with
    what was typed and the reason on top, so nothing is lost and nothing half-written.
    """
    uid = body["user"]["id"]
    client = services.client
    try:
        metadata = ModalMetadata.loads(view.get("private_metadata", ""))
        stored = services.transaction(
            lambda session: submit_modal(
                session,
                uid,
                metadata,
                submission,
                view_id=view["id"],
                fingerprint=values_fingerprint(view["state"]["values"]),
                now=services.now(),
            )
        )
    except Exception as exc:  # every failure is shown in the modal; unexpected ones also reach the handler
        expected = isinstance(exc, ProgressbotError) or is_database_down(exc)
        log.info("update via modal by %s not stored: %s", uid, exc.__class__.__name__)
        _update_view(client, view, retry_view(view, submission, message_for(exc)))
        if not expected and services.on_error is not None:
            services.on_error(exc, body)
        return
    log.info("update on %s by %s via modal (created=%s)", stored.card.ref, uid, stored.created)
    reply = confirmation_reply(
        stored.card,
        rag=stored.rag,
        rag_colour=stored.rag_colour,
        text=stored.text,
        proposed_due=stored.proposed_due,
        on_behalf_of=stored.on_behalf_of,
        notes=governance.followup_notes(stored),
    )
    _update_view(client, view, saved_view(view, reply.blocks[0]["text"]["text"]))
    if not stored.created:
        return  # Slack delivered the same submission twice: the first one was confirmed already
    client.chat_postMessage(channel=uid, **reply.as_kwargs())
    services.refresh_reminder(stored.reminder_message_id)
    governance.announce_followups(services, stored)
    features.refresh_home(services, uid)  # best effort: a failure is logged, never shown


def _update_view(client, view: dict, new_view: dict) -> None:
    try:
        client.views_update(view_id=view["id"], view=new_view)
    except SlackApiError as exc:  # closed by the person already: the DM still tells them
        log.info("could not update modal %s: %s", view.get("id"), exc.response.get("error"))
