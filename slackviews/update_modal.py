"""The update modal: what it shows, and reading what was submitted (both pure).

``private_metadata`` carries ``{"action_id": int, "reminder_message_id": int | null}`` so the submission
knows what it answers without any state outside the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from slackviews.common import ActionCard, context, due_text, emoji_for, rag_badge, section
from slackviews.text import (
    EVIDENCE_NOTE_LIMIT,
    EVIDENCE_URL_LIMIT,
    OPTION_DESCRIPTION_LIMIT,
    PROGRESS_TEXT_LIMIT,
    escape,
    excerpt,
    plain,
)
from storage.rag import RagScheme

CALLBACK_ID = "progress_update"
BLOCK_RAG = "rag"
BLOCK_PROGRESS = "progress"
BLOCK_EVIDENCE = "evidence"
BLOCK_EVIDENCE_NOTE = "evidence_note"
BLOCK_PROPOSED_DUE = "proposed_due"
INPUT = "value"  # every input's action_id; the block id names the field

# record_update's InvalidInput.field -> the block where Slack shows the error.
FIELD_TO_BLOCK = {
    "rag": BLOCK_RAG,
    "text": BLOCK_PROGRESS,
    "progress": BLOCK_PROGRESS,
    "evidence": BLOCK_EVIDENCE,
    "evidence_url": BLOCK_EVIDENCE,
    "evidence_note": BLOCK_EVIDENCE_NOTE,
    "proposed_due": BLOCK_PROPOSED_DUE,
    "due": BLOCK_PROPOSED_DUE,
}


@dataclass(frozen=True)
class ModalMetadata:
    action_id: int
    reminder_message_id: int | None = None

    def dumps(self) -> str:
        return json.dumps({"action_id": self.action_id, "reminder_message_id": self.reminder_message_id})

    @classmethod
    def loads(cls, raw: str) -> ModalMetadata:
        data = json.loads(raw or "{}")
        reminder = data.get("reminder_message_id")
        return cls(action_id=int(data["action_id"]), reminder_message_id=int(reminder) if reminder else None)


@dataclass(frozen=True)
class Submission:
    rag: str | None
    text: str
    evidence_url: str | None
    proposed_due: dt.date | None
    evidence_note: str | None = None


def update_modal(
    card: ActionCard, scheme: RagScheme, metadata: ModalMetadata, *, on_behalf_of: str = ""
) -> dict:
    intro = f"*{escape(card.ref)}* {escape(card.title)}\nDue: {due_text(card)}"
    if on_behalf_of:
        intro += f"\n_You are updating this on behalf of {escape(on_behalf_of)}._"
    if card.last is not None:
        last = (
            f"Last update, {card.last.date:%-d %b %Y} ({rag_badge(card.rag, card.rag_colour)}): "
            f"{excerpt(card.last.text, 400)}"
        )
    else:
        last = f"No update yet. Current RAG: {rag_badge(card.rag, card.rag_colour)}"
    options = [
        {
            "text": plain(f"{emoji_for(s.colour)} {s.label}", 75),
            "value": s.label,
            **({"description": plain(s.meaning, OPTION_DESCRIPTION_LIMIT)} if s.meaning else {}),
        }
        for s in sorted(scheme.states, key=lambda s: s.rank)
    ]
    blocks = [
        section(intro),
        context(last),
        {
            "type": "input",
            "block_id": BLOCK_RAG,
            "label": plain("RAG status"),
            "element": {"type": "radio_buttons", "action_id": INPUT, "options": options},
        },
        {
            "type": "input",
            "block_id": BLOCK_PROGRESS,
            "label": plain("Progress"),
            "hint": plain(
                f"What has happened since the last update? At most {PROGRESS_TEXT_LIMIT:,} characters."
            ),
            "element": {
                "type": "plain_text_input",
                "action_id": INPUT,
                "multiline": True,
                "max_length": PROGRESS_TEXT_LIMIT,
                "placeholder": plain("e.g. Forum designed, first session booked for January"),
            },
        },
        {
            "type": "input",
            "block_id": BLOCK_EVIDENCE,
            "optional": True,
            "label": plain("Evidence link"),
            "element": {"type": "url_text_input", "action_id": INPUT},
        },
        {
            "type": "input",
            "block_id": BLOCK_EVIDENCE_NOTE,
            "optional": True,
            "label": plain("Evidence note"),
            "hint": plain(
                "Evidence that is not a link: where the board can see it. Completion needs a link or a note."
            ),
            "element": {
                "type": "plain_text_input",
                "action_id": INPUT,
                "multiline": True,
                "max_length": EVIDENCE_NOTE_LIMIT,
            },
        },
        {
            "type": "input",
            "block_id": BLOCK_PROPOSED_DUE,
            "optional": True,
            "label": plain("Propose a new timescale"),
            "hint": plain(
                "Sent to the board to agree, with your progress as the reason; the due date changes once agreed."
            ),
            "element": {"type": "datepicker", "action_id": INPUT},
        },
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": metadata.dumps(),
        "title": plain(f"Update {card.ref}", 24),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def _value(values: dict, block: str) -> dict:
    return (values.get(block) or {}).get(INPUT) or {}


def read_submission(values: dict) -> tuple[Submission, dict[str, str]]:
    """The submitted fields, and errors by block id for what cannot be accepted as typed."""
    errors: dict[str, str] = {}
    rag = (_value(values, BLOCK_RAG).get("selected_option") or {}).get("value")
    text = (_value(values, BLOCK_PROGRESS).get("value") or "").strip()
    evidence = (_value(values, BLOCK_EVIDENCE).get("value") or "").strip() or None
    note = (_value(values, BLOCK_EVIDENCE_NOTE).get("value") or "").strip() or None
    raw_due = _value(values, BLOCK_PROPOSED_DUE).get("selected_date")
    if not text:
        errors[BLOCK_PROGRESS] = "Please say what has happened."
    elif len(text) > PROGRESS_TEXT_LIMIT:
        errors[BLOCK_PROGRESS] = f"That is {len(text):,} characters; the limit is {PROGRESS_TEXT_LIMIT:,}."
    if evidence is not None:
        if len(evidence) > EVIDENCE_URL_LIMIT:
            errors[BLOCK_EVIDENCE] = f"The link is longer than {EVIDENCE_URL_LIMIT:,} characters."
        elif not evidence.lower().startswith(("http://", "https://")):
            errors[BLOCK_EVIDENCE] = "Please give a web link starting with http:// or https://."
    if note is not None and len(note) > EVIDENCE_NOTE_LIMIT:
        errors[BLOCK_EVIDENCE_NOTE] = f"The note is longer than {EVIDENCE_NOTE_LIMIT:,} characters."
    proposed: dt.date | None = None
    if raw_due:
        try:
            proposed = dt.date.fromisoformat(raw_due)
        except ValueError:
            errors[BLOCK_PROPOSED_DUE] = "Please pick a date."
    submission = Submission(
        rag=rag, text=text, evidence_url=evidence, proposed_due=proposed, evidence_note=note
    )
    return submission, errors


def values_fingerprint(values: dict) -> str:
    """A stable digest of what was typed: the same view submitted twice with the same values matches."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def saving_view(submitted: dict) -> dict:
    """What the modal shows between the acknowledgement and the stored update (no Submit: no resubmits)."""
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}_saving",
        "private_metadata": submitted.get("private_metadata", ""),
        "title": submitted.get("title") or plain("Update"),
        "close": plain("Close"),
        "blocks": [section("⏳ Saving your update…")],
    }


