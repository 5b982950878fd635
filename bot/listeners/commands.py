"""``/progress``: parse, check who is asking, answer.

Which subcommand answers, and whether in the acknowledgement, is declared once in ``bot.subcommands``.
Inline answers (help, mine, action, away, board, admin) are read in one short transaction and sent in
the acknowledgement itself. The others acknowledge first and do the slow part afterwards: summaries
answer through ``respond``; ``update``, ``edit``, ``challenge`` and ``signoff`` open their modal while
the trigger is fresh. A report is owed through the outbox (``bot.report_requests``) before the
acknowledgement, so a restart still delivers it.
"""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, Respond

from bot.commands import CommandCall
from bot.features.quick_answers import show_action as show_action_reply
from bot.services import Services
from bot.subcommands import answer_inline, parse_command, subcommand_for
from bot.verified import verified_of
from slackviews.common import SHOW_ACTION

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    @app.command("/progress")
    def progress(ack: Ack, command: dict, respond: Respond, context: dict) -> None:
        uid = command["user_id"]
        parsed = parse_command(command.get("text", ""))
        log.info("/progress %s from %s", parsed.name, uid)
        subcommand = subcommand_for(parsed)
        if subcommand.inline:
            reply = answer_inline(services, uid, subcommand, parsed)
            ack(response_type="ephemeral", **reply.as_kwargs())
            return
        call = CommandCall(uid, parsed, command.get("trigger_id", ""), verified_of(context), ack, respond)
        subcommand.handler(services, call)

    @app.action(SHOW_ACTION)
    def show_action(ack: Ack, body: dict, action: dict, respond: Respond, context: dict) -> None:
        """ "Which plan?" for ``/progress action REF``: show the chosen plan's action."""
        ack()
        action_id = int(json.loads(action.get("value") or "{}")["action_id"])

        def answer() -> None:
            reply = show_action_reply(services, body["user"]["id"], action_id)
            if body.get("response_url"):
                respond(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
            else:
                services.client.chat_postMessage(channel=body["user"]["id"], **reply.as_kwargs())

        services.after_ack(verified_of(context), answer)
