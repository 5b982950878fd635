"""Full round trips through the running app: /progress update → views.open → view_submission → stored."""

from __future__ import annotations

import datetime as dt
import json

from slackviews.common import OPEN_UPDATE_MODAL
from tests.support.bot_harness import ADMIN, JO, OUTSIDER, R2, SAM
from tests.support.waiting import wait_until


def test_update_command_opens_modal_stores_update_and_confirms(slack_app):
    status, body = slack_app.command("update 3.2", JO)
    assert status == 200 and body == ""
    view = slack_app.opened_view()
    assert view["callback_id"] == "progress_update"
    assert json.loads(view["private_metadata"]) == {
        "action_id": slack_app.ids["3.2"],
        "reminder_message_id": None,
    }
    radio = next(b for b in view["blocks"] if b.get("block_id") == "rag")["element"]
    assert [o["value"] for o in radio["options"]] == ["Red", "Amber", "Green", "Blue"]
    assert radio["options"][1]["description"]["text"] == "Some risk, being managed"

    status, body = slack_app.submit(
        view,
        user=JO,
        rag="Amber",
        text="Forum designed, first session booked",
        evidence="https://example.org/minutes",
        proposed="2027-01-31",
    )
    ack = json.loads(body)
    assert status == 200 and ack["response_action"] == "update"
    # Stored before the acknowledgement, so the acknowledgement itself says "saved" (no second submit).
    assert "submit" not in ack["view"] and "Thanks, saved your update on *3.2*" in json.dumps(ack["view"])
    assert slack_app.fake.calls("views.update") == []
    [update] = slack_app.updates()
    assert (update.rag, update.text, update.source) == (
        "Amber",
        "Forum designed, first session booked",
        "slack",
    )
    assert update.evidence_url == "https://example.org/minutes"
    assert update.proposed_due == dt.date(2027, 1, 31)
    assert update.author_id == slack_app.ids["jo"] and update.on_behalf_of_id is None
    assert update.submitted_at == slack_app.now
    # The DM to the lead, and (the date request) the board's notices: separate outbox rows, any order.
    confirmation = wait_until(
        lambda: next(
            (c for c in slack_app.fake.calls("chat.postMessage") if c.params["channel"] == JO), None
        ),
        what="the lead's confirmation",
    )
    assert "3.2" in confirmation.params["text"] and "Amber" in confirmation.params["text"]
    assert "31 Jan 2027" in json.dumps(confirmation.params["blocks"], ensure_ascii=False)

    # The new update shows in /progress action 3.2.
    answer = slack_app.ack_json("action 3.2", JO)
    assert "Forum designed, first session booked" in json.dumps(answer["blocks"])


def test_double_submit_stores_one_update_and_confirms_once(slack_app):
    slack_app.command("update 3.2", JO)
    view = slack_app.opened_view()
    first = slack_app.submit(view, user=JO, rag="Green", text="Done the thing")
    second = slack_app.submit(view, user=JO, rag="Green", text="Done the thing")
    assert first[0] == second[0] == 200
    assert len(slack_app.updates()) == 1
    slack_app.fake.wait_for("chat.postMessage")
    # The confirmation comes after ack; a later event proves the second submit sent none.
    slack_app.command("help", JO)
    assert len(slack_app.fake.calls("chat.postMessage")) == 1


def test_validation_errors_show_next_to_the_field(slack_app):
    slack_app.command("update 3.2", JO)
    view = slack_app.opened_view()
    status, body = slack_app.submit(view, user=JO, rag="Amber", text="x" * 3001)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert "3,000" in answer["errors"]["progress"]
    status, body = slack_app.submit(view, user=JO, rag="Amber", text="ok", evidence="ftp://nope")
    assert "evidence" in json.loads(body)["errors"]
    assert slack_app.updates() == []


