"""Run the real Slack app over HTTP against the fake Slack server, for the bot's end-to-end tests.

``slack_app`` fixture: a migrated SQLite database with a small plan, the WSGI app of ``progressbot web`` on
a threaded stdlib server (ephemeral port), its WebClient pointed at ``fake_slack``, and a fixed clock.
Requests are signed exactly like Slack's (tests/slack_signing.py).

People: Jo (U0JO) leads 3.2 and 3.3; Sam (U0SAM) leads 4.1; U0ADMIN is an admin, U0BOARD a board
member, U0OUT an outsider. Reminder 1 (ts R1 in DU0JO) lists 3.2 and 3.3; reminder 2 (ts R2) lists 3.2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.wsgi import make_server, make_wsgi_app
from storage.models import (
    Action,
    ActionLead,
    Person,
    Plan,
    RagState,
    ReminderEntry,
    ReminderMessage,
    Role,
    Update,
)
from tests.support import slack_signing as signing
from tests.support.blockkit import ack_problems
from tests.support.fakeslack import FakeSlack

SECRET = "test-signing-secret"
JO, SAM, ADMIN, BOARD, OUTSIDER = "U0JO", "U0SAM", "U0ADMIN", "U0BOARD", "U0OUT"
BRAG = [
    ("Red", "#FF0000", "Off track", False),
    ("Amber", "#FFC000", "Some risk, being managed", False),
    ("Green", "#00B050", "On track", False),
    ("Blue", "#0070C0", "Complete", True),
]
R1, R2 = "1699999999.000100", "1699999999.000200"


@dataclass
class Bot:
    fake: FakeSlack
    url: str
    database: Any
    now: dt.datetime
    ids: dict[str, int]
    app: Any = None
    last_ack: dict = dataclasses.field(default_factory=dict)
    services: Any = None  # the app's Services, whose after-ack executor tests can wait on

    def settle(self) -> None:
        """Wait until the work the app does after its acknowledgements is done: the after-ack tasks and
        the outbox (what stored updates owe Slack)."""
        self.services.executor.wait_idle()
        deadline = time.monotonic() + 10
        while self.outbox_rows():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.outbox_rows()} outbox row(s) still owed")
            self.services.drainer.kick()
            time.sleep(0.01)  # a poll interval, not a timing assumption
        self.services.executor.wait_idle()

    def post(self, request: signing.Request, **kwargs) -> tuple[int, dict[str, str], str]:
        status, headers, body = signing.post(self.url, request, SECRET, **kwargs)
        if status == 200:  # every acknowledgement is checked the way Slack would check it
            assert not ack_problems(body), (ack_problems(body), body[:500])
        return status, headers, body

    def command(self, text: str, user: str) -> tuple[int, str]:
        status, _, body = self.post(
            signing.slash_command(text, user_id=user, response_url=self.fake.response_url)
        )
        return status, body

    def ack_json(self, text: str, user: str) -> dict:
        status, body = self.command(text, user)
        assert status == 200, body
        return json.loads(body)

    def updates(self) -> list[Update]:
        with self.database.session_factory() as session:
            return list(session.scalars(select(Update).order_by(Update.id)))

    def outbox_rows(self) -> int:
        """Slack work still owed (the outbox drains it after each response)."""
        from storage.outbox import waiting

        with self.database.session_factory() as session:
            return waiting(session)

    def opened_view(self, index: int = -1) -> dict:
        return self.fake.wait_for("views.open", abs(index) if index < 0 else index + 1)[index].response[
            "view"
        ]

    def submit(
        self,
        view: dict,
        *,
        user: str,
        rag: str | None,
        text: str,
        evidence: str | None = None,
        proposed: str | None = None,
    ) -> tuple[int, str]:
        values: dict[str, Any] = {
            "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": rag} if rag else None}},
            "progress": {"value": {"type": "plain_text_input", "value": text}},
            "evidence": {"value": {"type": "url_text_input", "value": evidence}},
            "proposed_due": {"value": {"type": "datepicker", "selected_date": proposed}},
        }
        status, _, body = self.post(signing.view_submission(view, values, user_id=user))
        self.last_ack = json.loads(body) if status == 200 and body else {}
        return status, body

    def modal_after_submit(self) -> dict:
        """The modal as the submission's acknowledgement left it ("Saved": stored before the ack)."""
        assert self.last_ack.get("response_action") == "update", self.last_ack
        return self.last_ack["view"]

    def dm(
        self,
        user: str,
        text: str,
        *,
        ts: str,
        thread_ts: str | None,
        event_id: str | None = None,
        retry_num: int | None = None,
        channel: str | None = None,
    ) -> int:
        event = signing.dm_message(
            user_id=user, text=text, channel=channel or "D" + user, ts=ts, thread_ts=thread_ts
        )
        status, _, _ = self.post(signing.event_callback(event, event_id=event_id), retry_num=retry_num)
        return status

    def click(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        thread_ts: str | None = None,
        response_url: str | None = None,
    ) -> int:
        status, _, _ = self.post(
            signing.block_actions(
                user_id=user,
                action_id=action_id,
                value=value,
                channel_id=channel,
                message_ts=message_ts,
                thread_ts=thread_ts,
                response_url=response_url,
            )
        )
        return status

    def add_plan(self, name: str, title: str, actions: list[tuple[str, str, dt.date]]) -> dict[str, int]:
        """A second (third…) plan with the same RAG scheme; ``actions``: (ref, lead key "jo"/"sam", due)."""
        with self.database.session_factory.begin() as session:
            plan = _plan(name, title)
            session.add(plan)
            session.flush()
            ids = {}
            for pos, (ref, lead, due) in enumerate(actions):
                lead_text = {"jo": "Jo Bloggs", "sam": "Sam Smith"}[lead]
                action = _action(plan.id, pos, ref, due, self.ids[lead], f"{title} {ref}", lead_text)
                session.add(action)
                session.flush()
                ids[ref] = action.id
            return {"plan": plan.id, **ids}


