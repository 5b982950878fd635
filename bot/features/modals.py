"""The modals a command or a button opens: the update modal, and edit, challenge and sign-off.

Opening needs a trigger_id less than 3 s old, so each opens after the acknowledgement with only the
reads it needs; a ref in several plans gets "which plan?" instead.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import governance, permissions
from bot.commands import CommandCall
from bot.features.asking import known_viewer, plan_arg, which_plan
from bot.permissions import Viewer
from bot.queries import AmbiguousRef, find_action, load_action
from bot.services import Services
from bot.updating import modal_card
from slackviews.common import update_button
from slackviews.messages import Reply
from slackviews.update_modal import ModalMetadata, update_modal
from storage.errors import Forbidden
from storage.models import Action


def update_command(services: Services, call: CommandCall) -> None:
    """``/progress update REF``: acknowledge, then open the modal while the trigger is fresh."""
    call.ack()

    def open_modal() -> None:
        question = open_update_modal_for_ref(
            services, call.uid, str(call.command.args["ref"]), call.trigger_id, plan_arg(call.command)
        )
        if question is not None:  # the ref is in several plans: which one?
            call.respond(response_type="ephemeral", replace_original=False, **question.as_kwargs())

    services.after_ack(call.verified, open_modal)


def governance_command(services: Services, call: CommandCall) -> None:
    """``/progress edit|challenge|signoff REF``: acknowledge, then open that modal."""
    call.ack()
    services.after_ack(
        call.verified,
        open_governance_modal,
        services,
        call.uid,
        call.command.name,
        str(call.command.args["ref"]),
        call.trigger_id,
        plan_arg(call.command),
    )


def open_update_modal_for_ref(
    services: Services, uid: str, ref: str, trigger_id: str, plan: str | None = None
) -> Reply | None:
    """Open the modal; when ``ref`` is in several plans and none is named, return "which plan?"."""
    with services.read_factory.begin() as session:
        who = known_viewer(session, uid)
        try:
            action = find_action(session, ref, plan)
        except AmbiguousRef as many:
            mine = [a for a in many.actions if _may_update(session, who, a)]
            if len(mine) > 1:
                return which_plan(
                    ref,
                    mine,
                    lambda a: update_button(a.id, text=f"Update in {a.plan.name}"[:75]),
                )
            # One they may update: that one. None: the usual refusal, naming no plan or title.
            action = mine[0] if mine else many.actions[0]
        view = _update_modal(services, session, uid, action, None)
    services.client.views_open(trigger_id=trigger_id, view=view)
    return None


def open_update_modal_for_button(
    services: Services, uid: str, action_id: int, reminder_message_id: int | None, trigger_id: str
) -> None:
    """An Update button (a card, a reminder): the modal for that action."""
    with services.read_factory.begin() as session:
        view = _update_modal(services, session, uid, load_action(session, action_id), reminder_message_id)
    services.client.views_open(trigger_id=trigger_id, view=view)


def open_governance_modal(
    services: Services, uid: str, what: str, ref: str, trigger_id: str, plan: str | None = None
) -> None:
    """``/progress edit|challenge|signoff REF``: the same modal as the card's button."""
    with services.session_factory.begin() as session:
        known_viewer(session, uid)
        action_id = find_action(session, ref, plan).id
    build = {
        "edit": lambda: governance.edit_form(services, uid, action_id),
        "challenge": lambda: governance.challenge_modal(services, uid, action_id, None),
        "signoff": lambda: governance.signoff_modal(services, uid, action_id),
    }[what]
    services.client.views_open(trigger_id=trigger_id, view=build())


def _update_modal(
    services: Services, session: Session, uid: str, action: Action, reminder_message_id: int | None
) -> dict:
    known_viewer(session, uid)
    action = load_action(session, action.id)
    action_card, scheme, rights = modal_card(session, uid, action, tz=services.settings.tz)
    behalf = rights.on_behalf_of.display_name if rights.on_behalf_of else ""
    return update_modal(
        action_card, scheme, ModalMetadata(action.id, reminder_message_id), on_behalf_of=behalf
    )


def _may_update(session: Session, who: Viewer, action: Action) -> bool:
    try:
        permissions.update_rights(session, who, action)
    except Forbidden:
        return False
    return True
