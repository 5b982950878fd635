"""Governance buttons and modals: Agree / Decline a revised date, Challenge, Sign off, Edit.

Buttons that decide (Agree) store first and acknowledge after the commit; buttons that ask for more
(Decline…, Challenge…, Sign off…, Edit) acknowledge and open their modal while the trigger is fresh.
A modal's submission is checked, stored in one short transaction, and only then acknowledged: the
modal turns into what was done, or shows the problem next to the field with what was typed kept.
Messages to other people are owed in the same transaction (an outbox row) and sent after the
acknowledgement (``bot.announce``); if the process dies first, the next one (or the worker) sends them.
Only opening a modal runs in memory after the ack: its trigger is dead within 3 s, so after a crash
there is nothing worth doing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_bolt import Ack, App

from bot import announce, governance
from bot.listeners.errors import is_database_down, message_for
from bot.services import Services
from bot.verified import verified_of
from slackviews import governance as views
from slackviews.text import escape, truncate_mrkdwn
from storage.errors import InvalidInput, ProgressbotError
from storage.proposals import AlreadyDecided

log = logging.getLogger(__name__)


def _value(action: dict) -> dict:
    raw = action.get("value") or (action.get("selected_option") or {}).get("value") or "{}"
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _meta(view: dict) -> dict:
    """The modal's private_metadata (ours, echoed by Slack); {} when it is not what we wrote."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _int(data: dict, key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _open(services: Services, body: dict, build: Callable[[], dict]) -> None:
    """After the ack: build the modal (checks who is asking) and open it with the fresh trigger."""
    try:
        view = build()
    except AlreadyDecided as exc:  # decided meanwhile: their buttons go, and they hear who decided
        announce.announce_decision(services, exc.decision.proposal_id, tell_lead=False)
        raise
    services.client.views_open(trigger_id=body["trigger_id"], view=view)


def _refuse(ack: Ack, exc: Exception, block: str) -> bool:
    """Acknowledge a submission that could not be stored with the reason next to the field."""
    if isinstance(exc, ProgressbotError) or is_database_down(exc):
        field = exc.field if isinstance(exc, InvalidInput) and exc.field else block
        ack(response_action="errors", errors={field if field in FIELDS_SHOWN else block: message_for(exc)})
        return True
    return False


FIELDS_SHOWN = {
    "reason",
    "question",
    "note",
    "evidence",
    "title",
    "leads",
    "timescale",
    "due",
    "section",
    "status",
    "into",
}


def register(app: App, services: Services) -> None:
    _register_dates(app, services)
    _register_challenges(app, services)
    _register_signoff(app, services)
    _register_edit(app, services)


def _from_home(body: dict) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def _register_dates(app: App, services: Services) -> None:
    @app.action(views.AGREE_DATE)
    def agree(ack: Ack, body: dict, action: dict) -> None:
        uid, proposal_id = body["user"]["id"], _int(_value(action), "proposal_id")
        if proposal_id is None:
            ack()
            return
        governance.agree_date(services, uid, proposal_id, home=_from_home(body))  # stored, owed
        services.owed()
        ack()

    @app.action(views.DECLINE_DATE)
    def decline(ack: Ack, body: dict, action: dict, context: dict) -> None:
        ack()
        uid, proposal_id = body["user"]["id"], _int(_value(action), "proposal_id")
        if proposal_id is not None:
            services.after_ack(
                verified_of(context),
                _open,
                services,
                body,
                lambda: governance.decline_modal(services, uid, proposal_id),
            )

    @app.action(views.REQUEST_MENU)
    def request_menu(ack: Ack, body: dict, action: dict, context: dict) -> None:
        data = _value(action)
        uid, proposal_id = body["user"]["id"], _int(data, "proposal_id")
        if proposal_id is None:
            ack()
            return
        if data.get("op") == "agree":
            governance.agree_date(services, uid, proposal_id, home=_from_home(body))
            services.owed()
            ack()
            return
        ack()
        services.after_ack(
            verified_of(context),
            _open,
            services,
            body,
            lambda: governance.decline_modal(services, uid, proposal_id),
        )

    @app.view(views.DECLINE_CALLBACK)
    def declined(ack: Ack, body: dict, view: dict) -> None:
        uid = body["user"]["id"]
        proposal_id = _int(_meta(view), "proposal_id")
        reason = views.text_of(view["state"]["values"], "reason")
        if not reason or proposal_id is None:
            ack(
                response_action="errors", errors={"reason": "Say why the date is declined: the lead is told."}
            )
            return
        try:
            outcome = governance.decline_date(services, uid, proposal_id, reason)
        except Exception as exc:
            if _refuse(ack, exc, "reason"):
                return
            raise
        services.owed()
        message = escape(outcome.already) if outcome.already else "Declined. The lead is told why."
        ack(response_action="update", view=views.done_view("Revised date", message))


