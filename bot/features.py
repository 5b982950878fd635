"""What each request does, as plain functions of ``Services``: listeners stay thin and call these.

Each function opens its own short transaction (``services.transaction`` when it writes, a plain
``read_factory.begin()`` when it only reads) and makes its Slack calls after the transaction has
committed, so a failed Slack call never leaves a half-done write and a failed write never leaves a
message claiming success.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import permissions
from bot.commands import Command, parse_day, parse_since
from bot.permissions import Viewer, is_known, viewer
from bot.queries import AmbiguousRef, all_plans, card, cards_for_person, find_action, load_action
from bot.services import Services
from bot.text import MESSAGE_BLOCK_LIMIT, escape, truncate, truncate_mrkdwn
from bot.updating import modal_card
from bot.views import home as home_views
from bot.views import messages
from bot.views import summary as summary_views
from bot.views.common import GET_REPORT, SHOW_ACTION, context, header, report_button_value, update_button
from bot.views.messages import OUTSIDER_TEXT, Reply
from bot.views.update_modal import ModalMetadata, update_modal
from storage.errors import Forbidden, InvalidInput, NotFound
from storage.models import Action, ActionLead, Person, Plan
from storage.people import grant_role, link_person, person_for_slack_user, set_away

log = logging.getLogger(__name__)


def _known(session: Session, uid: str) -> Viewer:
    who = viewer(session, uid)
    if not is_known(session, who):
        raise Forbidden(OUTSIDER_TEXT)
    return who


def _plan_arg(command: Command) -> str | None:
    plan = command.args.get("plan")
    return str(plan) if plan else None


def _button(action_id: str, text: str, value: str) -> dict:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def _which_plan(ref: str, actions: list[Action], button) -> Reply:
    """Ask which plan's action ``ref`` is meant, one button per plan."""
    choices = [
        (f"*{escape(a.plan.name)}*: {escape(a.ref)} {escape(truncate(a.title, 200))}", button(a))
        for a in actions
    ]
    return messages.plan_choice_reply(
        f"Action {escape(ref)} is in {len(actions)} plans. Which one? "
        f"(Or add `plan NAME`, e.g. `/progress action {escape(ref)} plan {escape(actions[0].plan.name)}`.)",
        choices,
    )


# --- quick commands -----------------------------------------------------------------------------


def quick_command(services: Services, uid: str, command: Command) -> Reply:
    return services.transaction(lambda session: _quick(services, session, uid, command))


def _quick(services: Services, session: Session, uid: str, command: Command) -> Reply:
    who = viewer(session, uid)
    if command.name in ("help", "unknown"):
        return messages.help_reply(
            unknown=command.raw if command.name == "unknown" else None, admin=who.admin, board=who.board
        )
    if not is_known(session, who):
        return messages.text_reply(OUTSIDER_TEXT)
    handler = {
        "mine": _mine,
        "action": _action,
        "away": _away,
        "board": _board,
        "leads": _leads,
        "link": _link,
        "grant": _grant,
    }[command.name]
    return handler(services, session, who, command)