def test_reminder_button_opens_modal_and_carries_the_reminder(slack_app):
    value = json.dumps({"action_id": slack_app.ids["3.2"], "reminder_message_id": slack_app.ids[R2]})
    assert slack_app.click(JO, OPEN_UPDATE_MODAL, value, channel="DU0JO", message_ts=R2) == 200
    view = slack_app.opened_view()
    assert json.loads(view["private_metadata"])["reminder_message_id"] == slack_app.ids[R2]
    slack_app.submit(view, user=JO, rag="Red", text="Blocked on funding")
    [update] = slack_app.updates()
    assert update.reminder_message_id == slack_app.ids[R2]
    # The scheduler's refresh edits the reminder: the answered action shows "Updated: Red".
    [edit] = slack_app.fake.wait_for("chat.update")
    assert edit.params["ts"] == R2
    assert "Updated: Red" in json.dumps(edit.params["blocks"])


def test_admin_updates_on_behalf_of_the_lead(slack_app):
    slack_app.command("update 4.1", ADMIN)
    view = slack_app.opened_view()
    assert "on behalf of Sam Smith" in json.dumps(view["blocks"])
    slack_app.submit(view, user=ADMIN, rag="Green", text="Checked with Sam")
    [update] = slack_app.updates()
    assert update.on_behalf_of_id == slack_app.ids["sam"]
    assert update.author_text == f"Slack user {ADMIN}"


def test_lead_cannot_update_someone_elses_action(slack_app):
    status, _ = slack_app.command("update 4.1", JO)
    assert status == 200
    [told] = slack_app.fake.wait_for("response_url")
    assert "only update the actions you lead" in told.params["text"]
    assert slack_app.fake.calls("views.open") == []
    # A crafted submission for someone else's action is refused inside the modal, nothing stored.
    slack_app.command("update 3.2", JO)
    view = slack_app.opened_view()
    forged = {**view, "private_metadata": json.dumps({"action_id": slack_app.ids["4.1"]})}
    status, body = slack_app.submit(forged, user=JO, rag="Red", text="not mine")
    # Refused in the acknowledgement, next to the field: the modal stays open with what was typed.
    answer = json.loads(body)
    assert status == 200 and answer["response_action"] == "errors"
    assert "only update the actions you lead" in answer["errors"]["progress"]
    assert slack_app.updates() == []
    assert slack_app.fake.calls("chat.postMessage") == []


def test_outsider_is_refused_politely_and_sees_nothing(slack_app):
    for text in ("mine", "action 3.2", "summary", "report", "update 3.2"):
        status, body = slack_app.command(text, OUTSIDER)
        assert status == 200
        shown = body or json.dumps([c.params for c in slack_app.fake.calls("response_url")])
        assert "Action 3.2 title" not in shown and "Jo Bloggs" not in shown
    answer = slack_app.ack_json("mine", OUTSIDER)
    assert "only open to the leads" in answer["text"]
    assert slack_app.fake.calls("views.open") == []
    assert slack_app.fake.calls("files.getUploadURLExternal") == []
    assert SAM not in json.dumps(answer)
    assert slack_app.updates() == []


def test_done_when_update_shows_in_action_history_cli_and_board_report(slack_app):
    """The issue's "done when": /progress update 3.2 → modal → /progress action, history --json, report."""
    from click.testing import CliRunner

    from progressbot.cli import main

    slack_app.command("update 3.2", JO)
    slack_app.submit(slack_app.opened_view(), user=JO, rag="Amber", text="Forum designed <!channel>")
    assert "Forum designed &lt;!channel&gt;" in json.dumps(slack_app.ack_json("action 3.2", JO))
    url = slack_app.database.url
    history = CliRunner().invoke(main, ["--database-url", url, "history", "3.2", "--json"])
    assert history.exit_code == 0, history.output
    assert "Forum designed <!channel>" in history.output and "Amber" in history.output
    out = slack_app.database.url.replace("sqlite:///", "").replace("progressbot.db", "report.json")
    report = CliRunner().invoke(
        main,
        [
            "--database-url",
            url,
            "report",
            "--format",
            "json",
            "--out",
            out,
            "--as-of",
            slack_app.now.date().isoformat(),
        ],
    )
    assert report.exit_code == 0, report.output
    with open(out, encoding="utf-8") as fh:
        rendered = fh.read()
    assert "Forum designed <!channel>" in rendered and "Amber" in rendered
