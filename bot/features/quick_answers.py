"""The ``/progress`` answers given in the acknowledgement itself: my actions, one action, leave, the
board's meeting, and the admins' leads, link and grant.

Each runs inside the one short transaction ``bot.subcommands`` opens for the request, once the person
is known to be in the plan; it returns the Reply the acknowledgement carries.
"""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import permissions
from bot.board import board_reply
from bot.commands import Command, parse_day
from bot.features.asking import button, plan_arg, which_plan
from bot.governance import may_govern
from bot.permissions import Viewer
from bot.queries import (
    AmbiguousRef,
    all_plans,
    card,
    card_governance,
    cards_for_person,
    find_action,
    load_action,
)
from bot.services import Services
from slackviews import messages
from slackviews.common import SHOW_ACTION
from slackviews.messages import Reply
from slackviews.text import escape
from storage.errors import Forbidden, InvalidInput, NotFound
from storage.models import Action, ActionLead, Person
from storage.people import grant_role, link_person, person_for_slack_user, set_away


def mine(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress mine``: the actions I lead, grouped by when they are due."""
    if who.person is None:
        return messages.text_reply(
            "You're not linked to a lead in the plan. An admin can link you with `/progress link NAME @you`."
        )
    cards = cards_for_person(session, who.person, services.settings.tz)
    return messages.mine_reply(cards, services.today(), name=who.person.display_name)


def action(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress action REF``: one action; "which plan?" when REF is in several the person may read."""
    ref = str(command.args["ref"])
    try:
        found = find_action(session, ref, plan_arg(command))
    except AmbiguousRef as many:
        readable = [a for a in many.actions if permissions.may_read_action(session, who, a)]
        if len(readable) > 1:
            return which_plan(
                ref,
                readable,
                lambda a: button(SHOW_ACTION, "Show", json.dumps({"action_id": a.id})),
            )
        # One readable: that one. None: the usual refusal, naming no plan or title.
        found = readable[0] if readable else many.actions[0]
    return action_reply(services, session, who, found)


def show_action(services: Services, uid: str, action_id: int) -> Reply:
    """The "Show" button of "which plan?": the same answer as ``/progress action REF plan NAME``."""
    with services.read_factory.begin() as session:
        who = permissions.viewer(session, uid)
        if not permissions.is_known(session, who):
            return messages.text_reply(messages.OUTSIDER_TEXT)
        return action_reply(services, session, who, load_action(session, action_id))


def action_reply(services: Services, session: Session, who: Viewer, action: Action) -> Reply:
    """One action's card with the buttons this person may use."""
    if not permissions.may_read_action(session, who, action):
        raise Forbidden("You can see the actions you lead; board members and admins can see every action.")
    try:
        permissions.update_rights(session, who, action)
        can_update = True
    except Forbidden:
        can_update = False
    tz = services.settings.tz
    loaded = load_action(session, action.id)
    shown = dataclasses.replace(card(loaded, tz), governance=card_governance(session, loaded, tz))
    return messages.action_reply(
        shown,
        can_update=can_update,
        can_edit=who.admin,
        can_govern=may_govern(session, who.slack_user_id, loaded),
        viewer=who.slack_user_id,
    )


def away(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress away DATE [@deputy]`` sets leave cover; ``away off`` ends it."""
    if who.person is None:
        raise Forbidden("Only leads linked to the plan can set leave cover.")
    when = str(command.args["until"]).strip()
    deputy_uid = command.args.get("deputy")
    if when.lower() in ("off", "back", "none", "cancel"):
        set_away(session, who.person, None, None)
        return messages.text_reply("Welcome back: reminders come to you again.")
    until = parse_day(when, today=services.today(), field_name="until")
    if until < services.today():
        raise InvalidInput(
            f"{until:%-d %b %Y} is in the past; give the day you are back to work.", field="until"
        )
    deputy = None
    if deputy_uid:
        deputy = person_for_slack_user(session, str(deputy_uid))
        if deputy is None:
            raise NotFound(
                "The deputy you named isn't linked to a lead yet; an admin can link them with "
                "`/progress link NAME @user`."
            )
    set_away(session, who.person, until, deputy)
    cover = (
        f"Reminders go to <@{deputy.slack_user_id}> until then."
        if deputy
        else "Reminders wait until you are back."
    )
    return messages.text_reply(f"You're away until {until:%A %-d %B %Y}. {cover}")


def board(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress board``: the next meeting of each plan (or the one named) and who has updated."""
    permissions.require_reader(who)
    return board_reply(session, all_plans(session, plan_arg(command)), services.now(), services.settings)


def leads(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress leads`` (admins): every lead, their Slack link and how many actions they lead."""
    permissions.require_admin(who)
    rows = session.execute(
        select(Person.display_name, Person.slack_user_id, func.count(ActionLead.action_id))
        .join(ActionLead, ActionLead.person_id == Person.id)
        .group_by(Person.id, Person.display_name, Person.slack_user_id)
        .order_by(Person.display_name)
    ).all()
    return messages.leads_reply([(name, uid, n) for name, uid, n in rows])


def link(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress link NAME @user`` (admins)."""
    permissions.require_admin(who)
    person = link_person(session, str(command.args["name"]), slack_user_id=str(command.args["user"]))
    return messages.text_reply(f"Linked {escape(person.display_name)} to <@{person.slack_user_id}>.")


def grant(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress grant board|admin @user`` (admins)."""
    permissions.require_admin(who)
    role, user = str(command.args["role"]), str(command.args["user"])
    grant_role(session, user, role, by=who.slack_user_id, now=services.now())
    return messages.text_reply(f"<@{user}> now has the {role} role.")
