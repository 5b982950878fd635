"""The web process with the update form mounted, a real SMTP server, and a partner who is not in Slack.

``form_site`` fixture: a migrated SQLite database; the WSGI app of ``progressbot web`` (Slack's
``/slack/events`` and the form's ``/u/``) on a threaded stdlib server on an ephemeral port;
``PROGRESSBOT_PUBLIC_URL`` pointing at it; SMTP pointing at the ``smtp_server`` fixture; a clock the
test moves by hand.

People: Pat Partner (police, pat.partner@police.example.org, no Slack) leads 1.1 (due 15 Dec 2026),
1.2 (overdue since 2 Nov 2026, last update Amber) and 1.3 (complete: not offered); Sam (U0SAM, Slack)
leads 2.1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from bot.app import create_app
from bot.wsgi import make_server, make_wsgi_app
from mail.links import Links
from progressbot.wsgi import FormNotices
from storage.models import Action, ActionLead, Person, Plan, RagState, Role, Update
from web.app import FormApp

SECRET_KEY = "test-secret-key-0123456789-abcdefghijklmnop"
PAT_EMAIL = "pat.partner@police.example.org"
BRAG = [
    ("Red", "#C00000", "Off track: will not be met without help", False),
    ("Amber", "#FFC000", "Some risk, being managed", False),
    ("Green", "#00B050", "On track", False),
    ("Blue", "#0070C0", "Complete", True),
]


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class FormSite:
    base: str
    settings: Any
    clock: Clock
    inbox: Any
    database: Any
    ids: dict[str, int]
    forms: FormApp

    @property
    def links(self) -> Links:
        return Links(SECRET_KEY, days=self.settings.link_days)

    def token(self, *, person: str = "pat", at: dt.datetime | None = None, email: str = PAT_EMAIL) -> str:
        return self.links.make(self.ids[person], self.ids["plan"], email, at or self.clock.now)

    def link(self, **kwargs) -> str:
        return f"{self.base}/u/{self.token(**kwargs)}"

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Response(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
            )
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        return self.request(
            "POST",
            path,
            body=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )


def _action(session, plan: Plan, ref: str, position: int, lead: Person, due: dt.date, title: str) -> Action:
    action = Action(
        plan=plan,
        ref=ref,
        position=position,
        title=title,
        timescale=f"{due:%B %Y}",
        due_date=due,
        schedule="once",
    )
    action.leads.append(ActionLead(person=lead, position=0, lead_text=lead.display_name))
    session.add(action)
    session.flush()
    return action


def seed(session) -> dict[str, int]:
    plan = Plan(name="ilacs", title="Children's services improvement plan", organisation="Example Council")
    for rank, (label, colour, meaning, complete) in enumerate(BRAG):
        plan.rag_states.append(
            RagState(label=label, rank=rank, colour=colour, meaning=meaning, is_complete=complete)
        )
    session.add(plan)
    pat = Person(display_name="Pat Partner", name="Pat Partner", email=PAT_EMAIL)
    sam = Person(display_name="Sam Slack", name="Sam Slack", slack_user_id="U0SAM")
    session.add_all([pat, sam, Role(slack_user_id="U0ADMIN", role="admin")])
    session.flush()
    a11 = _action(
        session, plan, "1.1", 1, pat, dt.date(2026, 12, 15), "Joint missing-children protocol agreed"
    )
    a12 = _action(
        session, plan, "1.2", 2, pat, dt.date(2026, 11, 2), "Strategy meetings attended within 24 hours"
    )
    a13 = _action(session, plan, "1.3", 3, pat, dt.date(2026, 10, 1), "Information-sharing agreement signed")
    a21 = _action(session, plan, "2.1", 4, sam, dt.date(2026, 12, 1), "Front door audit")
    t0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
    session.add_all(
        [
            Update(
                action=a12, rag="Amber", text="Rota drafted", source="import", submitted_at=t0, author=pat
            ),
            Update(
                action=a13, rag="Blue", text="Signed by all", source="import", submitted_at=t0, author=pat
            ),
        ]
    )
    session.flush()
    return {
        "plan": plan.id,
        "pat": pat.id,
        "sam": sam.id,
        "1.1": a11.id,
        "1.2": a12.id,
        "1.3": a13.id,
        "2.1": a21.id,
    }


@pytest.fixture
def form_site(fake_slack, database, settings, smtp_server, now):
    with database.session_factory.begin() as session:
        ids = seed(session)
    clock = Clock(now)
    server = make_server(lambda environ, start: [], "127.0.0.1", 0)  # the app is set once the port is known
    base = f"http://127.0.0.1:{server.server_port}"
    settings = dataclasses.replace(
        settings,
        slack_api_url=fake_slack.url,
        smtp_url=smtp_server.url,
        mail_from="Improvement Board <progressbot@council.example.gov.uk>",
        secret_key=SECRET_KEY,
        public_url=base,
    )
    app = create_app(settings, database.session_factory, clock=clock)
    forms = FormApp(
        settings, database.session_factory, clock=clock, slack=FormNotices(app.progressbot_services)
    )
    forms.channel.mailer.sleep = lambda seconds: None  # retries within a send: no real waiting in tests
    server.set_app(make_wsgi_app(app, forms=forms))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield FormSite(
            base=base,
            settings=settings,
            clock=clock,
            inbox=smtp_server.inbox,
            database=database,
            ids=ids,
            forms=forms,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        forms.shutdown()
        app.progressbot_shutdown()


def reminder_link(site: FormSite, html: str) -> str:
    """The form link as the email's button carries it (the HTML part's first /u/ link)."""
    import re

    match = re.search(r'href="(http://[^"]+/u/[^"]+)"', html)
    assert match, "no form link in the email"
    return match.group(1).replace("&amp;", "&")
