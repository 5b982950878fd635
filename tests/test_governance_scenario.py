"""The whole life of one action under governance, through the command line and through Slack:

1. import; 2. reassign; 3. propose a date; 4. agree it; 5. reminders follow the new date;
6. challenge and answer; 7. complete, then sign off; 8. the report shows each step.

The action is 1.5 of Stockton's 2019 post-ILACS plan ("All care plans in pre-proceedings ... will be
scrutinised by a senior manager", due July 2019, led by the Service Manager Fieldwork). In that plan's
key Green means "achieved", its complete state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import create_app
from progressbot.cli import main
from slackviews import governance as gv
from tests.support import slack_signing as signing
from tests.support.bot_harness import ADMIN, BOARD, SECRET, Bot, running, seed

PLAN_FILE = Path(__file__).parent / "fixtures" / "stockton-2019-ilacs-action-plan.docx"
QUALITY = "Service Manager Quality, Practice and Review"
FIELD, QUAL, CHAIR = "U0FIELD", "U0QUAL", "U0CHAIR"
ENV = {
    "PROGRESSBOT_TIMEZONE": "Europe/London",
    "DATABASE_URL": "",
    "PROGRESSBOT_LOG_LEVEL": "WARNING",
    "SLACK_BOT_TOKEN": "",
}


def cli(url, *args, env=None):
    result = CliRunner().invoke(main, ["--database-url", url, *args], env={**ENV, **(env or {})})
    assert result.exit_code == 0, result.output
    return result.output


# --- through the command line -------------------------------------------------------------------


def test_the_life_of_an_action_through_the_command_line(database, tmp_path):
    url = database.url
    # 1. Import.
    cli(url, "import", str(PLAN_FILE), "--plan", "ilacs")
    cli(url, "leads", "link", QUALITY, "--slack-user", QUAL)
    cli(url, "roles", "grant", "board", CHAIR, "--name", "Cllr Pat Chair")
    # 2. Reassign.
    out = cli(
        url,
        "action",
        "set",
        "1.5",
        "--lead",
        QUALITY,
        "--reason",
        "The Fieldwork manager has left",
        "--at",
        "2020-02-20T10:00",
    )
    assert f"lead(s): Service Manager Fieldwork → {QUALITY}" in out
    # 3. Propose a date (the lead, through an admin at the command line).
    out = cli(url, "update", "1.5", "--rag", "Amber", "--text", "Audit slipped: the panel chair was off sick",
              "--propose-due", "2020-03-31", "--by", QUAL, "--at", "2020-03-02T10:00")  # fmt: skip
    assert "asked the board for a new due date, 31 Mar 2020" in out
    # 4. Agree it.
    out = cli(url, "action", "agree-date", "1.5", "--by", CHAIR, "--at", "2020-03-12T10:00")
    assert "agreed: ilacs 1.5 is now due 31 Mar 2020 (was 31 Jul 2019)" in out
    # 5. Reminders follow the new date: the new lead is reminded 14 days before it, not chased for July.
    reminders = cli(url, "remind", "--dry-run", "--now", "2020-03-17T10:00")
    to_quality = reminders.split(f"--- to {QUAL} (reminder) ---")[1].split("---")[0]
    block = to_quality.split("*1.5*")[1].split("[Update]")[0]
    assert "Due in 14 days (Tue 31 Mar 2020)" in block
    # 6. Challenge and answer.
    cli(
        url,
        "challenge",
        "1.5",
        "--question",
        "What is the evidence the scrutiny happens?",
        "--by",
        CHAIR,
        "--at",
        "2020-03-13T10:00",
    )
    open_report = cli(
        url, "report", "--format", "md", "--as-of", "2020-03-14", "--out", str(tmp_path / "open.md")
    )
    assert "wrote" in open_report
    opened = (tmp_path / "open.md").read_text()
    assert "### Open challenges (1)" in opened and "What is the evidence the scrutiny happens?" in opened
    out = cli(url, "update", "1.5", "--rag", "Amber", "--text", "Every plan goes to the weekly legal gateway meeting",
              "--by", QUAL, "--at", "2020-03-16T10:00")  # fmt: skip
    assert "answers the challenge from Cllr Pat Chair" in out
    # 7. Complete, then sign off.
    out = cli(url, "update", "1.5", "--rag", "Green", "--text", "Scrutiny embedded", "--evidence-note",
              "Gateway minutes, CSMG papers 20 March", "--by", QUAL, "--at", "2020-03-20T10:00")  # fmt: skip
    assert "complete, awaiting sign-off" in out
    awaiting = cli(
        url, "report", "--format", "md", "--as-of", "2020-03-21", "--out", str(tmp_path / "awaiting.md")
    )
    assert "wrote" in awaiting
    assert "### Complete, awaiting sign-off (1)" in (tmp_path / "awaiting.md").read_text()
    cli(url, "signoff", "1.5", "--by", CHAIR, "--note", "Read the minutes", "--at", "2020-03-24T10:00")
    # 8. The report shows each step.
    cli(url, "report", "--format", "md", "--as-of", "2020-03-31", "--out", str(tmp_path / "final.md"))
    final = (tmp_path / "final.md").read_text().replace("\\", "")
    line = next(ln for ln in final.splitlines() if ln.startswith("- **1.5**"))
    assert "[Green] All care plans in pre-proceedings" in line and QUALITY in line
    assert "Original: 31 Jul 2019 · Revised: 31 Mar 2020 (agreed 12 Mar 2020)" in line
    assert "1 action retimed since the plan was imported" in final
    assert "### Open challenges (0)" in final and "### Complete, awaiting sign-off (0)" in final
    assert "2 changes to the plan since the plan was imported: 1 timescale revised, 1 lead changed." in final
    html_out = tmp_path / "final.html"
    cli(url, "report", "--format", "html", "--as-of", "2020-03-31", "--out", str(html_out))
    assert "Signed off by Cllr Pat Chair, 24 Mar 2020" in html_out.read_text()
    history = cli(url, "history", "1.5")
    steps = [
        "2020-02-20 10:00  lead(s): Service Manager Fieldwork",
        "2020-03-02 10:00  asked for a new due date: 31 Jul 2019 → 31 Mar 2020  by Service Manager Quality",
        "2020-03-12 10:00  agreed the new due date 31 Mar 2020  by Cllr Pat Chair",
        "2020-03-13 10:00  challenged the update  by Cllr Pat Chair",
        "2020-03-16 10:00  answered the challenge with an update",
        "2020-03-20 10:00  Green",
        "2020-03-24 10:00  signed off the completion  by Cllr Pat Chair",
    ]
    positions = [history.index(step) for step in steps]
    assert positions == sorted(positions)
    shown = json.loads(cli(url, "plan", "show", "--json"))
    item = next(a for a in shown["actions"] if a["ref"] == "1.5")
    assert (item["due"], item["original_due"], item["completion"]) == (
        "2020-03-31",
        "2019-07-31",
        "signed_off",
    )
    assert [(r["from"], r["to"], r["agreed_by"]) for r in item["revisions"]] == [
        ("2019-07-31", "2020-03-31", "Cllr Pat Chair")
    ]


# --- through Slack ------------------------------------------------------------------------------


@dataclasses.dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def scenario(fake_slack, database, settings, now):
    """The running app with a clock the test moves on, the harness's people, and Stockton's plan."""
    settings = dataclasses.replace(settings, slack_api_url=fake_slack.url, slack_signing_secret=SECRET)
    with database.session_factory.begin() as session:
        ids = seed(session)
    cli(database.url, "import", str(PLAN_FILE), "--plan", "ilacs")
    cli(database.url, "leads", "link", "Service Manager Fieldwork", "--slack-user", FIELD)
    cli(database.url, "leads", "link", QUALITY, "--slack-user", QUAL)
    clock = Clock(now)
    app = create_app(settings, database.session_factory, clock=clock)
    with running(app) as url:
        bot = Bot(
            fake=fake_slack, url=url, database=database, now=now, ids=ids, services=app.progressbot_services
        )
        yield bot, clock


def _view_after(bot, before):
    return bot.fake.wait_for("views.open", before + 1)[-1].response["view"]


def _submit(bot, view, values, user):
    status, _, body = bot.post(signing.view_submission(view, values, user_id=user))
    assert status == 200
    return json.loads(body) if body else {}


def _button(blocks, action_id):
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(action_id)


def _wait_dm(bot, user, containing):
    seen = 0
    while True:
        calls = bot.fake.wait_for("chat.postMessage", seen + 1)
        found = [
            c
            for c in calls
            if c.params.get("channel") == user and containing in json.dumps(c.params, ensure_ascii=False)
        ]
        if found:
            return found[-1]
        seen = len(calls)


def test_the_life_of_an_action_through_slack(scenario, tmp_path):
    bot, clock = scenario
    # 2. Reassign: the admin edits 1.5 in a modal.
    before = len(bot.fake.calls("views.open"))
    bot.command("edit 1.5 plan ilacs", ADMIN)
    view = _view_after(bot, before)
    leads = next(b for b in view["blocks"] if b.get("block_id") == "leads")["element"]
    quality = next(o for o in leads["options"] if o["text"]["text"].startswith("Service Manager Quality"))
    done = _submit(bot, view, {
        "title": {"value": {"value": next(b for b in view["blocks"] if b.get("block_id") == "title")["element"]["initial_value"]}},
        "leads": {"value": {"selected_options": [quality]}},
        "timescale": {"value": {"value": "July 2019"}},
        "status": {"value": {"selected_option": {"value": "open"}}},
        "reason": {"value": {"value": "The Fieldwork manager has left"}},
    }, ADMIN)  # fmt: skip
    assert "lead(s): Service Manager Fieldwork → Service Manager Quality" in json.dumps(
        done["view"], ensure_ascii=False
    )
    _wait_dm(bot, QUAL, "was changed by")

    # 3. Propose a date: the new lead's update asks for one.
    clock.advance(days=7)
    before = len(bot.fake.calls("views.open"))
    bot.command("update 1.5 plan ilacs", QUAL)
    update = _view_after(bot, before)
    bot.submit(
        update, user=QUAL, rag="Amber", text="Audit slipped: the chair was off sick", proposed="2027-01-29"
    )
    request = _wait_dm(bot, BOARD, gv.AGREE_DATE)
    assert "from *31 Jul 2019* to *29 Jan 2027*" in json.dumps(request.params["blocks"])

    # 4. Agree it.
    clock.advance(days=3)
    agree = _button(request.params["blocks"], gv.AGREE_DATE)
    bot.click(
        BOARD,
        gv.AGREE_DATE,
        agree["value"],
        channel=request.response["channel"],
        message_ts=request.response["ts"],
    )
    assert "agreed your new date" in json.dumps(_wait_dm(bot, QUAL, "agreed your new date").params)

    # 5. Reminders follow the new date (the worker's pass, against the same fake Slack).
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": bot.fake.url}
    cli(bot.database.url, "remind", "--now", "2027-01-15T10:00", env=env)
    reminder = _wait_dm(bot, QUAL, "*1.5*")
    assert "Due in 14 days (Fri 29 Jan 2027)" in json.dumps(reminder.params["blocks"])

    # 6. Challenge and answer: from the card, a modal; the lead answers in the question's thread.
    clock.advance(days=1)
    card = json.loads(bot.command("action 1.5 plan ilacs", BOARD)[1])
    challenge = _button(card["blocks"], gv.CHALLENGE)
    before = len(bot.fake.calls("views.open"))
    bot.click(BOARD, gv.CHALLENGE, challenge["value"], response_url=bot.fake.response_url)
    asked = _submit(
        bot, _view_after(bot, before), {"question": {"value": {"value": "Who scrutinised the plans?"}}}, BOARD
    )
    assert asked["response_action"] == "update"
    question = _wait_dm(bot, QUAL, "Who scrutinised the plans?")
    clock.advance(days=1)
    bot.settle()  # the app has recorded which challenge that DM asks
    bot.dm(
        QUAL,
        "The Head of Service, weekly at the legal gateway",
        ts="1800000000.000001",
        thread_ts=question.response["ts"],
    )
    assert "answered your question" in json.dumps(_wait_dm(bot, BOARD, "answered your question").params)

    # 7. Complete, then sign off.
    clock.advance(days=2)
    before = len(bot.fake.calls("views.open"))
    bot.command("update 1.5 plan ilacs", QUAL)
    bot.submit(
        _view_after(bot, before),
        user=QUAL,
        rag="Green",
        text="Scrutiny embedded",
        evidence="https://intranet.example/gateway",
    )
    ask = _wait_dm(bot, ADMIN, gv.SIGN_OFF)
    clock.advance(days=1)
    before = len(bot.fake.calls("views.open"))
    bot.click(ADMIN, gv.SIGN_OFF, _button(ask.params["blocks"], gv.SIGN_OFF)["value"],
              channel=ask.response["channel"], message_ts=ask.response["ts"])  # fmt: skip
    signed = _submit(
        bot, _view_after(bot, before), {"note": {"value": {"value": "Read the gateway minutes"}}}, ADMIN
    )
    assert signed["response_action"] == "update"
    _wait_dm(bot, QUAL, "signed off by U0ADMIN")

    # 8. The report (asked for in Slack) and the history show each step.
    bot.command("report html plan ilacs", BOARD)
    bot.fake.wait_for("files.completeUploadExternal")
    [upload] = bot.fake.uploads.values()
    html = upload["content"].decode()
    row = next(part for part in html.split("<tr") if ">1.5<" in part)
    assert "Service Manager Quality, Practice and Review" in row
    assert "Original: 31 Jul 2019 · Revised: 29 Jan 2027 (agreed 3 Dec 2026)" in row
    assert "Signed off by U0ADMIN, 8 Dec 2026" in row and ">Green<" in row
    assert "1 action retimed since the plan was imported" in html
    history = cli(bot.database.url, "history", "1.5", "--plan", "ilacs")
    for step in (
        "2026-11-23 10:00  lead(s): Service Manager Fieldwork",
        "2026-11-30 10:00  asked for a new due date: 31 Jul 2019 → 29 Jan 2027",
        "2026-12-03 10:00  agreed the new due date 29 Jan 2027  by U0BOARD via slack",
        "2026-12-04 10:00  challenged the update  by U0BOARD via slack",
        f"2026-12-05 10:00  answered the challenge in the thread  by {QUALITY} via slack",
        "2026-12-07 10:00  Green",
        "2026-12-08 10:00  signed off the completion  by U0ADMIN via slack",
    ):
        assert step in history, step
