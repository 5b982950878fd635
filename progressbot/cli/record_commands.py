"""Leads, roles and updates from the command line: ``leads list|link``, ``roles grant|revoke``,
``update`` and ``history``.

``update`` is for progress given outside Slack (an email, a meeting): it is recorded as entered on
the lead's behalf, with source "cli", and validated against the plan's RAG scheme like any other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json

import click

from progressbot.cli import CliContext, UserError, pass_ctx
from storage.errors import ProgressbotError


def register(main: click.Group) -> None:
    """Attach to the existing ``leads`` and ``roles`` groups, plus top-level ``update`` and ``history``."""
    leads = main.commands["leads"]
    roles = main.commands["roles"]
    assert isinstance(leads, click.Group) and isinstance(roles, click.Group)
    leads.add_command(leads_list)
    leads.add_command(leads_link)
    roles.add_command(roles_grant)
    roles.add_command(roles_revoke)
    main.add_command(update_command)
    main.add_command(history_command)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def _stored(ctx: CliContext):
    """One transaction; the storage layer's expected errors become one-line UserErrors (nothing written)."""
    try:
        with ctx.session_factory.begin() as session:
            yield session
    except ProgressbotError as exc:
        raise UserError(str(exc)) from None


def _plan_and_action(session, plan_name: str | None, ref: str):
    from storage.plans import get_action, get_plan

    plan = get_plan(session, plan_name)
    return plan, get_action(session, plan, ref)


# --- leads --------------------------------------------------------------------------------------


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def leads_list(ctx: CliContext, as_json: bool) -> None:
    """Every lead: aliases, Slack link, time zone and the actions they lead."""
    from storage.people import people_with_actions

    with _stored(ctx) as session:
        summaries = [s.to_dict() for s in people_with_actions(session)]
    if as_json:
        click.echo(json.dumps({"people": summaries}, ensure_ascii=False, indent=2))
        return
    if not summaries:
        click.echo("no leads yet: import a plan first (progressbot import PATH)")
        return
    unlinked = 0
    for p in summaries:
        slack = p["slack_user_id"] or "not linked to Slack"
        unlinked += not p["slack_user_id"]
        extras = [x for x in (p["role_title"], p["email"], p["timezone"]) if x and x != p["display_name"]]
        click.echo(f"{p['display_name']}  [{slack}]" + (f"  {' | '.join(extras)}" if extras else ""))
        if p["email_undeliverable"]:
            click.echo(f"    email undeliverable since {p['email_undeliverable'][:10]}: {p['email_error']}")
        if p["aliases"]:
            click.echo(f"    also: {', '.join(p['aliases'])}")
        if p["away_until"]:
            click.echo(
                f"    away until {p['away_until']}" + (f", deputy {p['deputy']}" if p["deputy"] else "")
            )
        if p["actions"]:
            refs = ", ".join(
                f"{a['plan']} {a['ref']}" + (" (delegate)" if a["kind"] != "lead" else "")
                for a in p["actions"]
            )
            click.echo(f"    actions: {refs}")
    click.echo(f"{len(summaries)} leads, {unlinked} not linked to Slack")


@click.command("link")
@click.argument("name_or_alias")
@click.option("--slack-user", "slack_user", metavar="UID", help="Slack user id, e.g. U012AB3CD.")
@click.option("--email", metavar="ADDRESS", help="Email address (leads sync matches it to Slack).")
@pass_ctx
def leads_link(ctx: CliContext, name_or_alias: str, slack_user: str | None, email: str | None) -> None:
    """Link a lead (by name, role title or glossary alias) to a Slack user or an email address."""
    from storage.people import link_person

    if not slack_user and not email:
        raise UserError("give --slack-user UID or --email ADDRESS")
    with _stored(ctx) as session:
        person = link_person(session, name_or_alias, slack_user_id=slack_user, email=email)
        links = [x for x in (person.slack_user_id, person.email) if x]
        click.echo(f"linked {person.display_name} to {' and '.join(links)}")
        if person.email and not person.slack_user_id:
            click.echo(
                "  reached by email (reminders with a link to the update form) until a Slack user is linked"
                + (
                    ""
                    if ctx.settings.email_enabled
                    else "; email is off until PROGRESSBOT_SMTP_URL, "
                    "PROGRESSBOT_MAIL_FROM, PROGRESSBOT_SECRET_KEY and PROGRESSBOT_PUBLIC_URL are set"
                )
            )


# --- roles --------------------------------------------------------------------------------------