def saved_view(submitted: dict, message_mrkdwn: str) -> dict:
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}_saved",
        "title": submitted.get("title") or plain("Update"),
        "close": plain("Done"),
        "blocks": [section(message_mrkdwn)],
    }


def retry_view(submitted: dict, submission: Submission, problem: str) -> dict:
    """The form again, filled in with what was typed, and the problem on top: nothing is lost.

    Built from the submitted view alone, so it works when the database is down.
    """
    blocks = []
    for block in submitted.get("blocks") or []:
        if block.get("block_id") == "problem":
            continue
        block = json.loads(json.dumps(block))
        element = block.get("element") or {}
        field = block.get("block_id")
        if field == BLOCK_RAG and submission.rag:
            chosen = [o for o in element.get("options", []) if o.get("value") == submission.rag]
            if chosen:
                element["initial_option"] = chosen[0]
        elif field == BLOCK_PROGRESS and submission.text:
            element["initial_value"] = submission.text
        elif field == BLOCK_EVIDENCE and submission.evidence_url:
            element["initial_value"] = submission.evidence_url
        elif field == BLOCK_EVIDENCE_NOTE and submission.evidence_note:
            element["initial_value"] = submission.evidence_note
        elif field == BLOCK_PROPOSED_DUE and submission.proposed_due:
            element["initial_date"] = submission.proposed_due.isoformat()
        blocks.append(block)
    problem_block = {**section(f"⚠️ {escape(problem)}"), "block_id": "problem"}
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": submitted.get("private_metadata", ""),
        "title": submitted.get("title") or plain("Update"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [problem_block, *blocks],
    }
