"""RAG schemes: the states a plan's actions can be in, how the plan writes them, and what they mean.

A scheme is plain data (frozen dataclasses), so Slack views, reports and the importer can share it
without a session. ``save_scheme``/``scheme_for_plan`` persist it as the plan's ``RagState`` rows.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not at run time: ``plan show``'s quick path uses schemes without SQLAlchemy
    from sqlalchemy.orm import Session

    from storage.models import Plan


@dataclass(frozen=True)
class RagStateSpec:
    label: str
    rank: int  # 0 = worst
    colour: str  # "#RRGGBB"
    meaning: str
    is_complete: bool
    aliases: tuple[str, ...] = ()


# Emoji and Slack names people type for each colour family; every scheme accepts those of its colours.
_COLOUR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("🔴", ":red_circle:", ":large_red_circle:", "red"),
    "amber": (
        "🟠",
        "🟡",
        ":large_orange_circle:",
        ":orange_circle:",
        ":large_yellow_circle:",
        ":yellow_circle:",
        "amber",
        "orange",
        "yellow",
    ),
    "green": ("🟢", ":large_green_circle:", ":green_circle:", "green"),
    "blue": ("🔵", ":large_blue_circle:", ":blue_circle:", "blue"),
}


_SPACES = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.strip().strip(".:;,()[]").strip()).casefold()


_HEX6 = re.compile(r"[0-9a-fA-F]{6}")


def _hex_rgb(colour: str) -> tuple[int, int, int] | None:
    value = colour.strip().lstrip("#")
    if len(value) == 8:  # openpyxl gives ARGB
        value = value[2:]
    if not _HEX6.fullmatch(value):
        return None
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@lru_cache(maxsize=1024)  # a pure function of a few distinct colours, asked per cell and per update
def colour_family(colour: str) -> str | None:
    """Red, amber, green or blue by hue; None for white, grey, black or not a colour.

    Hue bands rather than RGB distance, because people shade with whatever Word offers: light
    green 92D050 is nearer to amber than to 00B050 in RGB, but nobody means amber by it.
    """
    rgb = _hex_rgb(colour)
    if rgb is None:
        return None
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    if s < 0.25 or v < 0.2:
        return None
    hue = h * 360
    if hue < 20 or hue >= 330:
        return "red"
    if hue < 70:
        return "amber"
    if hue < 180:
        return "green"
    if hue < 270:
        return "blue"
    return None


_FIRST_WORD_END = re.compile(r"[\s/(\-–—:,]+")


@dataclass(frozen=True)
class RagScheme:
    name: str
    states: tuple[RagStateSpec, ...]

    @property
    def labels(self) -> list[str]:
        return [s.label for s in sorted(self.states, key=lambda s: s.rank)]

    def state(self, label: str) -> RagStateSpec:
        for s in self.states:
            if s.label == label:
                return s
        raise KeyError(label)

    @cached_property
    def _table(self) -> dict[str, str]:
        # Built once per scheme: an import parses thousands of cells with the same scheme.
        return self._build_lookup()

    def _lookup(self) -> dict[str, str]:
        return self._table

    def _build_lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        # Family words first so a scheme's own labels and symbols win over them.
        for s in self.states:
            family = colour_family(s.colour)
            for word in _COLOUR_WORDS.get(family or "", ()):
                table.setdefault(_norm(word), s.label)
        for s in self.states:
            for alias in s.aliases:
                table[_norm(alias)] = s.label
            table[_norm(s.label)] = s.label
        return table

    def parse(self, text: str | None) -> str | None:
        if not text or not text.strip():
            return None
        table = self._lookup()
        key = _norm(text)
        if key in table:
            return table[key]
        # "Amber - on track", "Green (complete)", "✓ Completed", "G/A": the first word carries the state.
        first = _FIRST_WORD_END.split(key, maxsplit=1)[0]
        if first and first in table:
            return table[first]
        return None

    def is_complete(self, label: str | None) -> bool:
        if label is None:
            return False
        try:
            return self.state(label).is_complete
        except KeyError:
            return False

    def rank(self, label: str | None) -> int | None:
        if label is None:
            return None
        try:
            return self.state(label).rank
        except KeyError:
            return None

    def colour_to_label(self, colour: str | None) -> str | None:
        """The state whose colour is nearest a cell fill; None for no fill or a colour no state has."""
        if not colour:
            return None
        family = colour_family(colour)
        if family is None:
            return None
        rgb = _hex_rgb(colour)
        candidates = [s for s in self.states if colour_family(s.colour) == family]
        if not candidates or rgb is None:
            return None

        def distance(s: RagStateSpec) -> int:
            other = _hex_rgb(s.colour) or (0, 0, 0)
            return sum((a - b) ** 2 for a, b in zip(rgb, other, strict=True))

        return min(candidates, key=distance).label

    def with_meanings(self, meanings: dict[str, str], name: str | None = None) -> RagScheme:
        """The same states with the plan's own words for them (from its key table)."""
        states = tuple(
            RagStateSpec(
                s.label, s.rank, s.colour, meanings.get(s.label, s.meaning), s.is_complete, s.aliases
            )
            for s in self.states
        )
        return RagScheme(name or self.name, states)


