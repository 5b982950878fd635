"""Plan governance from the command line: ``action set|add|close|reopen|agree-date|decline-date``,
``challenge``, ``signoff`` and ``roles list``.

Every command records who (``--by UID``, else the operator as "cli"), when and why, checks the role
(a lead cannot agree their own date or sign off their own action), and writes nothing when it
refuses. When ``SLACK_BOT_TOKEN`` is set the people concerned hear about it in Slack after the
change is committed; without it the command says nobody was told.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from progressbot.cli import CliContext, UserError, pass_ctx
from progressbot.cli.record_commands import _now, _plan_and_action, _stored

PLAN_OPTION = click.option(
    "--plan", "plan_name", metavar="NAME", help="The plan (may be left out when there is only one)."
)
BY_OPTION = click.option(
    "--by", "by", metavar="UID", help="Who is acting (a Slack user id); default: you, as an admin ('cli')."
)
AT_OPTION = click.option(
    "--at",
    "at",
    metavar="ISO_DATETIME",
    help="When it happened, e.g. at the board meeting (default now; naive = local time; not in the future).",
)


def _when(ctx: CliContext, at: str | None) -> dt.datetime:
    from progressbot.cli.record_commands import _parse_at

    when = _parse_at(at, ctx)
    if when > _now() + dt.timedelta(minutes=5):
        raise UserError(f"--at {at}: that is in the future; record what has happened")
    return when


def register(main: click.Group) -> None:
    main.add_command(action_group)
    main.add_command(challenge_command)
    main.add_command(signoff_command)
    roles = main.commands["roles"]
    assert isinstance(roles, click.Group)
    roles.add_command(roles_list)


@click.group("action")
def action_group() -> None:
    """Change a live plan: leads, timescales, new actions, closures, revised dates."""


def _day(value: str | None, option: str, ctx: CliContext) -> dt.date | None:
    if value is None:
        return None
    from bot.commands import parse_day
    from storage.errors import InvalidInput

    try:
        return parse_day(value, today=_now().astimezone(ctx.settings.tz).date(), field_name=option)
    except InvalidInput:
        raise UserError(f"{option}: '{value}' is not a date (e.g. 2027-03-31 or 31/03/2027)") from None


def _people(session, names: tuple[str, ...], new_names: tuple[str, ...]):
    """--lead names must be people progressbot knows; --new-lead adds someone it does not."""
    from storage.errors import InvalidInput, NotFound
    from storage.people import find_person, get_or_create_person, person_for_slack_user, resolve_lead

    people = []
    for name in names:
        person = person_for_slack_user(session, name.strip())
        if person is None:
            try:
                person = find_person(session, name)
            except NotFound as exc:
                raise NotFound(f"{exc}; to add someone new use --new-lead NAME") from None
        people.append(person)
    for name in new_names:
        found = resolve_lead(session, name)
        if found.ambiguous:
            raise InvalidInput(f"{name!r} could mean several people; use --lead with a full name", "leads")
        people.append(found.person or get_or_create_person(session, name))
    return people


def _owe(ctx: CliContext, session, name: str, ids: list[int], **extra):
    """In the command's transaction: owe the announcement ``name`` (``bot.governance.ANNOUNCERS``)
    when Slack is configured, so it is sent even if this command dies right after the commit."""
    if not ctx.settings.slack_bot_token:
        return None
    from bot.outbox import announcement, owe_now

    return owe_now(session, announcement(name, ids, **extra))


def _tell(ctx: CliContext, owed) -> str:
    """After the commit: send what ``_owe`` owed; the sentence to print either way."""
    if owed is None:
        return "nobody was told in Slack (SLACK_BOT_TOKEN is not set)"
    from bot.outbox import do_now
    from bot.services import Services
    from bot.slack_client import make_client

    services = Services(
        settings=ctx.settings, session_factory=ctx.session_factory, client=make_client(ctx.settings)
    )
    try:
        outcome = do_now(services, owed)
    finally:
        services.executor.shutdown(wait=True)
    if not outcome.done:
        return f"not told in Slack yet ({outcome.error}): the worker tells them when Slack answers"
    return f"told in Slack: {outcome.told}" if outcome.told else "nobody to tell in Slack"


# --- set / add ----------------------------------------------------------------------------------


@action_group.command("set")
@click.argument("ref")
@PLAN_OPTION
@click.option(
    "--lead", "leads", multiple=True, metavar="NAME", help="A lead (repeat for several); replaces the leads."
)
@click.option(
    "--new-lead", "new_leads", multiple=True, metavar="NAME", help="A lead progressbot does not know yet."
)
@click.option("--timescale", metavar="TEXT", help="A new timescale, read like the plan's ('March 2027').")
@click.option("--due", metavar="DATE", help="A new due date (the timescale text is kept).")
@click.option("--title", metavar="TEXT", help="A new title.")
@click.option("--section", metavar="NAME", help="Move it to another section (by ref or title).")
@click.option("--reason", required=True, help="Why: the audit trail records it.")
@BY_OPTION
@AT_OPTION
@pass_ctx
def action_set(ctx, ref, plan_name, leads, new_leads, timescale, due, title, section, reason, by, at) -> None:
    """Change an action: leads, timescale or due date, title, section."""
    from storage.authority import cli_actor
    from storage.changes import Edit, set_action

    due_day = _day(due, "--due", ctx)
    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        edit = Edit(
            leads=_people(session, leads, new_leads) if (leads or new_leads) else None,
            timescale=timescale,
            due=due_day,
            title=title,
            section=section,
        )
        result = set_action(
            session, action, edit, actor=cli_actor(session, by), reason=reason, now=_when(ctx, at)
        )
        lines = [_describe(c) for c in result.changes]
        warnings = list(result.warnings)
    click.echo(f"changed {plan.name} {ref}: " + "; ".join(lines))
    for warning in warnings:
        click.echo(f"  warning: {warning}")


def _describe(change) -> str:
    from storage.audit import _change_summary

    return _change_summary(change)


@action_group.command("add")
@PLAN_OPTION
@click.option("--ref", required=True, help="The new action's ref, e.g. 3.7.")
@click.option("--title", required=True, help="What the action is.")
@click.option("--lead", "leads", multiple=True, metavar="NAME", help="A lead (repeat for several).")
@click.option(
    "--new-lead", "new_leads", multiple=True, metavar="NAME", help="A lead progressbot does not know yet."
)
@click.option("--timescale", required=True, metavar="TEXT", help="Its timescale, e.g. 'March 2027'.")
@click.option("--section", metavar="NAME", help="The section it belongs to (by ref or title).")
@click.option("--reason", default="", help="Why it was added (e.g. 'agreed at the board, 12 March').")
@BY_OPTION
@AT_OPTION
@pass_ctx
def action_add(ctx, plan_name, ref, title, leads, new_leads, timescale, section, reason, by, at) -> None:
    """Add an action to a live plan."""
    from storage.authority import cli_actor
    from storage.changes import add_action
    from storage.plans import get_plan

    if not leads and not new_leads:
        raise UserError("give at least one --lead NAME (or --new-lead NAME)")
    with _stored(ctx) as session:
        plan = get_plan(session, plan_name)
        action, warnings = add_action(
            session,
            plan,
            ref=ref,
            title=title,
            leads=_people(session, leads, new_leads),
            timescale=timescale,
            section=section,
            reason=reason,
            actor=cli_actor(session, by),
            now=_when(ctx, at),
        )
        due = action.due_date.strftime("%-d %b %Y") if action.due_date else "no date"
        where = (action.section.ref or action.section.title[:60]) if action.section else "no section"
        where = f"section {where}" if action.section else where
        click.echo(f"added {plan.name} {action.ref} ({where}), due {due}")
    for warning in warnings:
        click.echo(f"  warning: {warning}")


# --- close / reopen -----------------------------------------------------------------------------


@action_group.command("close")
@click.argument("ref")
@PLAN_OPTION
@click.option("--as", "as_", required=True, type=click.Choice(["complete", "withdrawn", "merged"]))
@click.option("--into", metavar="REF", help="With --as merged: the action it merges into.")
@click.option("--reason", required=True, help="Why: the audit trail records it (for complete: the evidence).")
@click.option("--evidence", metavar="URL", help="With --as complete: a link to the evidence.")
@BY_OPTION
@AT_OPTION
@pass_ctx
def action_close(ctx, ref, plan_name, as_, into, reason, evidence, by, at) -> None:
    """Close an action as complete (signed off by you), withdrawn, or merged into another."""
    from storage.authority import cli_actor
    from storage.closing import close_action
    from storage.plans import get_action

    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        target = get_action(session, plan, into) if into else None
        close_action(
            session,
            action,
            as_=as_,
            into=target,
            reason=reason,
            actor=cli_actor(session, by),
            now=_when(ctx, at),
            evidence_url=evidence,
        )
        owed = _owe(ctx, session, "closure", [action.id])
    told = _tell(ctx, owed)
    what = {
        "complete": "closed as complete and signed off",
        "withdrawn": "withdrawn",
        "merged": f"merged into {into}",
    }
    click.echo(f"{plan.name} {ref}: {what[as_]}; {told}")


@action_group.command("reopen")
@click.argument("ref")
@PLAN_OPTION
@click.option("--reason", required=True, help="Why it comes back into the plan.")
@BY_OPTION
@AT_OPTION
@pass_ctx
def action_reopen(ctx, ref, plan_name, reason, by, at) -> None:
    """Bring a withdrawn or merged action back into the plan."""
    from storage.authority import cli_actor
    from storage.changes import reopen

    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        reopen(session, action, reason=reason, actor=cli_actor(session, by), now=_when(ctx, at))
    click.echo(f"{plan.name} {ref}: reopened")


# --- revised dates ------------------------------------------------------------------------------


def _decide(
    ctx: CliContext,
    ref: str,
    plan_name: str | None,
    by: str | None,
    at: str | None,
    *,
    agree: bool,
    reason: str,
) -> None:
    from storage.authority import cli_actor
    from storage.errors import InvalidInput
    from storage.proposals import decide, open_proposal

    tz = ctx.settings.tz
    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        proposal = open_proposal(session, action)
        if proposal is None:
            raise InvalidInput(
                f"no revised date is waiting for a decision on {action.ref}{_last_decision(session, action, tz)}"
            )
        decided = decide(
            session,
            proposal,
            agree=agree,
            actor=cli_actor(session, by),
            reason=reason,
            now=_when(ctx, at),
            tz=tz,
        )
        new = decided.proposal.proposed_due.strftime("%-d %b %Y")
        old = decided.proposal.from_due.strftime("%-d %b %Y") if decided.proposal.from_due else "no date"
        owed = _owe(ctx, session, "decision", [decided.proposal.id])
    told = _tell(ctx, owed)
    if agree:
        click.echo(f"agreed: {plan.name} {ref} is now due {new} (was {old}); {told}")
    else:
        click.echo(f"declined: {plan.name} {ref} stays due {old} (asked for {new}); {told}")


def _last_decision(session, action, tz) -> str:
    """ "(the last request, 31 Mar 2027, was agreed by Pat Chair on 12 Mar 2026)", or ""."""
    from sqlalchemy import select

    from storage.models import DateDecision, DateProposal

    row = session.execute(
        select(DateProposal, DateDecision)
        .join(DateDecision, DateDecision.proposal_id == DateProposal.id)
        .where(DateProposal.action_id == action.id)
        .order_by(DateDecision.at.desc(), DateDecision.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return ""
    proposal, decision = row
    when = decision.at.astimezone(tz)
    return (
        f" (the last request, {proposal.proposed_due:%-d %b %Y}, was {decision.decision} by {decision.by_text} "
        f"on {when:%-d %b %Y})"
    )


@action_group.command("agree-date")
@click.argument("ref")
@PLAN_OPTION
@click.option("--note", default="", help="Anything the board wants on record with the decision.")
@BY_OPTION
@AT_OPTION
@pass_ctx
def agree_date(ctx, ref, plan_name, note, by, at) -> None:
    """Agree the revised date a lead asked for: the due date moves, the original stays on record."""
    _decide(ctx, ref, plan_name, by, at, agree=True, reason=note)


@action_group.command("decline-date")
@click.argument("ref")
@PLAN_OPTION
@click.option("--reason", required=True, help="Why the date is declined (the lead is told).")
@BY_OPTION
@AT_OPTION
@pass_ctx
def decline_date(ctx, ref, plan_name, reason, by, at) -> None:
    """Decline the revised date a lead asked for."""
    _decide(ctx, ref, plan_name, by, at, agree=False, reason=reason)


# --- challenge and sign-off ---------------------------------------------------------------------


@click.command("challenge")
@click.argument("ref")
@PLAN_OPTION
@click.option("--question", required=True, help="What the board wants to know (up to 3,000 characters).")
@BY_OPTION
@AT_OPTION
@pass_ctx
def challenge_command(ctx, ref, plan_name, question, by, at) -> None:
    """Challenge an action's latest update: the lead is asked, and it stays open until they answer."""
    from storage.authority import cli_actor
    from storage.challenges import raise_challenge

    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        raised = raise_challenge(
            session, action, actor=cli_actor(session, by), question=question, now=_when(ctx, at)
        )
        owed = _owe(ctx, session, "challenge", [raised.challenge.id])
    told = _tell(ctx, owed)
    click.echo(f"challenged {plan.name} {ref}; {told}")


