"""``progressbot leads list|link``, ``roles grant|revoke``, ``update`` and ``history`` end to end."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from progressbot.cli import main
from storage.models import Action, ActionLead, Person, Plan, RagState, Role, Update
from storage.people import add_alias, get_or_create_person

ENV = {"PROGRESSBOT_TIMEZONE": "Europe/London", "DATABASE_URL": "", "PROGRESSBOT_LOG_LEVEL": "WARNING"}
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """The command's clock (the default --at, and the check that --at is not in the future)."""
    monkeypatch.setattr("progressbot.cli.record_commands._now", lambda: NOW)


@pytest.fixture
def seeded(database):
    """One three-state plan with two actions: 1.1 led by Jane Smith (glossary "AD (CSC)"), 1.2 by nobody."""
    with database.session_factory.begin() as session:
        plan = Plan(name="ilacs", title="Post Ofsted ILACS Action Plan")
        plan.rag_states = [
            RagState(label="Red", rank=0, colour="#FF0000", aliases=["R"]),
            RagState(label="Amber", rank=1, colour="#FFC000", aliases=["A"]),
            RagState(label="Green", rank=2, colour="#00B050", aliases=["G"]),
        ]
        jane = get_or_create_person(
            session, "Jane Smith", role_title="Assistant Director Children's Social Care"
        )
        add_alias(session, jane, "AD (CSC)")
        bob = get_or_create_person(session, "Bob Jones")
        first = Action(ref="1.1", position=0, title="Develop a quality assurance framework")
        first.leads.append(ActionLead(person=jane, position=0, lead_text="AD CSC"))
        first.leads.append(ActionLead(person=bob, position=1, kind="delegate", lead_text="Bob Jones"))
        plan.actions = [first, Action(ref="1.2", position=1, title="Legal gateway panel")]
        session.add(plan)
    return database


def run(database, *args):
    result = CliRunner().invoke(
        main, ["--database-url", database.url, *args], env=ENV, catch_exceptions=False
    )
    return result


def _count(database, model):
    with database.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_update_records_on_the_leads_behalf_and_history_shows_it(seeded):
    result = run(
        seeded, "update", "1.1", "--plan", "ilacs", "--rag", "a", "--text", "Framework drafted",
        "--evidence", "https://intranet.example/qa", "--at", "2026-07-01T14:30",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "recorded: ilacs 1.1 Amber on behalf of Jane Smith" in result.output
    with seeded.session_factory() as session:
        update = session.scalars(select(Update)).one()
        assert update.rag == "Amber" and update.source == "cli" and update.author_text == "cli"
        assert update.on_behalf_of.display_name == "Jane Smith" and update.author is None
        # A naive --at is London time: 14:30 BST is 13:30 UTC.
        assert update.submitted_at == dt.datetime(2026, 7, 1, 13, 30, tzinfo=dt.UTC)
        assert update.evidence_url == "https://intranet.example/qa"

    # --plan may be left out: there is only one plan. --by names the officer who typed it.
    run(seeded, "leads", "link", "Bob Jones", "--slack-user", "U0BOB")
    result = run(seeded, "update", "1.1", "--rag", "Green", "--text", "Signed off", "--at", "2026-07-08T09:00",
                 "--by", "U0BOB")  # fmt: skip
    assert result.exit_code == 0, result.output

    history = run(seeded, "history", "1.1", "--json")
    assert history.exit_code == 0, history.output
    data = json.loads(history.output)
    assert (data["plan"], data["ref"]) == ("ilacs", "1.1")
    rows = [(u["rag"], u["text"], u["author"], u["on_behalf_of"], u["source"]) for u in data["updates"]]
    assert rows == [
        ("Amber", "Framework drafted", "cli", "Jane Smith", "cli"),
        ("Green", "Signed off", "Bob Jones", "Jane Smith", "cli"),
    ]
    assert data["updates"][0]["submitted_at"] == "2026-07-01T14:30:00+01:00"
    assert data["updates"][0]["evidence_url"] == "https://intranet.example/qa"

    text = run(seeded, "history", "1.1", "--plan", "ilacs")
    lines = text.output.splitlines()
    assert lines[0] == "ilacs 1.1: Develop a quality assurance framework"
    assert lines[1].startswith("2026-07-01 14:30  Amber") and "cli for Jane Smith via cli" in lines[1]
    assert "Bob Jones for Jane Smith" in text.output and lines[-1] == "2 updates"


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("Nobody", "--by: no lead called 'Nobody'"),
        ("Jane Smyth", "did you mean 'Jane Smith'?"),
        ("U0TEMP", "--by: U0TEMP is not a Slack user progressbot knows"),
    ],
)
def test_update_by_someone_progressbot_does_not_know_is_refused(seeded, by, message):
    result = run(seeded, "update", "1.1", "--rag", "Red", "--text", "Phoned in", "--by", by)
    assert result.exit_code == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    assert _count(seeded, Update) == 0