def _mine(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    if who.person is None:
        return messages.text_reply(
            "You're not linked to a lead in the plan. An admin can link you with `/progress link NAME @you`."
        )
    cards = cards_for_person(session, who.person, services.settings.tz)
    return messages.mine_reply(cards, services.today(), name=who.person.display_name)


def _action(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    ref = str(command.args["ref"])
    try:
        action = find_action(session, ref, _plan_arg(command))
    except AmbiguousRef as many:
        readable = [a for a in many.actions if permissions.may_read_action(session, who, a)]
        if len(readable) > 1:
            return _which_plan(
                ref,
                readable,
                lambda a: _button(SHOW_ACTION, "Show", json.dumps({"action_id": a.id})),
            )
        # One readable: that one. None: the usual refusal, naming no plan or title.
        action = readable[0] if readable else many.actions[0]
    return _show_action(services, session, who, action)


def show_action(services: Services, uid: str, action_id: int) -> Reply:
    """The "Show" button of "which plan?": the same answer as ``/progress action REF plan NAME``."""
    with services.read_factory.begin() as session:
        who = viewer(session, uid)
        if not is_known(session, who):
            return messages.text_reply(OUTSIDER_TEXT)
        return _show_action(services, session, who, load_action(session, action_id))


def _show_action(services: Services, session: Session, who: Viewer, action: Action) -> Reply:
    if not permissions.may_read_action(session, who, action):
        raise Forbidden("You can see the actions you lead; board members and admins can see every action.")
    try:
        permissions.update_rights(session, who, action)
        can_update = True
    except Forbidden:
        can_update = False
    from bot.governance import may_govern
    from bot.queries import card_governance

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


def _away(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
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


def _board(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress board``: the next meeting of each plan (or the one named) and who has updated."""
    from bot.board import board_reply

    permissions.require_reader(who)
    return board_reply(session, all_plans(session, _plan_arg(command)), services.now(), services.settings)


def _leads(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    permissions.require_admin(who)
    rows = session.execute(
        select(Person.display_name, Person.slack_user_id, func.count(ActionLead.action_id))
        .join(ActionLead, ActionLead.person_id == Person.id)
        .group_by(Person.id, Person.display_name, Person.slack_user_id)
        .order_by(Person.display_name)
    ).all()
    return messages.leads_reply([(name, uid, n) for name, uid, n in rows])


def _link(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    permissions.require_admin(who)
    person = link_person(session, str(command.args["name"]), slack_user_id=str(command.args["user"]))
    return messages.text_reply(f"Linked {escape(person.display_name)} to <@{person.slack_user_id}>.")


def _grant(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    permissions.require_admin(who)
    role, user = str(command.args["role"]), str(command.args["user"])
    grant_role(session, user, role, by=who.slack_user_id, now=services.now())
    return messages.text_reply(f"<@{user}> now has the {role} role.")


# --- the update modal ---------------------------------------------------------------------------


def _modal_for(
    services: Services, session: Session, uid: str, action: Action, reminder_message_id: int | None
) -> dict:
    _known(session, uid)
    action = load_action(session, action.id)
    action_card, scheme, rights = modal_card(session, uid, action, tz=services.settings.tz)
    behalf = rights.on_behalf_of.display_name if rights.on_behalf_of else ""
    return update_modal(
        action_card, scheme, ModalMetadata(action.id, reminder_message_id), on_behalf_of=behalf
    )


def open_update_modal_for_ref(
    services: Services, uid: str, ref: str, trigger_id: str, plan: str | None = None
) -> Reply | None:
    """Open the modal; when ``ref`` is in several plans and none is named, return "which plan?"."""
    with services.read_factory.begin() as session:
        who = _known(session, uid)
        try:
            action = find_action(session, ref, plan)
        except AmbiguousRef as many:
            mine = [a for a in many.actions if _may_update(session, who, a)]
            if len(mine) > 1:
                return _which_plan(
                    ref,
                    mine,
                    lambda a: update_button(a.id, text=f"Update in {a.plan.name}"[:75]),
                )
            # One they may update: that one. None: the usual refusal, naming no plan or title.
            action = mine[0] if mine else many.actions[0]
        view = _modal_for(services, session, uid, action, None)
    services.client.views_open(trigger_id=trigger_id, view=view)
    return None


def open_governance_modal(
    services: Services, uid: str, what: str, ref: str, trigger_id: str, plan: str | None = None
) -> None:
    """``/progress edit|challenge|signoff REF``: the same modal as the card's button."""
    from bot import governance

    with services.session_factory.begin() as session:
        _known(session, uid)
        action_id = find_action(session, ref, plan).id
    build = {
        "edit": lambda: governance.edit_form(services, uid, action_id),
        "challenge": lambda: governance.challenge_modal(services, uid, action_id, None),
        "signoff": lambda: governance.signoff_modal(services, uid, action_id),
    }[what]
    services.client.views_open(trigger_id=trigger_id, view=build())


def _may_update(session: Session, who: Viewer, action: Action) -> bool:
    try:
        permissions.update_rights(session, who, action)
    except Forbidden:
        return False
    return True


def open_update_modal_for_button(
    services: Services, uid: str, action_id: int, reminder_message_id: int | None, trigger_id: str
) -> None:
    with services.read_factory.begin() as session:
        view = _modal_for(services, session, uid, load_action(session, action_id), reminder_message_id)
    services.client.views_open(trigger_id=trigger_id, view=view)


# --- summaries and the report -------------------------------------------------------------------


def _report_data(services: Services, session: Session, plan: Plan, since: dt.datetime | None = None):
    from report.compile import compile_report

    now = services.now().astimezone(services.settings.tz)
    return compile_report(session, plan, as_of=now, now=now, since=since)


def summary(services: Services, uid: str, command: Command) -> Reply:
    """One plan's summary (``plan NAME``, or the only plan), else each plan's in turn."""
    with services.read_factory.begin() as session:
        who = _known(session, uid)
        permissions.require_reader(who)
        plans = all_plans(session, _plan_arg(command))
        replies = [(plan.name, _plan_summary(services, session, plan, command)) for plan in plans]
    if len(replies) == 1:
        return replies[0][1]
    return _each_plan(replies, command)


def _each_plan(replies: list[tuple[str, Reply]], command: Command) -> Reply:
    overall = command.args.get("kind", "overall") == "overall"
    blocks: list[dict] = [
        context(
            f"{len(replies)} plans. Add `plan NAME` for one, e.g. `/progress summary plan {escape(replies[0][0])}`."
        )
    ]
    shown = 0
    for name, reply in replies:
        part = list(reply.blocks) if overall else [header(f"Plan: {name}"[:150]), *reply.blocks]
        if len(blocks) + len(part) > MESSAGE_BLOCK_LIMIT - 1:
            part = part[: MESSAGE_BLOCK_LIMIT - 1 - len(blocks)]
            if len(part) < 2:
                break
        blocks.extend(part)
        shown += 1
    if shown < len(replies):
        rest = ", ".join(escape(n) for n, _ in replies[shown:])
        blocks.append(
            context(
                truncate_mrkdwn(f"… and {len(replies) - shown} more plans ({rest}): add `plan NAME`.", 2000)
            )
        )
    return Reply(
        truncate_mrkdwn(" · ".join(reply.text for _, reply in replies), 3000), blocks[:MESSAGE_BLOCK_LIMIT]
    )


def _plan_summary(services: Services, session: Session, plan: Plan, command: Command) -> Reply:
    from report import summaries

    kind = command.args.get("kind", "overall")
    if kind == "changes":
        day = parse_since(command.args.get("since"), today=services.today())  # type: ignore[arg-type]
        since = None
        if day is not None:
            since = dt.datetime.combine(day, dt.time(0), tzinfo=services.settings.tz)
        data = _report_data(services, session, plan, since)
        start = since or (dt.datetime.fromisoformat(data.updates_since) if data.updates_since else None)
        if start is None:
            start = services.now().astimezone(services.settings.tz) - dt.timedelta(days=7)
            data = _report_data(services, session, plan, start)
        return summary_views.changes_reply(summaries.changes_since(data, start))
    data = _report_data(services, session, plan)
    if kind == "overall":
        return summary_views.overall_reply(summaries.overall(data), plan_id=plan.id)
    if kind == "red":
        return summary_views.list_reply(summaries.red_only(data))
    if kind == "overdue":
        return summary_views.list_reply(summaries.overdue(data))
    grouped = summaries.by_section(data) if kind == "section" else summaries.by_lead(data)
    wanted = str(command.args["name"]).casefold()
    matches = [g for g in grouped.groups if wanted in g.name.casefold()]
    if len(matches) != 1:
        names = ", ".join(escape(g.name) for g in grouped.groups[:20])
        what = "several" if matches else "no"
        return messages.text_reply(
            f"There are {what} {kind}s matching “{escape(str(command.args['name']))}”. Try one of: {names}"
        )
    return summary_views.group_reply(
        f"{kind.title()}: {matches[0].name}", matches[0], grouped.rag_key, grouped.as_of_date
    )


def report_choice(services: Services, uid: str, command: Command) -> Reply | None:
    """``/progress report`` with several plans and none named: "which plan?", one button per plan.

    None when there is nothing to ask (one plan, a plan named, or someone who may not read reports:
    they are refused after the acknowledgement as before).
    """
    if _plan_arg(command):
        return None
    fmt = str(command.args.get("format", "docx"))
    with services.read_factory.begin() as session:
        who = viewer(session, uid)
        if not is_known(session, who) or not who.reader:
            return None
        plans = list(session.scalars(select(Plan)))
        if len(plans) < 2:
            return None
        plans.sort(key=lambda p: p.name.casefold())
        choices = [
            (
                f"*{escape(p.name)}*" + (f": {escape(truncate(p.title, 200))}" if p.title else ""),
                _button(GET_REPORT, f"Get {fmt.upper()}", report_button_value(p.id, fmt)),
            )
            for p in plans
        ]
    return messages.plan_choice_reply(
        f"There are {len(choices)} plans. Which report would you like? "
        f"(Or add `plan NAME`, e.g. `/progress report {fmt} plan {escape(plans[0].name)}`.)",
        choices,
    )


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    filename: str
    title: str


def render_report(
    services: Services, uid: str, fmt: str, plan: str | None = None, plan_id: int | None = None
) -> ReportFile:
    with services.read_factory.begin() as session:
        who = _known(session, uid)
        permissions.require_reader(who)
        if plan_id is not None:
            chosen = session.get(Plan, plan_id)
            if chosen is None:
                raise NotFound("That plan no longer exists.")
        else:
            plans = all_plans(session, plan)
            if len(plans) > 1:
                raise NotFound(
                    f"There are {len(plans)} plans ({', '.join(p.name for p in plans)}): "
                    f"add `plan NAME`, e.g. `/progress report {fmt} plan {plans[0].name}`."
                )
            chosen = plans[0]
        data = _report_data(services, session, chosen)
    if fmt == "docx":
        from report.render_docx import render_docx

        content = render_docx(data)
    elif fmt == "html":
        from report.render_html import render_html

        content = render_html(data).encode()
    else:
        from report.render_pdf import PdfUnavailable, render_pdf

        try:
            content = render_pdf(data)
        except PdfUnavailable as exc:
            raise InvalidInput(
                f"PDF isn't available on this server: {exc}. Try `/progress report docx`.", field="format"
            ) from None
    return ReportFile(
        content,
        f"{data.plan_name}-{data.as_of_date}.{fmt}",
        f"{data.title or data.plan_name} ({data.as_of_date})",
    )


def send_report(
    services: Services, uid: str, fmt: str, plan: str | None = None, plan_id: int | None = None
) -> None:
    """Render (slow) and upload with files_upload_v2 to the person's DM with the app."""
    report = render_report(services, uid, fmt, plan, plan_id)
    services.client.files_upload_v2(
        channel=services.dm_channel(uid),
        content=report.content,
        filename=report.filename,
        title=report.title,
        initial_comment="Here is the board report you asked for.",
    )
    log.info("report %s sent to %s (%d bytes)", report.filename, uid, len(report.content))


# --- App Home -----------------------------------------------------------------------------------


def home(services: Services, uid: str) -> dict:
    with services.read_factory.begin() as session:
        who = viewer(session, uid)
        if not is_known(session, who):
            return home_views.outsider_home()
        cards = cards_for_person(session, who.person, services.settings.tz) if who.person else []
        board = None
        if who.reader:
            try:
                plans = all_plans(session)
            except NotFound as exc:
                board = [home_views.BoardPanel(overall=None, exceptions=(), changes=None, note=str(exc))]
            else:
                board = [_board_panel(services, session, plan) for plan in plans]
        name = who.person.display_name if who.person else ""
    return home_views.home_view(name=name, cards=cards, today=services.today(), board=board)


def _board_panel(services: Services, session: Session, plan: Plan) -> home_views.BoardPanel:
    from report import summaries

    data = _report_data(services, session, plan)
    since = services.now().astimezone(services.settings.tz) - dt.timedelta(days=14)
    if data.updates_since is None or dt.datetime.fromisoformat(data.updates_since) > since:
        data = _report_data(services, session, plan, since)
    from bot.board import meeting_lines

    return home_views.BoardPanel(
        overall=summaries.overall(data),
        exceptions=summaries.red_only(data).items + summaries.overdue(data).items,
        changes=summaries.changes_since(data, since),
        plan_id=plan.id,
        meeting=meeting_lines(session, plan, services.now(), services.settings),
        waiting=_waiting(session, plan, data),
        challengeable=tuple(
            (f"{u.ref} · {u.author or 'someone'} · {u.rag_given or 'no RAG'}", u.action_id, u.update_id)
            for u in reversed(data.recent_updates)
            if u.text and dt.datetime.fromisoformat(u.submitted_at) >= since
        ),
    )


def publish_home(services: Services, uid: str) -> None:
    """Publish a person's Home tab (the outbox's ``home_refresh``, and ``app_home_opened``)."""
    services.client.views_publish(user_id=uid, view=home(services, uid))


def _waiting(session: Session, plan: Plan, data) -> tuple[home_views.WaitingItem, ...]:
    """Date requests and completions awaiting sign-off, oldest request first."""
    from storage.governance import load_governance

    rows = {r.id: r for r in data.actions}
    items = []
    for action_id, gov in load_governance(session, plan.id).items():
        p = gov.proposal
        if p is None or action_id not in rows:
            continue
        row = rows[action_id]
        old = row.due or "no date"
        text = f"📅 {escape(p.by)} asks for {p.proposed_due:%-d %b %Y} (due {old}): {escape(truncate(p.reason, 300))}"
        items.append(home_views.WaitingItem(action_id, row.ref, row.title, text, p.id, p.proposed_due))
    for row in data.actions:
        if row.completion == "awaiting":
            text = f"✔️ Marked complete{' with evidence' if row.evidence else ', no evidence given'}: awaiting sign-off"
            items.append(home_views.WaitingItem(row.id, row.ref, row.title, text))
    return tuple(items)


def refresh_home(services: Services, uid: str) -> None:
    """Re-publish a person's Home tab after a decision made on it; best effort, never an error."""
    try:
        publish_home(services, uid)
    except Exception:  # the decision is stored and confirmed; the Home tab catches up when opened
        log.warning("could not refresh the Home tab of %s", uid, exc_info=True)
