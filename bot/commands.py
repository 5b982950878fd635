"""Parsing ``/progress`` text into a command (pure; no Slack, no database)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dateutil import parser as dateparser

from bot.text import COMMAND_TEXT_LIMIT, too_long_message, unescape
from storage.errors import InvalidInput

# With ``should_escape: true`` in the manifest Slack sends mentions as <@U123|name>.
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
REPORT_FORMATS = ("docx", "html", "pdf")
SUMMARY_KINDS = ("section", "lead", "red", "overdue", "changes")
# ``... plan NAME`` at the end of summary, report, action and update picks one of several plans.
PLAN_SUFFIX = re.compile(r"(?:^|\s)plan\s+(\S.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    # help | mine | action | update | summary | report | away | board | leads | link | grant | edit |
    # challenge | signoff | unknown
    name: str
    args: dict[str, object] = field(default_factory=dict)
    raw: str = ""


def parse_command(text: str) -> Command:
    """Slack sends the text with ``&``, ``<`` and ``>`` as entities and mentions as ``<@U…|name>``.

    Mentions are read from the text as Slack sent it (so typing ``<@U…>`` is not a mention); every other
    argument, and ``raw``, is what the person typed (``unescape``), to be escaped again when shown.
    """
    parsed = _parse(text)
    args = {
        k: unescape(v) if isinstance(v, str) and k not in ("user", "deputy") else v
        for k, v in parsed.args.items()
    }
    return Command(parsed.name, args, unescape(parsed.raw))


def _parse(text: str) -> Command:
    raw = (text or "").strip()
    if len(raw) > COMMAND_TEXT_LIMIT:
        raise InvalidInput(too_long_message("That command", len(raw), COMMAND_TEXT_LIMIT), field="text")
    words = raw.split()
    if not words or words[0].lower() in ("help", "?"):
        return Command("help", raw=raw)
    verb, rest = words[0].lower(), raw[len(words[0]) :].strip()
    if verb in ("mine", "my", "me") and not rest:
        return Command("mine", raw=raw)
    if verb in GOVERNANCE_VERBS:
        return _governance(verb, rest, raw)
    if verb in ("action", "show", "update", "summary", "report"):
        rest, plan = split_plan(rest)
        if plan == "":
            return Command("unknown", raw=raw)
        extra = {"plan": plan} if plan else {}
        if verb in ("action", "show", "update") and rest and len(rest.split()) == 1:
            name = "action" if verb in ("action", "show") else "update"
            return Command(name, {"ref": rest, **extra}, raw)
        if verb == "summary":
            parsed = _summary(rest, raw)
            if parsed.name == "summary":
                return Command("summary", {**parsed.args, **extra}, raw)
            return parsed
        if verb == "report":
            fmt = (rest or "docx").lower().lstrip(".")
            if fmt in REPORT_FORMATS:
                return Command("report", {"format": fmt, **extra}, raw)
    return _other(verb, rest, raw)


def _other(verb: str, rest: str, raw: str) -> Command:
    """away, board, and the admins' leads, link and grant."""
    if verb == "away" and rest:
        return _away(rest, raw)
    if verb == "board":
        rest, plan = split_plan(rest)
        if not rest and plan != "":
            return Command("board", {"plan": plan} if plan else {}, raw)
    if verb == "leads" and not rest:
        return Command("leads", raw=raw)
    if verb == "link":
        mentions = MENTION.findall(rest)
        name = MENTION.sub("", rest).strip()
        if len(mentions) == 1 and name:
            return Command("link", {"name": name, "user": mentions[0]}, raw)
    if verb == "grant" and rest:
        parts = rest.split(maxsplit=1)
        mentions = MENTION.findall(parts[1]) if len(parts) == 2 else []
        if parts[0].lower() in ("board", "admin") and len(mentions) == 1:
            return Command("grant", {"role": parts[0].lower(), "user": mentions[0]}, raw)
    return Command("unknown", raw=raw)


GOVERNANCE_VERBS = ("edit", "challenge", "signoff", "sign-off")


def _governance(verb: str, rest: str, raw: str) -> Command:
    """``edit|challenge|signoff REF [plan NAME]``: the modal for one action."""
    rest, plan = split_plan(rest)
    if plan == "" or not rest or len(rest.split()) != 1:
        return Command("unknown", raw=raw)
    name = "signoff" if verb.startswith("sign") else verb
    return Command(name, {"ref": rest, **({"plan": plan} if plan else {})}, raw)


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


def _summary(rest: str, raw: str) -> Command:
    if not rest:
        return Command("summary", {"kind": "overall"}, raw)
    kind, _, arg = rest.partition(" ")
    kind, arg = kind.lower(), arg.strip()
    if kind in ("red", "overdue") and not arg:
        return Command("summary", {"kind": kind}, raw)
    if kind in ("section", "lead") and arg:
        return Command("summary", {"kind": kind, "name": arg}, raw)
    if kind == "changes":
        return Command("summary", {"kind": "changes", "since": arg or None}, raw)
    return Command("unknown", raw=raw)


def _away(rest: str, raw: str) -> Command:
    mentions = MENTION.findall(rest)
    when = MENTION.sub("", rest).strip()
    if len(mentions) > 1:
        return Command("unknown", raw=raw)
    return Command("away", {"until": when, "deputy": mentions[0] if mentions else None}, raw)


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
