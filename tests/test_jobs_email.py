"""The email channel in the reminder pass: leads with an email address and no Slack link get the same
reminders by email, one email per lead per pass, under the same policy, exactly once through the ledger.
A real SMTP server (aiosmtpd) receives them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlalchemy import select

from jobs.planner import PlannerConfig
from jobs.reminders import run_reminder_pass
from mail.links import Links
from mail.outbox import EmailChannel
from progressbot.config import Settings
from storage.models import Person, ReminderEntry, ReminderMessage
from storage.people import link_person
from tests.support.jobs_factories import (
    RecordingClient,
    grant,
    make_action,
    make_person,
    make_plan,
    quick_sender,
)

D = dt.date
UTC = dt.UTC
MON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday, 10:00 in London
SECRET = "jobs-email-secret-0123456789-abcdefghijkl"
CONFIG = PlannerConfig(email=True)


@pytest.fixture
def mail(database, smtp_server):
    settings = dataclasses.replace(
        Settings(database_url=database.url),
        smtp_url=smtp_server.url,
        mail_from="progressbot@council.example.gov.uk",
        secret_key=SECRET,
        public_url="https://progress.example.gov.uk",
    )
    channel = EmailChannel.from_settings(settings)
    channel.mailer.sleep = lambda seconds: None
    return channel, smtp_server.inbox


@pytest.fixture
def partners(database):
    """Pat (email only) leads 1.1 due today and 1.2 overdue; Sam (Slack) leads 2.1 due today; Kim has no
    address at all; an admin is set."""
    with database.session_factory.begin() as s:
        plan = make_plan(s, "p")
        pat = make_person(s, "Pat Partner")
        pat.email = "pat@police.example.org"
        sam = make_person(s, "Sam", uid="USAM")
        kim = make_person(s, "Kim Nomail")
        a11 = make_action(
            s, plan, "1.1", leads=[pat], due=D(2026, 11, 23), title="Protocol <agreed> & signed"
        )
        a12 = make_action(s, plan, "1.2", leads=[pat], due=D(2026, 11, 16))
        make_action(s, plan, "2.1", leads=[sam], due=D(2026, 11, 23))
        make_action(s, plan, "3.1", leads=[kim], due=D(2026, 11, 23))
        grant(s, "UADMIN", "admin")
        return {"plan": plan.id, "pat": pat.id, "sam": sam.id, "1.1": a11.id, "1.2": a12.id}


def run(database, channel, now=MON, client=None):
    client = client or RecordingClient()
    result = run_reminder_pass(
        database.session_factory, client, now, config=CONFIG, sender=quick_sender(client), email=channel
    )
    return result, client


def test_an_email_only_lead_gets_one_email_listing_every_due_action_with_a_working_link(
    database, partners, mail
):
    channel, inbox = mail
    result, client = run(database, channel)
    [email] = inbox.wait_for(1)
    assert email.recipients == ["pat@police.example.org"]
    assert email.message["Subject"] == "Progress update needed: 2 actions (1 overdue)"
    assert "1.1  Protocol <agreed> & signed" in email.text and "Due today (Mon 23 Nov 2026)" in email.text
    assert "Overdue by 7 days (was due Mon 16 Nov 2026)" in email.text
    assert "Protocol &lt;agreed&gt; &amp; signed" in email.html and "<agreed>" not in email.html
    token = re.search(r"https://progress\.example\.gov\.uk/u/(\S+)", email.text).group(1)
    claims = Links(SECRET).read(token)
    assert (claims.person_id, claims.plan_id) == (partners["pat"], partners["plan"])
    assert result.emails == 1
    # The Slack lead is reminded in Slack as before; nobody's email reached Slack.
    assert [p["channel"] for p in client.posts if p["channel"] != "UADMIN"] == ["USAM"]
    with database.session_factory() as s:
        rows = s.scalars(select(ReminderEntry).where(ReminderEntry.person_id == partners["pat"])).all()
        assert {(r.kind, r.status) for r in rows} == {("due", "sent"), ("overdue", "sent")}
        message = s.scalars(select(ReminderMessage).where(ReminderMessage.via == "email")).one()
        assert (message.kind, message.status, message.slack_user_id) == ("email", "sent", "")
        assert "u/v1." not in str(message.payload)  # links are never stored


def test_the_same_pass_twice_emails_nothing_more(database, partners, mail):
    channel, inbox = mail
    run(database, channel)
    second, _ = run(database, channel, MON + dt.timedelta(minutes=15))
    assert second.emails == 0
    assert len(inbox.messages) == 1


def test_email_follows_the_same_sending_window_and_working_days(database, partners, mail):
    channel, inbox = mail
    early, _ = run(database, channel, dt.datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 07:00 in London
    saturday, _ = run(database, channel, dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC))
    assert early.emails == saturday.emails == 0 and inbox.messages == []
    with database.session_factory.begin() as s:
        s.get(Person, partners["pat"]).timezone = "America/New_York"  # 10:00 UTC is 05:00 there
    assert run(database, channel)[0].emails == 0
    assert run(database, channel, dt.datetime(2026, 11, 23, 14, 30, tzinfo=UTC))[0].emails == 1


def test_without_email_configured_the_lead_stays_unreached_and_admins_hear_of_it(database, partners):
    client = RecordingClient()
    run_reminder_pass(
        database.session_factory, client, MON, config=PlannerConfig(), sender=quick_sender(client)
    )
    [notice] = [p for p in client.posts if p["channel"] == "UADMIN"]
    assert "Pat Partner" in str(notice["blocks"]) and "Kim Nomail" in str(notice["blocks"])


def test_a_5xx_marks_the_lead_undeliverable_stops_their_email_and_tells_the_admins(database, partners, mail):
    channel, inbox = mail
    inbox.script("RCPT", "550 5.1.1 <pat@police.example.org>: no such user")
    result, client = run(database, channel)
    assert result.failed == 1 and result.emails == 0
    with database.session_factory() as s:
        pat = s.get(Person, partners["pat"])
        assert pat.email_undeliverable_at == MON and "no such user" in pat.email_error
    # The admins' notice that week (this pass already sent it) names Kim only; next week's names Pat as
    # undeliverable, with the server's answer.
    next_week = MON + dt.timedelta(days=7)
    later, client = run(database, channel, next_week)
    assert later.emails == 0 and len(inbox.messages) == 0
    [notice] = [p for p in client.posts if p["channel"] == "UADMIN"]
    text = str(notice["blocks"])
    assert (
        "Email undeliverable" in text
        and "Pat Partner (recipient refused: 550" in text
        and "Kim Nomail" in text
    )
    # Giving the address again clears the mark; the next pass emails Pat again.
    with database.session_factory.begin() as s:
        link_person(s, "Pat Partner", email="pat@police.example.org")
    assert run(database, channel, next_week + dt.timedelta(minutes=15))[0].emails == 1


def test_4xx_then_250_is_retried_by_the_sender_within_the_pass(database, partners, mail):
    channel, inbox = mail
    inbox.script("RCPT", "451 4.3.0 Greylisted, try again")
    result, _ = run(database, channel)
    assert result.emails == 1 and result.deferred == 0
    assert inbox.dialogues[:2] == ["RCPT 451", "RCPT 250"]


def test_a_server_down_all_pass_leaves_the_email_for_the_next_pass(database, partners, mail):
    channel, inbox = mail
    inbox.script("RCPT", *["421 4.7.0 Try again later"] * 3)
    first, _ = run(database, channel)
    assert (first.emails, first.deferred) == (0, 1)
    with database.session_factory() as s:
        message = s.scalars(select(ReminderMessage).where(ReminderMessage.via == "email")).one()
        assert (message.status, message.attempts) == ("pending", 1) and "421" in message.last_error
    again, _ = run(database, channel, MON + dt.timedelta(minutes=15))
    assert again.emails == 1 and len(inbox.wait_for(1)) == 1


def test_linking_a_slack_user_moves_the_lead_to_slack(database, partners, mail):
    channel, inbox = mail
    with database.session_factory.begin() as s:
        link_person(s, "Pat Partner", slack_user_id="UPAT")
    result, client = run(database, channel)
    assert result.emails == 0 and inbox.messages == []
    assert "UPAT" in [p["channel"] for p in client.posts]


def test_an_away_slack_lead_is_covered_by_a_deputy_reached_by_email(database, mail):
    channel, inbox = mail
    with database.session_factory.begin() as s:
        plan = make_plan(s, "p")
        deputy = make_person(s, "Dee Deputy")
        deputy.email = "dee@health.example.org"
        lead = make_person(s, "Lou", uid="ULOU", away_until=D(2026, 12, 1), deputy=deputy)
        make_action(s, plan, "1.1", leads=[lead], due=D(2026, 11, 23))
    result, client = run(database, channel)
    [email] = inbox.wait_for(1)
    assert email.recipients == ["dee@health.example.org"] and result.emails == 1
    assert client.posts == []


def test_the_board_rounds_call_and_chase_reach_an_email_lead_exactly_once(database, mail):
    from click.testing import CliRunner

    from progressbot.cli import main

    channel, inbox = mail
    with database.session_factory.begin() as s:
        plan = make_plan(s, "improvement")
        gina = make_person(s, "Gina Partner")
        gina.email = "gina@health.example.org"
        make_action(s, plan, "A1", leads=[gina], due=D(2027, 12, 31), title="Health visiting audit")
    added = CliRunner().invoke(
        main, ["--database-url", database.url, "board", "add", "2027-04-06", "--now", "2027-03-01T09:00"]
    )
    assert added.exit_code == 0, added.output
    call_day = dt.datetime(2027, 3, 19, 9, 15, tzinfo=UTC)
    first, _ = run(database, channel, call_day)
    assert first.emails == 1
    run(database, channel, call_day + dt.timedelta(hours=4))  # a later pass the same day: nothing more
    [call] = inbox.wait_for(1)
    assert call.recipients == ["gina@health.example.org"]
    assert "meets on Tuesday 6 April. Please update your actions by the end of Tuesday 30 March" in call.text
    assert "A1  Health visiting audit" in call.text and "update by Tuesday 30 March" in call.text
    chase_day = dt.datetime(2027, 3, 24, 9, 15, tzinfo=UTC)
    run(database, channel, chase_day)
    _, chase = inbox.wait_for(2)
    assert "A reminder: updates for Board 6 April 2027" in chase.text
    with database.session_factory() as s:
        rows = s.execute(
            select(ReminderEntry.kind, ReminderEntry.status, ReminderMessage.via)
            .join(ReminderMessage, ReminderMessage.id == ReminderEntry.message_id)
            .where(ReminderEntry.kind.like("board_%"))
        ).all()
    assert sorted(rows) == [("board_call", "sent", "email"), ("board_chase", "sent", "email")]


def test_leads_link_email_makes_a_lead_email_only_and_giving_it_again_clears_a_bounce(database):
    from click.testing import CliRunner

    from progressbot.cli import main

    with database.session_factory.begin() as s:
        make_person(s, "Pat Partner")

    def cli(*args):
        result = CliRunner().invoke(
            main, ["--database-url", database.url, *args], env={"PROGRESSBOT_SMTP_URL": ""}
        )
        assert result.exit_code == 0, result.output
        return result.output

    out = cli("leads", "link", "Pat Partner", "--email", "Pat@Police.example.org")
    assert "linked Pat Partner to pat@police.example.org" in out
    assert "reached by email" in out and "email is off until PROGRESSBOT_SMTP_URL" in out
    with database.session_factory.begin() as s:
        pat = s.scalars(select(Person)).one()
        pat.email_undeliverable_at, pat.email_error = MON, "recipient refused: 550 no such user"
    assert "email undeliverable since 2026-11-23: recipient refused: 550 no such user" in cli("leads", "list")
    cli("leads", "link", "Pat Partner", "--email", "pat@police.example.org")
    assert "undeliverable" not in cli("leads", "list")


def test_a_mail_server_that_keeps_refusing_stops_the_emailing_not_the_pass(database, mail):
    channel, inbox = mail
    with database.session_factory.begin() as s:
        plan = make_plan(s, "p")
        for n in range(5):
            person = make_person(s, f"Partner {n}")
            person.email = f"partner{n}@example.org"
            make_action(s, plan, f"{n}.1", leads=[person], due=D(2026, 11, 23))
    inbox.script("RCPT", *["421 4.3.2 Service shutting down"] * 9)
    result, _ = run(database, channel)
    assert (result.emails, result.deferred) == (0, 3)  # three tried (each three times), two left untouched
    with database.session_factory() as s:
        attempts = sorted(s.scalars(select(ReminderMessage.attempts).where(ReminderMessage.via == "email")))
    assert attempts == [0, 0, 1, 1, 1]
    later, _ = run(database, channel, MON + dt.timedelta(minutes=15))  # the server is back: all five go
    assert later.emails == 5 and len(inbox.wait_for(5)) == 5


def test_a_revoked_slack_token_stops_slack_but_not_email(database, partners, mail):
    """A token problem stops the pass's Slack sends (nothing marked failed); leads outside Slack are
    emailed all the same."""
    channel, inbox = mail
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import SlackResponse

    class Revoked(RecordingClient):
        def chat_postMessage(self, **kwargs):
            data = {"ok": False, "error": "token_revoked"}
            raise SlackApiError(
                "token_revoked",
                SlackResponse(
                    client=None,
                    http_verb="POST",
                    api_url="",
                    req_args={},
                    data=data,
                    headers={},
                    status_code=200,
                ),
            )

    result, _ = run(database, channel, client=Revoked())
    assert (result.stopped, result.needs_fixing, result.emails) == ("token_revoked", True, 1)
    [email] = inbox.wait_for(1)
    assert email.recipients == ["pat@police.example.org"]
    with database.session_factory() as s:
        slack = s.scalars(select(ReminderMessage).where(ReminderMessage.via == "slack")).all()
        assert {(m.status, m.attempts) for m in slack} == {("pending", 0)}
