"""The governance commands end to end: what they store, who may run them, what they print and tell."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from progressbot.cli import main
from storage.models import Action, Challenge, DateDecision, DateProposal, PlanChange, SignOff, Update
from tests.support.governance_factories import ADA, JO, KIM, PAT, SAM, governed_plan

ENV = {
    "PROGRESSBOT_TIMEZONE": "Europe/London",
    "DATABASE_URL": "",
    "PROGRESSBOT_LOG_LEVEL": "WARNING",
    "SLACK_BOT_TOKEN": "",
}


@pytest.fixture
def live(database):
    with database.session_factory.begin() as session:
        governed_plan(session)
    return database


def run(database, *args, env=None):
    return CliRunner().invoke(main, ["--database-url", database.url, *args], env={**ENV, **(env or {})})


def count(database, model, *where):
    with database.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def action(database, ref):
    with database.session_factory() as session:
        found = session.scalar(select(Action).where(Action.ref == ref))
        session.expunge_all()
        return found


# --- action set / add / close / reopen ----------------------------------------------------------


def test_action_set_reassigns_and_history_says_who_when_why(live):
    result = run(live, "action", "set", "1.1", "--lead", "Sam Smith", "--due", "31/01/2027",
                 "--reason", "Jo moved to another service", "--by", ADA, "--at", "2026-11-20T10:00")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "changed ilacs 1.1: lead(s): Jo Bloggs → Sam Smith; due date: 1 Dec 2026 → 31 Jan 2027"
    )
    history = run(live, "history", "1.1")
    assert "2026-11-20 10:00  lead(s): Jo Bloggs → Sam Smith  by Ada Admin via cli" in history.output
    assert "    why: Jo moved to another service" in history.output
    shown = json.loads(run(live, "plan", "show", "--json").output)
    item = next(a for a in shown["actions"] if a["ref"] == "1.1")
    assert (item["due"], item["original_due"], item["leads"]) == ("2027-01-31", "2026-12-01", ["Sam Smith"])
    assert item["revisions"] == [
        {
            "from": "2026-12-01",
            "to": "2027-01-31",
            "agreed_by": "Ada Admin",
            "agreed_at": "2026-11-20T10:00:00+00:00",
            "reason": "Jo moved to another service",
            "source": "cli",
        }
    ]


def test_action_set_refusals_write_nothing(live):
    cases = [
        (("--lead", "Sam Smith", "--by", PAT, "--reason", "x"), "Only admins can change the plan"),
        (
            ("--lead", "Nobody Known", "--reason", "x"),
            "no lead called 'Nobody Known'; to add someone new use --new-lead",
        ),
        (("--title", "New", "--reason", " "), "say why"),
        (("--timescale", "May 2027", "--due", "2027-05-01", "--reason", "x"), "not both"),
        (("--due", "someday", "--reason", "x"), "--due: 'someday' is not a date"),
        (("--title", "x", "--reason", "x", "--at", "2099-01-01T10:00"), "in the future"),
    ]
    for args, message in cases:
        result = run(live, "action", "set", "1.1", *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    missing = run(live, "action", "set", "1.1", "--title", "x")
    assert missing.exit_code == 2 and "Missing option '--reason'" in missing.output
    assert count(live, PlanChange) == 0


def test_new_lead_and_action_add(live):
    result = run(
        live,
        "action",
        "set",
        "2.1",
        "--lead",
        "Sam Smith",
        "--new-lead",
        "Lee Newstarter",
        "--reason",
        "Shared",
    )
    assert result.exit_code == 0 and "Sam Smith → Sam Smith, Lee Newstarter" in result.output
    added = run(live, "action", "add", "--ref", "1.3", "--title", "Recruit social workers", "--lead", "Lee Newstarter",
                "--timescale", "March 2027", "--section", "Improve timeliness", "--reason", "Agreed at the board")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "added ilacs 1.3 (section 1), due 31 Mar 2027"
    shown = json.loads(run(live, "plan", "show", "--json").output)
    assert [a["ref"] for a in shown["actions"]] == ["1.1", "1.2", "1.3", "2.1"]
    no_lead = run(live, "action", "add", "--ref", "1.4", "--title", "t", "--timescale", "May 2027")
    assert no_lead.exit_code == 2 and "at least one --lead" in no_lead.output


def test_close_withdrawn_merged_complete_and_reopen(live):
    merged = run(live, "action", "close", "1.2", "--as", "merged", "--into", "1.1", "--reason", "Same forum")
    assert (
        merged.output.strip()
        == "ilacs 1.2: merged into 1.1; nobody was told in Slack (SLACK_BOT_TOKEN is not set)"
    )
    assert action(live, "1.2").status == "merged"
    row = next(line for line in run(live, "plan", "show").output.splitlines() if line.startswith("1.2 "))
    assert row.rstrip().endswith("merged")
    again = run(live, "action", "close", "1.2", "--as", "withdrawn", "--reason", "x")
    assert again.exit_code == 2 and "already merged" in again.output
    assert run(live, "action", "reopen", "1.2", "--reason", "Split out again").exit_code == 0
    assert action(live, "1.2").status == "open"
    done = run(live, "action", "close", "2.1", "--as", "complete", "--reason", "Standards seen at CSMG",
               "--evidence", "https://intranet.example/standards")  # fmt: skip
    assert done.exit_code == 0 and "closed as complete and signed off" in done.output
    assert count(live, SignOff) == 1 and count(live, Update, Update.rag == "Blue") == 1
    refused = run(live, "action", "close", "1.1", "--as", "complete", "--reason", "mine", "--by", JO)
    assert refused.exit_code == 2 and "Only admins can close actions" in refused.output


# --- revised dates ------------------------------------------------------------------------------


def test_propose_then_agree_moves_the_date(live):
    proposed = run(live, "update", "1.1", "--rag", "Amber", "--text", "Partner sign-off delayed",
                   "--propose-due", "2027-01-31", "--by", JO, "--at", "2026-11-20T09:00")  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    assert "asked the board for a new due date, 31 Jan 2027; nobody was told in Slack" in proposed.output
    assert action(live, "1.1").due_date == dt.date(2026, 12, 1)
    own = run(live, "action", "agree-date", "1.1", "--by", JO)
    assert own.exit_code == 2 and "You lead 1.1" in own.output
    not_board = run(live, "action", "agree-date", "1.1", "--by", SAM)
    assert not_board.exit_code == 2 and "Only board members and admins" in not_board.output
    assert count(live, DateDecision) == 0
    agreed = run(live, "action", "agree-date", "1.1", "--by", PAT, "--at", "2026-11-21T10:00")
    assert (
        agreed.exit_code == 0 and "agreed: ilacs 1.1 is now due 31 Jan 2027 (was 1 Dec 2026)" in agreed.output
    )
    assert action(live, "1.1").due_date == dt.date(2027, 1, 31)
    late = run(live, "action", "agree-date", "1.1", "--by", KIM)
    assert late.exit_code == 2
    assert (
        "no revised date is waiting for a decision on 1.1 (the last request, 31 Jan 2027, was agreed by Pat Chair"
        in late.output
    )


def test_decline_needs_a_reason_and_keeps_the_date(live):
    run(
        live,
        "update",
        "2.1",
        "--rag",
        "Amber",
        "--text",
        "Short of staff",
        "--propose-due",
        "2027-06-30",
        "--by",
        SAM,
    )
    missing = run(live, "action", "decline-date", "2.1", "--by", KIM)
    assert missing.exit_code == 2 and "Missing option '--reason'" in missing.output
    declined = run(
        live, "action", "decline-date", "2.1", "--by", KIM, "--reason", "Ofsted revisit is in April"
    )
    assert (
        declined.exit_code == 0
        and "declined: ilacs 2.1 stays due 31 Mar 2027 (asked for 30 Jun 2027)" in declined.output
    )
    assert action(live, "2.1").due_date == dt.date(2027, 3, 31)
    history = run(live, "history", "2.1").output
    assert "declined the new due date 30 Jun 2027  by Kim Member via cli" in history
    assert "why: Ofsted revisit is in April" in history


def test_a_proposal_in_the_past_is_refused_and_nothing_is_stored(live):
    result = run(live, "update", "2.1", "--rag", "Amber", "--text", "x", "--propose-due", "2020-01-01")
    assert result.exit_code == 2 and "in the past" in result.output
    assert count(live, Update) == 0 and count(live, DateProposal) == 0


# --- challenge, answer, sign-off ----------------------------------------------------------------


def test_challenge_answered_by_an_update_then_sign_off(live):
    run(
        live,
        "update",
        "2.1",
        "--rag",
        "Green",
        "--text",
        "Standards drafted",
        "--by",
        SAM,
        "--at",
        "2026-11-20T09:00",
    )
    own = run(live, "challenge", "1.1", "--question", "Really?", "--by", JO)
    assert own.exit_code == 2 and "You lead 1.1" in own.output
    asked = run(
        live,
        "challenge",
        "2.1",
        "--question",
        "What is the evidence?",
        "--by",
        PAT,
        "--at",
        "2026-11-20T12:00",
    )
    assert asked.exit_code == 0 and asked.output.startswith("challenged ilacs 2.1;")
    shown = json.loads(run(live, "plan", "show", "--json").output)
    [open_one] = next(a for a in shown["actions"] if a["ref"] == "2.1")["open_challenges"]
    assert (open_one["by"], open_one["question"]) == ("Pat Chair", "What is the evidence?")
    done = run(live, "update", "2.1", "--rag", "Blue", "--text", "Published", "--evidence", "https://x.example/s",
               "--by", SAM, "--at", "2026-11-21T09:00")  # fmt: skip
    assert "answers the challenge from Pat Chair" in done.output
    assert "complete, awaiting sign-off by an admin or board member" in done.output
    refused = run(live, "signoff", "2.1", "--by", SAM)
    assert refused.exit_code == 2 and "Only board members and admins" in refused.output
    signed = run(live, "signoff", "2.1", "--by", KIM, "--at", "2026-11-22T09:00")
    assert (
        signed.exit_code == 0
        and "signed off ilacs 2.1 (no note or link: the report flags it)" in signed.output
    )
    twice = run(live, "signoff", "2.1", "--by", PAT)
    assert twice.exit_code == 2 and "already signed off by Kim Member on 22 Nov 2026" in twice.output
    events = json.loads(run(live, "history", "2.1", "--json").output)["events"]
    assert [e["kind"] for e in events] == ["update", "challenge", "update", "answer", "signoff"]
    assert events[3]["text"] == "Published" and events[3]["by"] == "Sam Smith"
    assert count(live, Challenge) == 1


def test_roles_list(live):
    text = run(live, "roles", "list").output.splitlines()
    assert text[0].startswith("admin  U0ADA  Ada Admin  (granted ")
    assert [line.split()[:3] for line in text[1:4]] == [
        ["board", JO, "Jo"],
        ["board", KIM, "Kim"],
        ["board", PAT, "Pat"],
    ]
    assert text[-1] == "1 admin(s), 3 board member(s)"
    data = json.loads(run(live, "roles", "list", "--json").output)
    assert {(r["role"], r["slack_user_id"], r["name"]) for r in data["roles"]} == {
        ("admin", ADA, "Ada Admin"),
        ("board", JO, "Jo Bloggs"),
        ("board", KIM, "Kim Member"),
        ("board", PAT, "Pat Chair"),
    }


# --- telling people in Slack from the command line ----------------------------------------------


def test_with_a_token_the_board_and_the_lead_hear_in_slack(live, fake_slack, settings):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    proposed = run(live, "update", "2.1", "--rag", "Amber", "--text", "Short of staff <!channel>",
                   "--propose-due", "2027-06-30", "--by", SAM, env=env)  # fmt: skip
    assert "told in Slack: 4 admins and board members" in proposed.output
    requests = fake_slack.calls("chat.postMessage")
    assert sorted(c.params["channel"] for c in requests) == sorted([ADA, JO, KIM, PAT])  # not Sam, who asked
    blocks = json.dumps(requests[0].params["blocks"])
    assert "gov_agree_date" in blocks and "gov_decline_date" in blocks and "&lt;!channel&gt;" in blocks
    agreed = run(live, "action", "agree-date", "2.1", "--by", PAT, env=env)
    assert "told in Slack: 1 person who asked" in agreed.output
    updates = fake_slack.calls("chat.update")
    assert len(updates) == 4 and all(
        "Agreed* by Pat Chair" in json.dumps(c.params["blocks"]) for c in updates
    )
    assert all("gov_agree_date" not in json.dumps(c.params["blocks"]) for c in updates)  # no second decision
    told = fake_slack.calls("chat.postMessage")[-1]
    assert told.params["channel"] == SAM and "agreed your new date" in json.dumps(told.params["blocks"])


def test_closing_an_action_replaces_the_buttons_of_its_waiting_request(live, fake_slack):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake_slack.url}
    run(
        live,
        "update",
        "2.1",
        "--rag",
        "Amber",
        "--text",
        "Late",
        "--propose-due",
        "2027-06-30",
        "--by",
        SAM,
        env=env,
    )
    assert len(fake_slack.calls("chat.postMessage")) == 4
    closed = run(
        live,
        "action",
        "close",
        "2.1",
        "--as",
        "withdrawn",
        "--reason",
        "Folded into 1.1",
        "--by",
        ADA,
        env=env,
    )
    assert closed.exit_code == 0, closed.output
    edits = fake_slack.calls("chat.update")
    assert len(edits) == 4
    assert all("2.1 was withdrawn" in json.dumps(c.params["blocks"]) for c in edits)
    assert all("gov_agree_date" not in json.dumps(c.params["blocks"]) for c in edits)
