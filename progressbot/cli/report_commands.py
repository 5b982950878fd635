"""``progressbot report``, ``progressbot summary`` and ``progressbot demo``."""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import click

from progressbot.cli import CliContext, UserError, pass_ctx

FORMATS = ("docx", "html", "pdf", "json", "md")


def parse_when(text: str, tz: dt.tzinfo, *, option: str, end_of_day: bool) -> dt.datetime:
    """YYYY-MM-DD (the whole day, or its start) or an ISO datetime; naive values are local time."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min, tz)
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{option}: {text!r} is not a date (use YYYY-MM-DD or an ISO date and time)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "plan"


@contextmanager
def _user_errors():
    """Map the errors meant for people to UserError (one line, exit 2)."""
    from report.render_pdf import PdfUnavailable
    from storage.errors import ProgressbotError

    try:
        yield
    except (ProgressbotError, PdfUnavailable) as exc:
        raise UserError(str(exc)) from None


@click.command("report")
@click.option("--plan", "plan_name", default=None, help="Plan name (may be left out when there is one plan).")
@click.option(
    "--as-of",
    "as_of_text",
    default=None,
    metavar="DATE",
    help="Show the plan as it stood at the end of DATE (YYYY-MM-DD) or at an ISO date-time.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="docx", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: <plan>-report-<date>.<format> in the current folder).",
)
@click.option("--publish", is_flag=True, help="Freeze this report as the next version: the new baseline.")
@click.option("--summary", "summary_text", default=None, help="Summary of changes for the document history.")
@click.option("--author", default=None, help="Author for the document history.")
@pass_ctx
def report_command(
    ctx: CliContext,
    plan_name: str | None,
    as_of_text: str | None,
    fmt: str,
    out: Path | None,
    publish: bool,
    summary_text: str | None,
    author: str | None,
) -> None:
    """Compile the board report (DOCX, HTML, PDF, JSON or Markdown)."""
    from report.compile import compile_report
    from report.publish import publish_version
    from report.render import render
    from storage.plans import get_plan

    tz = ctx.settings.tz
    if not publish and (summary_text is not None or author is not None):
        raise UserError("--summary and --author describe a published version; add --publish")
    if publish and as_of_text:
        raise UserError("--publish freezes the plan as it stands now; leave out --as-of")
    now = dt.datetime.now(tz)
    as_of = parse_when(as_of_text, tz, option="--as-of", end_of_day=True) if as_of_text else now
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        version = None
        if publish:
            version = publish_version(session, plan, now=now, summary=summary_text or "", author=author or "")
        data = compile_report(session, plan, as_of=as_of, now=now)
        # Render inside the transaction: if rendering fails, the publication is rolled back too.
        blob = render(data, fmt)
        path = out or Path(f"{_slug(plan.name)}-report-{data.as_of_date}.{fmt}")
        try:
            path.write_bytes(blob)
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        if version is not None:
            click.echo(f"published version {version.version} of {plan.name}")
    click.echo(f"{data.headline.sentence}")
    click.echo(f"wrote {path}")


@click.command("summary")
@click.option("--plan", "plan_name", default=None, help="Plan name (may be left out when there is one plan).")
@click.option("--by", "by", type=click.Choice(["section", "lead"]), default=None, help="Group the actions.")
@click.option("--red", is_flag=True, help="Only the actions in the worst RAG state.")
@click.option("--overdue", "overdue_flag", is_flag=True, help="Only the overdue actions.")
@click.option("--since", "since_text", default=None, metavar="DATE", help="Updates submitted since DATE.")
@click.option("--as-of", "as_of_text", default=None, metavar="DATE", help="As the plan stood at DATE.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option("--markdown", is_flag=True, help="Markdown instead of plain text.")
@pass_ctx
def summary_command(
    ctx: CliContext,
    plan_name: str | None,
    by: str | None,
    red: bool,
    overdue_flag: bool,
    since_text: str | None,
    as_of_text: str | None,
    as_json: bool,
    markdown: bool,
) -> None:
    """Summaries on demand: overall (default), by section or lead, red, overdue, changes since."""
    from report import summaries
    from report.compile import compile_report
    from report.text import render_markdown, render_text
    from storage.plans import get_plan

    tz = ctx.settings.tz
    now = dt.datetime.now(tz)
    as_of = parse_when(as_of_text, tz, option="--as-of", end_of_day=True) if as_of_text else now
    since = parse_when(since_text, tz, option="--since", end_of_day=False) if since_text else None
    with _user_errors(), ctx.session_factory.begin() as session:
        plan = get_plan(session, plan_name)
        data = compile_report(session, plan, as_of=as_of, now=now, since=since)
    chosen: list[tuple[str, object]] = []
    if by == "section":
        chosen.append(("by_section", summaries.by_section(data)))
    if by == "lead":
        chosen.append(("by_lead", summaries.by_lead(data)))
    if red:
        chosen.append(("red", summaries.red_only(data)))
    if overdue_flag:
        chosen.append(("overdue", summaries.overdue(data)))
    if since is not None:
        chosen.append(("changes", summaries.changes_since(data, since)))
    if not chosen:
        chosen.append(("overall", summaries.overall(data)))
    if as_json:
        click.echo(json.dumps({name: asdict(s) for name, s in chosen}, ensure_ascii=False, indent=2))
        return
    renderer = render_markdown if markdown else render_text
    click.echo("\n".join(renderer(s) for _, s in chosen), nl=False)


@click.command("demo")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("progressbot-demo"),
    show_default=True,
    help="Folder for the demo database and reports.",
)
def demo_command(folder: Path) -> None:
    """Import the bundled sample plan into a fresh SQLite file and write its board report."""
    from progressbot.demo import run_demo
    from storage.errors import ProgressbotError

    try:
        result = run_demo(folder)
    except ProgressbotError as exc:
        raise UserError(str(exc)) from None
    click.echo(result.summary_text, nl=False)
    click.echo("")
    click.echo(f"database: {result.database}")
    click.echo(f"report (Word): {result.docx}")
    click.echo(f"report (HTML): {result.html}")


def register(main: click.Group) -> None:
    """Attach this module's commands to the top-level group (and its subgroups)."""
    main.add_command(report_command)
    main.add_command(summary_command)
    main.add_command(demo_command)
