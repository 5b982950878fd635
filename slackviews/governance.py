"""Block Kit for plan governance (pure): date requests with Agree/Decline, challenges, sign-off, the
edit modal, and the buttons the action card, the Home tab and the digest carry.

Every button carries ids only; the listener checks who pressed it and what the database says now.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from slackviews.common import context, section
from slackviews.messages import Reply
from slackviews.text import escape, excerpt, mrkdwn, plain

AGREE_DATE = "gov_agree_date"
DECLINE_DATE = "gov_decline_date"
REQUEST_MENU = "gov_request_menu"  # Home tab: an overflow menu with Agree / Decline
CHALLENGE = "gov_challenge"
CHALLENGE_PICK = "gov_challenge_pick"  # Home tab and digest: pick an update to challenge
SIGN_OFF = "gov_sign_off"
EDIT = "gov_edit"

DECLINE_CALLBACK = "gov_decline"
CHALLENGE_CALLBACK = "gov_challenge"
SIGNOFF_CALLBACK = "gov_signoff"
EDIT_CALLBACK = "gov_edit"
INPUT = "value"
LEAD_SEARCH = "lead_search"  # the edit modal's searchable lead picker (its options come from the app)
PICKER_LIMIT = 100  # Slack's options per select menu; more people than this and the picker searches

QUESTION_LIMIT = 3000
REASON_LIMIT = 2000
NOTE_LIMIT = 3000
OPEN, WITHDRAWN, MERGED, COMPLETE = "open", "withdrawn", "merged", "complete"
STATUS_CHOICES = (
    (OPEN, "Open"),
    (COMPLETE, "Complete (you sign it off)"),
    (WITHDRAWN, "Withdrawn"),
    (MERGED, "Merged into another action"),
)


def day(value: dt.date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else "no date"


@dataclass(frozen=True)
class Subject:
    """The action a governance message is about."""

    id: int
    ref: str
    title: str
    plan: str
    due: dt.date | None
    leads: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        return f"*{escape(self.ref)}* {escape(self.title)}"


def _button(action_id: str, text: str, value: dict, *, style: str | None = None, confirm: dict | None = None):
    button = {"type": "button", "action_id": action_id, "text": plain(text, 75), "value": json.dumps(value)}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def agree_button(proposal_id: int, ref: str, proposed: dt.date) -> dict:
    confirm = {
        "title": plain("Agree the new date?"),
        "text": mrkdwn(f"{escape(ref)} will be due *{day(proposed)}*. Reminders and the report follow it."),
        "confirm": plain("Agree"),
        "deny": plain("Cancel"),
    }
    return _button(AGREE_DATE, "Agree", {"proposal_id": proposal_id}, style="primary", confirm=confirm)


def decline_button(proposal_id: int) -> dict:
    return _button(DECLINE_DATE, "Decline…", {"proposal_id": proposal_id}, style="danger")


def challenge_button(action_id: int, update_id: int | None = None) -> dict:
    return _button(CHALLENGE, "Challenge…", {"action_id": action_id, "update_id": update_id})


def signoff_button(action_id: int) -> dict:
    return _button(SIGN_OFF, "Sign off…", {"action_id": action_id}, style="primary")


def edit_button(action_id: int) -> dict:
    return _button(EDIT, "Edit", {"action_id": action_id})


def actions_block(block_id: str, elements: list[dict]) -> dict:
    return {"type": "actions", "block_id": block_id, "elements": elements[:25]}


# --- revised dates ------------------------------------------------------------------------------


def date_request(
    s: Subject, *, proposal_id: int, from_due: dt.date | None, proposed: dt.date, by: str, reason: str
) -> Reply:
    text = (
        f"{escape(by)} asks to move {s.heading} from *{day(from_due)}* to *{day(proposed)}*."
        f"\n*Why:* {excerpt(reason, 1500) or '_no reason given_'}"
    )
    blocks = [
        section(text),
        context(f"Plan {escape(s.plan)} · lead(s): {escape(', '.join(s.leads)) or 'none'}"),
        actions_block(
            f"date-request-{proposal_id}",
            [agree_button(proposal_id, s.ref, proposed), decline_button(proposal_id)],
        ),
    ]
    return Reply(f"{by} asks to move {s.ref} to {day(proposed)}", blocks)


def date_decided(
    s: Subject,
    *,
    decision: str,
    from_due: dt.date | None,
    proposed: dt.date,
    by: str,
    at: dt.datetime,
    reason: str,
    asked_by: str,
) -> Reply:
    """What the request becomes once decided: the buttons are gone, so nobody decides twice."""
    when = f"{at.day} {at:%b %Y at %H:%M}"
    if decision == "agreed":
        head = f"✅ *Agreed* by {escape(by)} on {when}: {s.heading} is now due *{day(proposed)}* (was {day(from_due)})."
    elif decision == "declined":
        head = f"✖️ *Declined* by {escape(by)} on {when}: {s.heading} stays due *{day(from_due)}*."
    else:
        head = f"↪️ The request to move {s.heading} to {day(proposed)} was replaced: {escape(reason)}."
    blocks = [section(head)]
    if decision == "declined" and reason:
        blocks.append(section(f"*Reason:* {excerpt(reason, 1500)}"))
    blocks.append(context(f"Asked by {escape(asked_by)}"))
    return Reply(f"{s.ref}: new date {decision}", blocks)


def date_decision_for_lead(
    s: Subject, *, decision: str, proposed: dt.date, from_due: dt.date | None, by: str, reason: str
) -> Reply:
    if decision == "agreed":
        text = (
            f"✅ {escape(by)} agreed your new date for {s.heading}: it is now due *{day(proposed)}*. "
            "Reminders follow the new date."
        )
    else:
        text = (
            f"✖️ {escape(by)} declined the new date ({day(proposed)}) for {s.heading}; it stays due "
            f"*{day(from_due)}*.\n*Reason:* {excerpt(reason, 1500)}"
        )
    return Reply(f"Your new date for {s.ref} was {decision}", [section(text)])


def decline_modal(proposal_id: int, s: Subject, proposed: dt.date) -> dict:
    return {
        "type": "modal",
        "callback_id": DECLINE_CALLBACK,
        "private_metadata": json.dumps({"proposal_id": proposal_id}),
        "title": plain(f"Decline {s.ref}", 24),
        "submit": plain("Decline"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"Decline the new date *{day(proposed)}* for {s.heading}? The lead is told why."),
            _text_input("reason", "Reason", multiline=True, max_length=REASON_LIMIT),
        ],
    }


# --- challenges ---------------------------------------------------------------------------------


def challenge_modal(s: Subject, *, update_id: int | None, update_text: str, update_by: str) -> dict:
    shown = (
        f"*Update* ({escape(update_by)}): {excerpt(update_text, 1200)}" if update_text else "_No update yet._"
    )
    return {
        "type": "modal",
        "callback_id": CHALLENGE_CALLBACK,
        "private_metadata": json.dumps({"action_id": s.id, "update_id": update_id}),
        "title": plain(f"Challenge {s.ref}", 24),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": [
            section(s.heading),
            context(shown),
            _text_input(
                "question",
                "Your question for the lead",
                multiline=True,
                max_length=QUESTION_LIMIT,
                placeholder="e.g. What is the evidence that this is complete?",
            ),
        ],
    }


def challenge_for_lead(s: Subject, *, question: str, by: str) -> Reply:
    blocks = [
        section(f"❓ {escape(by)} asks about {s.heading}:\n>{excerpt(question, 2500)}"),
        context(
            "Reply in this thread to answer, or give a new update "
            f"(`/progress update {escape(s.ref)}`). The board sees the question and your answer."
        ),
    ]
    return Reply(f"{by} asks about {s.ref}", blocks)


def answer_for_challenger(s: Subject, *, question: str, answer: str, by: str) -> Reply:
    blocks = [
        section(f"💬 {escape(by)} answered your question on {s.heading}:\n>{excerpt(answer, 2500)}"),
        context(f"You asked: {excerpt(question, 300)}"),
    ]
    return Reply(f"{by} answered your question on {s.ref}", blocks)


def answer_saved(ref: str) -> str:
    return f"Saved your answer on *{escape(ref)}*. The person who asked has been told. Thank you."


# --- sign-off -----------------------------------------------------------------------------------


def completion_request(
    s: Subject,
    *,
    by: str,
    rag: str,
    text: str,
    evidence_url: str | None,
    evidence_note: str | None,
    update_id: int,
) -> Reply:
    evidence = []
    if evidence_url:
        evidence.append(f"link: {escape(evidence_url)}")
    if evidence_note:
        evidence.append(f"note: {excerpt(evidence_note, 500)}")
    lines = [
        f"✔️ {escape(by)} marked {s.heading} *{escape(rag)}* (complete). It counts as complete once it is signed off.",
        f"*Update:* {excerpt(text, 1200)}",
        f"*Evidence:* {'; '.join(evidence)}" if evidence else "⚠️ *No evidence given* (no link or note).",
    ]
    blocks = [
        section("\n".join(lines)),
        actions_block(f"signoff-{update_id}", [signoff_button(s.id), challenge_button(s.id, update_id)]),
    ]
    return Reply(f"{s.ref} is complete, awaiting sign-off", blocks)


def signed_off(s: Subject, *, by: str, at: dt.datetime, note: str) -> Reply:
    blocks = [section(f"☑️ {s.heading} was signed off by {escape(by)} on {at.day} {at:%b %Y at %H:%M}.")]
    if note:
        blocks.append(context(f"Note: {excerpt(note, 1000)}"))
    return Reply(f"{s.ref} signed off by {by}", blocks)


def signoff_modal(s: Subject, *, completion_text: str, evidence: str) -> dict:
    return {
        "type": "modal",
        "callback_id": SIGNOFF_CALLBACK,
        "private_metadata": json.dumps({"action_id": s.id}),
        "title": plain(f"Sign off {s.ref}", 24),
        "submit": plain("Sign off"),
        "close": plain("Cancel"),
        "blocks": [
            section(f"Sign off the completion of {s.heading}?"),
            context(
                f"*Lead's update:* {excerpt(completion_text, 800)}\n*Evidence given:* {escape(evidence) or 'none'}"
            ),
            _text_input(
                "note",
                "What evidence did you see?",
                multiline=True,
                max_length=NOTE_LIMIT,
                optional=True,
                hint="Without a note or a link the report flags the sign-off.",
            ),
            {
                "type": "input",
                "block_id": "evidence",
                "optional": True,
                "label": plain("Evidence link"),
                "element": {"type": "url_text_input", "action_id": INPUT},
            },
        ],
    }


# --- the edit modal -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EditForm:
    action_id: int
    ref: str
    title: str
    timescale: str
    due: dt.date | None
    status: str
    people: tuple[tuple[int, str], ...]  # (person id, name): everyone, or the leads when searching
    leads: tuple[int, ...]
    sections: tuple[tuple[int, str], ...]  # (section id, heading), at most 100
    section_id: int | None
    everyone: int = 0  # how many people there are; over PICKER_LIMIT, the lead picker searches


def _option(value: str, text: str) -> dict:
    return {"text": plain(text, 75), "value": value}


def person_options(people: list[tuple[int, str]]) -> list[dict]:
    """The options a searchable lead picker offers (Slack's answer to a ``block_suggestion``)."""
    return [_option(str(pid), name) for pid, name in people[:PICKER_LIMIT]]


def _lead_picker(form: EditForm) -> dict:
    people = [_option(str(pid), name) for pid, name in form.people]
    chosen = [o for o in people if int(o["value"]) in form.leads]
    block: dict = {"type": "input", "block_id": "leads", "label": plain("Lead(s)")}
    if form.everyone > PICKER_LIMIT or len(people) > PICKER_LIMIT:
        # A static menu holds 100 options; past that, Slack asks the app as the person types.
        element = {"type": "multi_external_select", "action_id": LEAD_SEARCH, "min_query_length": 0}
        block["hint"] = plain(
            f"Type part of a name to search all {max(form.everyone, len(people)):,} people."
        )
    else:
        element = {"type": "multi_static_select", "action_id": INPUT, "options": people}
    if chosen:
        element["initial_options"] = chosen
    return {**block, "element": element}


def edit_modal(form: EditForm) -> dict:
    blocks = [
        section(f"Change *{escape(form.ref)}*. Every change is recorded with your name and the reason."),
        _text_input("title", "Title", multiline=True, max_length=2000, initial=form.title),
        _lead_picker(form),
        _text_input(
            "timescale",
            "Timescale",
            max_length=500,
            initial=form.timescale,
            optional=True,
            hint="As the plan writes it ('March 2027'); or pick a due date below instead.",
        ),
        {
            "type": "input",
            "block_id": "due",
            "optional": True,
            "label": plain("Or a new due date"),
            "element": {
                "type": "datepicker",
                "action_id": INPUT,
                **({"initial_date": form.due.isoformat()} if form.due else {}),
            },
        },
    ]
    if form.sections:
        options = [_option(str(sid), heading) for sid, heading in form.sections[:100]]
        element = {"type": "static_select", "action_id": INPUT, "options": options}
        current = [o for o in options if form.section_id is not None and o["value"] == str(form.section_id)]
        if current:
            element["initial_option"] = current[0]
        blocks.append(
            {
                "type": "input",
                "block_id": "section",
                "optional": True,
                "label": plain("Section"),
                "element": element,
            }
        )
    statuses = [_option(value, text) for value, text in STATUS_CHOICES]
    status_now = next((o for o in statuses if o["value"] == form.status), statuses[0])
    blocks += [
        {
            "type": "input",
            "block_id": "status",
            "label": plain("Status"),
            "element": {
                "type": "static_select",
                "action_id": INPUT,
                "options": statuses,
                "initial_option": status_now,
            },
        },
        _text_input("into", "Merged into (ref)", max_length=40, optional=True),
        _text_input(
            "reason",
            "Reason for the change",
            multiline=True,
            max_length=REASON_LIMIT,
            hint="Goes into the audit trail.",
        ),
    ]
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "private_metadata": json.dumps({"action_id": form.action_id}),
        "title": plain(f"Edit {form.ref}", 24),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class EditSubmission:
    title: str
    lead_ids: tuple[int, ...]
    timescale: str
    due: dt.date | None
    section_id: int | None
    status: str
    into: str
    reason: str


def value_of(values: dict, block: str) -> dict:
    return (values.get(block) or {}).get(INPUT) or {}


def text_of(values: dict, block: str) -> str:
    return (value_of(values, block).get("value") or "").strip()


def read_edit(values: dict) -> tuple[EditSubmission, dict[str, str]]:
    errors: dict[str, str] = {}
    picked = (values.get("leads") or {}).get(LEAD_SEARCH) or value_of(values, "leads")
    leads = tuple(
        int(o["value"]) for o in picked.get("selected_options") or [] if str(o.get("value", "")).isdigit()
    )
    raw_due = value_of(values, "due").get("selected_date")
    due = None
    if raw_due:
        try:
            due = dt.date.fromisoformat(raw_due)
        except ValueError:
            errors["due"] = "Please pick a date."
    section_value = (value_of(values, "section").get("selected_option") or {}).get("value")
    status = (value_of(values, "status").get("selected_option") or {}).get("value") or OPEN
    submission = EditSubmission(
        title=text_of(values, "title"),
        lead_ids=leads,
        timescale=text_of(values, "timescale"),
        due=due,
        section_id=int(section_value) if section_value and section_value.isdigit() else None,
        status=status if status in dict(STATUS_CHOICES) else OPEN,
        into=text_of(values, "into"),
        reason=text_of(values, "reason"),
    )
    if not submission.reason:
        errors["reason"] = "Say why: the audit trail records it."
    if not submission.title:
        errors["title"] = "An action needs a title."
    if not leads:
        errors["leads"] = "Pick at least one lead."
    if submission.status == MERGED and not submission.into:
        errors["into"] = "Which action does it merge into?"
    return submission, errors


# --- shared pieces ------------------------------------------------------------------------------


def _text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = False,
    max_length: int = 3000,
    optional: bool = False,
    initial: str | None = None,
    hint: str | None = None,
    placeholder: str | None = None,
) -> dict:
    element: dict = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder)
    block: dict = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def done_view(title: str, message_mrkdwn: str) -> dict:
    """What a modal turns into once its submission is stored (no Submit: nothing to send twice)."""
    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain("Done"),
        "blocks": [section(message_mrkdwn)],
    }


