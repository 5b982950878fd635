"""Storing an import: in bulk (a fixed number of statements, whatever the plan's size), a dry run that
writes nothing, and a re-import that names the actions the new file no longer has and withdraws them
only when asked (withdrawn actions leave reminders and the report's counts)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select

from jobs.planner import plan_reminders
from progressbot.cli import main
from report.compile import compile_report
from storage.importers import read_plan
from storage.models import Action, Update
from storage.people import link_person
from storage.plans import get_action, import_plan, plan_payload
from tests.support.plan_builders import add_table

pytestmark = pytest.mark.storage

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
HEADER = ["Ref", "Action", "Lead", "Timescale", "Progress", "RAG"]


def _plan(path: Path, refs: list[str], *, leads: int = 3) -> Path:
    d = docx.Document()
    d.add_paragraph("Testshire Council Improvement Plan, October 2026")
    rows = [HEADER] + [
        [
            ref,
            f"Deliver step {ref}",
            f"Head of Service {i % leads}",
            "December 2026",
            f"Progress on {ref}",
            "Amber",
        ]
        for i, ref in enumerate(refs)
    ]
    add_table(d, rows)
    d.save(str(path))
    return path


class _Statements:
    def __init__(self, session) -> None:
        self.engine = session.get_bind()
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args) -> None:
        self.seen.append(statement.split(None, 1)[0].upper())


def _csv_plan(path: Path, n: int) -> Path:
    rows = [",".join(HEADER)] + [
        f"1.{i},Deliver step {i},Head of Service {i % 3},December 2026,Progress on {i},Amber"
        for i in range(1, n + 1)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_storing_costs_the_same_few_statements_for_5_or_500_actions(session, tmp_path):
    import_plan(session, read_plan(_csv_plan(tmp_path / "warm.csv", 3)), plan_name="warm", now=NOW)
    counts = []
    for n in (5, 500):  # the same people lead both plans: they exist already
        parsed = read_plan(_csv_plan(tmp_path / f"p{n}.csv", n))
        with _Statements(session) as statements:
            import_plan(session, parsed, plan_name=f"p{n}", now=NOW)
            session.flush()
        counts.append(len(statements.seen))
    assert counts[0] == counts[1] < 40, counts
    assert session.scalar(select(func.count()).select_from(Action)) == 508
    assert session.scalar(select(func.count()).select_from(Update)) == 508


def test_a_dry_run_reads_only_and_previews_what_the_import_stores(session, tmp_path):
    path = _plan(tmp_path / "p.docx", ["1.1", "1.2", "1.3"])
    first = import_plan(session, read_plan(path), plan_name="p", now=NOW)
    session.flush()
    newer = _plan(tmp_path / "p2.docx", ["1.1", "1.3", "1.4"], leads=1)
    with _Statements(session) as statements:
        dry = import_plan(session, read_plan(newer), plan_name="p", now=NOW, dry_run=True)
    assert set(statements.seen) == {"SELECT"}, statements.seen
    assert not session.new and not session.dirty
    assert dry.changes()["missing"] == ["1.2"] and dry.added == ["1.4"]
    real = import_plan(session, read_plan(newer), plan_name="p", now=NOW)
    stored = plan_payload(session, real.plan, warnings=real.warnings)
    assert dry.preview == stored
    assert first.plan.id == real.plan.id


def test_reimport_lists_missing_actions_and_closes_them_only_when_asked(session, tmp_path):
    from storage.models import PlanChange

    import_plan(
        session,
        read_plan(_plan(tmp_path / "v1.docx", ["1.1", "1.2", "2.1", "2.2"])),
        plan_name="p",
        now=NOW,
    )
    later = NOW + dt.timedelta(days=7)
    v2 = read_plan(_plan(tmp_path / "v2.docx", ["1.1", "2.2"]))
    kept = import_plan(session, v2, plan_name="p", now=later)
    assert kept.missing == ["1.2", "2.1"] and kept.closed == []
    plan = kept.plan
    assert get_action(session, plan, "1.2").status == "open"  # kept, untouched
    closed = import_plan(session, v2, plan_name="p", now=later, close_missing=True)
    assert closed.missing == ["1.2", "2.1"] and closed.closed == ["1.2", "2.1"]
    a12 = get_action(session, plan, "1.2")
    assert a12.status == "withdrawn"
    event = session.scalars(
        select(PlanChange).where(PlanChange.action_id == a12.id, PlanChange.field == "status")
    ).one()
    assert (event.kind, event.source, event.by_text, event.reason, event.at) == (
        "withdraw",
        "import",
        "import: v2.docx",
        "not in v2.docx (re-import with --close-missing)",
        later,
    )
    again = import_plan(session, v2, plan_name="p", now=later, close_missing=True)
    assert again.missing == [] and again.closed == []  # withdrawn actions are no longer "missing"
    payload = plan_payload(session, plan)
    assert [(a["ref"], a["status"]) for a in payload["actions"]] == [
        ("1.1", "open"),
        ("2.2", "open"),
        ("1.2", "withdrawn"),
        ("2.1", "withdrawn"),
    ]
    back = import_plan(
        session, read_plan(_plan(tmp_path / "v3.docx", ["1.1", "1.2", "2.2"])), plan_name="p", now=later
    )
    assert back.reopened == ["1.2"] and "status" in back.updated["1.2"]
    assert get_action(session, plan, "1.2").status == "open"


def test_an_action_withdrawn_on_purpose_stays_withdrawn(session, tmp_path):
    from storage.authority import Actor
    from storage.changes import withdraw_or_merge

    path = _plan(tmp_path / "v1.docx", ["1.1", "1.2"])
    plan = import_plan(session, read_plan(path), plan_name="p", now=NOW).plan
    admin = Actor(uid="UADMIN1", person=None, admin=True, board=False, source="cli")
    a12 = get_action(session, plan, "1.2")
    withdraw_or_merge(
        session, a12, status="withdrawn", into=None, reason="Done elsewhere", actor=admin, now=NOW
    )
    again = import_plan(session, read_plan(path), plan_name="p", now=NOW + dt.timedelta(days=1))
    assert again.reopened == [] and again.kept == ["1.2: kept withdrawn (the file still lists it)"]
    assert get_action(session, plan, "1.2").status == "withdrawn"


def test_closed_actions_leave_reminders_and_the_report(session, tmp_path):
    path = _plan(tmp_path / "v1.docx", ["1.1", "1.2"], leads=1)
    plan = import_plan(session, read_plan(path), plan_name="p", now=NOW).plan
    link_person(session, "Head of Service 0", slack_user_id="UHOS0")
    due = NOW.replace(year=2026, month=12, day=31)
    assert len({p.action_id for p in plan_reminders(session, due)}) == 2

    import_plan(
        session,
        read_plan(_plan(tmp_path / "v2.docx", ["1.1"], leads=1)),
        plan_name="p",
        now=NOW,
        close_missing=True,
    )
    after = plan_reminders(session, due)
    assert {p.action_id for p in after} == {get_action(session, plan, "1.1").id}
    report = compile_report(session, plan, as_of=NOW, now=NOW)
    assert [row.ref for row in report.actions] == ["1.1"]


def test_the_cli_names_missing_actions_and_closes_them(database, tmp_path):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--database-url", database.url, *map(str, args)])

    assert run("import", _plan(tmp_path / "v1.docx", ["1.1", "1.2", "2.1"]), "--plan", "p").exit_code == 0
    v2 = _plan(tmp_path / "v2.docx", ["1.1"])
    kept = run("import", v2, "--plan", "p")
    assert (
        "  2 action(s) not in this file: 1.2, 2.1; they are kept; `--close-missing` closes them"
        in kept.stdout
    )
    dry = run("import", v2, "--plan", "p", "--close-missing", "--dry-run")
    assert "  2 action(s) not in this file: 1.2, 2.1; would be withdrawn (--close-missing)" in dry.stdout
    closed = run("import", v2, "--plan", "p", "--close-missing", "--json")
    changes = json.loads(closed.stdout)["plan"]["changes"]
    assert changes["missing"] == ["1.2", "2.1"] and changes["closed"] == ["1.2", "2.1"]
    shown = run("plan", "show", "--plan", "p")
    line = next(x for x in shown.stdout.splitlines() if x.startswith("1.2 "))
    assert line.endswith("withdrawn")
