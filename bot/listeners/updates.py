"""The update modal: opened from any ``open_update_modal`` button, submitted, stored, confirmed.

On submit: fields that cannot be accepted as typed are answered next to the field. Otherwise the
update is stored, with what it sets in motion (a date request, answers to challenges, a completion to
sign off) and the Slack work it owes (the confirmation DM, the reminder edit, the Home refresh, the
board's notices: the outbox), in one write transaction; only then is the submission acknowledged, with
the modal turned into "Saved". If it cannot be stored (not allowed, an impossible date, the database is
down) the error handler answers next to the field, so the form stays open with everything typed.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App

from bot.answers import owe_modal_confirmation
from bot.features.modals import open_update_modal_for_button
from bot.services import Services
from bot.updating import Checked, check_modal, write
from bot.verified import verified_of
from slackviews.common import OPEN_UPDATE_MODAL
from slackviews.update_modal import (
    CALLBACK_ID,
    ModalMetadata,
    read_submission,
    saved_view,
    values_fingerprint,
)

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.action(OPEN_UPDATE_MODAL)
    def open_modal(ack: Ack, body: dict, action: dict, context: dict) -> None:
        ack()
        value = json.loads(action.get("value") or "{}")
        services.after_ack(
            verified_of(context),
            open_update_modal_for_button,
            services,
            body["user"]["id"],
            int(value["action_id"]),
            value.get("reminder_message_id"),
            body["trigger_id"],
        )

    @app.view(CALLBACK_ID)
    def submitted(ack: Ack, body: dict, view: dict) -> None:
        submission, errors = read_submission(view["state"]["values"])
        if errors:
            ack(response_action="errors", errors=errors)
            return
        uid = body["user"]["id"]
        metadata = ModalMetadata.loads(view.get("private_metadata", ""))
        fingerprint = values_fingerprint(view["state"]["values"])
        now = services.now()

        def check(session) -> Checked:
            return check_modal(
                session, uid, metadata, submission, view_id=view["id"], fingerprint=fingerprint, now=now
            )

        def store(session, checked: Checked):
            stored = write(session, checked)
            return stored, owe_modal_confirmation(
                session, stored, uid, home_delay=services.home_refresh_delay
            )

        stored, reply = services.check_then_write(check, store)
        services.owed()
        log.info("update on %s by %s via modal (created=%s)", stored.card.ref, uid, stored.created)
        ack(response_action="update", view=saved_view(view, reply.blocks[0]["text"]["text"]))