def _register_challenges(app: App, services: Services) -> None:
    def open_challenge(ack: Ack, body: dict, action: dict, context: dict) -> None:
        ack()
        data = _value(action)
        uid, action_id = body["user"]["id"], _int(data, "action_id")
        if action_id is None:
            return
        update_id = _int(data, "update_id")
        services.after_ack(
            verified_of(context),
            _open,
            services,
            body,
            lambda: governance.challenge_modal(services, uid, action_id, update_id),
        )

    app.action(views.CHALLENGE)(open_challenge)
    app.action(views.CHALLENGE_PICK)(open_challenge)

    @app.view(views.CHALLENGE_CALLBACK)
    def challenged(ack: Ack, body: dict, view: dict) -> None:
        uid = body["user"]["id"]
        meta = _meta(view)
        action_id, update_id = _int(meta, "action_id"), _int(meta, "update_id")
        question = views.text_of(view["state"]["values"], "question")
        if not question or action_id is None:
            ack(response_action="errors", errors={"question": "Write the question for the lead."})
            return
        try:
            governance.submit_challenge(
                services, uid, action_id, update_id, question, key=f"slack-view:{view['id']}"
            )
        except Exception as exc:
            if _refuse(ack, exc, "question"):
                return
            raise
        services.owed()
        ack(
            response_action="update",
            view=views.done_view(
                "Challenge", "Your question is recorded. The lead gets it now as a direct message."
            ),
        )


def _opens_modal(app: App, services: Services, action_id: str, build: Callable[[Services, str, int], dict]):
    """A button whose value names an action and which opens ``build``'s modal for it."""

    @app.action(action_id)
    def opened(ack: Ack, body: dict, action: dict, context: dict) -> None:
        ack()
        uid, target = body["user"]["id"], _int(_value(action), "action_id")
        if target is not None:
            services.after_ack(
                verified_of(context), _open, services, body, lambda: build(services, uid, target)
            )


def _register_signoff(app: App, services: Services) -> None:
    _opens_modal(app, services, views.SIGN_OFF, governance.signoff_modal)

    @app.view(views.SIGNOFF_CALLBACK)
    def signed(ack: Ack, body: dict, view: dict) -> None:
        uid = body["user"]["id"]
        action_id = _int(_meta(view), "action_id")
        values = view["state"]["values"]
        note = views.text_of(values, "note")
        link = views.text_of(values, "evidence") or None
        if action_id is None:
            ack(response_action="errors", errors={"note": "Open the sign-off again from the message."})
            return
        try:
            ref = governance.submit_signoff(services, uid, action_id, note, link)
        except Exception as exc:
            if _refuse(ack, exc, "note"):
                return
            raise
        services.owed()
        flag = "" if (note or link) else " With no note or link, the report flags the sign-off."
        ack(
            response_action="update",
            view=views.done_view(
                "Signed off", f"*{escape(ref)}* is signed off and counts as complete.{flag}"
            ),
        )


def _register_edit(app: App, services: Services) -> None:
    _opens_modal(app, services, views.EDIT, governance.edit_form)

    @app.options(views.LEAD_SEARCH)
    def lead_options(ack: Ack, body: dict) -> None:
        try:
            options = governance.lead_options(services, body["user"]["id"], body.get("value") or "")
        except ProgressbotError:
            options = []  # not an admin (any more): nothing to offer, and the submission is refused too
        except Exception as exc:
            if not is_database_down(exc):
                raise
            options = []  # the menu shows "no results"; a DM for every keystroke would be worse
        ack(options=options)

    @app.view(views.EDIT_CALLBACK)
    def edited(ack: Ack, body: dict, view: dict) -> None:
        uid = body["user"]["id"]
        action_id = _int(_meta(view), "action_id")
        form, errors = views.read_edit(view["state"]["values"])
        if errors or action_id is None:
            ack(response_action="errors", errors=errors or {"reason": "Open the form again."})
            return
        try:
            lines = governance.submit_edit(services, uid, action_id, form)
        except Exception as exc:
            if _refuse(ack, exc, "reason"):
                return
            raise
        services.owed()
        done = "Saved:\n" + "\n".join(f"• {escape(line)}" for line in lines)
        ack(response_action="update", view=views.done_view("Edit", truncate_mrkdwn(done, 2900)))
