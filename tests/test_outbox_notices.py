"""Every notice a stored change owes Slack survives the process dying right after the commit (issue 9).

The "dying" app below acknowledges as usual but never does anything after its responses: its
outbox drainer is not started and its in-memory after-ack queue drops what it is given, as a process
killed after answering would. ``restart`` is the next process: a fresh drainer on the same database.
Each test asserts the exact Slack calls the restart makes, and that a second restart makes none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from sqlalchemy import select, update

from bot.app import create_app
from bot.outbox import Drainer
from bot.services import Services
from bot.wsgi import make_server, make_wsgi_app
from slackviews import governance as gv
from storage import outbox as store
from storage.db import create_db_engine, make_session_factory
from storage.models import Action, DateProposal, GovernanceNotice, OutboxItem, SignOff
from tests.support import slack_signing as signing
from tests.support.bot_harness import ADMIN, BOARD, JO, R1, R2, SAM, SECRET, seed
from tests.support.fakeslack import Call, FakeSlack

SENDS = ("chat.postMessage", "chat.update", "files.completeUploadExternal")  # not Home refreshes


class NeverRuns(ThreadPoolExecutor):
    """An after-ack queue whose process died: what it is given never runs."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.cancel()
        return future


@dataclass
class Dying:
    fake: FakeSlack
    url: str
    database: Any
    settings: Any
    ids: dict[str, int]
    clock: list[dt.datetime]

    def post(self, request) -> tuple[int, str]:
        status, _, body = signing.post(self.url, request, SECRET)
        return status, body

    def submit(self, callback_id: str, metadata: dict, values: dict, user: str, view_id: str) -> dict:
        view = {"id": view_id, "callback_id": callback_id, "private_metadata": json.dumps(metadata)}
        status, body = self.post(signing.view_submission(view, values, user_id=user))
        assert status == 200, body
        return json.loads(body) if body else {}

    def update(self, ref: str, rag: str, text: str, *, proposed: str | None = None, view_id: str) -> dict:
        values = {
            "rag": {"value": {"type": "radio_buttons", "selected_option": {"value": rag}}},
            "progress": {"value": {"type": "plain_text_input", "value": text}},
            "evidence": {"value": {"type": "url_text_input", "value": None}},
            "proposed_due": {"value": {"type": "datepicker", "selected_date": proposed}},
        }
        meta = {"action_id": self.ids[ref], "reminder_message_id": None}
        answer = self.submit("progress_update", meta, values, JO, view_id)
        assert answer["response_action"] == "update", answer
        return answer

    def click(self, user: str, action_id: str, value: str) -> None:
        status, _ = self.post(signing.block_actions(user_id=user, action_id=action_id, value=value))
        assert status == 200

    def sent(self) -> list[Call]:
        return [c for c in self.fake.calls() if c.method in SENDS]


def restart(
    site: Dying | Any, fake: FakeSlack, *, at: dt.datetime | None = None, owed_after: int = 0
) -> list[Call]:
    """The next process: a fresh drainer does what is owed; the Slack calls it made, in order."""
    before = len(fake.calls())
    when = at or site.clock[0]
    services = Services(
        settings=site.settings,
        session_factory=site.database.session_factory,
        client=WebClient(token="xoxb-test", base_url=fake.url),
        clock=lambda: when,
    )
    drainer = Drainer(services, threads=2)
    drainer.release_orphans()  # what a process of this host that died had claimed
    try:
        assert drainer.drain(deadline=time.monotonic() + 30) is True
    finally:
        drainer.stop(0)
        services.executor.shutdown(wait=False)
    with site.database.session_factory() as session:
        assert store.waiting(session) == owed_after
    return [c for c in fake.calls()[before:] if c.method in SENDS]


def _blocks(call: Call) -> str:
    return json.dumps(call.params.get("blocks") or call.params.get("text"), ensure_ascii=False)


def _summary(calls: list[Call]) -> list[tuple[str, str]]:
    return sorted((c.method, c.params.get("channel", "")) for c in calls)


