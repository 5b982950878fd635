"""Field accuracy of the importer on plans in layouts unlike the samples.

    python benchmarks/import_accuracy.py

Builds every plan in tests/support/layout_plans.py, imports it into a temporary SQLite database and
compares eight fields of every action (ref, title, leads, due, schedule, RAG, progress, section) with
what a careful reader finds in the document. An action the importer missed counts as eight wrong
fields; an action it invented counts eight wrong fields too. Prints one line per layout and the total.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.db import open_database
from storage.errors import ProgressbotError
from storage.importers import read_plan
from storage.plans import import_plan, plan_payload
from tests.support import holdout_plans  # registers its plans in the same tables
from tests.support.layout_plans import BUILDERS, EXPECTED

assert holdout_plans


FIELDS = ("ref", "title", "leads", "due", "schedule", "rag", "progress", "section")
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def _payload(name: str, folder: Path) -> dict | None:
    path = BUILDERS[name](folder / f"{name}.{name.rsplit('-', 1)[-1]}")
    engine, factory = open_database(f"sqlite:///{folder / (name + '.db')}")
    try:
        with factory.begin() as session:
            result = import_plan(session, read_plan(path), plan_name=name, now=NOW)
            return plan_payload(session, result.plan, warnings=result.warnings)
    except ProgressbotError as exc:  # a refused plan scores nothing
        print(f"  {name}: refused: {exc}")
        return None
    finally:
        engine.dispose()


def score(expected: list[tuple], actions: list[dict]) -> tuple[int, int]:
    """(right fields, fields counted): each expected action is matched by ref, then title, then place."""
    unused = list(range(len(actions)))
    right = 0
    for position, want in enumerate(expected):
        match = next((i for i in unused if actions[i]["ref"] == want[0]), None)
        if match is None:
            match = next((i for i in unused if actions[i]["title"] == want[1]), None)
        if match is None and position in unused:
            match = position
        if match is None:
            continue
        unused.remove(match)
        right += sum(1 for f, value in zip(FIELDS, want, strict=True) if actions[match][f] == value)
    return right, len(FIELDS) * (len(expected) + len(unused))


def main() -> None:
    total_right = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(EXPECTED):
            payload = _payload(name, Path(tmp))
            actions = payload["actions"] if payload else []
            right, counted = score(EXPECTED[name], actions)
            if not payload:
                counted = len(FIELDS) * len(EXPECTED[name])
            total_right, total = total_right + right, total + counted
            print(
                f"{name:34} {len(EXPECTED[name]):3} actions  {right:4}/{counted:<4} fields right  {100 * right / counted:5.1f}%"
            )
    print(
        f"{'all layouts':34} {'':11} {total_right:4}/{total:<4} fields right  {100 * total_right / total:5.1f}%"
    )


if __name__ == "__main__":
    main()