def _plan(name: str, title: str) -> Plan:
    plan = Plan(name=name, title=title, reference_date=dt.date(2026, 1, 1))
    for rank, (label, colour, meaning, complete) in enumerate(BRAG):
        plan.rag_states.append(
            RagState(
                label=label,
                rank=rank,
                colour=colour,
                meaning=meaning,
                is_complete=complete,
                aliases=[label[0]],
            )
        )
    return plan


def _action(
    plan_id: int, pos: int, ref: str, due: dt.date, person_id: int, title: str, lead_text: str
) -> Action:
    action = Action(
        plan_id=plan_id,
        ref=ref,
        position=pos,
        title=title,
        due_date=due,
        schedule="once",
        timescale=due.strftime("%B %Y"),
    )
    action.leads.append(ActionLead(person_id=person_id, position=0, lead_text=lead_text))
    return action


def seed(session) -> dict[str, int]:
    plan = _plan("improvement", "Improvement Plan")
    session.add(plan)
    session.flush()
    jo = Person(display_name="Jo Bloggs", name="Jo Bloggs", slack_user_id=JO, email="jo@example.org")
    sam = Person(display_name="Sam Smith", name="Sam Smith", slack_user_id=SAM)
    session.add_all([jo, sam])
    session.flush()
    ids = {}
    for pos, (ref, lead, due) in enumerate(
        [
            ("3.2", jo, dt.date(2026, 12, 1)),
            ("3.3", jo, dt.date(2026, 11, 1)),
            ("4.1", sam, dt.date(2027, 3, 31)),
        ]
    ):
        action = Action(
            plan_id=plan.id,
            ref=ref,
            position=pos,
            title=f"Action {ref} title",
            due_date=due,
            schedule="once",
            timescale=due.strftime("%B %Y"),
        )
        action.leads.append(ActionLead(person_id=lead.id, position=0, lead_text=lead.display_name))
        session.add(action)
        session.flush()
        ids[ref] = action.id
    session.add_all([Role(slack_user_id=ADMIN, role="admin"), Role(slack_user_id=BOARD, role="board")])
    for step, (ts, refs) in enumerate(((R1, ["3.2", "3.3"]), (R2, ["3.2"]))):
        items = [
            {
                "action_id": ids[ref],
                "ref": ref,
                "title": f"Action {ref} title",
                "kind": "before",
                "due": "2026-12-01",
                "days": 8,
            }
            for ref in refs
        ]
        message = ReminderMessage(
            person_id=jo.id,
            slack_user_id=JO,
            channel="D" + JO,
            ts=ts,
            kind="reminder",
            status="sent",
            payload={"items": items, "text": "Progress reminder"},
            sent_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC),
        )
        session.add(message)
        session.flush()
        ids[ts] = message.id
        for ref in refs:
            session.add(
                ReminderEntry(
                    action_id=ids[ref],
                    person_id=jo.id,
                    due_date=dt.date(2026, 12, 1),
                    kind="before",
                    step=step,
                    status="sent",
                    message_id=message.id,
                )
            )
    ids["jo"], ids["sam"] = jo.id, sam.id
    session.flush()
    return ids


@pytest.fixture
def slack_app(fake_slack: FakeSlack, database, settings, now):
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    with database.session_factory.begin() as session:
        ids = seed(session)
    for ts in (R1, R2):
        fake_slack.add_message("D" + JO, ts, text="Progress reminder")
    app = create_app(settings, database.session_factory, clock=lambda: now)
    with running(app) as url:
        yield Bot(
            fake=fake_slack,
            url=url,
            database=database,
            now=now,
            ids=ids,
            app=app,
            services=app.progressbot_services,
        )


@contextlib.contextmanager
def running(app):
    """The app's WSGI server on an ephemeral port (yields its events URL); after-ack work is waitable."""
    track_after_ack(app)
    # Coalescing Home refreshes has its own test; elsewhere a short window keeps the tests quick.
    app.progressbot_services.home_refresh_delay = 0.05
    server = make_server(make_wsgi_app(app), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.progressbot_shutdown(10)  # work after ack() and the outbox finish before the fake Slack stops


def track_after_ack(app) -> None:
    """Swap the app's after-ack executor for one tests can wait on (``Bot.settle``)."""
    from bot.services import AFTER_ACK_THREADS
    from tests.support.idle import IdleTrackingExecutor

    services = app.progressbot_services
    services.executor = IdleTrackingExecutor(
        max_workers=AFTER_ACK_THREADS, thread_name_prefix="slack-after-ack"
    )


def form_payload(body: str) -> dict:
    return json.loads(parse_qs(body)["payload"][0])
