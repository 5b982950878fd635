"""The board cycle's edge cases, pass by pass against the fake Slack: a meeting moved or cancelled after
the call, added with its cut-off past, a plan with no open actions, two plans meeting the same day, a
lead on leave with no deputy, policy changes, Slack refusing a call or a pack, and the dry run.

The meeting in most tests is Tuesday 6 April 2027: cut-off Tuesday 30 March, call Friday 19 March,
chase Wednesday 24 March (Easter Monday and Good Friday skipped), pack published on the 31st.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from sqlalchemy import select

from jobs.board import plan_board_round
from jobs.planner import PlannerConfig
from jobs.reminders import run_reminder_pass
from progressbot.cli import main
from storage.models import Action, BoardPost, Meeting, Plan, ReminderEntry, ReminderMessage, ReportVersion
from tests.support.jobs_factories import add_update, grant, make_action, make_person, make_plan, quick_sender

D = dt.date
UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
APRIL = D(2027, 4, 6)
PASSES = [dt.time(0, 10), dt.time(9, 15), dt.time(13, 15)]


def cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, *args], env={"SLACK_BOT_TOKEN": ""})


def ok(url: str, *args: str) -> str:
    result = cli(url, *args)
    assert result.exit_code == 0, result.output
    return result.output


class World:
    """A plan with a few leads, the fake Slack, and passes run over simulated days."""

    def __init__(self, database, fake):
        self.db, self.fake = database, fake
        self.client = WebClient(token="xoxb-test", base_url=fake.url)
        self.ids: dict[str, int] = {}

    def seed(self, *, actions: dict[str, list[str]] | None = None, plan: str = "improvement") -> int:
        actions = actions or {"A1": ["Alice"], "B1": ["Bob"]}
        with self.db.session_factory.begin() as s:
            p = make_plan(s, plan)
            p.board_channel = "C0BOARD"
            for ref, names in actions.items():
                leads = [self.person(s, n) for n in names]
                self.ids[ref] = make_action(s, p, ref, leads=leads, due=D(2027, 12, 31)).id
            self.ids[plan] = p.id
            return p.id

    def person(self, s, name: str):
        from storage.models import Person

        found = s.scalars(select(Person).where(Person.display_name == name)).first()
        return found or make_person(s, name, uid=None if name == "Gina" else f"U{name.upper()}")

    def roles(self) -> None:
        with self.db.session_factory.begin() as s:
            grant(s, "UBOARD", "board")
            grant(s, "UADMIN", "admin")

    def run(self, start: D, end: D, times=PASSES):
        day = start
        while day <= end:
            for t in times:
                now = dt.datetime.combine(day, t, tzinfo=UTC)
                self.fake.clock = now.timestamp
                run_reminder_pass(self.db.session_factory, self.client, now, sender=quick_sender(self.client))
            day += dt.timedelta(days=1)

    def update(self, ref: str, at: dt.datetime, rag: str = "Amber") -> None:
        with self.db.session_factory.begin() as s:
            add_update(s, s.get(Action, self.ids[ref]), at, rag=rag)

    def posts(self, channel: str | None = None) -> list[dict]:
        return [
            c.params
            for c in self.fake.calls("chat.postMessage")
            if c.response.get("ok") and (channel is None or c.params["channel"] == channel)
        ]

    def board_rows(self) -> list[tuple[str, str, D, str]]:
        """(ref, kind, local date sent, recipient) of every board ledger row sent."""
        with self.db.session_factory() as s:
            rows = s.execute(
                select(Action.ref, ReminderEntry.kind, ReminderMessage.sent_at, ReminderMessage.slack_user_id)
                .join(Action, Action.id == ReminderEntry.action_id)
                .join(ReminderMessage, ReminderMessage.id == ReminderEntry.message_id)
                .where(ReminderEntry.kind.like("board_%"), ReminderEntry.status == "sent")
            ).all()
        return sorted((ref, kind, at.astimezone(LONDON).date(), uid) for ref, kind, at, uid in rows)


@pytest.fixture
def world(database, fake_slack):
    return World(database, fake_slack)


def add_april(world: World, *extra: str) -> str:
    return ok(world.db.url, "board", "add", "2027-04-06", "--now", "2027-03-01T09:00", *extra)


def test_a_meeting_moved_after_the_call_tells_those_still_to_update_and_chases_on_the_new_dates(world):
    world.seed()
    add_april(world)
    world.run(D(2027, 3, 19), D(2027, 3, 19))
    world.update("B1", dt.datetime(2027, 3, 19, 15, tzinfo=UTC))
    out = ok(world.db.url, "board", "move", "2027-04-06", "2027-04-13", "--now", "2027-03-20T12:00")
    assert (
        "moved to Board 13 April 2027: cut-off Tue  6 Apr 2027 (call Tue 30 Mar 2027, chase Fri  2 Apr 2027)"
        in out
    )
    assert "told the new dates on the next pass" in out
    world.run(D(2027, 3, 20), D(2027, 4, 14))
    assert world.board_rows() == [
        ("A1", "board_call", D(2027, 3, 19), "UALICE"),
        ("A1", "board_chase", D(2027, 4, 2), "UALICE"),  # the new chase day, not 24 March
        ("A1", "board_moved", D(2027, 3, 22), "UALICE"),  # Monday: the first working day after the move
        ("B1", "board_call", D(2027, 3, 19), "UBOB"),  # Bob had answered: no notice, no chase
    ]
    (notice,) = [p for p in world.posts("UALICE") if "moved" in p["text"]]
    assert (
        notice["text"] == "Board 13 April 2027 has moved to Tue 13 Apr 2027: updates due by Tue 6 Apr 2027."
    )
    assert "(it was on Tuesday 6 April)" in str(notice["blocks"])
    with world.db.session_factory() as s:
        meeting = s.scalars(select(Meeting)).one()
        assert (meeting.date, meeting.moved_from, meeting.version.version) == (
            D(2027, 4, 13),
            APRIL,
            "Board 13 April 2027",
        )
        dates = set(s.scalars(select(ReminderEntry.due_date).where(ReminderEntry.kind == "board_call")))
        assert dates == {D(2027, 4, 13)}  # the call's rows moved with the meeting


def test_a_meeting_cancelled_after_the_call_tells_those_still_to_update_once_and_nothing_more(world):
    world.seed()
    world.roles()
    add_april(world)
    world.run(D(2027, 3, 19), D(2027, 3, 19))
    world.update("B1", dt.datetime(2027, 3, 19, 15, tzinfo=UTC))
    out = ok(world.db.url, "board", "remove", "2027-04-06", "--now", "2027-03-20T12:00")
    assert "cancelled Board 6 April 2027 (improvement): its call had gone out" in out
    world.run(D(2027, 3, 20), D(2027, 4, 8))
    assert world.board_rows() == [
        ("A1", "board_call", D(2027, 3, 19), "UALICE"),
        ("A1", "board_cancelled", D(2027, 3, 22), "UALICE"),
        ("B1", "board_call", D(2027, 3, 19), "UBOB"),
    ]
    (notice,) = [p for p in world.posts("UALICE") if "cancelled" in p["text"]]
    assert "no updates are needed for it" in str(notice["blocks"])
    assert not any(b.get("accessory") for b in notice["blocks"])  # nothing to press
    assert world.fake.calls("files.completeUploadExternal") == []
    with world.db.session_factory() as s:
        assert s.scalars(select(Meeting.status)).one() == "cancelled"
        assert s.scalars(select(ReportVersion)).all() == []
    status = ok(world.db.url, "board", "list", "--now", "2027-03-25T12:00")
    assert "cancelled" in status


def test_a_pack_that_is_not_published_yet_cannot_be_written(world):
    world.seed()
    add_april(world)
    refused = cli(world.db.url, "board", "pack")
    assert refused.exit_code == 2 and "no board pack of improvement has been published yet" in refused.output
    refused = cli(world.db.url, "board", "pack", "--meeting", "2027-04-06")
    assert refused.exit_code == 2 and "has not been published yet" in refused.output


def test_a_meeting_removed_before_its_call_is_deleted_and_nothing_is_sent(world):
    world.seed()
    add_april(world)
    out = ok(world.db.url, "board", "remove", "2027-04-06", "--now", "2027-03-10T12:00")
    assert "removed Board 6 April 2027 from improvement: nothing had been sent for it" in out
    world.run(D(2027, 3, 18), D(2027, 4, 1))
    assert world.board_rows() == [] and world.posts() == []
    with world.db.session_factory() as s:
        assert s.scalars(select(Meeting)).all() == []


def test_a_meeting_added_with_its_cut_off_past_asks_nobody_and_publishes_on_the_next_pass(world):
    world.seed()
    world.roles()
    world.update("A1", dt.datetime(2027, 3, 29, 10, tzinfo=UTC))
    out = ok(world.db.url, "board", "add", "2027-04-06", "--now", "2027-03-31T10:00")
    assert "the cut-off has passed: no call or chase goes out" in out
    world.run(D(2027, 3, 31), D(2027, 4, 7), times=[dt.time(10, 0), dt.time(15, 0)])
    assert world.board_rows() == []
    uploads = world.fake.calls("files.completeUploadExternal")
    assert sorted(c.params["channel_id"] for c in uploads) == ["C0BOARD", "DUBOARD"]
    comment = uploads[0].params["initial_comment"]
    assert "1 of 2 leads updated their actions for this meeting." in comment
    assert "No update from: Bob (1)." in comment
    # The clerk can have the very file the board got.
    out = world.db.url.replace("sqlite:///", "").replace("progressbot.db", "pack.docx")
    assert "wrote the board pack for Board 6 April 2027 to" in ok(world.db.url, "board", "pack", "--out", out)
    with open(out, "rb") as f:
        written = f.read()
    with world.db.session_factory() as s:
        assert written == s.scalars(select(Meeting.pack_docx)).one()
    assert [u["content"] for u in world.fake.uploads.values()] == [written, written]


def test_a_meeting_added_after_its_call_day_calls_late_then_chases(world):
    world.seed()
    ok(world.db.url, "board", "add", "2027-04-06", "--now", "2027-03-22T08:00")
    world.run(D(2027, 3, 22), D(2027, 3, 30))
    assert world.board_rows() == [
        ("A1", "board_call", D(2027, 3, 22), "UALICE"),
        ("A1", "board_chase", D(2027, 3, 24), "UALICE"),
        ("B1", "board_call", D(2027, 3, 22), "UBOB"),
        ("B1", "board_chase", D(2027, 3, 24), "UBOB"),
    ]


def test_a_plan_with_no_open_actions_asks_nobody_but_still_gets_its_pack(world):
    world.seed()
    world.roles()
    for ref in ("A1", "B1"):
        world.update(ref, dt.datetime(2027, 1, 10, tzinfo=UTC), rag="Blue")
    add_april(world)
    world.run(D(2027, 3, 18), D(2027, 3, 31))
    assert world.posts() == [] and world.board_rows() == []
    (channel,) = [
        c for c in world.fake.calls("files.completeUploadExternal") if c.params["channel_id"] == "C0BOARD"
    ]
    assert "leads updated" not in channel.params["initial_comment"]
    status = ok(world.db.url, "board", "status", "--now", "2027-03-20T12:00")
    assert "no open actions: nobody is asked for an update" in status


def test_two_plans_meeting_the_same_day_reach_a_lead_in_one_dm_per_pass(world):
    world.seed(actions={"A1": ["Alice"]}, plan="children")
    world.seed(actions={"P1": ["Alice"], "P2": ["Bob"]}, plan="partnership")
    ok(world.db.url, "board", "add", "2027-04-06", "--plan", "children", "--now", "2027-03-01T09:00")
    ok(world.db.url, "board", "add", "2027-04-06", "--plan", "partnership", "--now", "2027-03-01T09:00")
    world.run(D(2027, 3, 19), D(2027, 3, 24))
    alice = world.posts("UALICE")
    assert len(alice) == 2  # the call, then the chase: each covering both plans
    assert all(
        "Board 6 April 2027" in p["text"] and p["text"].count("Board 6 April 2027") == 2 for p in alice
    )
    blocks = str(alice[0]["blocks"])
    assert "(Improvement plan)" in blocks and "*A1*" in blocks and "*P1*" in blocks
    assert len(world.posts("UBOB")) == 2


def test_a_lead_on_leave_with_no_deputy_is_named_to_admins_and_asked_when_back(world):
    world.seed()
    world.roles()
    with world.db.session_factory.begin() as s:
        alice = world.person(s, "Alice")
        alice.away_until = D(2027, 3, 22)
    add_april(world)
    world.run(D(2027, 3, 19), D(2027, 3, 24))
    assert world.board_rows() == [
        ("A1", "board_call", D(2027, 3, 23), "UALICE"),  # back on Tuesday: a late call
        ("A1", "board_chase", D(2027, 3, 24), "UALICE"),
        ("B1", "board_call", D(2027, 3, 19), "UBOB"),
        ("B1", "board_chase", D(2027, 3, 24), "UBOB"),
    ]
    (note,) = [p for p in world.posts("UADMIN") if "could not reach" in p["text"]]
    assert "Alice: on leave until 22 Mar, with no deputy" in str(note["blocks"])


def test_the_call_and_chase_days_follow_the_policy(world):
    world.seed()
    add_april(world)
    ok(world.db.url, "policy", "set", "board_call_working_days", "8")
    ok(world.db.url, "policy", "set", "board_chase_working_days", "1")
    refused = cli(world.db.url, "policy", "set", "board_chase_working_days", "8")
    assert refused.exit_code == 2
    assert "board_chase_working_days must be fewer than board_call_working_days" in refused.output
    shown = ok(world.db.url, "policy", "show")
    assert "board_call_working_days   8" in shown and "board_publish" in shown
    world.run(D(2027, 3, 15), D(2027, 3, 26))
    # 8 working days before Tuesday 30 March, skipping Easter Monday and Good Friday: Tuesday 16th;
    # 1 working day before: Thursday 25th.
    assert {(kind, day) for _ref, kind, day, _uid in world.board_rows()} == {
        ("board_call", D(2027, 3, 16)),
        ("board_chase", D(2027, 3, 25)),
    }


def test_with_board_publish_off_the_round_runs_but_no_pack_is_published(world):
    world.seed()
    world.roles()
    add_april(world)
    ok(world.db.url, "policy", "set", "board_publish", "off")
    world.run(D(2027, 3, 19), D(2027, 4, 1))
    assert {kind for _r, kind, _d, _u in world.board_rows()} == {"board_call", "board_chase"}
    assert world.fake.calls("files.completeUploadExternal") == []
    assert "board_publish is off" in ok(world.db.url, "board", "status", "--now", "2027-03-31T12:00")


def test_a_plan_switched_off_gets_no_round(world):
    world.seed()
    add_april(world)
    ok(world.db.url, "policy", "set", "enabled", "false")
    world.run(D(2027, 3, 19), D(2027, 4, 1))
    assert world.posts() == [] and world.fake.calls("files.completeUploadExternal") == []


def test_a_call_slack_refuses_is_not_retried_and_the_lead_is_not_chased(world):
    world.seed()
    add_april(world)
    world.fake.fail_next("chat.postMessage", error="user_not_found")
    world.run(D(2027, 3, 19), D(2027, 3, 26))
    rows = world.board_rows()
    sent_to = {uid for _r, _k, _d, uid in rows}
    assert len(sent_to) == 1  # the other lead got the call and the chase
    status = ok(world.db.url, "board", "status", "--now", "2027-03-26T12:00")
    assert "Slack refused the call" in status


def test_a_pack_upload_that_fails_is_retried_with_backoff_and_a_permanent_error_stops(world):
    world.seed()
    world.roles()
    add_april(world)
    world.run(D(2027, 3, 19), D(2027, 3, 30))
    world.fake.fail_next("files.completeUploadExternal", status=500, times=1)
    world.fake.fail_next("conversations.open", error="user_not_found")
    world.run(D(2027, 3, 31), D(2027, 3, 31), times=[dt.time(0, 10), dt.time(9, 15), dt.time(9, 30)])
    with world.db.session_factory() as s:
        posts = {p.target: (p.status, p.attempts, p.last_error) for p in s.scalars(select(BoardPost))}
    assert posts["C0BOARD"][0] == "sent" and posts["C0BOARD"][1] == 2  # retried after a minute
    assert posts["UBOARD"] == ("failed", 1, "user_not_found")
    (alert,) = [p for p in world.posts("UADMIN") if "could not be delivered" in p["text"]]
    assert (
        alert["text"]
        == "The board pack for Board 6 April 2027 could not be delivered to board member UBOARD (user_not_found)."
    )
    assert "`progressbot board pack --meeting 2027-04-06`" in str(alert["blocks"])


def test_an_admins_note_that_slack_turned_away_is_sent_on_a_later_pass(world):
    world.seed(actions={"G1": ["Gina"]})  # nobody to call: the admin's note is the pass's only message
    world.roles()
    add_april(world)
    world.run(D(2027, 3, 15), D(2027, 3, 18))  # the weekly unlinked-leads note went on Monday
    world.fake.fail_next("chat.postMessage", status=500, times=3)  # the client's retries included
    world.run(D(2027, 3, 19), D(2027, 3, 19), times=[dt.time(9, 15)])
    assert not [p for p in world.posts("UADMIN") if "could not reach" in p["text"]]
    world.run(D(2027, 3, 19), D(2027, 3, 19), times=[dt.time(9, 30), dt.time(10, 30)])
    notes = [p for p in world.posts("UADMIN") if "could not reach" in p["text"]]
    assert len(notes) == 1 and "Gina" in str(notes[0]["blocks"])


def test_the_dry_run_shows_the_call_and_the_pack_and_records_nothing(world):
    world.seed()
    world.roles()
    add_april(world)
    call = ok(world.db.url, "remind", "--now", "2027-03-19T10:00", "--dry-run")
    assert "--- to UALICE (reminder) ---" in call
    assert (
        "Board 6 April 2027" in call and "Please update your actions by the end of *Tuesday 30 March*" in call
    )
    world.run(D(2027, 3, 19), D(2027, 3, 30))
    pack = ok(world.db.url, "remind", "--now", "2027-03-31T10:00", "--dry-run")
    assert "--- to C0BOARD (board_pack) ---" in pack and "--- to UBOARD (board_pack) ---" in pack
    assert "the board pack for Improvement plan" in pack
    with world.db.session_factory() as s:
        assert s.scalars(select(ReportVersion)).all() == []
        assert s.scalars(select(BoardPost)).all() == []


def test_the_planner_says_who_gets_what_as_plain_data_for_any_channel(world):
    world.seed(actions={"A1": ["Alice"], "G1": ["Gina"]})
    add_april(world)
    with world.db.session_factory() as s:
        board = plan_board_round(s, dt.datetime(2027, 3, 19, 10, tzinfo=UTC), config=PlannerConfig())
    by_lead = {d.lead_name: d for d in board.deliveries}
    assert by_lead["Alice"].channel == "slack" and by_lead["Alice"].recipient_uid == "UALICE"
    gina = by_lead["Gina"]
    assert (gina.channel, gina.stage, gina.unreachable, gina.recipient_uid) == (
        None,
        "call",
        "no Slack link",
        None,
    )
    assert [i["ref"] for i in gina.items] == ["G1"] and gina.meeting_label == "Board 6 April 2027"
    assert [p.item["ref"] for p in board.planned] == ["A1"]  # only Slack deliveries become ledger rows


def test_updates_imported_from_the_document_do_not_count_as_an_answer(world):
    world.seed()
    add_april(world)
    with world.db.session_factory.begin() as s:
        update = add_update(s, s.get(Action, world.ids["A1"]), dt.datetime(2027, 3, 18, tzinfo=UTC))
        update.source = "import"
    with world.db.session_factory() as s:
        board = plan_board_round(s, dt.datetime(2027, 3, 19, 10, tzinfo=UTC), config=PlannerConfig())
        (rnd,) = board.rounds
        assert {lead.person.display_name: len(lead.outstanding) for lead in rnd.leads} == {
            "Alice": 1,
            "Bob": 1,
        }


def test_no_plan_rows_leak_between_plans(world):
    world.seed(actions={"A1": ["Alice"]}, plan="children")
    world.seed(actions={"P1": ["Bob"]}, plan="partnership")
    ok(world.db.url, "board", "add", "2027-04-06", "--plan", "children", "--now", "2027-03-01T09:00")
    world.run(D(2027, 3, 19), D(2027, 3, 19))
    assert [(r[0], r[3]) for r in world.board_rows()] == [("A1", "UALICE")]  # Bob's plan has no meeting
    with world.db.session_factory() as s:
        assert s.scalars(select(Plan.board_channel).where(Plan.name == "children")).one() == "C0BOARD"


def test_a_revoked_token_at_pack_time_stops_the_pass_and_fails_no_pack(world):
    """The reminders' rule for every send of the pass: a token error leaves everything pending."""
    world.seed()
    world.roles()
    add_april(world)
    world.run(D(2027, 3, 19), D(2027, 3, 30))
    world.fake.invalid_auth(True)
    now = dt.datetime(2027, 3, 31, 9, 15, tzinfo=UTC)
    world.fake.clock = now.timestamp
    stopped = run_reminder_pass(
        world.db.session_factory, world.client, now, sender=quick_sender(world.client)
    )
    assert (stopped.stopped, stopped.needs_fixing, stopped.board.failed) == ("invalid_auth", True, 0)
    assert stopped.messages == 0 and world.fake.calls()[-1].method == "files.getUploadURLExternal"  # a pack
    with world.db.session_factory() as s:
        posts = {p.target: (p.status, p.attempts, p.claimed_by) for p in s.scalars(select(BoardPost))}
    assert set(posts.values()) == {("pending", 0, None)}
    world.fake.invalid_auth(False)
    world.run(D(2027, 3, 31), D(2027, 3, 31), times=[dt.time(9, 30)])
    with world.db.session_factory() as s:
        assert {p.status for p in s.scalars(select(BoardPost))} == {"sent"}
    assert world.fake.call_count("files.completeUploadExternal") == len(posts)
