"""Email: the SMTP settings, real SMTP dialogues (4xx then 250, 5xx), the emails, and the outbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
from email.headerregistry import Address

import pytest
from sqlalchemy import select

from mail.outbox import EmailChannel, claim, due_email_ids, requeue_dead_claims
from mail.render import EmailAction, PlanSection, Recipient, reminder_email
from mail.smtp import Mailer, SmtpConfig, classify
from progressbot.config import ConfigError, Settings
from storage.models import Person, ReminderMessage
from tests.support.form_harness import PAT_EMAIL, SECRET_KEY, seed
from web.service import queue_email

SENDER = Address("Improvement Board", "progressbot", "council.example.gov.uk")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def _message(subject: str = "Hello") -> object:
    section = PlanSection(
        "Plan", "https://forms.example.org/u/x", dt.date(2026, 12, 7), [EmailAction("1.1", subject)]
    )
    return reminder_email(SENDER, Recipient("Pat Partner", PAT_EMAIL), [section], NOW)


def _mailer(server, **kwargs) -> Mailer:
    waits: list[float] = []
    mailer = Mailer(SmtpConfig.parse(server.url), sleep=waits.append, **kwargs)
    mailer.waits = waits  # type: ignore[attr-defined]
    return mailer


# --- settings -------------------------------------------------------------------------------------


def test_the_smtp_url_is_read_and_its_password_is_never_shown():
    cfg = SmtpConfig.parse(
        "smtp://board%40council.gov.uk:p%40ss%3Aword@mail.council.gov.uk:587?starttls=true"
    )
    assert (cfg.host, cfg.port, cfg.security) == ("mail.council.gov.uk", 587, "starttls")
    assert (cfg.username, cfg.password) == ("board@council.gov.uk", "p@ss:word")
    assert "p@ss" not in repr(cfg)
    assert SmtpConfig.parse("smtps://u:pw@mail.example.org").port == 465
    assert SmtpConfig.parse("smtps://u:pw@mail.example.org").security == "tls"
    assert SmtpConfig.parse("smtp://mail.example.org").security == "starttls"  # TLS unless told otherwise


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://mail.example.org", "must look like smtp://"),
        ("smtp://u:hunter22@mail.example.org:587?starttls=false", "only for a server on this machine"),
        ("smtp://u:hunter22@mail.example.org:587?starttls=maybe", "starttls must be true or false"),
        ("smtp://u:hunter22@mail.example.org:587?tls=1", "unknown option"),
        ("smtp://u:hunter22@mail.example.org:99999", "not a valid URL"),
    ],
)
def test_a_bad_smtp_url_is_refused_naming_the_setting_but_not_the_password(url, says):
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"PROGRESSBOT_SMTP_URL": url})
    assert says in str(info.value) and "PROGRESSBOT_SMTP_URL" in str(info.value)
    assert "hunter22" not in str(info.value)


def test_email_settings_are_checked_and_secrets_kept_out_of_the_repr():
    env = {
        "PROGRESSBOT_SMTP_URL": "smtp://u:hunter22@127.0.0.1:2525?starttls=false",
        "PROGRESSBOT_MAIL_FROM": "Board <board@council.gov.uk>",
        "PROGRESSBOT_SECRET_KEY": SECRET_KEY,
        "PROGRESSBOT_PUBLIC_URL": "https://progress.council.gov.uk/",
        "PROGRESSBOT_LINK_DAYS": "7",
    }
    settings = Settings.from_env(env)
    assert settings.email_enabled and settings.link_days == 7
    assert settings.public_url == "https://progress.council.gov.uk"
    assert "hunter22" not in repr(settings) and SECRET_KEY not in repr(settings)
    assert settings.redacted()["secret_key"] == "set"
    for name, value, says in [
        ("PROGRESSBOT_SECRET_KEY", "short", "at least 32 characters"),
        ("PROGRESSBOT_PUBLIC_URL", "http://progress.council.gov.uk", "must use https"),
        ("PROGRESSBOT_MAIL_FROM", "not an address", "not an email address"),
        ("PROGRESSBOT_LINK_DAYS", "0", "between 1 and 90"),
    ]:
        with pytest.raises(ConfigError, match=says):
            Settings.from_env({**env, name: value})
    partial = Settings.from_env({"PROGRESSBOT_SECRET_KEY": SECRET_KEY})
    assert not partial.email_enabled and partial.missing_email_settings() == [
        "PROGRESSBOT_SMTP_URL",
        "PROGRESSBOT_MAIL_FROM",
        "PROGRESSBOT_PUBLIC_URL",
    ]


# --- real SMTP dialogues --------------------------------------------------------------------------


def test_a_message_is_delivered_as_plain_text_and_html(smtp_server):
    result = _mailer(smtp_server).send(
        _message(), sender="progressbot@council.example.gov.uk", recipient=PAT_EMAIL
    )
    assert result.ok
    [mail] = smtp_server.inbox.wait_for(1)
    assert mail.sender == "progressbot@council.example.gov.uk" and mail.recipients == [PAT_EMAIL]
    assert mail.message["To"] == f"Pat Partner <{PAT_EMAIL}>"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert "1.1  Hello" in mail.text and "<strong>1.1</strong> Hello" in mail.html


def test_a_4xx_answer_is_retried_and_the_250_that_follows_delivers(smtp_server):
    smtp_server.inbox.script("RCPT", "451 4.3.0 Mailbox busy, try again later")
    mailer = _mailer(smtp_server)
    result = mailer.send(_message(), sender="progressbot@council.example.gov.uk", recipient=PAT_EMAIL)
    assert result.ok
    assert smtp_server.inbox.dialogues == ["RCPT 451", "RCPT 250", "DATA 250"]
    assert mailer.waits == [0.5]
    assert len(smtp_server.inbox.wait_for(1)) == 1


def test_4xx_every_time_is_left_for_later_as_a_retry(smtp_server):
    smtp_server.inbox.script("RCPT", *["452 4.2.2 Mailbox full"] * 3)
    result = _mailer(smtp_server).send(_message(), sender="a@council.example.gov.uk", recipient=PAT_EMAIL)
    assert (result.outcome, result.code) == ("retry", 452) and "Mailbox full" in result.error
    assert smtp_server.inbox.messages == []


def test_a_5xx_refusal_is_a_bounce_and_is_not_retried(smtp_server):
    smtp_server.inbox.script("RCPT", "550 5.1.1 No such user here")
    result = _mailer(smtp_server).send(_message(), sender="a@council.example.gov.uk", recipient=PAT_EMAIL)
    assert (result.outcome, result.code) == ("bounced", 550) and "No such user" in result.error
    assert smtp_server.inbox.dialogues == ["RCPT 550"]


def test_a_message_refused_after_data_is_a_bounce_too(smtp_server):
    smtp_server.inbox.script("DATA", "554 5.7.1 Message rejected as spam")
    result = _mailer(smtp_server).send(_message(), sender="a@council.example.gov.uk", recipient=PAT_EMAIL)
    assert result.outcome == "bounced" and "rejected as spam" in result.error


def test_a_server_that_is_not_there_is_a_retry():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    mailer = Mailer(
        SmtpConfig.parse(f"smtp://127.0.0.1:{port}?starttls=false&timeout=2"), sleep=lambda s: None
    )
    result = mailer.send(_message(), sender="a@council.example.gov.uk", recipient=PAT_EMAIL)
    assert result.outcome == "retry" and "Connection" in result.error


def test_starttls_asked_for_but_not_offered_is_our_settings_fault_and_nothing_goes_in_clear(smtp_server):
    mailer = Mailer(
        SmtpConfig(host="127.0.0.1", port=smtp_server.port, security="starttls"), sleep=lambda s: None
    )
    result = mailer.send(_message(), sender="a@council.example.gov.uk", recipient=PAT_EMAIL)
    assert result.outcome == "config"
    assert smtp_server.inbox.messages == []


def test_login_refused_is_a_settings_fault_not_a_bounce():
    import smtplib

    assert classify(smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials")).outcome == "config"
    assert classify(smtplib.SMTPSenderRefused(550, b"not allowed", "a@b")).outcome == "config"
    assert classify(smtplib.SMTPServerDisconnected("gone")).outcome == "retry"


# --- the outbox ----------------------------------------------------------------------------------


@pytest.fixture
def channel_setup(database, settings, smtp_server):
    with database.session_factory.begin() as session:
        ids = seed(session)
    settings = dataclasses.replace(
        settings,
        smtp_url=smtp_server.url,
        mail_from="progressbot@council.example.gov.uk",
        secret_key=SECRET_KEY,
        public_url="https://progress.example.gov.uk",
    )
    channel = EmailChannel.from_settings(settings)
    channel.mailer.sleep = lambda seconds: None
    return database.session_factory, channel, ids, smtp_server.inbox


def _queue(factory, ids, kind="new_link"):
    with factory.begin() as session:
        return queue_email(session, session.get(Person, ids["pat"]), kind, {"plan_id": ids["plan"]}, NOW).id


def test_a_5xx_marks_the_lead_email_undeliverable_and_fails_the_message(channel_setup):
    factory, channel, ids, inbox = channel_setup
    inbox.script("RCPT", "550 5.1.1 No such user here")
    message_id = _queue(factory, ids)
    assert channel.deliver(factory, message_id, NOW).outcome == "bounced"
    with factory() as session:
        message, pat = session.get(ReminderMessage, message_id), session.get(Person, ids["pat"])
        assert (message.status, message.attempts) == ("failed", 1)
        assert pat.email_undeliverable_at == NOW and "No such user" in pat.email_error


def test_4xx_leaves_the_message_pending_with_a_backoff_until_the_attempts_run_out(channel_setup):
    factory, channel, ids, inbox = channel_setup
    inbox.script("RCPT", *["451 4.3.0 Try later"] * 3)
    message_id = _queue(factory, ids)
    assert channel.deliver(factory, message_id, NOW).outcome == "retry"
    with factory() as session:
        message = session.get(ReminderMessage, message_id)
        assert (message.status, message.attempts) == ("pending", 1)
        assert message.next_attempt_at == NOW + dt.timedelta(minutes=1)
        assert "Try later" in message.last_error
        assert due_email_ids(session, NOW) == [] and due_email_ids(session, message.next_attempt_at) == [
            message_id
        ]
    later = NOW + dt.timedelta(minutes=1)
    assert channel.deliver(factory, message_id, later).ok  # the server answers 250 again
    with factory() as session:
        assert session.get(ReminderMessage, message_id).status == "sent"
        assert session.get(Person, ids["pat"]).email_undeliverable_at is None
    assert len(inbox.wait_for(1)) == 1


def test_two_processes_never_both_send_one_email(channel_setup):
    factory, channel, ids, inbox = channel_setup
    message_id = _queue(factory, ids)
    results: list[object] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        barrier.wait()
        results.append(channel.deliver(factory, message_id, NOW))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r is not None) == 1
    assert len(inbox.wait_for(1)) == 1 and len(inbox.messages) == 1


def test_a_claim_left_by_a_dead_process_goes_back_to_pending_after_its_timeout(channel_setup):
    factory, _channel, ids, _inbox = channel_setup
    message_id = _queue(factory, ids)
    assert claim(factory, message_id, NOW) and not claim(factory, message_id, NOW)
    assert requeue_dead_claims(factory, NOW + dt.timedelta(minutes=5)) == 0  # still being sent, perhaps
    # A pass replaying a moment 31 minutes (or a year) ahead doesn't make a live claim look dead: the
    # timeout runs on the database's clock.
    assert requeue_dead_claims(factory, NOW + dt.timedelta(minutes=31)) == 0
    assert requeue_dead_claims(factory, NOW + dt.timedelta(days=365)) == 0
    with factory.begin() as session:  # eleven minutes pass on the database's clock
        message = session.get(ReminderMessage, message_id)
        message.claimed_at -= dt.timedelta(minutes=11)
    assert requeue_dead_claims(factory, NOW) == 1
    with factory() as session:
        assert session.get(ReminderMessage, message_id).status == "pending"


def test_a_lead_whose_address_was_removed_fails_without_a_send_and_is_not_marked(channel_setup):
    factory, channel, ids, inbox = channel_setup
    message_id = _queue(factory, ids)
    with factory.begin() as session:
        session.get(Person, ids["pat"]).email = None
    assert channel.deliver(factory, message_id, NOW).outcome == "bounced"
    with factory() as session:
        assert session.get(ReminderMessage, message_id).status == "failed"
        assert session.get(Person, ids["pat"]).email_undeliverable_at is None
        assert session.scalars(select(ReminderMessage.id)).all() == [message_id]
    assert inbox.messages == []


def test_the_email_names_a_fresh_link_and_its_expiry(channel_setup):
    factory, channel, ids, inbox = channel_setup
    channel.deliver(factory, _queue(factory, ids), NOW)
    [mail] = inbox.wait_for(1)
    assert "https://progress.example.gov.uk/u/v1." in mail.text
    assert "works until Monday 7 December 2026" in mail.text
    assert mail.message["Subject"] == "Your new link to update Children's services improvement plan"


def test_names_and_titles_with_line_breaks_add_no_header_and_html_is_escaped():
    """A plan title, a lead's name or an action title is text from an imported document: it must not
    add a header (Bcc: someone) or markup to the email."""
    from email import message_from_bytes, policy

    from mail.render import confirmation_email, new_link_email

    evil = "Plan\r\nBcc: thief@evil.example\r\n\r\n<script>x()</script>"
    section = PlanSection(
        evil, "https://forms.example.org/u/x", dt.date(2026, 12, 7), [EmailAction("1.1", evil, text=evil)]
    )
    to = Recipient("Pat\r\nBcc: thief@evil.example", PAT_EMAIL)
    for message in (
        reminder_email(SENDER, to, [section], NOW, notices=[evil]),
        new_link_email(SENDER, to, section, NOW),
        confirmation_email(SENDER, to, section, NOW),
    ):
        raw = message.as_bytes()
        parsed = message_from_bytes(raw, policy=policy.default)
        headers = raw.split(b"\n\n")[0].decode()
        assert parsed["Bcc"] is None and not any(line.startswith("Bcc") for line in headers.splitlines())
        assert [a.addr_spec for a in parsed["To"].addresses] == [PAT_EMAIL]
        html = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_content()
        assert "<script>" not in html and "&lt;script&gt;" in html
