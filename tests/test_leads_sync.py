"""``progressbot leads sync`` against the fake Slack directory."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from progressbot.cli import main
from storage.models import Action, ActionLead, Person, Plan


@pytest.fixture
def leads(database):
    with database.session_factory.begin() as session:
        plan = Plan(name="p", title="Plan")
        session.add(plan)
        session.flush()
        people = {
            "jo": Person(display_name="Jo Bloggs", name="Jo Bloggs", email="jo@example.org"),
            "sam": Person(display_name="Sam Smith", name="Sam Smith"),
            "alex": Person(display_name="Alex Brown", name="Alex Brown"),
            "pat": Person(display_name="Pat Nobody", name="Pat Nobody"),
            "kim": Person(display_name="Kim Linked", name="Kim Linked", slack_user_id="U0KIM"),
            "role": Person(display_name="Head of Service", role_title="Head of Service"),
            "gone": Person(display_name="Former Lead", name="Former Lead", email="former@example.org"),
        }
        session.add_all(people.values())
        session.flush()
        for pos, person in enumerate(people.values()):
            action = Action(
                plan_id=plan.id, ref=str(pos + 1), position=pos, title="t", due_date=dt.date(2027, 1, 1)
            )
            action.leads.append(ActionLead(person_id=person.id, position=0))
            session.add(action)
        session.add(Person(display_name="Not A Lead", name="Not A Lead"))  # leads nothing: left alone
    return database


def test_leads_sync_links_by_email_then_unique_name_and_stores_time_zones(leads, fake_slack):
    fake_slack.seed_users(250)
    fake_slack.add_user("U0JO", "Jo Bloggs", email="JO@example.org", tz="America/New_York")
    fake_slack.add_user("U0SAM", "Sam  Smith", tz="Europe/Dublin")
    fake_slack.add_user("U0AL1", "Alex Brown")
    fake_slack.add_user("U0AL2", "Alex Brown")
    fake_slack.add_user("U0KIM", "Kim Linked", tz="Asia/Tokyo")
    fake_slack.add_user("U0NAL", "Not A Lead")
    fake_slack.add_user("U0OLD", "Former Lead", email="former@example.org", deleted=True)
    env = {"SLACK_BOT_TOKEN": "xoxb-sync-token", "SLACK_API_URL": fake_slack.url}
    result = CliRunner().invoke(main, ["--database-url", leads.url, "leads", "sync"], env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "linked     Jo Bloggs -> U0JO (by email)" in out
    assert "linked     Sam Smith -> U0SAM (by name)" in out
    assert "ambiguous  Alex Brown: U0AL1, U0AL2" in out
    assert "not found  Pat Nobody" in out and "not found  Former Lead" in out
    assert "2 linked, 1 ambiguous" in out
    with leads.session_factory() as session:
        by_name = {p.display_name: p for p in session.scalars(select(Person))}
        assert by_name["Jo Bloggs"].timezone == "America/New_York"
        assert by_name["Sam Smith"].timezone == "Europe/Dublin"
        assert by_name["Kim Linked"].timezone == "Asia/Tokyo"  # refreshed from the same listing
        assert by_name["Alex Brown"].slack_user_id is None
        assert by_name["Not A Lead"].slack_user_id is None
        assert by_name["Former Lead"].slack_user_id is None
    assert fake_slack.calls("users.info") == []
    assert len(fake_slack.calls("users.list")) == 2  # 257 users, 200 a page, fetched once
    assert [c.params["email"] for c in fake_slack.calls("users.lookupByEmail")] == [
        "former@example.org",
        "jo@example.org",
    ]


def test_leads_sync_twice_changes_nothing_more(leads, fake_slack):
    fake_slack.add_user("U0SAM", "Sam Smith")
    env = {"SLACK_BOT_TOKEN": "xoxb-sync-token", "SLACK_API_URL": fake_slack.url}
    runner = CliRunner()
    first = runner.invoke(main, ["--database-url", leads.url, "leads", "sync"], env=env)
    second = runner.invoke(main, ["--database-url", leads.url, "leads", "sync"], env=env)
    assert "linked     Sam Smith" in first.output
    assert "linked" not in second.output.split("\n")[0] and "0 linked" in second.output


def test_leads_sync_survives_a_rate_limit(leads, fake_slack):
    fake_slack.add_user("U0SAM", "Sam Smith")
    fake_slack.fail_next("users.list", status=429, retry_after=0)
    env = {"SLACK_BOT_TOKEN": "xoxb-sync-token", "SLACK_API_URL": fake_slack.url}
    result = CliRunner().invoke(main, ["--database-url", leads.url, "leads", "sync"], env=env)
    assert "linked     Sam Smith" in result.output
    assert [c.status for c in fake_slack.calls("users.list")] == [429, 200]


def test_leads_sync_needs_a_token_and_reports_slack_errors(leads, fake_slack):
    result = CliRunner().invoke(
        main,
        ["--database-url", leads.url, "leads", "sync"],
        env={"SLACK_BOT_TOKEN": "", "SLACK_API_URL": fake_slack.url},
    )
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN" in result.output
    fake_slack.invalid_auth()
    result = CliRunner().invoke(
        main,
        ["--database-url", leads.url, "leads", "sync"],
        env={"SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_URL": fake_slack.url},
    )
    assert result.exit_code == 2 and "invalid_auth" in result.output
    assert "xoxb-revoked" not in result.output