def test_update_by_a_lead_s_name_or_a_user_with_a_role(seeded):
    assert run(seeded, "roles", "grant", "admin", "U0ADMIN").exit_code == 0
    for n, by in enumerate(("ad csc", "U0ADMIN")):
        result = run(seeded, "update", "1.1", "--rag", "Red", "--text", f"Phoned in {n}", "--by", by)
        assert result.exit_code == 0, result.output
    data = json.loads(run(seeded, "history", "1.1", "--json").output)
    assert [u["author"] for u in data["updates"]] == ["Jane Smith", "U0ADMIN"]


@pytest.mark.parametrize("at", ["2026-11-23T10:01", "2026-11-23T10:00:01+00:00", "2099-01-01T09:00"])
def test_update_at_a_future_time_is_refused_and_nothing_is_stored(seeded, at):
    result = run(seeded, "update", "1.1", "--rag", "Green", "--text", "Done soon", "--at", at)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert (
        f"--at {at} is in the future (it is now 2026-11-23 10:00 GMT): nothing was recorded" in result.stderr
    )
    assert _count(seeded, Update) == 0


def test_update_at_now_or_before_is_recorded_and_shown_latest(seeded):
    assert (
        run(seeded, "update", "1.1", "--rag", "Red", "--text", "Behind", "--at", "2026-11-20T09:00").exit_code
        == 0
    )
    assert (
        run(
            seeded, "update", "1.1", "--rag", "Amber", "--text", "Catching up", "--at", "2026-11-23T10:00"
        ).exit_code
        == 0
    )
    shown = json.loads(run(seeded, "plan", "show", "--json").output)
    assert [a["rag"] for a in shown["actions"] if a["ref"] == "1.1"] == ["Amber"]


