"""The form's pages: server-rendered HTML, no JavaScript, no external assets. Pure functions.

Built for a phone first (one column, 16 px text, large targets; readable at 360 px wide) and for
WCAG AA: every input has a label, errors are words beside the field (and listed at the top, linked),
the RAG is a word on its colour, never colour alone, and every text/background pair is 4.5:1 or more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mail.html import e, rag_badge
from slackviews.common import ActionCard
from storage.updates import TEXT_LIMIT
from web.forms import ActionInput
from web.service import FormView

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f3f2f1;color:#0b0c0c;font:16px/1.5 Arial,Helvetica,sans-serif}
main{max-width:760px;margin:0 auto;padding:16px}
header{background:#0b3d6b;color:#ffffff;padding:12px 16px}
header p{margin:0;max-width:760px;margin:0 auto;font-weight:bold}
h1{font-size:1.5rem;line-height:1.25;margin:8px 0 12px}
h2{font-size:1.15rem;margin:0 0 4px}
p{margin:0 0 12px}
a{color:#0b5394}
a:focus,input:focus,textarea:focus,button:focus{outline:3px solid #ffbf47;outline-offset:2px}
.card{background:#ffffff;border:1px solid #b1b4b6;border-radius:6px;padding:16px;margin:0 0 16px}
.action{border:0;margin:0;padding:0;min-width:0}
.action>legend{padding:0;font-weight:bold;font-size:1.1rem;margin-bottom:4px}
.meta{color:#383f43;font-size:.95rem;margin:0 0 12px;overflow-wrap:anywhere}
.last{border-left:4px solid #b1b4b6;padding:4px 0 4px 10px;margin:0 0 12px;color:#383f43;font-size:.95rem;overflow-wrap:anywhere}
.rag{display:inline-block;padding:1px 8px;border-radius:3px;font-weight:bold;font-size:.9rem}
.field{margin:0 0 16px}
.field>label,.choices>legend{display:block;font-weight:bold;margin:0 0 4px}
.hint{display:block;color:#383f43;font-size:.9rem;margin:0 0 6px}
.choices{border:0;margin:0 0 16px;padding:0;min-width:0}
.choices .choice{display:flex;align-items:flex-start;gap:10px;padding:8px 4px;border-radius:4px}
.choices .choice input{width:22px;height:22px;margin:2px 0 0;flex:none;accent-color:#0b3d6b}
.choices .choice .why{display:block;color:#383f43;font-size:.9rem}
textarea,input[type=url],input[type=date],input[type=text]{display:block;width:100%;font:inherit;color:#0b0c0c;
 background:#ffffff;border:2px solid #0b0c0c;border-radius:0;padding:8px}
textarea{min-height:8em;resize:vertical}
input[type=date]{max-width:14em}
.invalid textarea,.invalid input[type=url],.invalid input[type=date],.invalid input[type=text]{border-color:#b00020}
.invalid{border-left:4px solid #b00020;padding-left:10px}
.error{color:#b00020;font-weight:bold;margin:0 0 6px}
.summary{border:4px solid #b00020;background:#ffffff;padding:12px 16px;margin:0 0 16px}
.summary h2{color:#0b0c0c}
.summary ul{margin:0;padding-left:20px}
.summary a{color:#b00020;font-weight:bold}
.notice{border-left:6px solid #0b3d6b;background:#ffffff;padding:12px 16px;margin:0 0 16px}
.ok{border-left-color:#00703c}
button{font:inherit;font-weight:bold;color:#ffffff;background:#00703c;border:0;border-radius:4px;padding:12px 20px;
 min-height:48px;box-shadow:0 2px 0 #002d18;cursor:pointer}
button.secondary{background:#0b3d6b;box-shadow:0 2px 0 #04203a}
.small{font-size:.9rem;color:#383f43}
dl{margin:0}dt{font-weight:bold}dd{margin:0 0 8px;overflow-wrap:anywhere}
"""


def _date(day: dt.date | None) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}" if day else "no date"


def page(title: str, body: str, *, heading_bar: str = "Action plan progress update") -> str:
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="same-origin"><meta name="robots" content="noindex,nofollow">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body><header><p>{e(heading_bar)}</p></header><main>{body}</main></body></html>"
    )


def _due_line(card: ActionCard, today: dt.date) -> str:
    parts = [f"Due: {e(_date(card.due))}" if card.due else f"Timescale: {e(card.timescale or 'not set')}"]
    if card.due and card.due < today:
        parts[0] += f" ({(today - card.due).days} days overdue)"
    parts.append(f"Current RAG: {rag_badge(card.rag, card.rag_colour)}")
    return " · ".join(parts)


def _last(card: ActionCard) -> str:
    if card.last is None:
        return '<p class="last">No update yet.</p>'
    text = card.last.text if len(card.last.text) <= 400 else card.last.text[:399].rstrip() + "…"
    who = f" by {e(card.last.author)}" if card.last.author else ""
    return f'<p class="last"><strong>Last update</strong> {e(_date(card.last.date))}{who}: {e(text)}</p>'


