"""The emails, plain text plus HTML: reminders, the confirmation of a form, a new link.

Pure: plain data in, an ``EmailMessage`` out. Everything a person typed or a plan holds is escaped in
the HTML; headers come only from our settings and the person's name (``Address`` quotes it, and
``EmailMessage`` refuses line breaks in headers, so nothing typed can add a header).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mail.html import e, rag_badge

FONT = "font-family:Arial,Helvetica,sans-serif;color:#1a1a1a"
EXCERPT = 300


@dataclass(frozen=True)
class EmailAction:
    ref: str
    title: str
    why: str = ""  # "Overdue by 9 days (was due Mon 2 Nov 2026)"
    rag: str | None = None
    rag_colour: str | None = None
    text: str = ""  # confirmations: what was saved
    evidence_url: str | None = None
    proposed_due: dt.date | None = None


@dataclass(frozen=True)
class PlanSection:
    title: str
    url: str  # the form link for this lead and this plan
    expires: dt.date
    actions: list[EmailAction] = field(default_factory=list)


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str


def long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


def _envelope(sender: Address, to: Recipient, subject: str, now: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    local, _, domain = to.address.rpartition("@")
    message["To"] = Address(display_name=" ".join(to.name.split())[:200], username=local, domain=domain)
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain or None)
    # An automatic message (RFC 3834): out-of-office replies should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    return message


def _finish(message: EmailMessage, text: str, html_body: str, title: str) -> EmailMessage:
    message.set_content(text)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title></head>"
        f'<body style="margin:0;padding:16px;background:#ffffff;{FONT};font-size:16px;line-height:1.5">'
        f'<div style="max-width:640px;margin:0 auto">{html_body}</div></body></html>'
    )
    message.add_alternative(page, subtype="html")
    return message


def _button(url: str, label: str) -> str:
    return (
        f'<p style="margin:20px 0"><a href="{e(url)}" style="display:inline-block;background:#0b5394;'
        f'color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none;font-weight:bold">'
        f"{e(label)}</a></p>"
        f'<p style="font-size:14px;color:#333333">Or copy this address into your browser:<br>'
        f'<span style="word-break:break-all">{e(url)}</span></p>'
    )


def _link_note(section: PlanSection) -> str:
    return (
        f"This link is personal to you and works until {long_date(section.expires)}. Please don't forward it."
    )


def _action_text(action: EmailAction) -> list[str]:
    lines = [f"  {action.ref}  {' '.join(action.title.split())}"]
    detail = [action.why] if action.why else []
    detail.append(f"last RAG: {action.rag}" if action.rag else "no RAG yet")
    lines.append("      " + " · ".join(detail))
    return lines


def _action_html(action: EmailAction) -> str:
    why = f"{e(action.why)} · " if action.why else ""
    return (
        '<tr><td style="padding:8px 0;border-top:1px solid #cccccc">'
        f"<strong>{e(action.ref)}</strong> {e(' '.join(action.title.split()))}<br>"
        f'<span style="font-size:14px">{why}Last RAG: {rag_badge(action.rag, action.rag_colour)}</span>'
        "</td></tr>"
    )


def reminder_email(
    sender: Address,
    to: Recipient,
    sections: list[PlanSection],
    now: dt.datetime,
    *,
    notices: list[str] | None = None,
) -> EmailMessage:
    """One email listing every action due for the lead, with one form link per plan.

    ``notices``: a line per board meeting (its call, chase, move or cancellation) at the top."""
    notices = notices or []
    count = sum(len(s.actions) for s in sections)
    overdue = sum(1 for s in sections for a in s.actions if a.why.startswith("Overdue"))
    subject = f"Progress update needed: {_plural(count, 'action')}"
    if overdue:
        subject += f" ({overdue} overdue)"
    if notices and not count:
        subject = notices[0]
    elif notices:
        subject = f"Board update needed: {_plural(count, 'action')}"
    verb = "needs" if count == 1 else "need"
    asked = f"{_plural(count, 'action')} you lead {verb} a progress update." if count else ""
    text = [f"Dear {to.name},", "", *notices, *([""] if notices else []), asked, ""]
    html = [f"<p>Dear {e(to.name)},</p>", *(f"<p><strong>{e(n)}</strong></p>" for n in notices)]
    if asked:
        html.append(f"<p>{e(asked)}</p>")
    for section in sections:
        text += [section.title, "-" * min(len(section.title), 70)]
        for action in section.actions:
            text += _action_text(action)
        text += [
            "",
            "Update them on one page (no login; it works on a phone):",
            section.url,
            _link_note(section),
            "",
        ]
        html.append(f'<h2 style="font-size:18px;margin:24px 0 8px">{e(section.title)}</h2>')
        html.append('<table role="presentation" style="width:100%;border-collapse:collapse">')
        html.extend(_action_html(a) for a in section.actions)
        html.append("</table>")
        html.append(_button(section.url, "Update my actions"))
        html.append(f'<p style="font-size:14px;color:#333333">{e(_link_note(section))}</p>')
    footer = "You get these emails because you lead actions in an improvement plan. Reply to ask a question."
    text += [footer]
    html.append(f'<p style="font-size:14px;color:#333333">{e(footer)}</p>')
    message = _envelope(sender, to, subject, now)
    return _finish(message, "\n".join(text), "".join(html), subject)


def _saved_text(action: EmailAction) -> list[str]:
    lines = [f"  {action.ref}  {' '.join(action.title.split())}"]
    lines.append(f"      RAG: {action.rag}" if action.rag else "      RAG: unchanged")
    lines.append(f"      Progress: {_excerpt(action.text)}")
    if action.evidence_url:
        lines.append(f"      Evidence: {action.evidence_url}")
    if action.proposed_due:
        lines.append(f"      Proposed new date: {long_date(action.proposed_due)}")
    return lines


def _saved_html(action: EmailAction) -> str:
    rows = [
        f"<strong>{e(action.ref)}</strong> {e(' '.join(action.title.split()))}",
        f"RAG: {rag_badge(action.rag, action.rag_colour)}" if action.rag else "RAG: unchanged",
        f"Progress: {e(_excerpt(action.text))}",
    ]
    if action.evidence_url:
        rows.append(f'Evidence: <span style="word-break:break-all">{e(action.evidence_url)}</span>')
    if action.proposed_due:
        rows.append(f"Proposed new date: {e(long_date(action.proposed_due))}")
    return '<tr><td style="padding:8px 0;border-top:1px solid #cccccc">' + "<br>".join(rows) + "</td></tr>"


def confirmation_email(
    sender: Address, to: Recipient, section: PlanSection, now: dt.datetime
) -> EmailMessage:
    """What the lead saved through the form, and a fresh link to add more."""
    count = len(section.actions)
    subject = f"Saved: your update to {_plural(count, 'action')}"
    text = [
        f"Dear {to.name},",
        "",
        f"Thank you. Your update to {_plural(count, 'action')} in {section.title} was saved:",
        "",
    ]
    for action in section.actions:
        text += _saved_text(action)
    text += ["", "To add or correct anything, use this link:", section.url, _link_note(section), ""]
    text += ["If you did not send this update, reply to this email at once."]
    html = [
        f"<p>Dear {e(to.name)},</p><p>Thank you. Your update to {_plural(count, 'action')} in "
        f"<strong>{e(section.title)}</strong> was saved:</p>",
        '<table role="presentation" style="width:100%;border-collapse:collapse">',
        *(_saved_html(a) for a in section.actions),
        "</table>",
        _button(section.url, "Add or correct an update"),
        f'<p style="font-size:14px;color:#333333">{e(_link_note(section))}</p>',
        '<p style="font-size:14px;color:#333333">If you did not send this update, reply to this email at once.</p>',
    ]
    return _finish(_envelope(sender, to, subject, now), "\n".join(text), "".join(html), subject)


def new_link_email(sender: Address, to: Recipient, section: PlanSection, now: dt.datetime) -> EmailMessage:
    """The fresh link a lead asked for from an expired one."""
    subject = f"Your new link to update {section.title}"
    text = [
        f"Dear {to.name},",
        "",
        f"Here is a new link to update your actions in {section.title}:",
        section.url,
        _link_note(section),
        "",
        "If you did not ask for it, you can ignore this email.",
    ]
    html = (
        f"<p>Dear {e(to.name)},</p><p>Here is a new link to update your actions in "
        f"<strong>{e(section.title)}</strong>.</p>"
        + _button(section.url, "Update my actions")
        + f'<p style="font-size:14px;color:#333333">{e(_link_note(section))}</p>'
        + '<p style="font-size:14px;color:#333333">If you did not ask for it, you can ignore this email.</p>'
    )
    return _finish(_envelope(sender, to, subject, now), "\n".join(text), html, subject)