def test_the_same_update_command_twice_records_once(seeded):
    args = ("update", "1.1", "--rag", "Red", "--text", "Behind", "--at", "2026-07-01T09:00")
    assert run(seeded, *args).exit_code == 0
    again = run(seeded, *args)
    assert again.exit_code == 0 and "already recorded" in again.output
    assert _count(seeded, Update) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("update", "9.9", "--rag", "Red", "--text", "x"), "no action '9.9' in plan 'ilacs'"),
        (("update", "1.1", "--rag", "Blue", "--text", "x"), "unknown RAG 'Blue' for plan 'ilacs': choose one of Red, Amber, Green"),
        (("update", "1.1", "--plan", "other", "--rag", "Red", "--text", "x"), "no plan named 'other'"),
        (("update", "1.1", "--rag", "Red", "--text", " "), "the update has no text"),
        (("update", "1.1", "--rag", "Red", "--text", "x" * 3001), "the limit is 3,000 characters"),
        (("update", "1.1", "--rag", "Red", "--text", "x", "--evidence", "ftp://x"), "http(s)"),
        (("update", "1.1", "--rag", "Red", "--text", "x", "--at", "yesterday"), "--at 'yesterday'"),
        (("history", "1.9"), "no action '1.9' in plan 'ilacs'"),
        (("history", "1.1", "--plan", "other"), "no plan named 'other'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_nothing_written(seeded, args, message):
    result = run(seeded, *args)
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert err.startswith("progressbot: error: ") and message in err
    assert "\n" not in err and "Traceback" not in result.output
    assert _count(seeded, Update) == 0


def test_history_with_two_plans_needs_plan(seeded):
    with seeded.session_factory.begin() as session:
        session.add(Plan(name="second"))
    result = run(seeded, "history", "1.1")
    assert result.exit_code == 2 and "--plan" in result.stderr


def test_leads_list_and_link(seeded):
    linked = run(seeded, "leads", "link", "ad csc", "--slack-user", "U0JANE")
    assert linked.exit_code == 0 and "linked Jane Smith to U0JANE" in linked.output
    run(seeded, "leads", "link", "Jane Smith", "--email", "Jane@Example.gov.uk")

    listed = run(seeded, "leads", "list", "--json")
    people = {p["display_name"]: p for p in json.loads(listed.output)["people"]}
    jane = people["Jane Smith"]
    assert jane["slack_user_id"] == "U0JANE" and jane["email"] == "jane@example.gov.uk"
    assert jane["aliases"] == ["AD (CSC)"]
    assert jane["actions"] == [{"plan": "ilacs", "ref": "1.1", "kind": "lead"}]
    assert people["Bob Jones"]["actions"] == [{"plan": "ilacs", "ref": "1.1", "kind": "delegate"}]

    text = run(seeded, "leads", "list").output
    assert "Jane Smith  [U0JANE]" in text and "also: AD (CSC)" in text
    assert "Bob Jones  [not linked to Slack]" in text and "ilacs 1.1 (delegate)" in text
    assert text.splitlines()[-1] == "2 leads, 1 not linked to Slack"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("leads", "link", "Jane Smyth", "--slack-user", "U0J"), "did you mean 'Jane Smith'"),
        (("leads", "link", "Jane Smith"), "--slack-user UID or --email ADDRESS"),
        (("leads", "link", "Jane Smith", "--slack-user", "jane"), "not a Slack user id"),
        (("leads", "link", "Jane Smith", "--slack-user", "U0BOB"), "already linked to Bob Jones"),
    ],
)
def test_leads_link_refusals(seeded, args, message):
    run(seeded, "leads", "link", "Bob Jones", "--slack-user", "U0BOB")
    result = run(seeded, *args)
    assert result.exit_code == 2 and message in result.stderr
    with seeded.session_factory() as session:
        assert session.scalar(select(Person.slack_user_id).where(Person.display_name == "Jane Smith")) is None


def test_roles_grant_and_revoke(seeded):
    assert "U0ADMIN has the admin role" in run(seeded, "roles", "grant", "admin", "U0ADMIN").output
    assert run(seeded, "roles", "grant", "admin", "U0ADMIN").exit_code == 0  # idempotent
    assert run(seeded, "roles", "grant", "board", "U0CHAIR").exit_code == 0
    with seeded.session_factory() as session:
        assert sorted(session.execute(select(Role.slack_user_id, Role.role)).all()) == [
            ("U0ADMIN", "admin"),
            ("U0CHAIR", "board"),
        ]
    assert "revoked admin from U0ADMIN" in run(seeded, "roles", "revoke", "admin", "U0ADMIN").output
    assert "did not have" in run(seeded, "roles", "revoke", "admin", "U0ADMIN").output
    bad = run(seeded, "roles", "grant", "owner", "U0ADMIN")
    assert bad.exit_code == 2 and "unknown role 'owner'" in bad.stderr
    assert _count(seeded, Role) == 1
