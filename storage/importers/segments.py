"""Split a cell into segments and tell actions from the things that sit beside them in a cell.

Plans put several things in one action cell: several actions (one per paragraph, or one paragraph
whose pieces the export joined with runs of spaces), bold tags ("Ofsted Improvement Action 3"),
bullet or numbered sub-items under a line ending with ":", an "Outcome" paragraph, and fragments of
a sentence cut by a page break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.importers.model import Cell, Para

_GAP = re.compile(r" {2,}|\t+|\u00a0{2,}")
_BULLET = re.compile(r"^[•·▪◦●○■□➢➤►\-–*]\s*")
_NUMBERED = re.compile(r"^(\(?\d{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s+")
_REF = r"(?:\d{1,2}(?:\.\d{1,2}){0,2}[a-z]?|[A-Z]\d{0,2}(?:\.\d{1,2})?)"
# A ref at the start of a bold prefix: "1.1 Action", "1.1", "A.", "3.2a"
_BOLD_REF = re.compile(rf"^(?:action\s+)?({_REF})\.?(?:\s*[-–:)]?\s*(?:action)?)?\s*[:.\-–]?$", re.I)
# A dotted ref at the start of plain text: "1.1 Develop..." (single numbers are list items, not refs)
_PLAIN_REF = re.compile(
    r"^(\d{1,2}\.\d{1,2}(?:\.\d{1,2})?[a-z]?)\.?\s+(?=\S)"
    # "Action 12 Review …", "Action 3.2: Train …": a label that numbers the action in the text itself
    r"|^action\s+(\d{1,3}(?:\.\d{1,2}){0,2}[a-z]?)\s*[:.\-–)]?\s+(?=\S)",
    re.I,
)
_OUTCOME_LABEL = re.compile(r"^(required |expected )?(outcomes?|impact)\s*[:.\-–]?$", re.I)
_ACTION_LABEL = re.compile(r"^actions?\s*[:.\-–]?$", re.I)
_REF_THEN_ACTION = re.compile(rf"^(?:action\s+)?{_REF}\.?\s*(?:[-–:)]\s*)?actions?\b", re.I)
_PLAIN_OUTCOME = re.compile(r"^(required |expected )?(outcomes?|impact)\b\s*[:.\-–]?\s+(?=\S)", re.I)
_LEADING_ACTION = re.compile(r"^actions?\b\s*[:.\-–]?\s*", re.I)  # "**1.1** Action Develop…"


@dataclass
class Segment:
    text: str
    bold_prefix: str = ""  # the leading bold text, if the segment starts bold
    bold: bool = False  # the whole segment is bold
    listed: bool = False  # a Word list item


def cell_segments(cell: Cell) -> list[Segment]:
    """Paragraphs, each split further at runs of 2+ spaces (collapsed paragraphs in exports).

    Worked out once per cell (the reader asks several times); cells never change once read.
    """
    if cell.segments is None:
        cell.segments = [s for para in cell.paras for s in _para_segments(para)]
    return cell.segments


def _para_segments(para: Para) -> list[Segment]:
    boldness = {bold for text, bold in para.runs if text.strip()}
    if len(boldness) <= 1:  # one weight throughout (most cells): no need to follow it character by character
        bold = boldness == {True}
        return [Segment(piece, piece if bold else "", bold, para.listed) for _, piece in _pieces(para.text)]
    chars: list[tuple[str, bool]] = [(ch, bold) for text, bold in para.runs for ch in text]
    return [
        _segment(piece, [b for _, b in chars[offset : offset + len(piece)]], para.listed)
        for offset, piece in _pieces("".join(ch for ch, _ in chars))
    ]


def _pieces(text: str):
    """(offset, piece) for each line of ``text``, split again at runs of spaces, stripped, non-empty."""
    if "\n" not in text and "  " not in text and "\t" not in text and "\u00a0\u00a0" not in text:
        # One line with no gap (most cells): skip the regex scan.
        piece = text.strip()
        if piece:
            yield len(text) - len(text.lstrip()), piece
        return
    for line_start, line in _lines(text):
        start = 0
        for gap in [*_GAP.finditer(line), None]:
            end = gap.start() if gap else len(line)
            piece = line[start:end]
            offset = line_start + start + (len(piece) - len(piece.lstrip()))
            if piece.strip():
                yield offset, piece.strip()
            if gap:
                start = gap.end()


def _lines(text: str):
    start = 0
    for line in text.split("\n"):
        yield start, line
        start += len(line) + 1


def _segment(text: str, flags: list[bool], listed: bool) -> Segment:
    visible = [b for ch, b in zip(text, flags, strict=False) if not ch.isspace()]
    bold = bool(visible) and all(visible)
    prefix_len = 0
    for ch, b in zip(text, flags, strict=False):
        if not b and not ch.isspace():
            break
        prefix_len += 1
    return Segment(text, text[:prefix_len].strip() if prefix_len else "", bold, listed)


def plain_segments(cell: Cell) -> list[str]:
    return [s.text for s in cell_segments(cell)]


@dataclass
class Piece:
    """One action found in an action cell."""

    ref: str | None
    text: str
    extras: list[str] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "\n".join([self.text, *self.extras]).strip()


@dataclass
class ActionCell:
    pieces: list[Piece]
    loose: list[str]  # text with no action of its own: continues the previous action
    outcome: list[str]
    cell_text: str
    ends_in_outcome: bool = False  # text continuing this cell on the next page is outcome text


def split_ref(seg: Segment, *, refs_in_use: bool) -> tuple[str | None, str]:
    """(ref, rest) when the segment opens with a ref: bold "1.1 Action" or plain "1.1 "."""
    if seg.bold_prefix and not seg.bold:
        match = _BOLD_REF.match(seg.bold_prefix)
        # A bare bold "A" or "3" is more often emphasis than a ref; accept it once refs are known.
        bare = match is not None and "." not in match.group(1) and match.group(0).strip() == match.group(1)
        if match and (refs_in_use or not bare):
            rest = _LEADING_ACTION.sub("", seg.text[len(seg.bold_prefix) :].strip())
            return match.group(1).rstrip("."), rest
    match = _PLAIN_REF.match(seg.text)
    if match and (refs_in_use or seg.bold_prefix):
        return match.group(1) or match.group(2), _LEADING_ACTION.sub("", seg.text[match.end() :].strip())
    return None, seg.text


# "Ofsted Improvement Action 3", "Recommendation 2", "Priority 4a": labels, even when an export lost
# the bold that marks them in Word.
_TAG_TEXT = re.compile(
    r"^(?:[A-Z][\w&'’]*\s+){0,4}(?:action|recommendation|priority|objective|outcome|ref(?:erence)?)\s*"
    r"\d{1,2}(?:\.\d{1,2})?[a-z]?\.?$",
    re.I,
)


def is_tag(seg: Segment) -> bool:
    return seg.bold or bool(_TAG_TEXT.match(seg.text))


def is_bullet(text: str) -> bool:
    return bool(_BULLET.match(text)) and not text.startswith("--")


def parse_action_cell(cell: Cell, *, refs_in_use: bool, labelled: bool = False) -> ActionCell:
    """``labelled``: the plan writes "1.1 Action …" / "Outcome …", so a plain "Outcome" line is a label."""
    pieces: list[Piece] = []
    loose: list[str] = []
    outcome: list[str] = []
    in_outcome = False
    after_colon = False

    def attach(text: str) -> None:
        (pieces[-1].extras if pieces else loose).append(text)

    for seg in cell_segments(cell):
        text = seg.text
        ref, rest = split_ref(seg, refs_in_use=refs_in_use)
        if ref:
            pieces.append(Piece(ref, rest))
            in_outcome = after_colon = False
            labelled = labelled or bool(_REF_THEN_ACTION.match(text))
            continue
        plain_outcome = _PLAIN_OUTCOME.match(text) if labelled and not seg.bold_prefix else None
        if plain_outcome:
            outcome.append(text[plain_outcome.end() :].strip())
            in_outcome = True
            continue
        if seg.bold_prefix and not seg.bold and _OUTCOME_LABEL.match(seg.bold_prefix):
            outcome.append(text[len(seg.bold_prefix) :].strip())
            in_outcome = True
            continue
        if seg.bold_prefix and not seg.bold and _ACTION_LABEL.match(seg.bold_prefix):
            text = text[len(seg.bold_prefix) :].strip()
            in_outcome = False
        if in_outcome:
            outcome.append(text)
        elif is_tag(seg) or is_bullet(text):
            attach(text)
        elif after_colon and (seg.listed or _NUMBERED.match(text) or len(text.split()) <= 8):
            attach(text)
            continue  # a sub-list runs on until something else starts
        elif text[:1].islower() or text[:1] in ",;)":
            # A sentence cut at a page break or by the export: it belongs to what came before.
            if pieces:
                pieces[-1].text = f"{pieces[-1].text} {text}".strip()
            else:
                loose.append(text)
        elif refs_in_use:
            attach(text)  # plans with refs number every action: unnumbered text is detail
        else:
            pieces.append(Piece(None, text))
        after_colon = text.rstrip().endswith(":")
    return ActionCell(pieces, loose, outcome, cell.text, in_outcome)


def has_inline_ref(cell: Cell) -> bool:
    return any(split_ref(seg, refs_in_use=False)[0] for seg in cell_segments(cell))


def has_action_label(cell: Cell) -> bool:
    return any(_REF_THEN_ACTION.match(seg.text) for seg in cell_segments(cell))


def starts_with_plain_ref(cell: Cell) -> bool:
    segments = cell_segments(cell)
    return bool(segments) and bool(_PLAIN_REF.match(segments[0].text))


_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])")


def strip_label(text: str, ref: str) -> str:
    """ "Action 12: Review …" in the row whose ref is 12: the label repeats the ref; the title is the rest."""
    match = _PLAIN_REF.match(text)
    if match and (match.group(1) or match.group(2) or "").casefold() == ref.casefold():
        return text[match.end() :].strip()
    return text


def title_of(text: str) -> str:
    """The first sentence of the first line: what people call the action."""
    first = text.strip().split("\n", 1)[0].strip()
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0].strip()
    if sentence.endswith((".", ":")) and not sentence.endswith(".."):
        sentence = sentence[:-1].rstrip()
    return sentence[:300]
