"""Plans written as headed, numbered paragraphs rather than a table (often an appendix to a cabinet
report): a heading per inspection recommendation with its urgency ("Recommendation 4 – for
improvement within 3 months"), the recommendation's text, an outcome heading with bullets, a "how will
we know" heading with bullets, then the actions as numbered paragraphs (typed, or Word's own list
numbering, restarted or continued).

Each paragraph from the first recommendation heading on gets a role: ``heading`` (the recommendation,
its sub-headings and the text under them), ``action`` (a numbered paragraph where actions are listed),
``continuation`` (detail under an action: bullets, "Lead: …" lines) or ``skipped``. Numbered paragraphs
above the plan (the cabinet's own recommendations: "1. Endorse the Action Plan…") are never actions.
An action's due date comes from its recommendation's urgency, counted from the plan's date; actions
with no lead are imported with none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from storage.importers.account import Account, quote
from storage.importers.model import BodyText, ParsedAction, ParsedSection
from storage.importers.plandates import plan_date
from storage.importers.sections import NUMBER_WORDS
from storage.importers.segments import title_of
from storage.rag import RagScheme

_NUMBER = r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_SECTION = re.compile(
    rf"^(?:inspection\s+)?(?:recommendation|area for (?:improvement|development)|improvement area|priority|"
    rf"finding|area)\s+(?:no\.?\s*)?(?P<n>{_NUMBER}|(?-i:[A-Z]))\b",
    re.I,
)
_URGENCY = re.compile(
    rf"\bfor\s+immediate\s+(?:improvement|action|attention)\b|\bimmediate(?:ly)?\b|"
    rf"\bwithin\s+(?:the\s+next\s+)?(?P<n>{_NUMBER})(?:\s*(?:-|–|to)\s*(?P<m>{_NUMBER}))?\s*(?P<unit>weeks?|months?)\b",
    re.I,
)
_OUTCOME = re.compile(
    r"^(?:intended |expected |desired |required )?outcomes?\b|^what (?:we want to achieve|difference|will be different)|"
    r"^impact\b|^aims?\b",
    re.I,
)
_MEASURES = re.compile(
    r"^how (?:will|do|would|can) we know|^measures?\b|^success (?:criteria|measures)|^evidence\b|"
    r"^what (?:will )?success (?:will )?look|^key performance|^indicators?\b",
    re.I,
)
_ACTIONS = re.compile(
    r"^(?:key |our |planned |agreed )?actions?\b(?!\s+\d)|^what we (?:will|are going to) do|^action plan$",
    re.I,
)
_GOVERNANCE = re.compile(
    r"\b(?:is|are)\s+(?:requested|asked|recommended|invited)\s+to\b|^recommendations?\s*:?\s*$|"
    r"^that\s+(?:the\s+)?(?:cabinet|council|committee|board)\b",
    re.I,
)
_TYPED = re.compile(r"^(?P<n>\d{1,2}(?:\.\d{1,2}){0,2})[.)]?\s+(?=\S)")
# "Action 4. Train …": the plan's own number for the action, kept as written (it runs through the plan).
_LABELLED = re.compile(r"^(?:action|step)\s+(?P<n>\d{1,3}(?:\.\d{1,2}){0,2})[.):]?\s+(?=\S)", re.I)
# A line under an action that gives its progress or its RAG: "Update: …", "RAG: Amber".
_PROGRESS_LINE = re.compile(
    r"^(?:progress(?: update)?|(?:latest )?update|commentary|current position)\s*[:\-–]\s*(?P<v>\S.*)$",
    re.I | re.S,
)
_RAG_LINE = re.compile(r"^(?:rag|rag status|rag rating|b?rag rating|status)\s*[:\-–]\s*(?P<v>\S.*)$", re.I)
# "Lead: …", "(Lead officer – …)", "Timescale: …": a field the paragraph labels, up to the next label,
# a closing bracket or the end.
_FIELD = re.compile(
    r"[(\[]?\s*\b(?P<label>lead(?:\s+officers?)?|responsible(?:\s+officers?)?|owners?|led by|"
    r"timescales?|deadline|target date|by when|due(?: date)?|completion date|to be completed by)\s*[:\-–]\s*",
    re.I,
)
_TIME_LABEL = re.compile(r"^(timescale|deadline|target|by when|due|completion|to be completed)", re.I)
_END = re.compile(
    r"\b(glossary|abbreviations?|appendix|background papers|contact|next steps|sign[- ]?off|annex)\b", re.I
)


@dataclass
class ListPlan:
    sections: list[ParsedSection] = field(default_factory=list)
    actions: list[ParsedAction] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    front: list[str] = field(default_factory=list)  # the paragraphs above the plan
    plan_date: dt.date | None = None


@dataclass
class _Section:
    section: ParsedSection
    urgency: str  # "immediate", "within 3 months", ""
    mode: str = "text"  # text | outcome | measures | actions
    text: list[str] = field(default_factory=list)
    outcome: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    actions: list[ParsedAction] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # the numbers the document shows


def visible(block: BodyText) -> str:
    """The paragraph as a reader sees it: Word's list number in front of the text."""
    return f"{block.label} {block.text}".strip() if block.label else block.text


