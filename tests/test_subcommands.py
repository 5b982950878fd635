"""The /progress registry: every registered subcommand parses, dispatches to its handler and is in help."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot import subcommands
from bot.commands import read_away, read_board, read_grant, read_link, read_ref, read_report, read_summary
from bot.subcommands import BY_NAME, SUBCOMMANDS, help_lines, parse_command, subcommand_for
from tests.support.bot_harness import ADMIN, JO

# A text each subcommand understands (after its word), run as an admin against the harness's plan.
SAMPLES = {
    "mine": "",
    "update": "3.2",
    "action": "3.2",
    "summary": "red",
    "report": "html",
    "board": "",
    "away": "off",
    "help": "",
    "challenge": "3.2",
    "signoff": "3.2",
    "edit": "3.2",
    "leads": "",
    "link": "Sam Smith <@U0SAM|sam>",
    "grant": "board <@U0NEW>",
}
# What a subcommand answered after the acknowledgement does next in Slack (3.2 is not complete, so
# signoff is refused through response_url).
AFTER_ACK = {
    "update": "views.open",
    "challenge": "views.open",
    "edit": "views.open",
    "signoff": "response_url",
    "summary": "response_url",
    "report": "files.completeUploadExternal",
}


def test_every_subcommand_has_a_sample_and_its_own_words():
    assert set(SAMPLES) == set(BY_NAME)
    words = [word for s in SUBCOMMANDS for word in s.words]
    assert len(words) == len(set(words)), "a word names two subcommands"
    assert all(word == word.lower() and " " not in word for word in words)


@pytest.mark.parametrize("subcommand", SUBCOMMANDS, ids=lambda s: s.name)
def test_each_word_parses_to_its_subcommand(subcommand):
    for word in subcommand.words:
        command = parse_command(f"{word.upper()} {SAMPLES[subcommand.name]}".strip())
        assert command.name == subcommand.name, word
        assert subcommand_for(command) is subcommand


def test_anything_else_is_answered_by_help():
    command = parse_command("frobnicate 3.2")
    assert command.name == "unknown"
    assert subcommand_for(command) is BY_NAME["help"]
    assert parse_command("").name == "help"


@pytest.mark.parametrize("subcommand", SUBCOMMANDS, ids=lambda s: s.name)
def test_each_subcommand_is_in_help_for_its_audience(subcommand):
    usage = f"`/progress {subcommand.example}`"
    assert usage in "\n".join(help_lines(admin=True, board=True))
    lead_sees = "\n".join(help_lines(admin=False, board=False))
    board_sees = "\n".join(help_lines(admin=False, board=True))
    assert (usage in lead_sees) == (subcommand.audience == subcommands.EVERYONE)
    assert (usage in board_sees) == (subcommand.audience != subcommands.ADMIN)


def test_the_inline_set():
    assert {s.name for s in SUBCOMMANDS if not s.inline} == set(AFTER_ACK)
    # Answered in the acknowledgement itself (the old QUICK set, less "unknown", which help answers).
    inline = {s.name for s in SUBCOMMANDS if s.inline}
    assert inline == {"help", "mine", "action", "away", "board", "leads", "link", "grant"}


@pytest.fixture
def recorded(monkeypatch):
    """Each handler wrapped so that a call is recorded before the real handler runs."""
    calls: list[str] = []

    def wrap(s):
        def handler(*args):
            calls.append(s.name)
            return s.handler(*args)

        return dataclasses.replace(s, handler=handler)

    wrapped = {name: wrap(s) for name, s in BY_NAME.items()}
    monkeypatch.setattr(subcommands, "BY_NAME", wrapped)
    monkeypatch.setattr(subcommands, "HELP", wrapped["help"])
    return calls


@pytest.mark.parametrize("subcommand", SUBCOMMANDS, ids=lambda s: s.name)
def test_each_subcommand_is_dispatched_to_its_handler_through_the_app(slack_app, recorded, subcommand):
    status, body = slack_app.command(f"{subcommand.name} {SAMPLES[subcommand.name]}".strip(), ADMIN)
    assert status == 200, body
    slack_app.settle()
    assert recorded == [subcommand.name]
    if subcommand.inline:
        answer = json.dumps(json.loads(body))
        assert "I didn't understand" not in answer
    else:
        assert slack_app.fake.calls(AFTER_ACK[subcommand.name])
    assert not [c for c in slack_app.fake.calls("response_url") if "went wrong" in json.dumps(c.params)]


def test_unknown_text_is_dispatched_to_help(slack_app, recorded):
    answer = slack_app.ack_json("frobnicate", JO)
    assert recorded == ["help"]
    assert "I didn't understand" in json.dumps(answer)


@pytest.mark.parametrize(
    ("reader", "rest", "args"),
    [
        (read_ref, "3.2", {"ref": "3.2"}),
        (read_ref, "3.2 plan ilacs", {"ref": "3.2", "plan": "ilacs"}),
        (read_ref, "3.2 plan", None),
        (read_ref, "3.2 4.1", None),
        (read_ref, "", None),
        (read_report, "", {"format": "docx"}),
        (read_report, ".PDF plan a", {"format": "pdf", "plan": "a"}),
        (read_report, "xlsx", None),
        (read_summary, "changes", {"kind": "changes", "since": None}),
        (read_summary, "lead", None),
        (read_away, "<@U0A> <@U0B> x", None),
        (read_board, "plan a", {"plan": "a"}),
        (read_board, "next", None),
        (read_grant, "king <@U0X>", None),
        (read_grant, "", None),
        (read_link, "<@U0X>", None),
    ],
)
def test_argument_readers(reader, rest, args):
    assert reader(rest) == args
