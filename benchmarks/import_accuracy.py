"""Field accuracy of the importer on plans in layouts unlike the samples.

    python benchmarks/import_accuracy.py [-v]   # -v: every wrong field

Builds every plan in tests/support/layout_plans.py and holdout_plans.py (written by the importer's
author), in tests/support/outsider_plans.py (written by someone who had not read the importer) and in
tests/support/reviewer_plans.py (a reviewer's layouts unlike all of those) and in
tests/support/round4_plans.py (a fourth round, written before reading the importer),
imports it into a temporary SQLite database and compares eight fields of every action (ref, title,
leads, due, schedule, RAG, progress, section) with what a careful reader finds in the document. An
action the importer missed counts as eight wrong fields; an action it invented counts eight wrong
fields too. Prints one line per layout, a total per group and the total.
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
from tests.support import (
    holdout_plans,  # registers its plans in the same tables
    outsider_plans,
    reviewer_plans,
    round4_plans,
)
from tests.support.layout_plans import BUILDERS, EXPECTED

assert holdout_plans
OUTSIDER_FIRST = {n: e for n, e in outsider_plans.EXPECTED.items() if n not in outsider_plans.ROUND_TWO}
OUTSIDER_SECOND = {n: e for n, e in outsider_plans.EXPECTED.items() if n in outsider_plans.ROUND_TWO}
GROUPS = (
    ("layouts by the importer's author", BUILDERS, EXPECTED),
    ("outsider plans, first round", outsider_plans.BUILDERS, OUTSIDER_FIRST),
    ("outsider plans, second round", outsider_plans.BUILDERS, OUTSIDER_SECOND),
    ("reviewer plans, third round", reviewer_plans.BUILDERS, reviewer_plans.EXPECTED),
    ("outsider plans, fourth round", round4_plans.BUILDERS, round4_plans.EXPECTED),
)


FIELDS = ("ref", "title", "leads", "due", "schedule", "rag", "progress", "section")
NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def _payload(name: str, folder: Path, builders) -> dict | None:
    path = builders[name](folder / f"{name}.{name.rsplit('-', 1)[-1]}")
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


def score(expected: list[tuple], actions: list[dict], wrong: list[str] | None = None) -> tuple[int, int]:
    """(right fields, fields counted): each expected action is matched by ref, then title, then place.
    Each wrong field is described in ``wrong`` when given."""
    unused = list(range(len(actions)))
    right = 0
    for position, want in enumerate(expected):
        match = next((i for i in unused if actions[i]["ref"] == want[0]), None)
        if match is None:
            match = next((i for i in unused if actions[i]["title"] == want[1]), None)
        if match is None and position in unused:
            match = position
        if match is None:
            if wrong is not None:
                wrong.append(f"{want[0]}: missed")
            continue
        unused.remove(match)
        for f, value in zip(FIELDS, want, strict=True):
            if actions[match][f] == value:
                right += 1
            elif wrong is not None:
                wrong.append(f"{want[0]} {f}: want {value!r}, got {actions[match][f]!r}")
    if wrong is not None:
        wrong.extend(f"{actions[i]['ref']}: invented" for i in unused)
    return right, len(FIELDS) * (len(expected) + len(unused))


def main(verbose: bool = False) -> None:
    grand_right = grand = 0
    with tempfile.TemporaryDirectory() as tmp:
        for title, builders, expected in GROUPS:
            print(title)
            total_right = total = 0
            for name in sorted(expected):
                payload = _payload(name, Path(tmp), builders)
                actions = payload["actions"] if payload else []
                wrong: list[str] = []
                right, counted = score(expected[name], actions, wrong)
                if not payload:
                    counted = len(FIELDS) * len(expected[name])
                total_right, total = total_right + right, total + counted
                print(
                    f"  {name:34} {len(expected[name]):3} actions  {right:4}/{counted:<4} fields right  "
                    f"{100 * right / counted:5.1f}%"
                )
                for line in wrong if verbose else ():
                    print(f"      {line}")
            print(
                f"  {'all':34} {'':11} {total_right:4}/{total:<4} fields right  {100 * total_right / total:5.1f}%"
            )
            grand_right, grand = grand_right + total_right, grand + total
    print(
        f"{'every plan':36} {'':11} {grand_right:4}/{grand:<4} fields right  {100 * grand_right / grand:5.1f}%"
    )


if __name__ == "__main__":
    main(verbose="-v" in sys.argv[1:])