@click.command("signoff")
@click.argument("ref")
@PLAN_OPTION
@click.option(
    "--note", default="", help="The evidence seen (a note); without a note or link the report flags it."
)
@click.option("--evidence", metavar="URL", help="A link to the evidence.")
@BY_OPTION
@AT_OPTION
@pass_ctx
def signoff_command(ctx, ref, plan_name, note, evidence, by, at) -> None:
    """Sign off an action's completion: only then does it count as complete."""
    from storage.authority import cli_actor
    from storage.signoff import sign_off

    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        signed = sign_off(
            session,
            action,
            actor=cli_actor(session, by),
            now=_when(ctx, at),
            note=note,
            evidence_url=evidence,
            tz=ctx.settings.tz,
        )
        evidence_given = bool(signed.note or signed.evidence_url)
        owed = _owe(ctx, session, "signoff", [action.id])
    told = _tell(ctx, owed)
    flag = "" if evidence_given else " (no note or link: the report flags it)"
    click.echo(f"signed off {plan.name} {ref}{flag}; {told}")


# --- roles --------------------------------------------------------------------------------------


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def roles_list(ctx: CliContext, as_json: bool) -> None:
    """Who holds the admin and board roles."""
    from storage.people import roles_with_people

    tz = ctx.settings.tz
    with _stored(ctx) as session:
        rows = [
            {
                "slack_user_id": role.slack_user_id,
                "role": role.role,
                "name": person.display_name if person else None,
                "granted_at": role.granted_at.astimezone(tz).isoformat(),
                "granted_by": role.granted_by,
            }
            for role, person in roles_with_people(session)
        ]
    if as_json:
        click.echo(json.dumps({"roles": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("nobody has a role yet: progressbot roles grant admin|board UID")
        return
    for row in rows:
        name = f"  {row['name']}" if row["name"] else "  (not linked to a lead)"
        granted = dt.datetime.fromisoformat(row["granted_at"]).strftime("%Y-%m-%d")
        by = f" by {row['granted_by']}" if row["granted_by"] else ""
        click.echo(f"{row['role']:<6} {row['slack_user_id']}{name}  (granted {granted}{by})")
    admins = sum(r["role"] == "admin" for r in rows)
    click.echo(f"{admins} admin(s), {len(rows) - admins} board member(s)")