def _numbered(block: BodyText) -> str | None:
    """The number a paragraph shows ("4.", "4.1", "Action 4."), typed or Word's own; None when it is not
    numbered."""
    if block.label and not block.bullet:
        return block.label.rstrip(".)").strip() or None
    match = _TYPED.match(block.text) or _LABELLED.match(block.text)
    return match.group("n") if match else None


def _is_heading(block: BodyText) -> bool:
    words = block.text.split()
    return (
        block.heading is not None
        or block.bold
        or (len(words) <= 15 and not block.text.rstrip().endswith("."))
    )


def _section_heading(block: BodyText) -> re.Match[str] | str | None:
    """A recommendation heading ("Recommendation 4 – …"), or a heading Word numbers as the first level
    of a list ("1." in front of "The quality of strategy discussions"): its match, or its number."""
    if not _is_heading(block) or block.bullet:
        return None
    return _SECTION.match(visible(block)) or _numbered_heading(block)


def _numbered_heading(block: BodyText) -> str | None:
    if block.heading is None or not block.label:
        return None
    match = re.fullmatch(r"(\d{1,2})[.)]?", block.label.strip())
    return match.group(1) if match else None


def _plausible(plan: ListPlan) -> bool:
    """Numbered headings without a recommendation's name over numbered paragraphs are a plan only when
    most of those paragraphs say who or when: a report's own "1. Purpose" over "1.1 This report…" is not."""
    if any(_SECTION.match(s.title) for s in plan.sections):
        return True
    said = sum(1 for a in plan.actions if a.leads or a.timescale)
    return said * 2 >= len(plan.actions)


def _urgency(text: str) -> str:
    match = _URGENCY.search(text)
    if not match:
        return ""
    if not match.group("unit"):
        return "immediate"
    n, m = match.group("n"), match.group("m")
    amount = f"{n}-{m}" if m else n
    return f"within {amount} {match.group('unit').lower()}"


def read_list_plan(
    blocks: list[BodyText], account: Account, scheme: RagScheme | None = None
) -> ListPlan | None:
    """The plan in these paragraphs, or None when they hold no recommendation heading with numbered
    actions under it."""
    start = next(
        (i for i, b in enumerate(blocks) if _section_heading(b) and not _after_governance(blocks, i)), None
    )
    if start is None:
        return None
    plan = ListPlan(front=[visible(b) for b in blocks[:start]])
    reader = _Reader(plan, account, blocks[start].heading, scheme)
    for index, block in enumerate(blocks[start:], start=start):
        if not reader.paragraph(block, f"paragraph {index + 1}"):
            rest = len(blocks) - index
            plan.warnings.append(
                f"paragraph {index + 1}: the plan ends at '{quote(visible(block), 60)}'; the {rest} "
                f"paragraph(s) from there on are not part of it"
            )
            break
    reader.close()
    if not plan.actions or not _plausible(plan):
        return None
    plan.plan_date = plan_date(plan.front)
    _warn(plan)
    return plan


def _after_governance(blocks: list[BodyText], index: int) -> bool:
    """The cabinet's own recommendations ("Cabinet is requested to: 1. Endorse …") start no plan."""
    return any(_GOVERNANCE.search(b.text) for b in blocks[max(0, index - 2) : index])


