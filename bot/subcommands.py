"""Every ``/progress`` subcommand, declared once: its words, how its arguments are read, who answers it,
whether it answers in the acknowledgement, and its line in ``help``.

The parser (``parse_command``), the dispatch (``subcommand_for``, ``answer_inline``) and the help text
(``help_lines``) are all built from ``SUBCOMMANDS``; a new subcommand is one more entry here and a
handler in ``bot.features``. ``tests/test_subcommands.py`` checks each entry parses, dispatches and is
in help.

Two kinds of handler, chosen by ``inline``:
- inline: ``(services, session, viewer, command) -> Reply``, run in one short transaction and sent in
  the acknowledgement itself (Slack allows 3 s, and these read or write a few rows);
- otherwise: ``(services, CommandCall) -> None``, which acknowledges and then does the slow part
  (opening a modal, compiling a summary, rendering a file) after the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.commands import (
    ArgReader,
    Command,
    parse_with,
    read_anything,
    read_away,
    read_board,
    read_grant,
    read_link,
    read_nothing,
    read_ref,
    read_report,
    read_summary,
)
from bot.features import modals, quick_answers, report_files, summaries
from bot.permissions import Viewer, is_known, viewer
from bot.services import Services
from slackviews import messages
from slackviews.messages import OUTSIDER_TEXT, Reply

EVERYONE, BOARD, ADMIN = "everyone", "board", "admin"  # who sees a subcommand in help


@dataclass(frozen=True)
class Subcommand:
    name: str  # Command.name; also the first word people type
    aliases: tuple[str, ...]  # other words for it
    read_args: ArgReader  # the text after the word -> arguments, or None (not understood: help)
    handler: Callable[..., Any]  # see the module docstring; its shape depends on ``inline``
    inline: bool  # answers in the acknowledgement
    example: str  # what help shows, after "/progress "
    does: str  # what help says it does
    audience: str = EVERYONE
    for_outsiders: bool = False  # answered for people not in the plan too

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _help(services: Services, session: Session, who: Viewer, command: Command) -> Reply:
    """``/progress help``, and the answer to anything not understood."""
    unknown = command.raw if command.name == "unknown" else None
    names = [s.example.split()[0] for s in _for(EVERYONE)]
    return messages.help_reply(help_lines(admin=who.admin, board=who.board), unknown=unknown, names=names)


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "mine",
        ("my", "me"),
        read_nothing,
        quick_answers.mine,
        inline=True,
        example="mine",
        does="your actions, with due dates, last RAG and Update buttons",
    ),
    Subcommand(
        "update",
        (),
        read_ref,
        modals.update_command,
        inline=False,
        example="update 3.2",
        does="update an action (RAG, progress, evidence link, a proposed new timescale)",
    ),
    Subcommand(
        "action",
        ("show",),
        read_ref,
        quick_answers.action,
        inline=True,
        example="action 3.2",
        does="one action with its latest update and a short history",
    ),
    Subcommand(
        "summary",
        (),
        read_summary,
        summaries.summary_command,
        inline=False,
        example="summary",
        does="RAG counts and exceptions; add `section NAME`, `lead NAME`, `red`, `overdue` or `changes [SINCE]`",
    ),
    Subcommand(
        "report",
        (),
        read_report,
        report_files.report_command,
        inline=False,
        example="report [docx|html|pdf]",
        does="the board report, sent to you as a file",
    ),
    Subcommand(
        "board",
        (),
        read_board,
        quick_answers.board,
        inline=True,
        example="board",
        does="board members and admins: the next board meeting and who has updated for it",
    ),
    Subcommand(
        "away",
        (),
        read_away,
        quick_answers.away,
        inline=True,
        example="away 2026-12-24 [@deputy]",
        does="leave cover while you are away; `/progress away off` when back",
    ),
    Subcommand(
        "help",
        ("?",),
        read_anything,
        _help,
        inline=True,
        example="help",
        does="this list",
        for_outsiders=True,
    ),
    Subcommand(
        "challenge",
        (),
        read_ref,
        modals.governance_command,
        inline=False,
        example="challenge 3.2",
        does="asks the lead about an update",
        audience=BOARD,
    ),
    Subcommand(
        "signoff",
        ("sign-off",),
        read_ref,
        modals.governance_command,
        inline=False,
        example="signoff 3.2",
        does="signs off a completion",
        audience=BOARD,
    ),
    Subcommand(
        "edit",
        (),
        read_ref,
        modals.governance_command,
        inline=False,
        example="edit 3.2",
        does="changes an action (leads, timescale, title, section, status)",
        audience=ADMIN,
    ),
    Subcommand(
        "leads",
        (),
        read_nothing,
        quick_answers.leads,
        inline=True,
        example="leads",
        does="lists the leads and their Slack links",
        audience=ADMIN,
    ),
    Subcommand(
        "link",
        (),
        read_link,
        quick_answers.link,
        inline=True,
        example="link NAME @user",
        does="links a lead to a Slack user",
        audience=ADMIN,
    ),
    Subcommand(
        "grant",
        (),
        read_grant,
        quick_answers.grant,
        inline=True,
        example="grant board|admin @user",
        does="gives someone the board or admin role",
        audience=ADMIN,
    ),
)

BY_NAME: dict[str, Subcommand] = {s.name: s for s in SUBCOMMANDS}
HELP = BY_NAME["help"]
# Each word people may type (lower case) -> (subcommand name, argument reader); an empty /progress is help.
BY_WORD: dict[str, tuple[str, ArgReader]] = {
    "": (HELP.name, HELP.read_args),
    **{word: (s.name, s.read_args) for s in SUBCOMMANDS for word in s.words},
}


def parse_command(text: str) -> Command:
    """``/progress`` text as Slack sent it -> the Command it asks for (``unknown`` when not understood)."""
    return parse_with(text, BY_WORD)


def subcommand_for(command: Command) -> Subcommand:
    """Who answers ``command``: its subcommand, or help for anything not understood."""
    return BY_NAME.get(command.name, HELP)


def answer_inline(services: Services, uid: str, subcommand: Subcommand, command: Command) -> Reply:
    """An inline subcommand's answer, read (or written) in one short transaction, for the acknowledgement."""

    def answer(session: Session) -> Reply:
        who = viewer(session, uid)
        if not subcommand.for_outsiders and not is_known(session, who):
            return messages.text_reply(OUTSIDER_TEXT)
        return subcommand.handler(services, session, who, command)

    return services.transaction(answer)


def help_lines(*, admin: bool, board: bool) -> list[str]:
    """The help text's lines for this person: everyone's subcommands, the notes, then the board's and admins'."""
    lines = [f"*`/progress {s.example}`*: {s.does}" for s in _for(EVERYONE)]
    lines += messages.HELP_NOTES
    if admin or board:
        lines.append(_grouped("*Board and admins:*", _for(BOARD), messages.BOARD_HELP_NOTE))
    if admin:
        lines.append(_grouped("*Admins:*", _for(ADMIN)))
    return lines


def _for(audience: str) -> list[Subcommand]:
    return [s for s in SUBCOMMANDS if s.audience == audience]


def _grouped(title: str, subcommands: Sequence[Subcommand], *notes: str) -> str:
    items = [f"`/progress {s.example}` {s.does}" for s in subcommands]
    return f"{title} " + " · ".join([*items, *notes])