@click.command("grant")
@click.argument("role", metavar="admin|board")
@click.argument("uid")
@click.option(
    "--name",
    metavar="NAME",
    help="Their name, for the audit trail and the report ('agreed by Cllr Pat Chair', not the user id).",
)
@pass_ctx
def roles_grant(ctx: CliContext, role: str, uid: str, name: str | None) -> None:
    """Give a Slack user the admin or board role."""
    from storage.people import grant_role, name_slack_user

    with _stored(ctx) as session:
        grant = grant_role(session, uid, role, by="cli", now=_now())
        named = f" ({name_slack_user(session, grant.slack_user_id, name).display_name})" if name else ""
        click.echo(f"{grant.slack_user_id}{named} has the {grant.role} role")


@click.command("revoke")
@click.argument("role", metavar="admin|board")
@click.argument("uid")
@pass_ctx
def roles_revoke(ctx: CliContext, role: str, uid: str) -> None:
    """Take the admin or board role away from a Slack user."""
    from storage.people import revoke_role

    with _stored(ctx) as session:
        removed = revoke_role(session, uid, role)
        role = role.strip().lower()
        click.echo(f"revoked {role} from {uid}" if removed else f"{uid} did not have the {role} role")


# --- updates ------------------------------------------------------------------------------------


def _parse_at(value: str | None, ctx: CliContext) -> dt.datetime:
    if not value:
        return _now()
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--at {value!r} is not an ISO date-time (e.g. 2026-11-20T14:30)") from None
    if at.tzinfo is None:
        # A time typed at the keyboard is local time, in the organisation's zone.
        at = at.replace(tzinfo=ctx.settings.tz)
    now = _now()
    if at > now:
        # An update records progress already given; a future one would hide every later update.
        local = now.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M %Z")
        raise UserError(f"--at {value.strip()} is in the future (it is now {local}): nothing was recorded")
    return at


def _author(session, by: str | None):
    """(person, author_text) for --by: a linked Slack user, a user with a role, or a lead's name."""
    from storage.people import find_author

    if not by or not by.strip():
        return None, "cli"
    by = by.strip()
    try:
        return find_author(session, by), by
    except ProgressbotError as exc:
        raise UserError(f"--by: {exc}") from None


@click.command("update")
@click.argument("ref")
@click.option(
    "--plan", "plan_name", metavar="NAME", help="The plan (may be left out when there is only one)."
)
@click.option("--rag", required=True, metavar="LABEL", help="A state of the plan's scheme, e.g. Amber.")
@click.option("--text", required=True, help="What has happened (up to 3,000 characters).")
@click.option("--evidence", metavar="URL", help="A link to the evidence (http or https).")
@click.option("--evidence-note", metavar="TEXT", help="Evidence that is not a link (where it can be seen).")
@click.option(
    "--propose-due",
    metavar="DATE",
    help="Ask the board for a new due date (the text is the reason); it changes once agreed.",
)
@click.option(
    "--at", "at", metavar="ISO_DATETIME", help="When it was given (default now; naive = local time)."
)
@click.option("--by", "by", metavar="UID", help="Who is entering it (Slack user id or name); default 'cli'.")
@pass_ctx
def update_command(
    ctx: CliContext,
    ref: str,
    plan_name: str | None,
    rag: str,
    text: str,
    evidence: str | None,
    evidence_note: str | None,
    propose_due: str | None,
    at: str | None,
    by: str | None,
) -> None:
    """Record progress given outside Slack, on the lead's behalf."""
    from progressbot.cli.action_commands import _day
    from storage.followups import record_lead_update

    submitted_at = _parse_at(at, ctx)
    proposed = _day(propose_due, "--propose-due", ctx)
    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        leads = [lead for lead in action.leads if lead.kind == "lead"] or list(action.leads)
        on_behalf_of = leads[0].person if leads else None
        author, author_text = _author(session, by)
        # The same command run twice (same action, instant, RAG and text) records one update.
        given = f"{rag}\x00{text}\x00{evidence or ''}\x00{evidence_note or ''}\x00{proposed or ''}"
        digest = hashlib.sha256(given.encode()).hexdigest()[:16]
        key = f"cli:{action.id}:{submitted_at.astimezone(dt.UTC).isoformat()}:{digest}" if at else None
        today = submitted_at.astimezone(ctx.settings.tz).date()
        recorded = record_lead_update(
            session,
            action,
            today=min(today, _now().astimezone(ctx.settings.tz).date()),
            proposed_due=proposed,
            rag=rag,
            text=text,
            source="cli",
            submitted_at=submitted_at,
            author=author,
            author_text=author_text,
            on_behalf_of=on_behalf_of,
            evidence_url=evidence,
            evidence_note=evidence_note,
            idempotency_key=key,
        )
        u = recorded.update
        behalf = f" on behalf of {on_behalf_of.display_name}" if on_behalf_of else ""
        when = u.submitted_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M %Z")
        verb = "recorded" if recorded.result.created else "already recorded"
        click.echo(f"{verb}: {plan.name} {action.ref} {u.rag or 'no RAG'}{behalf}, {when}")
        owed = _owe_followups(ctx, session, recorded.followups, action.id, u.id)
    _announce_followups(ctx, owed)


