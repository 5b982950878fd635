"""Plans that give every action a small table of its own, a label and a value on each row:

    Action ref      | 1.1
    Action          | Refresh the board's terms of reference
    Lead officer    | Head of Youth Justice
    Completion date | 31 October 2024

Such a card reads as one row of an action table whose header is its labels. Consecutive cards with the
same labels are one action table. A document's own control table ("Title | Owner | Date | Version") is
not a card: it names no action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storage.importers.headers import Columns, action_header, looks_like_data, normalise_header
from storage.importers.model import Cell, Table

# Labels of a document-control table, whose "Title" and "Owner" describe the document, not an action.
_DOCUMENT_LABELS = re.compile(
    r"^(document|version|author|classification|protective marking|review date|approved by)\b|^title$|"
    r"^status of (the )?document"
)


_MOST_LABELS = 30  # a card names an action's fields; a longer run of rows is a table


@dataclass(frozen=True)
class Card:
    columns: Columns
    values: list[Cell]  # the action's cells, in the order of the labels
    main: int  # index (in the run) of the row holding the action text: where the action is said to be
    indexes: list[int]  # the block's row indexes the card covers


def runs(rows: list[list[Cell]]) -> list[list[int]]:
    """The block's non-empty rows in runs separated by blank rows (cards stacked on one sheet)."""
    found: list[list[int]] = [[]]
    for index, row in enumerate(rows):
        if any(c.text for c in row):
            found[-1].append(index)
        elif found[-1]:
            found.append([])
    return [run for run in found if run]


def read_card(block: Table, indexes: list[int]) -> Card | None:
    """The card these rows make, or None when they are not one."""
    if not 3 <= len(indexes) <= _MOST_LABELS:
        return None
    pairs = []
    for i in indexes:
        pair = _pair(block.rows[i])
        if pair is None:
            return None
        pairs.append(pair)
    labels = [label for label, _ in pairs]
    keys = [normalise_header(label.text) for label in labels]
    if len(set(keys)) < len(keys) or any(_DOCUMENT_LABELS.search(k) for k in keys):
        return None
    columns = action_header(labels)
    if columns is None or "action" not in columns:
        return None
    values = [value for _, value in pairs]
    if not values[columns["action"]].text:
        return None
    return Card(columns, values, columns["action"], indexes)


def _pair(row: list[Cell]) -> tuple[Cell, Cell] | None:
    """(label, value): a short label in the first filled cell, the value in the cell after it."""
    filled = [i for i, c in enumerate(row) if c.text]
    if not filled:
        return None
    first = filled[0]
    if filled[-1] > first + 1:
        return None
    label = row[first]
    if looks_like_data(label.text) or len(label.text.split()) > 6 or "\n" in label.text:
        return None
    value = row[first + 1] if first + 1 < len(row) else Cell()
    return label, value