@pytest.fixture
def dying(fake_slack, database, settings, now):
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    with database.session_factory.begin() as session:
        ids = seed(session)
    for ts in (R1, R2):
        fake_slack.add_message("D" + JO, ts, text="Progress reminder")
    clock = [now]
    app = create_app(settings, database.session_factory, clock=lambda: clock[0], start_outbox=False)
    services = app.progressbot_services
    services.executor = NeverRuns()
    services.home_refresh_delay = 0.0  # due at once: a restart leaves nothing waiting
    server = make_server(make_wsgi_app(app), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Dying(
            fake=fake_slack,
            url=f"http://127.0.0.1:{server.server_port}/slack/events",
            database=database,
            settings=settings,
            ids=ids,
            clock=clock,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.progressbot_shutdown(1)


def _propose(site: Dying) -> dict[str, Call]:
    """Jo asks for a new date for 3.2; the restart delivers the request to the admin and the board."""
    site.update("3.2", "Amber", "Partner sign-off delayed", proposed="2027-01-31", view_id="V0PROPOSE")
    calls = restart(site, site.fake)
    assert _summary(calls) == [("chat.postMessage", u) for u in sorted((ADMIN, BOARD, JO))]
    return {c.params["channel"]: c for c in calls}


def _button_value(call: Call, action_id: str) -> str:
    for block in call.params["blocks"]:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element["value"]
    raise AssertionError(f"no {action_id} in {_blocks(call)[:300]}")


def _owed_payloads(site: Dying) -> list[tuple[str, dict]]:
    with site.database.session_factory() as session:
        return [(r.kind, r.payload) for r in session.scalars(select(OutboxItem).order_by(OutboxItem.id))]


# --- revised dates ------------------------------------------------------------------------------


def test_an_agree_whose_process_died_is_announced_by_the_next_one_once(dying):
    requests = _propose(dying)
    dying.click(BOARD, gv.AGREE_DATE, _button_value(requests[BOARD], gv.AGREE_DATE))
    with dying.database.session_factory() as session:  # stored before the acknowledgement
        assert session.scalar(select(Action.due_date).where(Action.ref == "3.2")) == dt.date(2027, 1, 31)
    assert len(dying.sent()) == 3  # the first restart's three DMs: the dying app sent nothing
    owed = _owed_payloads(dying)

    calls = restart(dying, dying.fake)
    assert _summary(calls) == [
        ("chat.postMessage", JO),
        ("chat.update", "D" + ADMIN),
        ("chat.update", "D" + BOARD),
    ]
    for edit in (c for c in calls if c.method == "chat.update"):
        assert "Agreed* by U0BOARD" in _blocks(edit) and gv.AGREE_DATE not in _blocks(edit)
        ts = requests[edit.params["channel"][1:]].response["ts"]
        assert edit.params["ts"] == ts  # the request itself is edited, not a new message sent
    [told] = [c for c in calls if c.method == "chat.postMessage"]
    assert "agreed your new date" in _blocks(told) and "31 Jan 2027" in _blocks(told)
    assert restart(dying, dying.fake) == []

    # A crash after Slack answered and before the row was deleted: the same row runs again. The
    # edits are repeated (invisible); the lead is not told twice.
    with dying.database.session_factory.begin() as session:
        for kind, payload in owed:
            store.enqueue(session, kind, payload)
    again = restart(dying, dying.fake)
    assert _summary(again) == [("chat.update", "D" + ADMIN), ("chat.update", "D" + BOARD)]


def test_a_late_agree_is_told_who_decided_after_a_restart(dying):
    requests = _propose(dying)
    dying.click(BOARD, gv.AGREE_DATE, _button_value(requests[BOARD], gv.AGREE_DATE))
    restart(dying, dying.fake)
    dying.click(ADMIN, gv.AGREE_DATE, _button_value(requests[ADMIN], gv.AGREE_DATE))
    calls = restart(dying, dying.fake)
    assert _summary(calls) == [
        ("chat.postMessage", ADMIN),
        ("chat.update", "D" + ADMIN),
        ("chat.update", "D" + BOARD),
    ]
    [late] = [c for c in calls if c.method == "chat.postMessage"]
    assert "already agreed by U0BOARD" in late.params["text"]
    assert restart(dying, dying.fake) == []


def test_an_announcement_re_run_after_a_partial_send_skips_whoever_was_told(dying):
    dying.update("3.2", "Amber", "Partner sign-off delayed", proposed="2027-01-31", view_id="V0PARTIAL")
    with dying.database.session_factory.begin() as session:  # the admin was told before the crash
        proposal_id = session.scalar(select(DateProposal.id))
        session.add(
            GovernanceNotice(
                subject=f"proposal:{proposal_id}", slack_user_id=ADMIN, channel="DU0ADMIN", ts="1.2"
            )
        )
    calls = restart(dying, dying.fake)
    assert _summary(calls) == [("chat.postMessage", BOARD), ("chat.postMessage", JO)]


def test_an_announcement_slack_refuses_for_now_is_retried_later(dying):
    requests = _propose(dying)
    dying.click(BOARD, gv.AGREE_DATE, _button_value(requests[BOARD], gv.AGREE_DATE))
    dying.fake.fail_next("chat.postMessage", status=503)
    first = restart(dying, dying.fake, owed_after=1)
    assert sorted((c.method, c.params["channel"], c.ok) for c in first) == [
        ("chat.postMessage", JO, False),  # the lead's DM got a 503: the announcement stays owed
        ("chat.update", "D" + ADMIN, True),
        ("chat.update", "D" + BOARD, True),
    ]
    with dying.database.session_factory.begin() as session:  # its backoff is over
        session.execute(update(OutboxItem).values(not_before=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    again = restart(dying, dying.fake)
    assert _summary(again) == [
        ("chat.postMessage", JO),
        ("chat.update", "D" + ADMIN),
        ("chat.update", "D" + BOARD),
    ]
    assert restart(dying, dying.fake) == []


def test_a_decline_whose_process_died_reaches_the_lead_with_the_reason(dying):
    _propose(dying)
    with dying.database.session_factory() as session:
        proposal_id = session.scalar(select(DateProposal.id))
    reason = {
        "reason": {"value": {"type": "plain_text_input", "value": "The board wants it before the revisit"}}
    }
    done = dying.submit(gv.DECLINE_CALLBACK, {"proposal_id": proposal_id}, reason, ADMIN, "V0DECLINE")
    assert done["response_action"] == "update" and "Declined" in json.dumps(done["view"])
    calls = restart(dying, dying.fake)
    assert _summary(calls) == [
        ("chat.postMessage", JO),
        ("chat.update", "D" + ADMIN),
        ("chat.update", "D" + BOARD),
    ]
    [told] = [c for c in calls if c.method == "chat.postMessage"]
    assert "declined the new date" in _blocks(told) and "before the revisit" in _blocks(told)
    assert restart(dying, dying.fake) == []


# --- challenge, sign-off, edit -------------------------------------------------------------------


def test_a_challenge_whose_process_died_reaches_the_lead(dying):
    question = {"question": {"value": {"type": "plain_text_input", "value": "Where is the audit <!here>?"}}}
    meta = {"action_id": dying.ids["3.2"], "update_id": None}
    done = dying.submit(gv.CHALLENGE_CALLBACK, meta, question, BOARD, "V0CHALLENGE")
    assert done["response_action"] == "update"
    assert dying.sent() == []
    [asked] = restart(dying, dying.fake)
    assert (asked.method, asked.params["channel"]) == ("chat.postMessage", JO)
    assert "Where is the audit &lt;!here&gt;?" in _blocks(asked)
    assert restart(dying, dying.fake) == []


def test_a_signoff_whose_process_died_is_announced_and_its_buttons_replaced(dying):
    dying.update("3.2", "Blue", "Forum running", view_id="V0DONE")
    requests = {c.params["channel"]: c for c in restart(dying, dying.fake)}
    assert sorted(requests) == sorted((ADMIN, BOARD, JO))  # the confirmation and two sign-off requests
    values = {
        "note": {"value": {"type": "plain_text_input", "value": "Attended a session"}},
        "evidence": {"value": {"type": "url_text_input", "value": None}},
    }
    done = dying.submit(gv.SIGNOFF_CALLBACK, {"action_id": dying.ids["3.2"]}, values, BOARD, "V0SIGN")
    assert done["response_action"] == "update"
    with dying.database.session_factory() as session:
        assert session.scalar(select(SignOff.by_uid)) == BOARD
    calls = restart(dying, dying.fake)
    assert _summary(calls) == [
        ("chat.postMessage", JO),
        ("chat.update", "D" + ADMIN),
        ("chat.update", "D" + BOARD),
    ]
    for edit in (c for c in calls if c.method == "chat.update"):
        assert gv.SIGN_OFF not in _blocks(edit)
        assert edit.params["ts"] == requests[edit.params["channel"][1:]].response["ts"]
    [told] = [c for c in calls if c.method == "chat.postMessage"]
    assert "signed off by U0BOARD" in _blocks(told)
    assert restart(dying, dying.fake) == []


def test_an_edit_whose_process_died_tells_the_new_lead(dying):
    text = lambda value: {"value": {"type": "plain_text_input", "value": value}}  # noqa: E731
    values = {
        "title": text("Action 3.2 title"),
        "leads": {
            "value": {"type": "multi_static_select", "selected_options": [{"value": str(dying.ids["sam"])}]}
        },
        "timescale": text("December 2026"),
        "due": {"value": {"type": "datepicker", "selected_date": None}},
        "status": {"value": {"type": "static_select", "selected_option": {"value": "open"}}},
        "into": text(""),
        "reason": text("Jo is on leave"),
    }
    done = dying.submit(gv.EDIT_CALLBACK, {"action_id": dying.ids["3.2"]}, values, ADMIN, "V0EDIT")
    assert done["response_action"] == "update", done
    assert dying.sent() == []
    [told] = restart(dying, dying.fake)
    assert (told.method, told.params["channel"]) == ("chat.postMessage", SAM)
    assert (
        told.params["text"]
        == "*3.2* Action 3.2 title was changed by <@U0ADMIN>: lead(s): Jo Bloggs → Sam Smith"
    )
    assert restart(dying, dying.fake) == []


# --- /progress report -----------------------------------------------------------------------------


def test_a_report_asked_for_before_the_process_died_is_delivered_by_the_next_one(dying):
    status, body = dying.post(
        signing.slash_command("report docx", user_id=BOARD, response_url=dying.fake.response_url)
    )
    assert status == 200 and "Preparing the DOCX report" in json.loads(body)["text"]
    assert dying.fake.calls("files.completeUploadExternal") == []
    [upload] = restart(dying, dying.fake)
    assert upload.method == "files.completeUploadExternal"
    [sent] = dying.fake.uploads.values()
    assert (
        sent["channel"] == "D" + BOARD and sent["content"][:2] == b"PK" and sent["filename"].endswith(".docx")
    )
    assert restart(dying, dying.fake) == []


def test_a_report_request_too_old_to_matter_is_dropped_with_a_notice(dying):
    status, _ = dying.post(
        signing.slash_command("report html", user_id=BOARD, response_url=dying.fake.response_url)
    )
    assert status == 200
    [told] = restart(dying, dying.fake, at=dying.clock[0] + dt.timedelta(minutes=31))
    assert (told.method, told.params["channel"]) == ("chat.postMessage", BOARD)
    assert "HTML report you asked for at 10:00 on 23 Nov" in told.params["text"]
    assert "dropped" in told.params["text"] and "/progress report html" in told.params["text"]
    assert dying.fake.uploads == {}
    assert restart(dying, dying.fake) == []


def test_a_report_request_that_cannot_be_stored_says_why_in_the_acknowledgement(
    fake_slack, settings, tmp_path
):
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    broken = create_db_engine(f"sqlite:///{tmp_path}/missing-dir/nope.db")
    app = create_app(settings, make_session_factory(broken), start_outbox=False)
    server = make_server(make_wsgi_app(app), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        request = signing.slash_command(
            "report docx plan improvement", user_id=BOARD, response_url=fake_slack.response_url
        )
        status, _, body = signing.post(f"http://127.0.0.1:{server.server_port}/slack/events", request, SECRET)
        assert status == 200
        answer = json.loads(body)
        assert "couldn't reach the database" in answer["text"] and "Preparing" not in answer["text"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.progressbot_shutdown(1)
        broken.dispose()


# --- the update form ------------------------------------------------------------------------------


def test_a_form_update_whose_process_died_still_reaches_the_board(form_site, fake_slack):
    from tests.test_web_form import open_form, path_of

    services = form_site.forms.slack.services
    services.drainer.stop(1)  # the process dies after the commit: nothing after the response runs
    services.executor = NeverRuns()
    aid = form_site.ids["1.2"]
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields |= {f"text-{aid}": "Rota needs the new year", f"date-{aid}": "2027-01-29"}
    assert form_site.post(path_of(form_site.link()), fields).status == 200
    assert fake_slack.calls("chat.postMessage") == []

    site = dataclasses.replace(form_site)
    site.clock = [form_site.clock.now]  # type: ignore[assignment]
    [request] = restart(site, fake_slack)
    assert (request.method, request.params["channel"]) == ("chat.postMessage", ADMIN)
    shown = _blocks(request)
    assert "Pat Partner asks to move *1.2*" in shown and "29 Jan 2027" in shown and gv.AGREE_DATE in shown
    assert restart(site, fake_slack) == []


# --- the command line -----------------------------------------------------------------------------


def test_a_cli_challenge_whose_command_died_after_the_commit_is_sent_by_the_next_drain(
    database, fake_slack, settings, monkeypatch
):
    from progressbot.cli import action_commands, main
    from tests.support.governance_factories import ADA, governed_plan

    with database.session_factory.begin() as session:
        governed_plan(session)

    def killed(ctx, owed):
        raise SystemExit("killed after the commit")

    monkeypatch.setattr(action_commands, "_tell", killed)
    env = {"PROGRESSBOT_TIMEZONE": "Europe/London", "DATABASE_URL": "", "PROGRESSBOT_LOG_LEVEL": "WARNING",
           "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}  # fmt: skip
    result = CliRunner().invoke(
        main,
        [
            "--database-url",
            database.url,
            "challenge",
            "2.1",
            "--question",
            "Is the rota agreed?",
            "--by",
            ADA,
        ],
        env=env,
    )
    assert result.exit_code != 0 and fake_slack.calls("chat.postMessage") == []

    site = dataclasses.replace(settings, slack_api_url=fake_slack.url)
    holder = type("Site", (), {"settings": site, "database": database, "clock": [dt.datetime.now(dt.UTC)]})
    [asked] = restart(holder, fake_slack)
    assert (asked.method, asked.params["channel"]) == ("chat.postMessage", "U0SAM")
    assert "Is the rota agreed?" in _blocks(asked)
    assert restart(holder, fake_slack) == []
