"""``/progress report`` and the Get report buttons: the board report rendered to a file and sent to the
person's DM with the app (by the outbox, ``bot.report_requests``, which calls ``send_report``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from bot import permissions
from bot.commands import Command, CommandCall
from bot.features.asking import button, known_viewer, plan_arg, report_data
from bot.permissions import is_known, viewer
from bot.queries import all_plans
from bot.report_requests import request_report
from bot.services import Services
from report.data import ReportData
from slackviews import messages
from slackviews.common import GET_REPORT, report_button_value
from slackviews.messages import Reply
from slackviews.text import escape, truncate
from storage.errors import InvalidInput, NotFound
from storage.models import Plan

log = logging.getLogger(__name__)


def report_command(services: Services, call: CommandCall) -> None:
    """Ask "which plan?" in the acknowledgement; or owe the file through the outbox
    (``bot.report_requests``), then acknowledge "Preparing…"."""
    question = report_choice(services, call.uid, call.command)
    if question is not None:  # several plans and none named: one button per plan
        call.ack(response_type="ephemeral", **question.as_kwargs())
        return
    fmt = str(call.command.args["format"])
    request_report(services, call.verified, call.uid, fmt, plan_arg(call.command))
    call.ack(response_type="ephemeral", text=f"Preparing the {fmt.upper()} report…")


def report_choice(services: Services, uid: str, command: Command) -> Reply | None:
    """``/progress report`` with several plans and none named: "which plan?", one button per plan.

    None when there is nothing to ask (one plan, a plan named, or someone who may not read reports:
    they are refused after the acknowledgement as before).
    """
    if plan_arg(command):
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
                button(GET_REPORT, f"Get {fmt.upper()}", report_button_value(p.id, fmt)),
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
    """The report of the plan chosen (by button), named, or the only one, as a ``fmt`` file."""
    with services.read_factory.begin() as session:
        who = known_viewer(session, uid)
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
        data = report_data(services, session, chosen)
    return ReportFile(
        render_file(data, fmt),
        f"{data.plan_name}-{data.as_of_date}.{fmt}",
        f"{data.title or data.plan_name} ({data.as_of_date})",
    )


def render_file(data: ReportData, fmt: str) -> bytes:
    """The report's bytes as docx, html or pdf; the renderers load python-docx or WeasyPrint only when asked."""
    if fmt == "docx":
        from report.render_docx import render_docx

        return render_docx(data)
    if fmt == "html":
        from report.render_html import render_html

        return render_html(data).encode()
    from report.render_pdf import PdfUnavailable, render_pdf

    try:
        return render_pdf(data)
    except PdfUnavailable as exc:
        raise InvalidInput(
            f"PDF isn't available on this server: {exc}. Try `/progress report docx`.", field="format"
        ) from None


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