def _owe_followups(ctx: CliContext, session, follow, action_id: int, update_id: int) -> list:
    """In the update's transaction: what it set in motion, each with its owed announcement."""
    from progressbot.cli.action_commands import _owe

    owed = []
    if follow.proposed is not None:
        proposal = follow.proposed.proposal
        said = f"asked the board for a new due date, {proposal.proposed_due:%-d %b %Y}"
        owed.append((said, _owe(ctx, session, "proposal", [proposal.id])))
    for challenge, _answer in follow.answered:
        owed.append(
            (f"answers the challenge from {challenge.by_text}", _owe(ctx, session, "answer", [challenge.id]))
        )
    if follow.awaiting_signoff:
        said = "complete, awaiting sign-off by an admin or board member"
        owed.append((said, _owe(ctx, session, "completion", [action_id, update_id])))
    return owed


def _announce_followups(ctx: CliContext, owed: list) -> None:
    """After the commit: say what the update set in motion, and tell the board in Slack when it can."""
    from progressbot.cli.action_commands import _tell

    for said, item in owed:
        click.echo(f"  {said}; {_tell(ctx, item)}")


def _update_dict(u, tz) -> dict[str, object]:
    return {
        "id": u.id,
        "submitted_at": u.submitted_at.astimezone(tz).isoformat(),
        "author": u.author.display_name if u.author else (u.author_text or None),
        "author_slack_user_id": u.author.slack_user_id if u.author else None,
        "on_behalf_of": u.on_behalf_of.display_name if u.on_behalf_of else None,
        "rag": u.rag,
        "text": u.text,
        "evidence_url": u.evidence_url,
        "evidence_note": u.evidence_note,
        "proposed_due": u.proposed_due.isoformat() if u.proposed_due else None,
        "source": u.source,
    }


@click.command("history")
@click.argument("ref")
@click.option(
    "--plan", "plan_name", metavar="NAME", help="The plan (may be left out when there is only one)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@pass_ctx
def history_command(ctx: CliContext, ref: str, plan_name: str | None, as_json: bool) -> None:
    """An action's audit trail, oldest first: every update and every change, with who, when and why."""
    from storage.audit import audit_trail
    from storage.updates import history

    tz = ctx.settings.tz
    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        updates = [_update_dict(u, tz) for u in history(session, action)]
        events = audit_trail(session, action)
        header = {"plan": plan.name, "ref": action.ref, "title": action.title, "status": action.status}
    if as_json:
        payload = {**header, "updates": updates, "events": [e.to_dict(tz) for e in events]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{header['plan']} {header['ref']}: {header['title']}")
    if not events:
        click.echo("no updates yet")
        return
    for entry in events:
        _print_entry(entry, tz)
    others = len(events) - len(updates)
    click.echo(
        f"{len(updates)} updates"
        + (f", {others} plan changes, decisions, challenges and sign-offs" if others else "")
    )


def _print_entry(entry, tz) -> None:
    when = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if entry.kind == "update":
        who = f"{entry.by} via {entry.source}"
        click.echo(f"{when}  {entry.details.get('rag') or '(no RAG)':<8} {who}")
        for line in (entry.text or "").splitlines() or [""]:
            click.echo(f"    {line}")
        if entry.details.get("evidence_url"):
            click.echo(f"    evidence: {entry.details['evidence_url']}")
        if entry.details.get("evidence_note"):
            click.echo(f"    evidence note: {entry.details['evidence_note']}")
        if entry.details.get("proposed_due"):
            click.echo(f"    asks for a new due date: {entry.details['proposed_due']}")
        return
    via = "" if entry.by == entry.source else f" via {entry.source}"
    click.echo(f"{when}  {entry.summary}  by {entry.by}{via}")
    label = {"challenge": "question", "answer": "answer", "signoff": "note"}.get(entry.kind, "why")
    if entry.text:
        click.echo(f"    {label}: {entry.text}")
    if entry.details.get("evidence_url") and entry.kind == "signoff":
        click.echo(f"    evidence: {entry.details['evidence_url']}")