@dataclass(frozen=True)
class FormState:
    """What the person typed, and what was wrong with it, to show the form again with nothing lost."""

    inputs: dict[int, ActionInput]
    errors: dict[tuple[int, str], str]
    form_error: str | None = None


def _error(aid: int, name: str, errors: dict[tuple[int, str], str]) -> tuple[str, str, str]:
    """(wrapper class, error paragraph, aria attributes) for one field."""
    message = errors.get((aid, name))
    if not message:
        return "field", "", ""
    eid = f"{name}-{aid}-error"
    return (
        "field invalid",
        f'<p class="error" id="{eid}">Error: {e(message)}</p>',
        f' aria-describedby="{eid}" aria-invalid="true"',
    )


def _rag_choices(view: FormView, card: ActionCard, value: str, errors: dict[tuple[int, str], str]) -> str:
    aid = card.id
    cls, err, aria = _error(aid, "rag", errors)
    rows = [
        f'<label class="choice" for="rag-{aid}-none"><input type="radio" id="rag-{aid}-none" name="rag-{aid}" '
        f'value=""{" checked" if not value else ""}{aria}><span><strong>No change</strong>'
        f'<span class="why">Keep the current RAG ({e(card.rag or "none yet")})</span></span></label>'
    ]
    for n, state in enumerate(sorted(view.scheme.states, key=lambda s: s.rank)):
        checked = " checked" if value == state.label else ""
        why = f'<span class="why">{e(state.meaning)}</span>' if state.meaning else ""
        rows.append(
            f'<label class="choice" for="rag-{aid}-{n}"><input type="radio" id="rag-{aid}-{n}" '
            f'name="rag-{aid}" value="{e(state.label)}"{checked}{aria}>'
            f"<span>{rag_badge(state.label, state.colour)}{why}</span></label>"
        )
    invalid = " invalid" if "invalid" in cls else ""
    return f'<fieldset class="choices{invalid}"><legend>RAG status</legend>{err}{"".join(rows)}</fieldset>'


def _action_fields(view: FormView, card: ActionCard, state: FormState, today: dt.date) -> str:
    aid = card.id
    typed = state.inputs.get(aid) or ActionInput(action_id=aid)
    covering = view.covering.get(aid)
    behalf = f'<p class="meta">You are covering for {e(covering)}.</p>' if covering else ""
    t_cls, t_err, t_aria = _error(aid, "text", state.errors)
    u_cls, u_err, u_aria = _error(aid, "evidence", state.errors)
    d_cls, d_err, d_aria = _error(aid, "date", state.errors)
    t_aria = t_aria or f' aria-describedby="text-{aid}-hint"'
    return (
        f'<section class="card" id="action-{aid}"><fieldset class="action">'
        f"<legend>{e(card.ref)} {e(card.title)}</legend>"
        f'<p class="meta">{_due_line(card, today)}</p>{behalf}{_last(card)}'
        f"{_rag_choices(view, card, typed.rag, state.errors)}"
        f'<div class="{t_cls}"><label for="text-{aid}">Progress update</label>'
        f'<span class="hint" id="text-{aid}-hint">What has happened since the last update. Up to {TEXT_LIMIT:,} characters.</span>'
        f'{t_err}<textarea id="text-{aid}" name="text-{aid}" rows="5"{t_aria}>'
        f"{e(typed.text)}</textarea></div>"
        f'<div class="{u_cls}"><label for="evidence-{aid}">Evidence link (optional)</label>'
        f'<span class="hint">A web address, starting https://</span>{u_err}'
        f'<input type="url" inputmode="url" id="evidence-{aid}" name="evidence-{aid}" '
        f'value="{e(typed.evidence)}"{u_aria}></div>'
        f'<div class="{d_cls}"><label for="date-{aid}">Proposed new date (optional)</label>'
        f'<span class="hint">Only if the timescale needs to change. The board decides.</span>{d_err}'
        f'<input type="date" id="date-{aid}" name="date-{aid}" value="{e(typed.date)}"{d_aria}></div>'
        "</fieldset></section>"
    )


