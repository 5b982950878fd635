"""``progressbot board add|repeat|list|remove|move|channel|status`` through click's CliRunner."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from progressbot.cli import main
from storage.models import Meeting, Plan
from tests.support.jobs_factories import add_update, make_action, make_person, make_plan

NOW = "2027-03-01T09:00"


@pytest.fixture
def url(database):
    with database.session_factory.begin() as s:
        plan = make_plan(s, "council")
        ann = make_person(s, "Ann", uid="UANN")
        gina = make_person(s, "Gina")
        make_action(s, plan, "1.1", leads=[ann], due=dt.date(2027, 6, 30))
        done = make_action(s, plan, "1.2", leads=[ann], due=dt.date(2027, 6, 30))
        make_action(s, plan, "2.1", leads=[gina], due=None, schedule="unknown")
        add_update(s, done, dt.datetime(2027, 1, 5, tzinfo=dt.UTC), rag="Blue")
    return database.url


def run(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, *args], env={"SLACK_BOT_TOKEN": ""})


def ok(url: str, *args: str) -> str:
    result = run(url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str) -> str:
    result = run(url, *args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("progressbot: error: ") and result.output.count("\n") == 1, result.output
    return result.output


def meetings(database) -> list[tuple]:
    with database.session_factory() as s:
        return [
            (m.date, m.name, m.cutoff, m.status, m.rule)
            for m in s.scalars(select(Meeting).order_by(Meeting.date, Meeting.id))
        ]


def test_add_takes_the_default_cut_off_five_working_days_before_skipping_bank_holidays(url, database):
    out = ok(url, "board", "add", "2027-04-06", "--now", NOW)
    # 5 working days before Tuesday 6 April: Mon 5, Fri 2, Thu 1, Wed 31, Tue 30 March; the call 5 working
    # days before that skips Easter Monday (29th) and Good Friday (26th).
    assert out.splitlines()[0] == (
        "added Board 6 April 2027 to council: cut-off Tue 30 Mar 2027 (call Fri 19 Mar 2027, chase Wed 24 Mar 2027)"
    )
    assert "no board channel is set" in out
    assert meetings(database) == [(dt.date(2027, 4, 6), "Board", dt.date(2027, 3, 30), "scheduled", None)]


def test_add_with_a_name_a_cut_off_and_a_uk_date(url, database):
    out = ok(
        url,
        "board",
        "add",
        "4 May 2027",
        "--name",
        "Improvement Board",
        "--cutoff",
        "23/04/2027",
        "--now",
        NOW,
    )
    assert "added Improvement Board 4 May 2027 to council: cut-off Fri 23 Apr 2027" in out
    assert meetings(database)[0][:3] == (dt.date(2027, 5, 4), "Improvement Board", dt.date(2027, 4, 23))


def test_add_flags_a_bank_holiday_or_a_weekend_but_adds_it(url):
    assert "(bank holiday: May Day)" in ok(url, "board", "add", "2027-05-03", "--now", NOW)
    assert "(a Saturday)" in ok(url, "board", "add", "2027-05-08", "--now", NOW)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("2027-02-01",), "2027-02-01 is in the past"),
        (
            ("2027-04-06", "--cutoff", "2027-04-06"),
            "the cut-off (2027-04-06) must be before the meeting (2027-04-06)",
        ),
        (("next tuesday-ish",), "DATE: 'next tuesday-ish' is not a date"),
        (("2027-04-06", "--plan", "nope"), "no plan"),
        (("2027-04-06", "--name", "x" * 81), "a meeting name is at most 80 characters"),
    ],
)
def test_add_refuses_bad_input_in_one_line_and_writes_nothing(url, database, args, says):
    assert says in refused(url, "board", "add", *args, "--now", NOW)
    assert meetings(database) == []


def test_add_twice_on_one_date_is_refused(url, database):
    ok(url, "board", "add", "2027-04-06", "--now", NOW)
    assert "council already has a meeting on 2027-04-06" in refused(
        url, "board", "add", "2027-04-06", "--now", NOW
    )
    assert len(meetings(database)) == 1


def test_repeat_prints_the_dates_it_added_and_keeps_existing_ones(url, database):
    ok(url, "board", "add", "2027-05-11", "--name", "Special", "--now", NOW)
    out = ok(url, "board", "repeat", "monthly on the second Tuesday", "--until", "2027-06-30", "--now", NOW)
    assert out.splitlines() == [
        "read as: monthly on the second Tuesday",
        "  Tue  9 Mar 2027  Board 9 March 2027: cut-off Tue  2 Mar 2027 (call Tue 23 Feb 2027, chase Fri 26 Feb 2027)",
        "  Tue 13 Apr 2027  Board 13 April 2027: cut-off Tue  6 Apr 2027 (call Tue 30 Mar 2027, chase Fri  2 Apr 2027)",
        "  Tue  8 Jun 2027  Board 8 June 2027: cut-off Tue  1 Jun 2027 (call Mon 24 May 2027, chase Thu 27 May 2027)",
        "  Tue 11 May 2027  already had a meeting: left as it was",
        "added 3 meeting(s) to council",
        "  note: the call day has passed: the call goes out on the next pass (a late call).",
        "  note: no board channel is set: `progressbot board channel CHANNEL_ID --plan council`",
    ]
    rules = {m[0]: m[4] for m in meetings(database)}
    assert (
        rules[dt.date(2027, 4, 13)] == "monthly on the second Tuesday" and rules[dt.date(2027, 5, 11)] is None
    )


def test_repeat_counts_its_interval_from_from_and_leaves_out_dates_past_their_cut_off(url, database):
    out = ok(
        url, "board", "repeat", "every 2 months on the first Wednesday", "--from", "2027-01-01",
        "--until", "2027-07-31", "--now", NOW,
    )  # fmt: skip
    # Counted from January: Jan (past), Mar 3 (cut-off 24 Feb, past), May 5, Jul 7.
    assert "Wed  3 Mar 2027  left out: its cut-off has passed" in out
    assert [m[0] for m in meetings(database)] == [dt.date(2027, 5, 5), dt.date(2027, 7, 7)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("every second Tuesday", "--until", "2027-12-31"), "could mean fortnightly or the second Tuesday"),
        (("when the chair says", "--until", "2027-12-31"), 'can\'t read the rule "when the chair says"'),
        (("weekly on Monday", "--until", "2030-12-31"), "--until is more than three years away"),
        (
            ("weekly on Monday", "--until", "2029-06-30"),
            "that rule gives 122 meetings; at most 100 are added at once",
        ),
        (
            ("annually on the first Monday in February", "--until", "2027-12-31"),
            "gives no meeting from 2027-03-01",
        ),
    ],
)
def test_repeat_refuses_what_it_cannot_read_for_sure(url, database, args, says):
    assert says in refused(url, "board", "repeat", *args, "--now", NOW)
    assert meetings(database) == []


def test_list_shows_the_round_dates_and_json_has_them_all(url):
    ok(url, "board", "repeat", "monthly on the first Tuesday", "--until", "2027-05-31", "--now", NOW)
    ok(url, "board", "channel", "c0board")
    out = ok(url, "board", "list", "--now", NOW)
    assert "Board meetings of council (board pack to C0BOARD):" in out
    assert (
        "Tue  6 Apr 2027  Board 6 April 2027  cut-off Tue 30 Mar 2027  call Fri 19 Mar 2027  chase Wed 24 Mar 2027  scheduled"
        in out
    )
    rows = json.loads(ok(url, "board", "list", "--json", "--now", NOW))
    assert [r["date"] for r in rows] == ["2027-04-06", "2027-05-04"]  # 2 March's cut-off had passed
    assert rows[0] == {
        "date": "2027-04-06",
        "name": "Board",
        "label": "Board 6 April 2027",
        "cutoff": "2027-03-30",
        "call_day": "2027-03-19",
        "chase_day": "2027-03-24",
        "status": "scheduled",
        "called_at": None,
        "chased_at": None,
        "published_version": None,
        "rule": "monthly on the first Tuesday",
    }


def test_list_without_meetings_says_how_to_add_one(url):
    assert "has no board meetings: add one with `progressbot board add DATE`" in ok(url, "board", "list")


def test_move_recomputes_the_cut_off_and_refuses_a_clash(url, database):
    ok(url, "board", "add", "2027-04-06", "--now", NOW)
    ok(url, "board", "add", "2027-05-04", "--now", NOW)
    out = ok(url, "board", "move", "2027-04-06", "2027-04-13", "--now", NOW)
    assert out.startswith("moved to Board 13 April 2027: cut-off Tue  6 Apr 2027")
    assert "council already has a meeting on 2027-05-04" in refused(
        url, "board", "move", "2027-04-13", "2027-05-04", "--now", NOW
    )
    assert "council has no meeting on 2027-04-06; meetings: 2027-04-13, 2027-05-04" in refused(
        url, "board", "remove", "2027-04-06", "--now", NOW
    )
    assert [m[:3] for m in meetings(database)] == [
        (dt.date(2027, 4, 13), "Board", dt.date(2027, 4, 6)),
        (dt.date(2027, 5, 4), "Board", dt.date(2027, 4, 26)),
    ]


def test_channel_is_validated_and_can_be_cleared(url, database):
    assert "is not a Slack channel id" in refused(url, "board", "channel", "#board")
    assert "the board pack goes to C0123ABCD" in ok(url, "board", "channel", "C0123ABCD")
    assert "board members by DM only" in ok(url, "board", "channel", "none")
    with database.session_factory() as s:
        assert s.scalars(select(Plan.board_channel)).one() is None


def test_status_before_the_call_lists_who_will_be_asked(url):
    ok(url, "board", "add", "2027-04-06", "--now", NOW)
    out = ok(url, "board", "status", "--now", "2027-03-10T12:00")
    lines = out.splitlines()
    assert lines[0] == "Board 6 April 2027 (council): the call for updates goes out on Fri 19 Mar"
    assert "  call      Fri 19 Mar 2027 (not sent)" in lines
    assert "  0 of 2 leads have updated" in lines
    assert any(
        line.startswith("  Ann ") and "asked  1" in line and "outstanding: 1.1" in line for line in lines
    )
    assert any("Gina" in line and "(not reachable in Slack: no Slack link)" in line for line in lines)
    status = json.loads(ok(url, "board", "status", "--json", "--now", "2027-03-10T12:00"))
    assert status == {
        "meeting": "2027-04-06",
        "cutoff": "2027-03-30",
        "called_at": None,
        "chased_at": None,
        "published_version": None,
        "leads": [
            {"name": "Ann", "slack_user": "UANN", "asked": 1, "updated": 0, "outstanding": ["1.1"]},
            {"name": "Gina", "slack_user": None, "asked": 1, "updated": 0, "outstanding": ["2.1"]},
        ],
    }


def test_status_without_meetings_and_with_an_unknown_meeting(url):
    assert "council has no board meetings" in refused(url, "board", "status", "--now", NOW)
    ok(url, "board", "add", "2027-04-06", "--now", NOW)
    assert "council has no meeting on 2027-04-07" in refused(
        url, "board", "status", "--meeting", "2027-04-07", "--now", NOW
    )
