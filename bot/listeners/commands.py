"""``/progress``: parse, check who is asking, answer.

Quick answers (help, mine, action, away, admin) are read in one short transaction and sent in the
acknowledgement itself. Slow ones (summaries, the report) acknowledge first and answer through
``respond`` afterwards; ``update`` acknowledges, then opens the modal while the trigger is fresh. A
report is owed through the outbox (``bot.report_requests``) before the acknowledgement, so a restart
still delivers it.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, Respond

from bot import features
from bot.commands import Command, parse_command
from bot.report_requests import request_report
from bot.services import Services
from bot.verified import verified_of
from bot.views.common import SHOW_ACTION
from bot.views.messages import Reply

log = logging.getLogger(__name__)

QUICK = {"help", "unknown", "mine", "action", "away", "board", "leads", "link", "grant"}


def register(app: App, services: Services) -> None:
    @app.command("/progress")
    def progress(ack: Ack, command: dict, respond: Respond, context: dict) -> None:
        uid = command["user_id"]
        verified = verified_of(context)
        parsed: Command = parse_command(command.get("text", ""))
        log.info("/progress %s from %s", parsed.name, uid)
        if parsed.name in QUICK:
            reply: Reply = features.quick_command(services, uid, parsed)
            ack(response_type="ephemeral", **reply.as_kwargs())
            return
        if parsed.name == "update":
            ack()

            def open_modal() -> None:
                question = features.open_update_modal_for_ref(
                    services,
                    uid,
                    str(parsed.args["ref"]),
                    command["trigger_id"],
                    parsed.args.get("plan"),  # type: ignore[arg-type]
                )
                if question is not None:  # the ref is in several plans: which one?
                    respond(response_type="ephemeral", replace_original=False, **question.as_kwargs())

            services.after_ack(verified, open_modal)
            return
        if parsed.name in ("edit", "challenge", "signoff"):
            ack()
            services.after_ack(
                verified,
                features.open_governance_modal,
                services,
                uid,
                parsed.name,
                str(parsed.args["ref"]),
                command["trigger_id"],
                parsed.args.get("plan"),
            )
            return
        if parsed.name == "summary":
            ack()

            def answer() -> None:
                respond(
                    response_type="ephemeral",
                    replace_original=False,
                    **features.summary(services, uid, parsed).as_kwargs(),
                )

            services.after_ack(verified, answer)
            return
        if parsed.name == "report":
            question = features.report_choice(services, uid, parsed)
            if question is not None:  # several plans and none named: one button per plan
                ack(response_type="ephemeral", **question.as_kwargs())
                return
            request_report(services, verified, uid, str(parsed.args["format"]), parsed.args.get("plan"))
            ack(response_type="ephemeral", text=f"Preparing the {parsed.args['format'].upper()} report…")
            return
        raise AssertionError(f"unhandled command {parsed.name}")

    @app.action(SHOW_ACTION)
    def show_action(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
        """ "Which plan?" for ``/progress action REF``: show the chosen plan's action."""
        ack()
        action_id = int(json.loads(action.get("value") or "{}")["action_id"])

        def answer() -> None:
            reply = features.show_action(services, body["user"]["id"], action_id)
            if body.get("response_url"):
                respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
            else:
                services.client.chat_postMessage(channel=body["user"]["id"], **reply.as_kwargs())

        services.after_ack(verified_of(context), answer)
