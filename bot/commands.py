"""Reading ``/progress`` text: the Command it asks for and each subcommand's argument reader.

Pure: no Slack, no database. Which verb names which subcommand is declared once, in ``bot.subcommands``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dateutil import parser as dateparser

from slackviews.text import COMMAND_TEXT_LIMIT, too_long_message, unescape
from storage.errors import InvalidInput

# With ``should_escape: true`` in the manifest Slack sends mentions as <@U123|name>.
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
REPORT_FORMATS = ("docx", "html", "pdf")
SUMMARY_KINDS = ("section", "lead", "red", "overdue", "changes")
# ``... plan NAME`` at the end of summary, report, action and update picks one of several plans.
PLAN_SUFFIX = re.compile(r"(?:^|\s)plan\s+(\S.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    """What was asked: a registered subcommand's name (``bot.subcommands``) or ``unknown``."""

    name: str
    args: dict[str, object] = field(default_factory=dict)
    raw: str = ""


@dataclass(frozen=True)
class CommandCall:
    """One ``/progress`` request as the handler of a subcommand that answers after the ack sees it."""

    uid: str
    command: Command
    trigger_id: str
    verified: object  # bot.verified.Verified, where a failure after the ack is reported
    ack: Callable[..., None]
    respond: Callable[..., None]


# Each subcommand's argument reader: the text after the verb in, the arguments out, or None when
# the text is not that subcommand's shape (the person is then shown help). Pure: no Slack, no database.
ArgReader = Callable[[str], dict[str, object] | None]


def parse_with(text: str, readers: Mapping[str, tuple[str, ArgReader]]) -> Command:
    """``text`` as Slack sent it -> a Command, reading the arguments with the subcommand its verb names.

    ``readers`` maps each verb (lower case, aliases included) to (subcommand name, argument reader).
    Slack sends ``&``, ``<`` and ``>`` as entities and mentions as ``<@U…|name>``: mentions are read
    from the text as sent (so typing ``<@U…>`` is not a mention); every other argument, and ``raw``,
    is what the person typed (``unescape``), to be escaped again when shown.
    """
    raw = (text or "").strip()
    if len(raw) > COMMAND_TEXT_LIMIT:
        raise InvalidInput(too_long_message("That command", len(raw), COMMAND_TEXT_LIMIT), field="text")
    words = raw.split()
    verb = words[0].lower() if words else ""
    name, reader = readers.get(verb, ("unknown", _nothing_understood))
    args = reader(raw[len(words[0]) :].strip() if words else "")
    if args is None:
        return Command("unknown", raw=unescape(raw))
    args = {
        k: unescape(v) if isinstance(v, str) and k not in ("user", "deputy") else v for k, v in args.items()
    }
    return Command(name, args, unescape(raw))


def _nothing_understood(rest: str) -> None:
    return None


def read_anything(rest: str) -> dict[str, object]:
    """``help`` (and an empty text): whatever follows."""
    return {}


def read_nothing(rest: str) -> dict[str, object] | None:
    """``mine``, ``leads``: the verb alone."""
    return None if rest else {}


def read_ref(rest: str) -> dict[str, object] | None:
    """``REF [plan NAME]``: ``action``, ``update``, ``edit``, ``challenge``, ``signoff``."""
    rest, plan = split_plan(rest)
    if plan == "" or not rest or len(rest.split()) != 1:
        return None
    return {"ref": rest, **_plan(plan)}


def read_summary(rest: str) -> dict[str, object] | None:
    """``[section NAME | lead NAME | red | overdue | changes [SINCE]] [plan NAME]``."""
    rest, plan = split_plan(rest)
    if plan == "":
        return None
    args = _summary_kind(rest)
    return None if args is None else {**args, **_plan(plan)}


def read_report(rest: str) -> dict[str, object] | None:
    """``[docx|html|pdf] [plan NAME]``, docx when no format is given."""
    rest, plan = split_plan(rest)
    fmt = (rest or "docx").lower().lstrip(".")
    if plan == "" or fmt not in REPORT_FORMATS:
        return None
    return {"format": fmt, **_plan(plan)}


def read_away(rest: str) -> dict[str, object] | None:
    """``DATE [@deputy]`` or ``off``."""
    mentions = MENTION.findall(rest)
    if not rest or len(mentions) > 1:
        return None
    return {"until": MENTION.sub("", rest).strip(), "deputy": mentions[0] if mentions else None}


def read_board(rest: str) -> dict[str, object] | None:
    """``[plan NAME]``."""
    rest, plan = split_plan(rest)
    if rest or plan == "":
        return None
    return _plan(plan)


def read_link(rest: str) -> dict[str, object] | None:
    """``NAME @user``."""
    mentions = MENTION.findall(rest)
    name = MENTION.sub("", rest).strip()
    if len(mentions) != 1 or not name:
        return None
    return {"name": name, "user": mentions[0]}


def read_grant(rest: str) -> dict[str, object] | None:
    """``board|admin @user``."""
    parts = rest.split(maxsplit=1)
    mentions = MENTION.findall(parts[1]) if len(parts) == 2 else []
    if not parts or parts[0].lower() not in ("board", "admin") or len(mentions) != 1:
        return None
    return {"role": parts[0].lower(), "user": mentions[0]}


def _plan(plan: str | None) -> dict[str, object]:
    return {"plan": plan} if plan else {}


def split_plan(rest: str) -> tuple[str, str | None]:
    """``"red plan ilacs"`` -> ``("red", "ilacs")``; no ``plan`` word -> ``(rest, None)``.

    A bare ``plan`` with no name gives ``""`` (the caller treats it as unknown input).
    """
    match = PLAN_SUFFIX.search(rest)
    if match is None:
        if rest.lower() == "plan" or rest.lower().endswith(" plan"):
            return rest[: -len("plan")].strip(), ""
        return rest, None
    return rest[: match.start()].strip(), match.group(1).strip()


def _summary_kind(rest: str) -> dict[str, object] | None:
    if not rest:
        return {"kind": "overall"}
    kind, _, arg = rest.partition(" ")
    kind, arg = kind.lower(), arg.strip()
    if kind in ("red", "overdue") and not arg:
        return {"kind": kind}
    if kind in ("section", "lead") and arg:
        return {"kind": kind, "name": arg}
    if kind == "changes":
        return {"kind": "changes", "since": arg or None}
    return None


def parse_day(text: str, *, today: dt.date, field_name: str = "date", future: bool = True) -> dt.date:
    """A date as people type it in the UK: 2026-12-24, 24/12/2026, 24 Dec.

    Without a year, the next such date when ``future`` (leave), else the last one (since).
    """
    text = text.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    default = dt.datetime(today.year, 1, 1)
    try:
        parsed = dateparser.parse(text, dayfirst=True, default=default).date()
    except (ValueError, OverflowError):
        raise InvalidInput(f"I couldn't read {text!r} as a date; try 2026-12-24.", field=field_name) from None
    if not re.search(r"\d{4}", text):
        if future and parsed < today:
            parsed = parsed.replace(year=parsed.year + 1)
        elif not future and parsed > today:
            parsed = parsed.replace(year=parsed.year - 1)
    return parsed


def parse_since(text: str | None, *, today: dt.date) -> dt.date | None:
    """``changes`` accepts a date or a span like 7d / 2w; None = since the last published report."""
    if not text:
        return None
    match = re.fullmatch(r"(\d+)\s*([dw])", text.strip().lower())
    if match:
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        return today - dt.timedelta(days=days)
    return parse_day(text, today=today, field_name="since", future=False)
