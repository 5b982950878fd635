"""A simulated quarter of the board cycle, day by day, six reminder passes a day, against the fake Slack.

Two meetings set with ``progressbot board repeat "monthly on the first Tuesday"``: Tuesday 6 April 2027
(cut-off Tuesday 30 March, counting back over Easter Monday; call Friday 19 March, counting back over
Easter Monday and Good Friday; chase Wednesday 24 March) and Tuesday 4 May 2027 (cut-off Monday 26
April, counting back over the Early May bank holiday; call Monday 19 April; chase Thursday 22 April).
Leads answer after the call, after the chase, before the call, or never; one is on leave with a deputy,
one has no Slack link, one has a due-date reminder on the call day, one action has two leads. The
process restarts between passes, and twice dies just after Slack accepted a message or a file.

Every call, chase and publication is checked: its exact date, who got it (and for whom), what it
asked about, and that it went out once.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from sqlalchemy import select

from jobs.reminders import run_reminder_pass
from progressbot.cli import main
from report.publish import publish_version
from storage.db import create_db_engine, make_session_factory
from storage.models import (
    Action,
    BoardPost,
    Meeting,
    Person,
    Plan,
    ReminderEntry,
    ReminderMessage,
    ReportVersion,
)
from tests.support.jobs_factories import add_update, grant, make_action, make_person, make_plan, quick_sender

pytestmark = pytest.mark.slow  # several hundred real passes against a SQLite file and the fake Slack

D = dt.date
UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
PASS_TIMES = [
    dt.time(0, 10),
    dt.time(8, 15),
    dt.time(9, 15),
    dt.time(13, 15),
    dt.time(14, 15),
    dt.time(19, 0),
]
FIRST_DAY, LAST_DAY = D(2027, 3, 1), D(2027, 5, 31)
APRIL, MAY = D(2027, 4, 6), D(2027, 5, 4)

# (ref, RAG, when): "slack" updates, as a lead gives them.
UPDATES = [
    ("K1", "Blue", dt.datetime(2027, 2, 1, 10, tzinfo=UTC)),  # complete long before: never asked
    ("D1", "Amber", dt.datetime(2027, 3, 10, 10, tzinfo=UTC)),  # before the April call, in its window
    ("S1", "Amber", dt.datetime(2027, 3, 10, 10, tzinfo=UTC)),  # Dev answers the action he shares with Carol
    ("H1", "Blue", dt.datetime(2027, 3, 19, 14, tzinfo=UTC)),  # after the call that came with its due day
    ("A1", "Amber", dt.datetime(2027, 3, 22, 11, tzinfo=UTC)),  # after the call...
    ("A2", "Amber", dt.datetime(2027, 3, 23, 11, tzinfo=UTC)),  # ...both before the chase
    ("B1", "Amber", dt.datetime(2027, 3, 25, 15, tzinfo=UTC)),  # after the chase
    ("E1", "Amber", dt.datetime(2027, 3, 26, 10, tzinfo=UTC)),  # after the chase
    ("B1", "Green", dt.datetime(2027, 4, 1, 10, tzinfo=UTC)),  # after April's cut-off: counts for May
    ("A1", "Green", dt.datetime(2027, 4, 10, 10, tzinfo=UTC)),  # in May's window, before its call
    ("H2", "Amber", dt.datetime(2027, 4, 19, 14, tzinfo=UTC)),  # after the May call
    ("E1", "Green", dt.datetime(2027, 4, 20, 10, tzinfo=UTC)),  # after the May call
    ("A1", "Amber", dt.datetime(2027, 4, 22, 15, tzinfo=UTC)),  # after the May chase
    ("A2", "Green", dt.datetime(2027, 4, 22, 15, tzinfo=UTC)),
]
# A version published by hand between the meetings: May's pack must still compare with April's.
MANUAL_PUBLISH = dt.datetime(2027, 4, 12, 10, tzinfo=UTC)
RESTARTS = {dt.datetime(2027, 3, 24, 9, 15, tzinfo=UTC), dt.datetime(2027, 4, 20, 8, 15, tzinfo=UTC)}
# The process dies right after Slack accepted: the April pack in the board channel, a May chase.
DIE_AFTER_UPLOAD = dt.datetime(2027, 3, 31, 8, 15, tzinfo=UTC)
DIE_AFTER_POST = dt.datetime(2027, 4, 22, 8, 15, tzinfo=UTC)

ZONES = {"UBOB": NEW_YORK, "UBOARD2": NEW_YORK}

# (lead, kind, meeting) -> (recipient, local date sent, refs in the message)
EXPECTED = {
    # April: the call on Friday 19 March; Eve is on leave, so her deputy Frank gets hers.
    ("Alice", "board_call", APRIL): ("UALICE", D(2027, 3, 19), {"A1", "A2"}),
    ("Bob", "board_call", APRIL): ("UBOB", D(2027, 3, 19), {"B1"}),
    ("Carol", "board_call", APRIL): ("UCAROL", D(2027, 3, 19), {"C1", "S1"}),
    ("Dev", "board_call", APRIL): ("UDEV", D(2027, 3, 19), {"D1", "S1"}),
    ("Eve", "board_call", APRIL): ("UFRANK", D(2027, 3, 19), {"E1"}),
    ("Harry", "board_call", APRIL): ("UHARRY", D(2027, 3, 19), {"H1", "H2"}),
    # The chase on Wednesday 24 March: only the leads with actions still to update, and only those.
    ("Bob", "board_chase", APRIL): ("UBOB", D(2027, 3, 24), {"B1"}),
    ("Carol", "board_chase", APRIL): ("UCAROL", D(2027, 3, 24), {"C1"}),
    ("Eve", "board_chase", APRIL): ("UEVE", D(2027, 3, 24), {"E1"}),  # back from leave
    ("Harry", "board_chase", APRIL): ("UHARRY", D(2027, 3, 24), {"H2"}),
    # May: the call on Monday 19 April (Harry's H1 was completed before the window: not asked).
    ("Alice", "board_call", MAY): ("UALICE", D(2027, 4, 19), {"A1", "A2"}),
    ("Bob", "board_call", MAY): ("UBOB", D(2027, 4, 19), {"B1"}),
    ("Carol", "board_call", MAY): ("UCAROL", D(2027, 4, 19), {"C1", "S1"}),
    ("Dev", "board_call", MAY): ("UDEV", D(2027, 4, 19), {"D1", "S1"}),
    ("Eve", "board_call", MAY): ("UEVE", D(2027, 4, 19), {"E1"}),
    ("Harry", "board_call", MAY): ("UHARRY", D(2027, 4, 19), {"H2"}),
    # The chase on Thursday 22 April.
    ("Alice", "board_chase", MAY): ("UALICE", D(2027, 4, 22), {"A2"}),
    ("Carol", "board_chase", MAY): ("UCAROL", D(2027, 4, 22), {"C1", "S1"}),
    ("Dev", "board_chase", MAY): ("UDEV", D(2027, 4, 22), {"D1", "S1"}),
}
# Actions listed as "already updated" in a call (they need nothing).
ALREADY = {
    ("Carol", APRIL): {"S1"},
    ("Dev", APRIL): {"D1", "S1"},
    ("Alice", MAY): {"A1"},
    ("Bob", MAY): {"B1"},
}
# Harry's due-date reminders for H1 (due Friday 19 March): 14 days and 3 working days before, and the
# due day, which arrives in the same DM as the April call.
HARRY_REMINDERS = [D(2027, 3, 5), D(2027, 3, 16), D(2027, 3, 19)]


class DyingClient(WebClient):
    """A WebClient whose process "dies" once, right after Slack accepted a message or a file."""

    die_on: str | None = None

    def chat_postMessage(self, **kwargs):
        response = super().chat_postMessage(**kwargs)
        self._maybe_die("chat_postMessage")
        return response

    def files_upload_v2(self, **kwargs):
        response = super().files_upload_v2(**kwargs)
        self._maybe_die("files_upload_v2")
        return response

    def _maybe_die(self, method: str) -> None:
        if self.die_on == method:
            self.die_on = None
            raise SystemExit("killed after Slack accepted")


def cli(url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--database-url", url, *args], env={"SLACK_BOT_TOKEN": ""})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    from storage.db import upgrade

    path = tmp_path_factory.mktemp("quarter") / "quarter.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    ids = _seed(factory)
    repeat = cli(
        url, "board", "repeat", "monthly on the first Tuesday", "--from", "2027-04-01", "--until", "2027-05-31",
        "--now", "2027-03-01T09:00",
    )  # fmt: skip
    cli(url, "board", "channel", "C0BOARD")
    from tests.support.fakeslack import FakeSlack

    with FakeSlack() as fake:
        engine = _simulate(url, engine, fake, ids)
        yield {
            "url": url,
            "factory": make_session_factory(engine),
            "fake": fake,
            "ids": ids,
            "repeat": repeat,
        }
    engine.dispose()


def _seed(factory) -> dict[str, int]:
    with factory.begin() as s:
        plan = make_plan(s, "improvement", start=D(2026, 1, 5))
        people = {
            "Alice": make_person(s, "Alice", uid="UALICE"),
            "Bob": make_person(s, "Bob", uid="UBOB", tz="America/New_York"),
            "Carol": make_person(s, "Carol", uid="UCAROL"),
            "Dev": make_person(s, "Dev", uid="UDEV"),
            "Frank": make_person(s, "Frank", uid="UFRANK"),
            "Gina": make_person(s, "Gina"),  # no Slack link
            "Harry": make_person(s, "Harry", uid="UHARRY"),
            "Kim": make_person(s, "Kim", uid="UKIM"),
        }
        people["Eve"] = make_person(s, "Eve", uid="UEVE", away_until=D(2027, 3, 23), deputy=people["Frank"])
        make_person(s, "Board Two", uid="UBOARD2", tz="America/New_York")
        later = D(2027, 12, 31)
        specs = [
            ("A1", ["Alice"], later, "once"),
            ("A2", ["Alice"], later, "once"),
            ("B1", ["Bob"], None, "unknown"),
            ("C1", ["Carol"], D(2027, 9, 30), "once"),
            ("D1", ["Dev"], later, "once"),
            ("S1", ["Carol", "Dev"], later, "once"),
            ("E1", ["Eve"], later, "once"),
            ("G1", ["Gina"], later, "once"),
            ("H1", ["Harry"], D(2027, 3, 19), "once"),
            ("H2", ["Harry"], later, "once"),
            ("K1", ["Kim"], later, "once"),
        ]
        ids = {
            ref: make_action(s, plan, ref, leads=[people[n] for n in names], due=due, schedule=schedule).id
            for ref, names, due, schedule in specs
        }
        for uid, role in (("UBOARD1", "board"), ("UBOARD2", "board"), ("UADMIN", "admin")):
            grant(s, uid, role)
        ids["plan"] = plan.id
    return ids


def _client(fake) -> DyingClient:
    return DyingClient(token="xoxb-test", base_url=fake.url)


def _simulate(url: str, engine, fake, ids: dict[str, int]):
    factory, client = make_session_factory(engine), _client(fake)
    pending = sorted(UPDATES, key=lambda u: u[2])
    day = FIRST_DAY
    while day <= LAST_DAY:
        for t in PASS_TIMES:
            now = dt.datetime.combine(day, t, tzinfo=UTC)
            fake.clock = now.timestamp  # Slack's timestamps follow the simulated clock
            while pending and pending[0][2] <= now:
                ref, rag, at = pending.pop(0)
                with factory.begin() as s:
                    add_update(s, s.get(Action, ids[ref]), at, rag=rag)
            if MANUAL_PUBLISH <= now < MANUAL_PUBLISH + dt.timedelta(hours=4):
                with factory.begin() as s:
                    if not s.scalars(select(ReportVersion).where(ReportVersion.source == "publish")).first():
                        publish_version(
                            s, s.get(Plan, ids["plan"]), now=MANUAL_PUBLISH, summary="", author="Clerk"
                        )
            if now in RESTARTS:  # a new process: a new engine and a new Slack client
                engine.dispose()
                engine = create_db_engine(url)
                factory, client = make_session_factory(engine), _client(fake)
            client.die_on = {DIE_AFTER_UPLOAD: "files_upload_v2", DIE_AFTER_POST: "chat_postMessage"}.get(now)
            try:
                run_reminder_pass(factory, client, now, sender=quick_sender(client))
            except SystemExit:
                engine.dispose()  # the process died mid-pass; the next pass runs in a new one
                engine = create_db_engine(url)
                factory, client = make_session_factory(engine), _client(fake)
        day += dt.timedelta(days=1)
    return engine


def _local(uid: str, at: dt.datetime) -> dt.datetime:
    return at.astimezone(ZONES.get(uid, LONDON))


def _board_rows(factory) -> list[tuple]:
    with factory() as s:
        return s.execute(
            select(Person.display_name, ReminderEntry, ReminderMessage, Meeting.date, Action.ref)
            .join(Person, Person.id == ReminderEntry.person_id)
            .join(Action, Action.id == ReminderEntry.action_id)
            .join(Meeting, Meeting.id == ReminderEntry.step)
            .join(ReminderMessage, ReminderMessage.id == ReminderEntry.message_id)
            .where(ReminderEntry.kind.like("board_%"), ReminderEntry.status == "sent")
        ).all()


def test_board_repeat_adds_the_two_meetings_with_their_round_dates(quarter):
    out = quarter["repeat"]
    assert "read as: monthly on the first Tuesday" in out
    assert (
        "Tue  6 Apr 2027  Board 6 April 2027: cut-off Tue 30 Mar 2027 (call Fri 19 Mar 2027, chase Wed 24 Mar 2027)"
        in out
    )
    assert (
        "Tue  4 May 2027  Board 4 May 2027: cut-off Mon 26 Apr 2027 (call Mon 19 Apr 2027, chase Thu 22 Apr 2027)"
        in out
    )
    assert "added 2 meeting(s) to improvement" in out


def test_every_call_and_chase_goes_on_its_day_to_the_right_person_once(quarter):
    got: dict[tuple, set] = {}
    messages: dict[tuple, set[int]] = {}
    for lead, entry, message, meeting_day, ref in _board_rows(quarter["factory"]):
        local = _local(message.slack_user_id, message.sent_at)
        assert dt.time(9) <= local.time() < dt.time(18) and local.weekday() < 5, (lead, entry.kind, local)
        key = (lead, entry.kind, meeting_day)
        got.setdefault(key, set()).add((message.slack_user_id, local.date(), ref))
        messages.setdefault(key, set()).add(message.id)
    expected = {k: {(uid, day, ref) for ref in refs} for k, (uid, day, refs) in EXPECTED.items()}
    assert got == expected
    assert all(len(ids) == 1 for ids in messages.values()), messages  # each in one message


def test_each_lead_gets_one_dm_per_pass_and_nothing_twice_despite_restarts_and_kills(quarter):
    fake = quarter["fake"]
    posts = Counter(c.params["channel"] for c in fake.calls("chat.postMessage") if c.response.get("ok"))
    expected = Counter(uid for uid, _day, _refs in EXPECTED.values())
    # Harry's H1 reminders on 5 and 16 March come on their own; on the 19th the due-day reminder
    # rides in the April call.
    expected["UHARRY"] += 2
    assert {uid: posts[uid] for uid in expected} == dict(expected)
    assert posts["UKIM"] == 0  # his only action was complete before either window
    with quarter["factory"]() as s:
        sent = Counter(
            (m.slack_user_id, m.sent_at)
            for m in s.scalars(select(ReminderMessage).where(ReminderMessage.status == "sent"))
        )
        assert max(sent.values()) == 1
        assert s.scalars(select(ReminderMessage).where(ReminderMessage.status != "sent")).all() == []


def test_the_call_on_the_due_day_carries_the_reminder_in_the_same_dm(quarter):
    fake = quarter["fake"]
    harry = [c for c in fake.calls("chat.postMessage") if c.params["channel"] == "UHARRY"]
    with quarter["factory"]() as s:
        reminders = s.execute(
            select(ReminderEntry.kind, ReminderMessage.sent_at, ReminderMessage.id)
            .join(ReminderMessage, ReminderMessage.id == ReminderEntry.message_id)
            .where(ReminderEntry.action_id == quarter["ids"]["H1"], ReminderEntry.status == "sent")
        ).all()
    assert sorted(
        _local("UHARRY", at).date() for kind, at, _ in reminders if not kind.startswith("board")
    ) == (HARRY_REMINDERS)
    due_message = {mid for kind, at, mid in reminders if kind == "due"}
    call_message = {mid for kind, at, mid in reminders if kind == "board_call"}
    assert due_message == call_message  # one DM
    (post,) = [c for c in harry if any("Due today (Fri 19 Mar 2027)" in str(b) for b in c.params["blocks"])]
    text = str(post.params["blocks"])
    assert "Board 6 April 2027" in text and "*H2*" in text and "Update" in text


def test_the_call_lists_the_actions_already_updated_and_asks_for_nothing_on_them(quarter):
    fake = quarter["fake"]
    for (lead, meeting), refs in ALREADY.items():
        uid, _day, asked = EXPECTED[(lead, "board_call", meeting)]
        (post,) = [
            c
            for c in fake.calls("chat.postMessage")
            if c.params["channel"] == uid
            and meeting.strftime("%-d %B %Y") in c.params["text"]
            and "please update" in c.params["text"]
        ]
        blocks = post.params["blocks"]
        buttons = {b["block_id"] for b in blocks if b.get("accessory")}
        already = next(
            b["text"]["text"] for b in blocks if "Already updated" in b.get("text", {}).get("text", "")
        )
        for ref in refs:
            assert f"*{ref}*" in already and f"action-{quarter['ids'][ref]}" not in buttons
        for ref in asked - refs:
            assert f"action-{quarter['ids'][ref]}" in buttons


def test_the_deputy_is_told_whom_they_cover_for(quarter):
    (post,) = [c for c in quarter["fake"].calls("chat.postMessage") if c.params["channel"] == "UFRANK"]
    assert "covering for Eve" in str(post.params["blocks"])


def test_admins_hear_once_per_meeting_who_the_call_could_not_reach(quarter):
    notes = [
        c
        for c in quarter["fake"].calls("chat.postMessage")
        if c.params["channel"] == "UADMIN" and "could not reach" in c.params["text"]
    ]
    assert [c.params["text"] for c in notes] == [
        "Board 6 April 2027: the call for updates could not reach 1 lead in Slack.",
        # On a Monday it shares the admin's DM with the weekly list of leads not linked to Slack.
        "1 lead with open actions is not linked to Slack. "
        "Board 4 May 2027: the call for updates could not reach 1 lead in Slack.",
    ]
    assert all(
        "Gina" in str(c.params["blocks"]) and "no Slack link" in str(c.params["blocks"]) for c in notes
    )
    with quarter["factory"]() as s:
        rows = s.execute(
            select(Meeting.date, BoardPost.target, ReminderMessage.sent_at)
            .join(BoardPost, BoardPost.meeting_id == Meeting.id)
            .join(ReminderMessage, ReminderMessage.id == BoardPost.message_id)
            .where(BoardPost.kind == "unreached")
        ).all()
    assert sorted((d, t, _local(t, at).date()) for d, t, at in rows) == [
        (APRIL, "UADMIN", D(2027, 3, 19)),
        (MAY, "UADMIN", D(2027, 4, 19)),
    ]


def _docx_text(blob: bytes) -> tuple[str, list[list[list[str]]]]:
    import docx

    document = docx.Document(io.BytesIO(blob))
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return "\n".join(p.text for p in document.paragraphs), tables


def test_each_pack_is_published_once_after_its_cut_off_and_sent_to_the_board(quarter):
    fake = quarter["fake"]
    with quarter["factory"]() as s:
        meetings = {m.date: m for m in s.scalars(select(Meeting))}
        versions = {v.version: v for v in s.scalars(select(ReportVersion))}
        posts = s.execute(
            select(Meeting.date, BoardPost)
            .join(Meeting, Meeting.id == BoardPost.meeting_id)
            .where(BoardPost.kind == "pack")
        ).all()
    assert set(versions) == {"Board 6 April 2027", "1.0", "Board 4 May 2027"}
    april, may = versions["Board 6 April 2027"], versions["Board 4 May 2027"]
    # Published by the first pass after the cut-off day ended (00:10 UTC is 01:10 in British Summer Time),
    # as at the end of the cut-off day.
    assert april.published_at == dt.datetime(2027, 3, 31, 0, 10, tzinfo=UTC)
    assert april.as_of == dt.datetime.combine(D(2027, 3, 30), dt.time.max, LONDON)
    assert may.published_at == dt.datetime(2027, 4, 27, 0, 10, tzinfo=UTC)
    assert may.as_of == dt.datetime.combine(D(2027, 4, 26), dt.time.max, LONDON)
    assert meetings[APRIL].version_id == april.id and meetings[MAY].version_id == may.id
    assert april.source == may.source == "board"
    # Delivered in each recipient's working hours: the channel and a London member at 09:15, a New York
    # member at 09:15 in New York.
    got = sorted((d, p.target, p.status, _local(p.target, p.sent_at)) for d, p in posts)
    assert got == [
        # The channel's upload was accepted at 09:15 and the process died; the next pass found it there
        # and recorded it, and only then went on to the London member.
        (APRIL, "C0BOARD", "sent", dt.datetime(2027, 3, 31, 10, 15, tzinfo=LONDON)),
        (APRIL, "UBOARD1", "sent", dt.datetime(2027, 3, 31, 10, 15, tzinfo=LONDON)),
        (APRIL, "UBOARD2", "sent", dt.datetime(2027, 3, 31, 9, 15, tzinfo=NEW_YORK)),
        (MAY, "C0BOARD", "sent", dt.datetime(2027, 4, 27, 9, 15, tzinfo=LONDON)),
        (MAY, "UBOARD1", "sent", dt.datetime(2027, 4, 27, 9, 15, tzinfo=LONDON)),
        (MAY, "UBOARD2", "sent", dt.datetime(2027, 4, 27, 9, 15, tzinfo=NEW_YORK)),
    ]
    uploads = Counter(c.params["channel_id"] for c in fake.calls("files.completeUploadExternal"))
    assert uploads == {"C0BOARD": 2, "DUBOARD1": 2, "DUBOARD2": 2}  # nothing uploaded twice
    comments = [c.params["initial_comment"] for c in fake.calls("files.completeUploadExternal")]
    assert comments[0].startswith(
        "*Board 6 April 2027*: the board pack for Improvement plan, as at the end of Tuesday 30 March"
    )
    assert "4 of 7 leads updated their actions for this meeting." in comments[0]
    assert "No update from: Carol (1), Gina (1), Harry (1)." in comments[0]
    assert "No update from: Carol (2), Dev (2), Gina (1)." in comments[-1]


def _no_response(tables) -> dict[str, str]:
    for table in tables:
        if (
            table
            and table[0][:2] == ["Ref", "Action"]
            and any("could not be asked" in r[-1] for r in table[1:])
        ):
            return {r[0]: r[-1] for r in table[1:]}
    raise AssertionError("no 'No update for this meeting' table")


def test_the_packs_name_the_non_responders_and_may_compares_with_april(quarter):
    with quarter["factory"]() as s:
        packs = {m.date: m.pack_docx for m in s.scalars(select(Meeting))}
    april_text, april_tables = _docx_text(packs[APRIL])
    assert (
        "Board pack for Board 6 April 2027: progress as at 30 March 2027 (the cut-off for updates)"
        in april_text
    )
    assert "latest Board 6 April 2027, issued 31 Mar 2027" in april_text  # the pack lists itself
    assert "No update for Board 6 April 2027 (3)" in april_text
    assert "No update since" not in april_text  # the meeting's own list replaces it in a pack
    assert _no_response(april_tables) == {
        "C1": "Carol: no update (asked 19 Mar, chased 24 Mar)",
        "G1": "Gina: could not be asked in Slack",
        "H2": "Harry: no update (asked 19 Mar, chased 24 Mar)",
    }
    may_text, may_tables = _docx_text(packs[MAY])
    assert "No update for Board 4 May 2027 (4)" in may_text
    assert _no_response(may_tables) == {
        "C1": "Carol: no update (asked 19 Apr, chased 22 Apr)",
        "D1": "Dev: no update (asked 19 Apr, chased 22 Apr)",
        "S1": "Carol: no update (asked 19 Apr, chased 22 Apr); Dev: no update (asked 19 Apr, chased 22 Apr)",
        "G1": "Gina: could not be asked in Slack",
    }
    # Direction of travel against April's pack (A1 Amber then and now: unchanged), not against the
    # version published by hand on 12 April (A1 Green: it would read "worse").
    assert "compares each action's RAG status with Board 6 April 2027" in may_text
    main_table = may_tables[-1]
    (a1,) = [row for row in main_table if row[0] == "A1"]
    assert a1[-1] == "→"
    (a2,) = [row for row in main_table if row[0] == "A2"]
    assert a2[-1] == "↑\nwas Amber"  # Amber in April's pack, Green by May's cut-off


def test_status_after_the_quarter_reports_the_may_round(quarter):
    import json

    out = cli(
        quarter["url"], "board", "status", "--meeting", "2027-05-04", "--json", "--now", "2027-05-31T12:00"
    )
    status = json.loads(out)
    assert list(status) == ["meeting", "cutoff", "called_at", "chased_at", "published_version", "leads"]
    assert status["meeting"] == "2027-05-04" and status["cutoff"] == "2027-04-26"
    assert status["called_at"] == "2027-04-19T09:15:00+01:00"
    assert (
        status["chased_at"] == "2027-04-22T10:15:00+01:00"
    )  # the killed pass's message, settled at 09:15 UTC
    assert status["published_version"] == "Board 4 May 2027"
    leads = {lead["name"]: lead for lead in status["leads"]}
    assert list(leads["Carol"]) == ["name", "slack_user", "asked", "updated", "outstanding"]
    assert {n: (v["asked"], v["updated"], v["outstanding"]) for n, v in leads.items()} == {
        "Alice": (2, 2, []),
        "Bob": (1, 1, []),
        "Carol": (2, 0, ["C1", "S1"]),
        "Dev": (2, 0, ["D1", "S1"]),
        "Eve": (1, 1, []),
        "Gina": (1, 0, ["G1"]),
        "Harry": (1, 1, []),
    }
    assert leads["Gina"]["slack_user"] is None and leads["Alice"]["slack_user"] == "UALICE"


def test_replaying_any_pass_of_the_quarter_sends_nothing_more(quarter):
    fake = quarter["fake"]
    before = len(fake.calls("chat.postMessage")), len(fake.calls("files.completeUploadExternal"))
    client = WebClient(token="xoxb-test", base_url=fake.url)
    for now in (
        dt.datetime(2027, 3, 19, 9, 30, tzinfo=UTC),
        dt.datetime(2027, 3, 24, 14, 30, tzinfo=UTC),
        dt.datetime(2027, 3, 31, 9, 30, tzinfo=UTC),
        dt.datetime(2027, 4, 22, 9, 30, tzinfo=UTC),
        dt.datetime(2027, 4, 27, 13, 30, tzinfo=UTC),
    ):
        result = run_reminder_pass(quarter["factory"], client, now, sender=quick_sender(client))
        assert result.sent == 0 and result.board.published == 0 and result.board.sent == 0, now
    assert (len(fake.calls("chat.postMessage")), len(fake.calls("files.completeUploadExternal"))) == before


def test_the_pack_reads_the_same_in_every_format(quarter):
    from jobs.board import build_round
    from jobs.board_publish import pack_data
    from jobs.planner import PlannerConfig
    from report.render import render

    with quarter["factory"]() as s:
        meeting = s.scalars(select(Meeting).where(Meeting.date == MAY)).one()
        rnd = build_round(s, meeting, dt.datetime(2027, 5, 31, tzinfo=UTC), config=PlannerConfig())
        data = pack_data(s, rnd, dt.datetime(2027, 5, 31, tzinfo=UTC), LONDON)
    html = render(data, "html").decode()
    md = render(data, "md").decode()
    payload = render(data, "json").decode()
    assert "Board pack for Board 4 May 2027: progress as at 26 April 2027 (the cut-off for updates)" in html
    assert '<h3 class="exc-no_response">No update for Board 4 May 2027 (4)</h3>' in html
    assert "### No update for Board 4 May 2027 (4)" in md
    assert "Change since Board 6 April 2027" in html
    assert '"meeting": "Board 4 May 2027"' in payload and '"kind": "no_response"' in payload
