"""The update modal: opened from any ``open_update_modal`` button, submitted, stored, confirmed.

The submission is stored *before* ``ack()`` (one short transaction, milliseconds), so validation
errors and a database outage can be shown inside the modal, which stays open with what was typed.
The confirmation message and the reminder refresh are Slack calls and happen after ``ack()``.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App

from bot import features
from bot.services import Services
from bot.updating import submit_modal
from bot.views.common import OPEN_UPDATE_MODAL
from bot.views.messages import confirmation_reply
from bot.views.update_modal import CALLBACK_ID, ModalMetadata, read_submission, values_fingerprint

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(OPEN_UPDATE_MODAL)
    def open_modal(ack: Ack, body: dict, action: dict) -> None:
        ack()
        value = json.loads(action.get("value") or "{}")
        services.after_ack(body, features.open_update_modal_for_button, services, body["user"]["id"],
                           int(value["action_id"]), value.get("reminder_message_id"), body["trigger_id"])

    @app.view(CALLBACK_ID)
    def submitted(ack: Ack, body: dict, view: dict) -> None:
        uid = body["user"]["id"]
        values = view["state"]["values"]
        submission, errors = read_submission(values)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        metadata = ModalMetadata.loads(view.get("private_metadata", ""))
        stored = services.transaction(lambda session: submit_modal(
            session, uid, metadata, submission, view_id=view["id"], fingerprint=values_fingerprint(values),
            now=services.now(), today=services.today()))
        ack()
        log.info("update on %s by %s via modal (created=%s)", stored.card.ref, uid, stored.created)
        if not stored.created:
            return  # a double submit: the first one was confirmed already
        reply = confirmation_reply(stored.card, rag=stored.rag, rag_colour=stored.rag_colour, text=stored.text,
                                   proposed_due=stored.proposed_due, on_behalf_of=stored.on_behalf_of)

        def confirm() -> None:
            services.client.chat_postMessage(channel=uid, **reply.as_kwargs())
            services.refresh_reminder(stored.reminder_message_id)

        services.after_ack(body, confirm)
