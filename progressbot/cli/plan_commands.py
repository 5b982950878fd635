"""``progressbot import`` and ``progressbot plan show``."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import textwrap
from pathlib import Path

import click

from progressbot.cli import CliContext, UserError, pass_ctx
from storage.errors import ProgressbotError


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--reference-date: '{value}' is not a date (YYYY-MM-DD)") from None


@contextlib.contextmanager
def _cycles_left_to_exit():
    """No cyclic garbage collection while one import runs.

    An import builds hundreds of thousands of objects (cells, segments, rows, ORM states) that all live
    until the command ends, and the collector's full passes over them find nothing to free: at 5,000
    rows they cost about a tenth of the command's CPU. Reference counting still frees everything not in
    a cycle; the few cycles (SQLAlchemy's) go when the process exits, moments later.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--plan", "plan_name", help="Plan name (default: from the file name). Re-import merges by ref.")
@click.option("--reference-date", help="Date to read short timescales against (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Parse and preview; store nothing.")
@click.option(
    "--close-missing", is_flag=True, help="Close the stored actions this file no longer has (re-import)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@pass_ctx
@_cycles_left_to_exit()
def import_command(
    ctx: CliContext,
    path: Path,
    plan_name: str | None,
    reference_date: str | None,
    dry_run: bool,
    close_missing: bool,
    as_json: bool,
) -> None:
    """Import an action plan from a Word (.docx), Excel (.xlsx) or CSV file."""
    from storage.db import refresh_statistics
    from storage.importers import Limits, read_plan
    from storage.plan_rows import plan_table
    from storage.plans import import_plan, plan_payload, rows_of

    reference = _date(reference_date)
    try:
        parsed = read_plan(
            path, reference_date=reference, limits=Limits.from_megabytes(ctx.settings.import_max_mb)
        )
    except ProgressbotError as exc:
        raise UserError(str(exc)) from None
    now = dt.datetime.now(dt.UTC)
    try:
        # Closing the session rolls back whatever was not committed: a failure part-way, or a dry run
        # (which only reads).
        with ctx.session_factory() as session:
            result = import_plan(
                session, parsed, plan_name=plan_name, now=now, close_missing=close_missing, dry_run=dry_run
            )
            if dry_run:
                payload = result.preview or {}
            elif as_json:
                payload = plan_payload(session, result.plan, warnings=result.warnings)
                session.commit()
            else:
                # The table needs only a few columns: read them as plain rows (see plan_table).
                payload = plan_table(rows_of(session), result.plan.id, warnings=result.warnings)
                session.commit()
            if not dry_run:
                refresh_statistics(session)
                session.commit()
    except ProgressbotError as exc:
        raise UserError(f"{path.name}: {exc}") from None
    payload["plan"]["changes"] = result.changes()
    payload["plan"]["dry_run"] = dry_run
    payload["plan"]["account"] = parsed.account.as_dict()  # beside "changes": what this import did
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    _print_preview(payload, hide=[w for w, _ in parsed.account.skipped])
    _print_account(parsed.account)
    _print_changes(payload, dry_run=dry_run)


def _print_account(account) -> None:
    click.echo("\n" + account.line())
    for where, text in account.skipped:
        click.echo(textwrap.fill(f"{where}: '{text}'", 110, initial_indent="  - ", subsequent_indent="    "))


def _print_changes(payload: dict, *, dry_run: bool) -> None:
    changes = payload["plan"]["changes"]
    verb = "would import" if dry_run else "imported"
    summary = f"{verb} {payload['plan']['action_count']} actions into plan '{payload['plan']['name']}'"
    if not changes["created"]:
        summary += (
            f": {len(changes['added'])} new, {len(changes['updated'])} changed, "
            f"{len(changes['new_updates'])} new progress/RAG updates, {changes['unchanged']} unchanged"
        )
    click.echo(summary + (" (dry run: nothing stored)" if dry_run else ""))
    if not changes["created"]:
        for label, refs in (("new", changes["added"]), ("new progress/RAG", changes["new_updates"])):
            if refs:
                click.echo(_wrapped(f"{label}: {', '.join(refs)}"))
        for ref, fields in changes["updated"].items():
            click.echo(f"  changed {ref}: {', '.join(fields)}")
    for note in changes.get("kept") or []:
        click.echo(textwrap.fill(note, 110, initial_indent="  kept ", subsequent_indent="    "))
    if changes.get("kept"):
        click.echo(
            "  (changes made with progressbot are kept over the file; to take the file's value, "
            "use progressbot action set)"
        )
    _print_missing(changes, dry_run=dry_run)


def _print_missing(changes: dict, *, dry_run: bool) -> None:
    missing, closed = changes["missing"], changes["closed"]
    if changes["reopened"]:
        click.echo(_wrapped(f"reopened (back in this file): {', '.join(changes['reopened'])}"))
    if not missing:
        return
    refs = ", ".join(missing)
    if closed:
        verb = "would be withdrawn" if dry_run else "withdrawn"
        click.echo(_wrapped(f"{len(missing)} action(s) not in this file: {refs}; {verb} (--close-missing)"))
    else:
        click.echo(
            _wrapped(
                f"{len(missing)} action(s) not in this file: {refs}; they are kept; `--close-missing` closes them"
            )
        )


def _wrapped(text: str) -> str:
    return textwrap.fill(text, 110, initial_indent="  ", subsequent_indent="    ")


@click.command("show")
@click.option("--plan", "plan_name", help="Plan name (may be left out when there is only one plan).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@pass_ctx
def plan_show(ctx: CliContext, plan_name: str | None, as_json: bool) -> None:
    """Show a stored plan: its actions, leads, due dates and latest RAG."""
    from storage.plan_rows import find_plan_id, plan_table

    def table(run) -> dict:
        return plan_table(run, find_plan_id(run, plan_name))

    try:
        # The table, from a SQLite file at the newest schema, needs no SQLAlchemy (see read_quickly).
        payload = None if as_json else ctx.read_quickly(table)
        if payload is None:
            from storage.plans import get_plan, plan_payload, rows_of

            with ctx.session_factory.begin() as session:
                payload = (
                    plan_payload(session, get_plan(session, plan_name))
                    if as_json
                    else table(rows_of(session))
                )
    except ProgressbotError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_preview(payload)


def _print_preview(payload: dict, *, hide: list[str] | None = None) -> None:
    """The plan as a table, then its warnings (less those about rows in ``hide``: the account lists them)."""
    plan = payload["plan"]
    click.echo(
        f"{plan['title']} [{plan['name']}]" + (f" - {plan['organisation']}" if plan["organisation"] else "")
    )
    scheme = plan["rag_scheme"]
    click.echo(
        f"RAG scheme: {scheme['name']} ({', '.join(s['label'] for s in scheme['states'])}); "
        f"reference date {plan['reference_date'] or '-'}"
    )
    rows = [("Ref", "Title", "Lead(s)", "Timescale", "Due", "RAG")]
    section = object()
    lines = []
    for a in payload["actions"]:
        if a["section"] != section:
            section = a["section"]
            lines.append(("", f"== {section or '(no section)'}", "", "", "", ""))
        lines.append(
            (
                a["ref"],
                a["title"],
                ", ".join(a["leads"]),
                a["timescale"].replace("\n", " "),
                a["due"] or "-",
                (a["rag"] or "-") if a.get("status", "open") == "open" else a["status"],
            )
        )
    widths = (8, 46, 32, 16, 10, 10)
    # One write for the whole table: click.echo per line cost more than the table at 5,000 actions.
    click.echo(
        "\n".join(
            "  ".join(_fit(str(v), w) for v, w in zip(row, widths, strict=True)).rstrip()
            for row in rows + lines
        )
    )
    listed = tuple(f"{where} skipped:" for where in hide or [])
    warnings = [w for w in payload["warnings"] if not (listed and w.startswith(listed))]
    if warnings:
        click.echo(f"\n{len(warnings)} warning(s):")
        for w in warnings:
            click.echo(textwrap.fill(w, 110, initial_indent="  - ", subsequent_indent="    "))


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def register(main: click.Group) -> None:
    """Attach this module's commands to the top-level group (and its subgroups)."""
    main.add_command(import_command)
    plan_group = main.commands["plan"]
    plan_group.add_command(plan_show)
