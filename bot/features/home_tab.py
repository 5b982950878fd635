"""The App Home tab: my actions, and for board members and admins each plan's panel (RAG counts,
exceptions, recent changes, the next meeting, what waits for a decision, updates to challenge)."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session

from bot.board import meeting_lines
from bot.features.asking import report_data
from bot.permissions import is_known, standing, viewer
from bot.queries import all_plans, cards_for_person, lead_cards
from bot.services import Services
from report import summaries
from report.data import ReportData
from slackviews import home as home_views
from slackviews.text import escape, truncate
from storage.errors import NotFound
from storage.governance import load_governance
from storage.models import Plan

log = logging.getLogger(__name__)
BOARD_PANEL_DAYS = 14  # the panel's changes and challengeable updates: the last fortnight


def home(services: Services, uid: str) -> dict:
    """The Home tab view for one person."""
    with services.read_factory.begin() as session:
        # A lead who is not a reader, the common case (the outbox renders it after each of their
        # updates): three statements and plain rows.
        me = standing(session, uid)
        if me is not None and not me.reader:
            if not me.known:
                return home_views.outsider_home()
            cards = lead_cards(session, me.person_id, services.settings.tz)
            name, board = me.display_name, None
        else:
            who = viewer(session, uid)
            if not is_known(session, who):
                return home_views.outsider_home()
            cards = cards_for_person(session, who.person, services.settings.tz) if who.person else []
            board = None
            if who.reader:
                try:
                    plans = all_plans(session)
                except NotFound as exc:
                    board = [home_views.BoardPanel(overall=None, exceptions=(), changes=None, note=str(exc))]
                else:
                    board = [board_panel(services, session, plan) for plan in plans]
            name = who.person.display_name if who.person else ""
    return home_views.home_view(name=name, cards=cards, today=services.today(), board=board)


def board_panel(services: Services, session: Session, plan: Plan) -> home_views.BoardPanel:
    """One plan's panel for board members and admins."""
    data = report_data(services, session, plan)
    since = services.now().astimezone(services.settings.tz) - dt.timedelta(days=BOARD_PANEL_DAYS)
    if data.updates_since is None or dt.datetime.fromisoformat(data.updates_since) > since:
        data = report_data(services, session, plan, since)
    return home_views.BoardPanel(
        overall=summaries.overall(data),
        exceptions=summaries.red_only(data).items + summaries.overdue(data).items,
        changes=summaries.changes_since(data, since),
        plan_id=plan.id,
        meeting=meeting_lines(session, plan, services.now(), services.settings),
        waiting=waiting(session, plan, data),
        challengeable=tuple(
            (f"{u.ref} · {u.author or 'someone'} · {u.rag_given or 'no RAG'}", u.action_id, u.update_id)
            for u in reversed(data.recent_updates)
            if u.text and dt.datetime.fromisoformat(u.submitted_at) >= since
        ),
    )


def waiting(session: Session, plan: Plan, data: ReportData) -> tuple[home_views.WaitingItem, ...]:
    """Date requests and completions awaiting sign-off, oldest request first."""
    rows = {r.id: r for r in data.actions}
    items = []
    for action_id, gov in load_governance(session, plan.id).items():
        p = gov.proposal
        if p is None or action_id not in rows:
            continue
        row = rows[action_id]
        old = row.due or "no date"
        text = f"📅 {escape(p.by)} asks for {p.proposed_due:%-d %b %Y} (due {old}): {escape(truncate(p.reason, 300))}"
        items.append(home_views.WaitingItem(action_id, row.ref, row.title, text, p.id, p.proposed_due))
    for row in data.actions:
        if row.completion == "awaiting":
            text = f"✔️ Marked complete{' with evidence' if row.evidence else ', no evidence given'}: awaiting sign-off"
            items.append(home_views.WaitingItem(row.id, row.ref, row.title, text))
    return tuple(items)


def publish_home(services: Services, uid: str) -> None:
    """Publish a person's Home tab (the outbox's ``home_refresh``, and ``app_home_opened``)."""
    services.client.views_publish(user_id=uid, view=home(services, uid))


def refresh_home(services: Services, uid: str) -> None:
    """Re-publish a person's Home tab after a decision made on it; best effort, never an error."""
    try:
        publish_home(services, uid)
    except Exception:  # the decision is stored and confirmed; the Home tab catches up when opened
        log.warning("could not refresh the Home tab of %s", uid, exc_info=True)