def _summary(view: FormView, state: FormState) -> str:
    if not state.errors and not state.form_error:
        return ""
    refs = {c.id: c.ref for c in view.cards}
    items = [f"<li>{e(state.form_error)}</li>"] if state.form_error else []
    names = {"rag": "RAG", "text": "progress", "evidence": "evidence link", "date": "proposed date"}
    for (aid, name), message in state.errors.items():
        target = f"rag-{aid}-none" if name == "rag" else f"{name}-{aid}"
        items.append(f'<li><a href="#{target}">{e(refs.get(aid, ""))} {names[name]}: {e(message)}</a></li>')
    return (
        '<div class="summary" role="alert" tabindex="-1"><h2>There is a problem. Nothing has been saved yet.</h2>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def form_page(
    view: FormView,
    state: FormState,
    *,
    csrf: str,
    nonce: str,
    action_url: str,
    today: dt.date,
    expires: dt.date,
) -> str:
    if not view.cards:
        body = (
            f'<h1>{e(view.plan_title)}</h1><div class="notice"><p>Hello {e(view.person_name)}. '
            "You have no open actions in this plan right now. Thank you.</p></div>"
        )
        return page(view.plan_title, body)
    count = len(view.cards)
    intro = (
        f"<h1>{e(view.plan_title)}</h1>"
        f"<p>Hello {e(view.person_name)}. You lead {count} open action{'s' if count != 1 else ''} in this plan. "
        "Fill in the ones you have news on, then press <strong>Save my updates</strong> at the bottom.</p>"
    )
    actions = "".join(_action_fields(view, c, state, today) for c in view.cards)
    form = (
        f'<form method="post" action="{e(action_url)}" novalidate accept-charset="utf-8">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="nonce" value="{e(nonce)}">'
        f'{actions}<p><button type="submit">Save my updates</button></p></form>'
        f'<p class="small">This page is personal to you: the link works until {e(_date(expires))}. '
        "Please don't forward it.</p>"
    )
    return page(f"Update: {view.plan_title}", intro + _summary(view, state) + form)


@dataclass(frozen=True)
class SavedLine:
    ref: str
    title: str
    rag: str | None
    rag_colour: str | None
    text: str
    evidence_url: str | None
    proposed_due: dt.date | None


def confirmation_page(plan: str, lines: list[SavedLine], *, again_url: str, already: bool) -> str:
    rows = []
    for line in lines:
        extra = ""
        if line.evidence_url:
            extra += f"<dt>Evidence</dt><dd>{e(line.evidence_url)}</dd>"
        if line.proposed_due:
            extra += f"<dt>Proposed new date</dt><dd>{e(_date(line.proposed_due))}</dd>"
        rag = rag_badge(line.rag, line.rag_colour) if line.rag else "unchanged"
        rows.append(
            f'<section class="card"><h2>{e(line.ref)} {e(line.title)}</h2><dl>'
            f"<dt>RAG</dt><dd>{rag}</dd><dt>Progress</dt><dd>{e(line.text)}</dd>{extra}</dl></section>"
        )
    head = "Already saved" if already else "Saved. Thank you."
    note = (
        "These updates were already saved; nothing was stored twice."
        if already
        else "Your updates are stored, and a confirmation is on its way to your email."
    )
    body = (
        f'<h1>{head}</h1><div class="notice ok" role="status"><p>{e(note)}</p></div>'
        f"<p>{e(plan)}</p>{''.join(rows)}"
        f'<p><a href="{e(again_url)}">Add or correct an update</a></p>'
    )
    return page(f"{head}: {plan}", body)


def expired_page(*, renew_url: str, csrf: str, nonce: str, kept: list[tuple[str, str]] | None = None) -> str:
    """``kept``: (ref, text) the person typed into a form whose link expired meanwhile: not saved, but
    shown back so they can copy it into the new link's form."""
    keep = ""
    if kept:
        boxes = "".join(
            f'<div class="field"><label for="kept-{n}">{e(ref)}: what you wrote</label>'
            f'<textarea id="kept-{n}" readonly rows="4">{e(text)}</textarea></div>'
            for n, (ref, text) in enumerate(kept)
        )
        keep = f'<section class="card"><h2>Not saved: copy it from here</h2>{boxes}</section>'
    body = (
        "<h1>This link has expired</h1>"
        '<div class="notice"><p>Links to the update form work for a limited time, to keep your actions safe.</p>'
        "<p>We can email a new link to the address we have for you.</p></div>"
        f"{keep}"
        f'<form method="post" action="{e(renew_url)}">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="nonce" value="{e(nonce)}">'
        '<button type="submit" class="secondary">Send me a new link</button></form>'
    )
    return page("This link has expired", body)


def new_link_page(*, masked_address: str, queued: bool, last_sent: dt.datetime | None, tz: dt.tzinfo) -> str:
    if queued:
        text = f"A new link is on its way to {masked_address}. It can take a few minutes to arrive."
    else:
        when = f" at {last_sent.astimezone(tz):%H:%M on %a %d %b}" if last_sent else ""
        text = (
            f"A new link was already sent to {masked_address}{when}. Please check your inbox and junk folder; "
            "you can ask again later."
        )
    return page("New link", f'<h1>New link</h1><div class="notice ok" role="status"><p>{e(text)}</p></div>')


def message_page(title: str, text: str) -> str:
    return page(title, f'<h1>{e(title)}</h1><div class="notice"><p>{e(text)}</p></div>')