def challenge_select(options: list[tuple[str, int, int | None]]) -> dict | None:
    """A select of updates to challenge: (label, action id, update id); None when there are none."""
    if not options:
        return None
    items = [
        {"text": plain(label, 75), "value": json.dumps({"action_id": aid, "update_id": uid})}
        for label, aid, uid in options[:100]
    ]
    return {
        "type": "static_select",
        "action_id": CHALLENGE_PICK,
        "placeholder": plain("Challenge an update…"),
        "options": items,
    }


def challenge_picker(options: list[tuple[str, int, int | None]], *, block_id: str) -> dict | None:
    element = challenge_select(options)
    return None if element is None else {"type": "actions", "block_id": block_id, "elements": [element]}


def request_menu(proposal_id: int, ref: str, proposed: dt.date) -> dict:
    """An overflow menu (Agree / Decline…) for a date request listed on the Home tab."""
    return {
        "type": "overflow",
        "action_id": REQUEST_MENU,
        "options": [
            {
                "text": plain(f"Agree {day(proposed)}", 75),
                "value": json.dumps({"op": "agree", "proposal_id": proposal_id}),
            },
            {
                "text": plain("Decline…", 75),
                "value": json.dumps({"op": "decline", "proposal_id": proposal_id}),
            },
        ],
    }
