"""Benchmark the importer: big plans imported fast, hostile files refused fast and small.

    python benchmarks/import.py [--rounds 5] [--skip-hostile]

Each figure is a whole ``progressbot`` process (Python start-up included), run as a child process so
its peak resident memory (ru_maxrss from wait4) is its own:

- ``import`` of a 300-action Word plan and of a 5,000-row Excel plan into a fresh SQLite database,
  and ``plan show`` of the 38-action Stockton plan; several rounds, alternating the order;
  targets: 2 s, 5 s and 0.5 s;
- the SQL statements the 300- and 5,000-action imports run (counted in-process), to show storing is
  bulk (a handful of statements, not a few per action);
- each hostile input, which must be refused (exit 2, one line) within 10 s and 500 MB: an XLSX with
  one 100 MB cell, an XLSX of 1,000,000 rows, a 200 MB CSV, a 20 MB CSV, a zip bomb (a small
  .docx whose document expands to 1 GB) and a file over the size limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT))
PROGRESSBOT = [str(Path(sys.executable).with_name("progressbot"))]  # the installed command, as people run it
STOCKTON = ROOT / "tests" / "fixtures" / "stockton-2023-improvement-plan-shaded.docx"
LEADS = ["Head of Early Help", "Principal Social Worker", "Head of Safeguarding", "DCS", "Service Manager QA"]
MONTHS = ["March 2025", "June 2025", "Sep 25", "Quarterly", "Ongoing", "31/12/2025"]
RAGS = ["Red", "Amber", "Green", "Blue"]
PACKAGES = ["bot", "jobs", "mail", "progressbot", "report", "slackviews", "storage", "web"]


# ---------------------------------------------------------------- inputs


def word_plan(path: Path, actions: int = 300) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph("Benchmark Borough Council")
    d.add_paragraph("Improvement Plan, January 2025")
    table = d.add_table(rows=1, cols=6)
    for cell, text in zip(
        table.rows[0].cells, ["Ref", "Action", "Lead", "Timescale", "Progress", "RAG"], strict=True
    ):
        cell.text = text
    for i in range(actions):
        section, number = divmod(i, 30)
        if number == 0:
            row = table.add_row().cells
            row[0].merge(row[5]).text = f"Priority {section + 1}: Theme {section + 1}"
        row = table.add_row().cells
        values = [
            f"{section + 1}.{number + 1}",
            f"Deliver improvement step {i + 1} with partners and report on it",
            LEADS[i % len(LEADS)],
            MONTHS[i % len(MONTHS)],
            f"Progress for step {i + 1}: the working group met and agreed the next stage.",
            RAGS[i % len(RAGS)],
        ]
        for cell, text in zip(row, values, strict=True):
            cell.text = text
    d.save(str(path))
    return path


def excel_plan(path: Path, rows: int = 5000) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Plan")
    ws.append(["Benchmark Council Improvement Tracker, January 2025"])
    ws.append(["Ref", "Action", "Owner", "Due", "Latest position", "RAG"])
    for i in range(rows):
        ws.append(
            [
                f"A{i + 1}",
                f"Deliver improvement step {i + 1}",
                f"{LEADS[i % len(LEADS)]} {i % 40}",
                MONTHS[i % len(MONTHS)],
                f"Position for step {i + 1}",
                RAGS[i % len(RAGS)],
            ]
        )
    wb.save(path)
    return path


def _xlsx(path: Path, sheet_rows, shared: list[str] | None = None) -> Path:
    """A minimal valid workbook written part by part, so hostile sizes never sit in memory here."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        rels = '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        if shared is not None:
            rels += '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        if shared is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                out.write(
                    b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                )
                for chunks in shared:
                    out.write(b"<si><t>")
                    for chunk in chunks:
                        out.write(chunk)
                    out.write(b"</t></si>")
                out.write(b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for chunk in sheet_rows():
                out.write(chunk)
            out.write(b"</sheetData></worksheet>")
    return path


def huge_cell_xlsx(path: Path) -> Path:
    """A ~100 KB workbook with one 100 MB cell."""
    block = b"A" * (1024 * 1024)
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Action</t></is></c><c r="B1" t="inlineStr"><is><t>Lead</t></is></c><c r="C1" t="inlineStr"><is><t>RAG</t></is></c></row>'

    def rows():
        yield header
        yield b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>'

    return _xlsx(path, rows, shared=[(block for _ in range(100))])


def million_rows_xlsx(path: Path) -> Path:
    def rows():
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c><c r="B1" t="inlineStr"><is><t>Action</t></is></c><c r="C1" t="inlineStr"><is><t>Lead</t></is></c><c r="D1" t="inlineStr"><is><t>RAG</t></is></c></row>'
        for n in range(2, 1_000_002):
            yield (
                f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="inlineStr"><is><t>Do step {n}</t></is></c>'
                f'<c r="C{n}" t="inlineStr"><is><t>Head of Service</t></is></c><c r="D{n}" t="inlineStr"><is><t>Green</t></is></c></row>'
            ).encode()

    return _xlsx(path, rows)


def big_csv(path: Path, megabytes: int) -> Path:
    line = "1.1,Deliver the improvement step with partners,Head of Early Help,March 2025,Met and agreed the next stage,Green\n"
    with path.open("w", encoding="utf-8") as out:
        out.write("Ref,Action,Lead,Timescale,Progress,RAG\n")
        for _ in range(megabytes * 1024 * 1024 // len(line)):
            out.write(line)
    return path


def zip_bomb_docx(path: Path, gigabytes: float = 1.0) -> Path:
    """A real .docx whose word/document.xml inflates to about a gigabyte of XML."""
    shutil.copy(STOCKTON, path)
    chunk = b"<w:p/>" * (1024 * 1024 // 6)
    with (
        zipfile.ZipFile(STOCKTON) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
    ):
        for info in src.infolist():
            if info.filename != "word/document.xml":
                z.writestr(info, src.read(info.filename))
        with z.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            )
            for _ in range(int(gigabytes * 1024)):
                out.write(chunk)
            out.write(b"</w:body></w:document>")
    return path


_LONG_ACTION = "Deliver the improvement step with partners and report on it. " * 10
_LONG_PROGRESS = "Met and agreed the next stage. " * 10
NEAR_ROWS = 19_990  # under the 20,000-row limit, about 19 M characters: under the 20 M limit too


def near_limit_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("Ref,Action,Lead,Timescale,Progress,RAG\n")
        for i in range(NEAR_ROWS):
            out.write(
                f'{i // 100 + 1}.{i % 100 + 1},"{_LONG_ACTION}",Head of Early Help,March 2025,"{_LONG_PROGRESS}",Green\n'
            )
    return path


def near_limit_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Plan")
    ws.append(["Ref", "Action", "Lead", "Timescale", "Progress", "RAG"])
    for i in range(NEAR_ROWS):
        ws.append(
            [
                f"{i // 100 + 1}.{i % 100 + 1}",
                _LONG_ACTION,
                "Head of Early Help",
                "March 2025",
                _LONG_PROGRESS,
                "Green",
            ]
        )
    wb.save(path)
    return path


def near_limit_docx(path: Path) -> Path:
    """One table of NEAR_ROWS rows, written as XML (python-docx takes minutes to build a table this size)."""
    from xml.sax.saxutils import escape

    def cell(text: str) -> str:
        return f"<w:tc><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p></w:tc>"

    def row(texts: list[str]) -> bytes:
        return ("<w:tr>" + "".join(cell(t) for t in texts) + "</w:tr>").encode()

    with zipfile.ZipFile(STOCKTON) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                z.writestr(info, src.read(info.filename))
        with z.open("word/document.xml", "w", force_zip64=True) as out:
            out.write(
                b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>Benchmark Council Plan, May 2025</w:t></w:r></w:p><w:tbl>"
            )
            out.write(row(["Ref", "Action", "Lead", "Timescale", "Progress", "RAG"]))
            for i in range(NEAR_ROWS):
                out.write(
                    row(
                        [
                            f"{i // 100 + 1}.{i % 100 + 1}",
                            _LONG_ACTION,
                            "Head of Early Help",
                            "March 2025",
                            _LONG_PROGRESS,
                            "Green",
                        ]
                    )
                )
            out.write(b"</w:tbl></w:body></w:document>")
    return path


def oversize_file(path: Path, megabytes: int = 60) -> Path:
    with path.open("wb") as out:
        out.write(b"PK")
        out.write(os.urandom(megabytes * 1024 * 1024))
    return path


# ---------------------------------------------------------------- measuring


# Linux counts a child's peak memory from the moment it was forked, so a child of this (large) process
# would report at least this process's size. A small wrapper starts progressbot instead and reports
# the wall time and peak memory of that grandchild alone.
_WRAPPER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(time.perf_counter() - start, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status), file=sys.stdout)
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """(seconds, CPU seconds, peak RSS in MB, exit code, first line of stderr) of one progressbot process."""
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *PROGRESSBOT, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    seconds, cpu, peak_kb, code = done.stdout.decode().split()[-4:]
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    return float(seconds), float(cpu), int(peak_kb) / 1024, int(code), lines[0] if lines else ""


def statements(path: Path, url: str) -> int:
    """The SQL statements one import of ``path`` runs (parsing not included)."""
    from sqlalchemy import event

    from storage.db import open_database
    from storage.importers import read_plan
    from storage.plans import import_plan

    engine, factory = open_database(url)
    parsed = read_plan(path)
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    with factory.begin() as session:
        import_plan(session, parsed, plan_name="count", now=dt.datetime.now(dt.UTC))
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-hostile", action="store_true")
    options = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    # Measured as installed: `pip install .` leaves compiled bytecode, but an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would recompile every module in every process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plans = {
            "300-action Word plan": word_plan(folder / "plan-300.docx"),
            "5,000-row Excel plan": excel_plan(folder / "plan-5000.xlsx"),
        }
        show_db = f"sqlite:///{folder / 'show.db'}"
        subprocess.run(
            [*PROGRESSBOT, "--database-url", show_db, "import", str(STOCKTON)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        timings: dict[str, list[tuple[float, float, float]]] = {
            name: [] for name in [*plans, "plan show (38 actions)"]
        }
        for round_number in range(options.rounds):
            order = list(plans.items())
            if round_number % 2:
                order.reverse()
            for name, path in order:
                db = folder / f"r{round_number}-{path.stem}.db"
                seconds, cpu, rss, code, err = run(
                    ["--database-url", f"sqlite:///{db}", "import", str(path)], env
                )
                assert code == 0, err
                timings[name].append((seconds, cpu, rss))
            seconds, cpu, rss, code, err = run(["--database-url", show_db, "plan", "show"], env)
            assert code == 0, err
            timings["plan show (38 actions)"].append((seconds, cpu, rss))
        # CPU time (user + system) beside the wall time: on a shared machine it moves less with the load.
        print(
            f"Whole progressbot processes, {options.rounds} rounds (median, best, worst; median CPU time; "
            f"peak RSS; load average {os.getloadavg()[0]:.1f}):"
        )
        for name, values in timings.items():
            times = [t for t, _, _ in values]
            print(
                f"  {name:28} {statistics.median(times):6.2f} s  (best {min(times):.2f}, worst {max(times):.2f})  "
                f"CPU {statistics.median(c for _, c, _ in values):.2f} s  {max(r for _, _, r in values):5.0f} MB"
            )
        for name, path in plans.items():
            count = statements(path, f"sqlite:///{folder / (path.stem + '-count.db')}")
            print(f"  SQL statements to store the {name}: {count}")
        if not options.skip_hostile:
            hostile(folder, env)


def hostile(folder: Path, env: dict[str, str]) -> None:
    builders = [
        ("XLSX with one 100 MB cell", lambda: huge_cell_xlsx(folder / "cell.xlsx")),
        ("XLSX of 1,000,000 rows", lambda: million_rows_xlsx(folder / "million.xlsx")),
        ("200 MB CSV", lambda: big_csv(folder / "200.csv", 200)),
        ("20 MB CSV", lambda: big_csv(folder / "20.csv", 20)),
        ("zip bomb .docx (1 GB inside)", lambda: zip_bomb_docx(folder / "bomb.docx")),
        ("file over the limit (60 MB)", lambda: oversize_file(folder / "big.docx")),
    ]
    print("The largest plans the limits let in (19,990 rows, about 19 M characters), a dry run each:")
    for name, build in (
        ("CSV", lambda: near_limit_csv(folder / "near.csv")),
        ("XLSX", lambda: near_limit_xlsx(folder / "near.xlsx")),
        ("DOCX", lambda: near_limit_docx(folder / "near.docx")),
    ):
        path = build()
        seconds, _cpu, rss, code, err = run(
            ["--database-url", f"sqlite:///{folder / 'near.db'}", "import", str(path), "--dry-run"], env
        )
        print(
            f"  {name:30} {path.stat().st_size / MB:7.1f} MB file  exit {code}  {seconds:5.2f} s  {rss:5.0f} MB  {err}"
        )
        path.unlink()
    print("Hostile inputs (each must be refused with exit 2 within 10 s and 500 MB):")
    for name, build in builders:
        path = build()
        size = path.stat().st_size / MB
        seconds, _cpu, rss, code, err = run(
            ["--database-url", f"sqlite:///{folder / 'hostile.db'}", "import", str(path)], env
        )
        verdict = "ok" if code == 2 and seconds < 10 and rss < 500 else "FAILED"
        print(f"  {name:30} {size:7.1f} MB file  exit {code}  {seconds:5.2f} s  {rss:5.0f} MB  {verdict}")
        print(f"      {err}")
        path.unlink()


if __name__ == "__main__":
    main()
