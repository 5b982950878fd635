"""The account of what was read: every non-empty row (and list paragraph) has exactly one role.

Roles: ``action`` (a row that starts one or more actions), ``continuation`` (joined to the action
above), ``heading`` (a section heading and the text under it), ``header`` (column headers, repeated
headers and the title lines above them), ``key``, ``glossary``, ``history``, and ``skipped`` (with a
warning that quotes it). A row's role may be revised while the plan is read (a continuation with
nothing above it to continue is skipped); the last word counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("action", "continuation", "heading", "header", "key", "glossary", "history", "skipped")
_WORDS = {
    "continuation": ("continuation row joined", "continuation rows joined"),
    "heading": ("heading", "headings"),
    "header": ("header row", "header rows"),
    "key": ("key row", "key rows"),
    "glossary": ("glossary row", "glossary rows"),
    "history": ("history row", "history rows"),
}


def quote(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


@dataclass
class Account:
    roles: dict[str, str] = field(default_factory=dict)  # where -> role, in reading order
    texts: dict[str, str] = field(default_factory=dict)  # where -> the row's text, for skipped rows
    actions: int = 0  # actions made (a row may hold several)
    paragraphs: int = 0  # how many of the entries are list-plan paragraphs rather than table rows

    def record(self, where: str, role: str, text: str = "") -> None:
        if role not in ROLES:  # pragma: no cover - a programming error
            raise ValueError(role)
        self.roles[where] = role
        if role == "skipped":
            self.texts[where] = quote(text)

    def count(self, role: str) -> int:
        return sum(1 for r in self.roles.values() if r == role)

    @property
    def rows(self) -> int:
        return len(self.roles)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [(w, self.texts.get(w, "")) for w, r in self.roles.items() if r == "skipped"]

    def line(self) -> str:
        noun = "paragraphs" if self.paragraphs == self.rows and self.rows else "rows"
        if self.paragraphs and self.paragraphs != self.rows:
            noun = "rows and paragraphs"
        action_rows = self.count("action")
        parts = [
            f"{self.actions} actions"
            if action_rows == self.actions
            else f"{action_rows} action {'row' if action_rows == 1 else 'rows'} ({self.actions} actions)"
        ]
        for role, (one, many) in _WORDS.items():
            n = self.count(role)
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        skipped = self.count("skipped")
        parts.append(f"{skipped} skipped (listed below)" if skipped else "nothing skipped")
        return f"read {self.rows} {noun}: " + ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "actions": self.actions,
            **{role: self.count(role) for role in ROLES},
            "skipped_rows": [{"where": w, "text": t} for w, t in self.skipped],
            "line": self.line(),
        }
