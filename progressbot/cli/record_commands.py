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
@pass_ctx
def roles_grant(ctx: CliContext, role: str, uid: str) -> None:
    """Give a Slack user the admin or board role."""
    from storage.people import grant_role

    with _stored(ctx) as session:
        grant = grant_role(session, uid, role, by="cli", now=_now())
        click.echo(f"{grant.slack_user_id} has the {grant.role} role")


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
    return at


def _author(session, by: str | None):
    """(person, author_text) for --by: a linked Slack user or a lead's name; kept as typed otherwise."""
    from storage.people import person_for_slack_user, resolve_lead

    if not by or not by.strip():
        return None, "cli"
    by = by.strip()
    return person_for_slack_user(session, by) or resolve_lead(session, by).person, by


@click.command("update")
@click.argument("ref")
@click.option(
    "--plan", "plan_name", metavar="NAME", help="The plan (may be left out when there is only one)."
)
@click.option("--rag", required=True, metavar="LABEL", help="A state of the plan's scheme, e.g. Amber.")
@click.option("--text", required=True, help="What has happened (up to 3,000 characters).")
@click.option("--evidence", metavar="URL", help="A link to the evidence (http or https).")
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
    at: str | None,
    by: str | None,
) -> None:
    """Record progress given outside Slack, on the lead's behalf."""
    from storage.updates import record_update

    submitted_at = _parse_at(at, ctx)
    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        leads = [lead for lead in action.leads if lead.kind == "lead"] or list(action.leads)
        on_behalf_of = leads[0].person if leads else None
        author, author_text = _author(session, by)
        # The same command run twice (same action, instant, RAG and text) records one update.
        digest = hashlib.sha256(f"{rag}\x00{text}\x00{evidence or ''}".encode()).hexdigest()[:16]
        key = f"cli:{action.id}:{submitted_at.astimezone(dt.UTC).isoformat()}:{digest}" if at else None
        result = record_update(
            session,
            action,
            rag=rag,
            text=text,
            source="cli",
            submitted_at=submitted_at,
            author=author,
            author_text=author_text,
            on_behalf_of=on_behalf_of,
            evidence_url=evidence,
            idempotency_key=key,
        )
        u = result.update
        behalf = f" on behalf of {on_behalf_of.display_name}" if on_behalf_of else ""
        when = u.submitted_at.astimezone(ctx.settings.tz).strftime("%Y-%m-%d %H:%M %Z")
        verb = "recorded" if result.created else "already recorded"
        click.echo(f"{verb}: {plan.name} {action.ref} {u.rag or 'no RAG'}{behalf}, {when}")


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
    """An action's full update history, oldest first: the audit trail."""
    from storage.updates import history

    tz = ctx.settings.tz
    with _stored(ctx) as session:
        plan, action = _plan_and_action(session, plan_name, ref)
        updates = [_update_dict(u, tz) for u in history(session, action)]
        header = {"plan": plan.name, "ref": action.ref, "title": action.title}
    if as_json:
        click.echo(json.dumps({**header, "updates": updates}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{header['plan']} {header['ref']}: {header['title']}")
    if not updates:
        click.echo("no updates yet")
        return
    for u in updates:
        when = dt.datetime.fromisoformat(u["submitted_at"]).strftime("%Y-%m-%d %H:%M")
        who = u["author"] or "unknown"
        if u["on_behalf_of"] and u["on_behalf_of"] != who:
            who += f" for {u['on_behalf_of']}"
        click.echo(f"{when}  {u['rag'] or '(no RAG)':<8} {who} via {u['source']}")
        for line in (u["text"] or "").splitlines() or [""]:
            click.echo(f"    {line}")
        if u["evidence_url"]:
            click.echo(f"    evidence: {u['evidence_url']}")
        if u["proposed_due"]:
            click.echo(f"    asks for a new due date: {u['proposed_due']}")
    click.echo(f"{len(updates)} updates")