class _Reader:
    def __init__(
        self, plan: ListPlan, account: Account, level: int | None, scheme: RagScheme | None = None
    ) -> None:
        self.plan, self.account, self.scheme = plan, account, scheme
        self.level = level  # the heading level of the recommendation headings
        self.current: _Section | None = None

    def record(self, where: str, role: str, text: str = "") -> None:
        self.account.record(where, role, text)
        self.account.paragraphs += 1

    def paragraph(self, block: BodyText, where: str) -> bool:
        """Read one paragraph; False when it ends the plan (a heading as high as the sections that
        starts something else: an appendix, a glossary)."""
        if _section_heading(block):
            self._start(block, where)
            return True
        if self._ends_plan(block):
            return False
        current = self.current
        assert current is not None  # read_list_plan starts at a section heading
        if _is_heading(block) and self._sub_heading(current, block):
            self.record(where, "heading")
            return True
        number = _numbered(block)
        if number is not None and current.mode in ("actions", "text"):
            self._action(current, block, number, where)
        elif current.mode == "actions" and current.actions:
            self._detail(current.actions[-1], block)
            self.record(where, "continuation")
        else:
            {"outcome": current.outcome, "measures": current.measures}.get(current.mode, current.text).append(
                block.text
            )
            self.record(where, "heading")
        return True

    def _ends_plan(self, block: BodyText) -> bool:
        if block.heading is None or self.level is None or block.heading > self.level:
            return False
        return bool(_END.search(block.text)) or not _section_heading(block)

    def _start(self, block: BodyText, where: str) -> None:
        self.close()
        title = visible(block)
        match = _SECTION.match(title)
        number = match.group("n") if match else _numbered_heading(block) or str(len(self.plan.sections) + 1)
        title = title if match else block.text
        ref = str(NUMBER_WORDS.get(number.casefold(), number)).upper()
        section = ParsedSection("recommendation", title, ref=ref)
        self.plan.sections.append(section)
        self.current = _Section(section, _urgency(title))
        self.record(where, "heading")

    @staticmethod
    def _sub_heading(current: _Section, block: BodyText) -> bool:
        text = block.text.strip().rstrip(":")
        for mode, pattern in (("outcome", _OUTCOME), ("measures", _MEASURES), ("actions", _ACTIONS)):
            if pattern.match(text) and len(text.split()) <= 12:
                current.mode = mode
                return True
        if not current.urgency:
            current.urgency = _urgency(block.text)  # "To be addressed within 3 months" under the heading
        return False

    def _action(self, current: _Section, block: BodyText, number: str, where: str) -> None:
        labelled = not block.label and bool(_LABELLED.match(block.text))
        text = block.text if block.label else (_LABELLED if labelled else _TYPED).sub("", block.text, count=1)
        text, leads, timescale = labelled_fields(text)
        position = len(current.actions) + 1
        ref = number if "." in number or labelled else f"{current.section.ref}.{position}"
        action = ParsedAction(
            ref=ref,
            title=title_of(text),
            text=text,
            section=current.section,
            leads=_split_leads(leads),
            lead_segments=[leads] if leads else [],
            timescale=timescale or current.urgency,
            where=where,
        )
        current.actions.append(action)
        current.labels.append(number)
        self.plan.actions.append(action)
        self.account.actions += 1
        self.record(where, "action")
        current.mode = "actions"

    def _detail(self, action: ParsedAction, block: BodyText) -> None:
        line = block.text.strip()
        progress, rag = _PROGRESS_LINE.match(line), _RAG_LINE.match(line)
        if progress:
            action.progress = "\n".join(filter(None, [action.progress, progress.group("v").strip()]))
            return
        if rag and self.scheme is not None and self.scheme.parse(rag.group("v").strip()):
            action.rag, action.rag_raw = self.scheme.parse(rag.group("v").strip()), rag.group("v").strip()
            return
        text, leads, timescale = labelled_fields(block.text)
        if leads:
            action.leads.extend(p for p in _split_leads(leads) if p not in action.leads)
            action.lead_segments.append(leads)
        if timescale:
            action.timescale = timescale
        if text:
            action.text = f"{action.text}\n{text}"

    def close(self) -> None:
        current = self.current
        if current is None:
            return
        current.section.description = "\n\n".join(
            part
            for part in (
                " ".join(current.text),
                _listed("Outcome", current.outcome),
                _listed("How we will know", current.measures),
            )
            if part
        )
        for action in current.actions:
            action.outcome = "\n".join(current.outcome)
            action.success_criteria = "\n".join(current.measures)
        shown = [n for n in current.labels if "." not in n]
        expected = [str(i) for i in range(1, len(current.actions) + 1)]
        refs = [a.ref for a in current.actions]
        if shown and shown != expected[: len(shown)] and len(shown) == len(current.actions) and refs != shown:
            self.plan.warnings.append(
                f"the document numbers the actions under '{quote(current.section.title, 50)}' "
                f"{shown[0]}–{shown[-1]}; they are stored as {refs[0]}–{refs[-1]}"
            )


def _listed(label: str, items: list[str]) -> str:
    return f"{label}:\n" + "\n".join(f"• {i}" for i in items) if items else ""


def labelled_fields(text: str) -> tuple[str, str, str]:
    """(the text before the first label, the lead, the timescale) of "… (Lead: X; Timescale: June 2025)"."""
    matches = list(_FIELD.finditer(text))
    if not matches:
        return text, "", ""
    found: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        value = text[match.end() : following.start() if following else len(text)]
        value = re.split(r"[)\]]", value, maxsplit=1)[0].strip(" ;,|.\t")
        kind = "time" if _TIME_LABEL.match(match.group("label")) else "lead"
        if value:
            found.setdefault(kind, value)
    rest = text[: matches[0].start()].rstrip(" ,;–-([")
    if rest and not rest.endswith((".", "!", "?")):
        rest += "."
    return rest, found.get("lead", ""), found.get("time", "")


def _split_leads(text: str) -> list[str]:
    from storage.importers.leads import split_people

    return split_people(text, lambda _: False) if text else []


def _warn(plan: ListPlan) -> None:
    urgent = [a for a in plan.actions if a.timescale and _URGENCY.fullmatch(a.timescale.strip())]
    if urgent:
        phrases = ", ".join(dict.fromkeys(f"'{a.timescale}'" for a in urgent))
        since = (
            f"from {plan.plan_date:%-d %B %Y}, the plan's date" if plan.plan_date else "from the plan's date"
        )
        plan.warnings.append(
            f"the due dates of {len(urgent)} action(s) come from their recommendation's urgency ({phrases}), "
            f"counted {since}"
        )
    leaderless = [a.ref for a in plan.actions if not a.leads]
    if leaderless:
        plan.warnings.append(
            f"{len(leaderless)} action(s) name no lead in the plan and are imported with none: {', '.join(r or '' for r in leaderless)}"
        )
