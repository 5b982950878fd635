"""Word's own list numbering: the number a reader sees in front of a numbered paragraph.

The number is not in the text: Word computes it from numbering.xml. Each list instance (``w:num``)
points to an abstract definition whose levels give the start, the format (1, a, iv, bullet) and the
text ("%1.%2."). Instances of one abstract definition continue each other's count, unless an instance
overrides a level's start (that is how Word restarts a list). A paragraph is numbered by its own
``w:numPr`` or by its style's (the "List Number" and numbered heading styles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from storage.importers.ooxml import local

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


_VAL = w("val")


def wval(el: etree._Element | None, default: str | None = None) -> str | None:
    if el is None:
        return default
    return el.get(_VAL, default)


@dataclass(frozen=True)
class ListLabel:
    text: str  # "4.1.", "a)", "" for bullets
    level: int
    bullet: bool


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    legal: bool = False


@dataclass
class _Abstract:
    levels: dict[int, _Level] = field(default_factory=dict)
    counters: list[int | None] = field(default_factory=lambda: [None] * 9)


@dataclass(frozen=True)
class StyleInfo:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None
    outline: int | None  # 0 = top-level heading


class Styles:
    """Paragraph styles: their names, heading levels and numbering (followed through ``basedOn``)."""

    def __init__(self, root: etree._Element | None) -> None:
        self._styles: dict[str, StyleInfo] = {}
        if root is None:
            return
        for style in root.iter(w("style")):
            if style.get(w("type")) not in (None, "paragraph"):
                continue
            ppr = style.find(w("pPr"))
            num = ppr.find(w("numPr")) if ppr is not None else None
            ilvl = wval(num.find(w("ilvl"))) if num is not None else None
            outline = wval(ppr.find(w("outlineLvl"))) if ppr is not None else None
            self._styles[style.get(w("styleId"), "")] = StyleInfo(
                name=wval(style.find(w("name")), "") or "",
                based_on=wval(style.find(w("basedOn"))),
                num_id=wval(num.find(w("numId"))) if num is not None else None,
                ilvl=int(ilvl) if ilvl and ilvl.isdigit() else None,
                outline=int(outline) if outline and outline.isdigit() else None,
            )

    def _chain(self, style_id: str) -> list[StyleInfo]:
        chain: list[StyleInfo] = []
        seen: set[str] = set()
        current: str | None = style_id
        while current and current not in seen and current in self._styles:
            seen.add(current)
            chain.append(self._styles[current])
            current = self._styles[current].based_on
        return chain

    def heading_level(self, style_id: str) -> int | None:
        """1 for "Heading 1" (or a style at outline level 0), None for body styles."""
        for info in self._chain(style_id):
            match = re.fullmatch(r"heading\s*(\d)", info.name.strip(), re.I)
            if match:
                return int(match.group(1))
            if info.outline is not None and info.outline < 9:
                return info.outline + 1
        match = re.fullmatch(r"heading\s*(\d)", style_id.strip(), re.I)  # a style id with no definition
        return int(match.group(1)) if match else None

    def numbering(self, style_id: str) -> tuple[str | None, int | None]:
        for info in self._chain(style_id):
            if info.num_id is not None:
                return info.num_id, info.ilvl
        return None, None


class Numbering:
    """Computes list labels in document order: call ``label`` once per numbered paragraph."""

    def __init__(self, root: etree._Element | None) -> None:
        self._abstracts: dict[str, _Abstract] = {}
        self._nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNumId, start overrides)
        self._restarted: set[tuple[str, int]] = set()
        if root is None:
            return
        for el in root:
            if local(el.tag) == "abstractNum":
                self._abstracts[el.get(w("abstractNumId"), "")] = _Abstract(_levels(el))
            elif local(el.tag) == "num":
                overrides = {}
                for override in el.iter(w("lvlOverride")):
                    start = override.find(w("startOverride"))
                    level = override.get(w("ilvl"), "0")
                    if start is not None and level.isdigit():
                        overrides[int(level)] = _int(wval(start), 1)
                abstract = wval(el.find(w("abstractNumId")), "") or ""
                self._nums[el.get(w("numId"), "")] = (abstract, overrides)

    def label(self, num_id: str, ilvl: int) -> ListLabel | None:
        if num_id not in self._nums or not 0 <= ilvl < 9:
            return None
        abstract_id, overrides = self._nums[num_id]
        abstract = self._abstracts.get(abstract_id)
        if abstract is None:
            return None
        level = abstract.levels.get(ilvl, _Level())
        if level.fmt == "bullet":
            return ListLabel("", ilvl, True)
        counters = abstract.counters
        if ilvl in overrides and (num_id, ilvl) not in self._restarted:
            # The first paragraph of a restarting instance starts again from its override.
            self._restarted.add((num_id, ilvl))
            counters[ilvl] = overrides[ilvl] - 1
        counters[ilvl] = level.start if counters[ilvl] is None else counters[ilvl] + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None  # a higher level moving on restarts the levels under it
        return ListLabel(_render(level.text, abstract, ilvl), ilvl, False)


def _int(text: str | None, default: int) -> int:
    return int(text) if text and text.lstrip("-").isdigit() else default


def _levels(abstract: etree._Element) -> dict[int, _Level]:
    levels: dict[int, _Level] = {}
    for lvl in abstract.iter(w("lvl")):
        index = lvl.get(w("ilvl"), "0")
        if not index.isdigit():
            continue
        levels[int(index)] = _Level(
            start=_int(wval(lvl.find(w("start"))), 1),
            fmt=wval(lvl.find(w("numFmt")), "decimal") or "decimal",
            text=wval(lvl.find(w("lvlText")), "") or "",
            legal=lvl.find(w("isLgl")) is not None,
        )
    return levels


def _render(template: str, abstract: _Abstract, ilvl: int) -> str:
    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        count = abstract.counters[index] if 0 <= index < 9 else None
        if count is None:
            count = abstract.levels.get(index, _Level()).start
        fmt = abstract.levels.get(index, _Level()).fmt
        if abstract.levels.get(ilvl, _Level()).legal:
            fmt = "decimal"
        return format_number(count, fmt)

    return re.sub(r"%(\d)", value, template)


def format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        while n > 0:
            n, rem = divmod(n - 1, 26)
            letters = chr(ord("a") + rem) + letters
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman.upper() if fmt == "upperRoman" else roman
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "none":
        return ""
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= value:
            out += numeral
            n -= value
    return out