RED, AMBER, GREEN, BLUE = "#FF0000", "#FFC000", "#00B050", "#0070C0"

_RAG = RagScheme(
    "rag",
    (
        RagStateSpec(
            "Red",
            0,
            RED,
            "Off track: needs the board's help",
            False,
            ("R", "off track", "not on track", "behind"),
        ),
        RagStateSpec(
            "Amber",
            1,
            AMBER,
            "Some risk to delivery: being managed",
            False,
            ("A", "at risk", "some risk", "delayed", "slipping"),
        ),
        RagStateSpec("Green", 2, GREEN, "On track", False, ("G", "on track", "on target")),
    ),
)
_BRAG = RagScheme(
    "brag",
    (
        *_RAG.states,
        RagStateSpec(
            "Blue",
            3,
            BLUE,
            "Complete",
            True,
            ("B", "complete", "completed", "done", "closed", "achieved", "delivered"),
        ),
    ),
)
_FIVE = RagScheme(
    "five-state",
    (
        RagStateSpec(
            "Not started or behind",
            0,
            RED,
            "Not started or behind",
            False,
            ("X", "✗", "✘", "×", "behind", "not started"),
        ),
        RagStateSpec("Delayed", 1, AMBER, "Delayed", False, ("↓", "⬇")),
        RagStateSpec("On track", 2, GREEN, "On track", False, ("-", "–", "—")),
        RagStateSpec("Ahead", 3, "#92D050", "Ahead of schedule", False, ("↑", "⬆")),
        RagStateSpec(
            "Completed",
            4,
            BLUE,
            "Completed",
            True,
            ("✓", "✔", "☑", "complete", "done", "closed", "achieved", "delivered"),
        ),
    ),
)

BUILTIN_SCHEMES: dict[str, RagScheme] = {"rag": _RAG, "brag": _BRAG, "five-state": _FIVE}
DEFAULT_SCHEME = "brag"

FIVE_STATE_SYMBOLS = frozenset("X✗✘×↓⬇↑⬆✓✔☑")


def scheme_for_plan(plan: Plan) -> RagScheme:
    """The plan's scheme, rebuilt from its rows; the default BRAG when it has none. A plan read
    without the ORM may carry its scheme already built (``rag_scheme``; ``bot.direct``)."""
    built = getattr(plan, "rag_scheme", None)
    return built if built is not None else scheme_from_rows(plan.rag_states)


def scheme_from_rows(rows) -> RagScheme:
    """The scheme of a plan's ``RagState`` rows (objects or plain rows with the same names), in rank order."""
    if not rows:
        return BUILTIN_SCHEMES[DEFAULT_SCHEME]
    states = tuple(
        RagStateSpec(r.label, r.rank, r.colour, r.meaning, r.is_complete, tuple(r.aliases or ()))
        for r in rows
    )
    try:
        return _scheme_of(states)
    except TypeError:  # an alias that is not a string (unhashable): build it afresh
        return _scheme_of.__wrapped__(states)


@lru_cache(maxsize=256)
def _scheme_of(states: tuple[RagStateSpec, ...]) -> RagScheme:
    """One scheme object per distinct set of states: its parsing table is built once, not per update
    (schemes are immutable values, so sharing them is safe)."""
    return RagScheme(scheme_name([s.label for s in sorted(states, key=lambda s: s.rank)]), states)


def scheme_name(labels: list[str]) -> str:
    """The name of the scheme whose labels, in rank order, are ``labels``: a built-in's, else "custom"."""
    return next((n for n, s in BUILTIN_SCHEMES.items() if s.labels == labels), "custom")


def scheme_labels(labels: list[str]) -> tuple[str, list[str]]:
    """(name, labels) of the scheme of a plan whose states' labels, in rank order, are ``labels``: what
    ``scheme_from_rows`` makes of them, without building the scheme (the default when there are none)."""
    if not labels:
        default = BUILTIN_SCHEMES[DEFAULT_SCHEME]
        return default.name, [s.label for s in default.states]
    return scheme_name(labels), list(labels)


def save_scheme(session: Session, plan: Plan, scheme: RagScheme) -> None:
    """Replace the plan's states; flush between delete and insert because (plan, rank) is unique."""
    from storage.models import RagState

    if plan.rag_states:
        plan.rag_states.clear()
        session.flush()
    for s in scheme.states:
        plan.rag_states.append(
            RagState(
                label=s.label,
                rank=s.rank,
                colour=s.colour,
                meaning=s.meaning,
                is_complete=s.is_complete,
                aliases=list(s.aliases),
            )
        )
    session.flush()
