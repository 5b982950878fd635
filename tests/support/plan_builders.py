"""Build plan files in the styles councils use, for importer tests (python-docx / openpyxl).

Each builder writes one file and returns its path; the expected results live in the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

# What a careful reader finds in one action: (ref, title, leads, due, schedule, rag, progress, section).
Expected = tuple[str, str, list[str], str | None, str, str | None, str | None, str | None]
Builder = Callable[[Path], Path]


def layout_registry() -> tuple[Callable, dict[str, list[Expected]], dict[str, Builder]]:
    """``layout(name, expected)``, a decorator that registers a plan builder with what a careful reader
    finds in its plan, and the two dicts it fills: expected actions and builders, by layout name."""
    expected: dict[str, list[Expected]] = {}
    builders: dict[str, Builder] = {}

    def layout(name: str, rows: list[Expected]) -> Callable[[Builder], Builder]:
        def register(builder: Builder) -> Builder:
            expected[name] = rows
            builders[name] = builder
            return builder

        return register

    return layout, expected, builders


def span_row(table, row: int, fill: str | None = None, *, bold: bool = False) -> None:
    """Merge a row across every column (a section row), optionally filled and bold."""
    cells = table.rows[row].cells
    merged = cells[0].merge(cells[-1])
    if fill:
        shade(merged, fill)
    if bold:
        for run in merged.paragraphs[0].runs:
            run.bold = True


def repeat_header(table) -> None:
    """Mark the first row as Word's "Repeat as header row at the top of each page"."""
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def write(cell, text: str, *, bold: bool = False) -> None:
    """Each line a paragraph; "**x**" at the start of a line makes x a bold run."""
    first = True
    for line in text.split("\n"):
        para = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        if line.startswith("**") and "**" in line[2:]:
            head, rest = line[2:].split("**", 1)
            para.add_run(head).bold = True
            if rest:
                para.add_run(rest)
        else:
            para.add_run(line).bold = bold


def add_table(document, rows: list[list[str]], fills: dict[tuple[int, int], str] | None = None):
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                write(table.cell(r, c), text)
    for (r, c), fill in (fills or {}).items():
        shade(table.cell(r, c), fill)
    return table


PHASE_HEADER = ["Ref", "Action", "Lead", "Deadline", "Progress", "RAG STATUS"]


def phase_plan_docx(path: Path) -> Path:
    """A "Phase 1/2" plan: ref column, five-state symbol key, glossary, duplicate ref, multi-lead cells."""
    d = docx.Document()
    d.add_paragraph("Anytown Council")
    d.add_paragraph("Children's Services Improvement Plan")
    d.add_paragraph("January 2024")
    d.add_paragraph("Key to RAG status:")
    add_table(
        d,
        [
            ["X", "Not started or behind"],
            ["-", "On track"],
            ["↓", "Delayed"],
            ["↑", "Ahead of schedule"],
            ["✓", "Completed"],
        ],
    )
    d.add_paragraph("The actions")
    t = add_table(
        d,
        [
            PHASE_HEADER,
            ["Phase 1: Stabilise", "", "", "", "", ""],
            [
                "1.1",
                "Recruit permanent team managers. Reduce agency use.",
                "DM (CIN)",
                "31 March 2024",
                "Two appointed",
                "-",
            ],
            ["1.2", "Launch the practice model", "DM CIN / OD / DCS", "Quarterly", "Launched in May", "✓"],
            ["1.2", "Refresh the supervision policy", "HoS", "June 2024", "", "X"],
            ["1.3", "Audit all child protection plans", "OD, DCS", "By September 2024", "Half done", "↓"],
            ["", "", "", "", "Audit tool agreed with partners", ""],
        ],
    )
    t.cell(1, 0).merge(t.cell(1, 5))
    d.add_paragraph("Second phase")
    t2 = add_table(
        d,
        [
            PHASE_HEADER,
            ["Phase 2: Embed", "", "", "", "", ""],
            ["2.1", "Embed the quality assurance framework", "DMCIN", "June 2024", "Ahead of plan", "↑"],
            ["2.2", "Publish the sufficiency strategy", "Jo Bloggs", "Autumn", "", "Banana"],
        ],
    )
    t2.cell(1, 0).merge(t2.cell(1, 5))
    d.add_paragraph("Glossary")
    add_table(
        d,
        [
            ["Abbreviation", "Title", "Name"],
            ["DM (CIN)", "Deputy Manager Children in Need", "Sam Patel"],
            ["OD", "Operations Director", "Alex Khan"],
            ["DCS", "Director of Children's Services", "Pat Jones"],
            ["HoS", "Head of Service", "Chris Lee"],
            ["HoS", "Head of Service (Early Help)", "Robin Fox"],
        ],
    )
    d.save(str(path))
    return path


def merged_plan_docx(path: Path) -> Path:
    """Inline bold refs, a vertically merged lead cell, a spanned heading row, text and fill RAG."""
    d = docx.Document()
    d.add_paragraph("Northshire County Council")
    d.add_paragraph("Action Plan 2022")
    t = add_table(
        d,
        [
            ["Recommendation", "Actions", "LEAD", "TIMESCALE", "Update", "RAG rating"],
            ["Theme 1: Leadership", "", "", "", "", ""],
            [
                "Leaders know the front door",
                "**A.** Weekly front door audits",
                "Head of Early Help",
                "Monthly",
                "Running since March",
                "Green",
            ],
            ["", "**B.** Publish a threshold document", "", "July 2022", "Draft out", ""],
            ["", "**C.** Train all staff", "Principal Social Worker", "within 3 months", "", "amber"],
        ],
        fills={(4, 5): "FFC000", (3, 5): "C00000"},
    )
    t.cell(1, 0).merge(t.cell(1, 5))
    t.cell(2, 2).merge(t.cell(3, 2))  # one lead for A and B
    d.save(str(path))
    return path


def fill_plan_xlsx(path: Path) -> Path:
    """Excel: title rows above the header, a merged section row, RAG only as fill colours."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws.append(["Westvale Borough Council Improvement Plan"])
    ws.append(["Updated March 2024"])
    ws.append(["No.", "ACTION", "Responsible officer", "Target date", "Commentary", "RAG"])
    ws.append(["Area 1 - Workforce"])
    ws.merge_cells("A4:F4")
    ws["A4"].font = Font(bold=True)
    rows = [
        ("1", "Stabilise the workforce", "Head of Service", "Apr 24", "Vacancies down", "C00000"),
        ("2", "Launch a recruitment campaign", "Head of Service", "May 24", "Campaign live", "FFFF00"),
        ("3", "Create an academy", "Principal Social Worker", "Jun 24", "Planned", "92D050"),
        ("4", "Review pay", "HR Business Partner", "Completed", "Done", "00B0F0"),
        ("5", "Agree the budget", "Finance Lead", "Sep 24", "", None),
    ]
    for number, action, lead, when, note, fill in rows:
        ws.append([number, action, lead, when, note, None])
        if fill:
            ws.cell(ws.max_row, 6).fill = PatternFill("solid", fgColor=fill)
    wb.save(path)
    return path


def text_plan_csv(path: Path) -> Path:
    path.write_text(
        "Ref,Actions,LEAD,By when,Progress Update,Status\n"
        '1,"Improve return home interviews\nso every child is seen",Head of Exploitation,Dec 2024,"Rate up to 80%",Amber\n'
        "2,Refresh the missing protocol,Head of Exploitation & Head of Safeguarding,31/10/2024,Drafted,G\n"
        "3,Publish the annual report,Business Manager,Ongoing,,Complete\n"
        "3,Publish the summary,Business Manager,Ongoing,,Red\n",
        encoding="utf-8",
    )
    return path


def no_table_docx(path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("Minutes of the board")
    add_table(d, [["Item", "Discussion"], ["1", "Apologies"]])
    d.save(str(path))
    return path


def two_sheet_xlsx(path: Path) -> Path:
    """Excel: plan sheet with a RAG key under the actions, glossary on a second sheet, several leads."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    ws.append(["#", "Actions", "LEAD", "TIMESCALE", "Progress", "RAG"])
    ws.append(["1", "Refresh the threshold document", "HoEH / PSW", "30 June 2025", "Consulting", "A"])
    ws.append(["2", "Run a multi-agency audit", "HoEH; PSW", "Q2 2025/26", "", "r"])
    ws.append(["3", "Set up the board", "DCS & PSW", "Immediate", "Met twice", "Complete"])
    ws.append([])
    ws.append(["RAG key"])
    ws.append(["R", "Not on track"])
    ws.append(["A", "Some delay, recoverable"])
    ws.append(["G", "On track"])
    ws.append(["B", "Completed and evidenced"])
    gl = wb.create_sheet("Glossary")
    gl.append(["Acronym", "Role", "Name"])
    gl.append(["HoEH", "Head of Early Help", "Mo Ahmed"])
    gl.append(["PSW", "Principal Social Worker", "Lee Chan"])
    gl.append(["DCS", "Director of Children's Services", "Pat Jones"])
    wb.save(path)
    return path


def ilacs_style_docx(path: Path) -> Path:
    """The 2019 layout with a coloured key, fills in the RAG column, leads by abbreviation, a glossary."""
    d = docx.Document()
    d.add_heading("Riverton Council Children's Services", 1)
    d.add_heading("Post Ofsted Action Plan", 2)
    d.add_paragraph("September 2021 – September 2022")
    d.add_paragraph("Key to RAG status:")
    add_table(
        d,
        [["", "Completed"], ["", "On track"], ["", "Some slippage"], ["", "Not on track"]],
        fills={(0, 0): "0070C0", (1, 0): "00B050", (2, 0): "FFC000", (3, 0): "FF0000"},
    )
    header = [
        "",
        "Recommendation",
        "Action/ Required Outcomes",
        "Timescale",
        "Lead",
        "Progress Update",
        "RAG",
    ]
    add_table(
        d,
        [
            header,
            [
                "1",
                "Improve management oversight.",
                "**1.1 Action** Audit supervision.\n**Outcome** Better plans.",
                "Dec 21",
                "HoS CIN / PSW",
                "Audit done",
                "",
            ],
            ["", "", "**1.2 Action** Train managers.", "March 2022", "PSW", "", ""],
        ],
        fills={(1, 6): "0070C0", (2, 6): "FFC000"},
    )
    add_table(
        d,
        [
            header,
            ["", "", "**Outcome** Managers confident.", "", "", "Survey in May", "00B050"],
            [
                "2.",
                "Improve return interviews.",
                "**2.1 Action** Commission a new service.",
                "April 2022",
                "DCS",
                "Tender out",
                "Red",
            ],
        ],
    )
    d.add_heading("Glossary", 3)
    add_table(
        d,
        [
            ["Abbreviation", "Title", "Name"],
            ["HoS CIN", "Head of Service Children in Need", "Ann Lee"],
            ["PSW", "Principal Social Worker", "Raj Shah"],
            ["DCS", "Director of Children's Services", "Kim Ode"],
        ],
    )
    d.save(str(path))
    return path


def docx_as_xlsx(src: Path, dest: Path) -> Path:
    """The same plan as an Excel export would give it: one sheet, cell text, cell fills, no bold runs."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from storage.importers.docx import read_docx_blocks
    from storage.importers.model import BodyText

    wb = Workbook()
    ws = wb.active
    for block in read_docx_blocks(src):
        if isinstance(block, BodyText):
            ws.append([block.text])
            continue
        for row in block.rows:
            ws.append([c.text for c in row])
            for i, c in enumerate(row, start=1):
                if c.fill:
                    ws.cell(ws.max_row, i).fill = PatternFill("solid", fgColor=c.fill)
                if c.bold:
                    ws.cell(ws.max_row, i).font = Font(bold=True)
        ws.append([])
    wb.save(dest)
    return dest


def docx_as_csv(src: Path, dest: Path) -> Path:
    """The same plan saved as CSV: text only."""
    import csv

    from storage.importers.docx import read_docx_blocks
    from storage.importers.model import BodyText

    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for block in read_docx_blocks(src):
            if isinstance(block, BodyText):
                writer.writerow([block.text])
            else:
                writer.writerows([c.text for c in row] for row in block.rows)
    return dest


def lettered_refs_xlsx(path: Path) -> Path:
    """Excel: a title row and blank rows above the header, merged section rows, "A1"-style refs, real
    Excel dates in the timescale column, RAG as the letters R/A/G, and "DCS and all partner agencies"."""
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Improvement Plan"
    ws.append(["Eastbrook Council – Children's Social Care Improvement Plan 2025"])
    ws.merge_cells("A1:F1")
    ws.append([])
    ws.append([])
    ws.append(["Ref", "Improvement Action", "Lead Officer", "Timescale", "Progress Update", "RAG"])
    ws.append(["Section A: Front Door"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=6)
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.append(
        ["A1", "Review MASH thresholds with partners", "DCS", dt.datetime(2025, 3, 31), "Review started", "A"]
    )
    ws.append(
        ["A2", "Introduce daily MASH huddles", "Head of Front Door", dt.datetime(2025, 1, 15), "Running", "G"]
    )
    ws.append([])
    ws.append(["Section B: Children in Care"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=6)
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.append(
        [
            "B1",
            "Agree a placement sufficiency strategy",
            "DCS and all partner agencies",
            dt.datetime(2025, 6, 30),
            "Not started",
            "R",
        ]
    )
    ws.append(
        [
            "B2",
            "Refresh care plans for all children",
            "Head of Children in Care",
            dt.datetime(2025, 9, 1),
            "",
            "g",
        ]
    )
    for row in ws.iter_rows(min_row=5, min_col=4, max_col=4):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


def spanned_phase_docx(path: Path) -> Path:
    """Word: "PHASE 1 – …" rows spanning the whole table (gridSpan), refs "1." in their own column, a
    five-state key below the plan (header "Symbol | Meaning") and symbol RAGs written slightly differently."""
    d = docx.Document()
    d.add_paragraph("Southmoor Metropolitan Borough Council")
    d.add_paragraph("Ofsted Improvement Plan – March 2024")
    header = ["No.", "What we will do", "Lead", "By when", "Progress", "RAG"]
    t = add_table(
        d,
        [
            header,
            ["PHASE 1 – Stabilise", "", "", "", "", ""],
            [
                "1.",
                "Stabilise the social work workforce",
                "Head of Service",
                "June 2024",
                "Agency staff down",
                "-",
            ],
            [
                "2.",
                "Clear the backlog of assessments",
                "Service Manager",
                "31/05/2024",
                "Delayed by sickness",
                "↓",
            ],
            ["PHASE 2 – Improve", "", "", "", "", ""],
            ["3.", "Launch the new practice model", "Principal Social Worker", "September 2024", "", "x"],
            ["4.", "Publish the QA framework", "Head of Quality Assurance", "April 2024", "Published", "✔"],
            ["5.", "Roll out the audit tool early", "Head of Quality Assurance", "Oct 2024", "Ahead", "↑"],
        ],
    )
    for r in (1, 4):
        t.cell(r, 0).merge(t.cell(r, 5))
    d.add_paragraph("Key")
    add_table(
        d,
        [
            ["Symbol", "Meaning"],
            ["X", "Not started / behind schedule"],
            ["-", "On track"],
            ["↓", "Delayed"],
            ["↑", "Ahead of schedule"],
            ["✓", "Completed"],
        ],
    )
    d.save(str(path))
    return path


def responsible_officer_docx(path: Path) -> Path:
    """Word: "No. | Actions to be taken | Responsible Officer | Target Date | Status | Update/Commentary",
    refs like "3.2a", lead cells merged down over several rows (vMerge), a glossary whose "DM (CIN)" is
    written "DM CIN" and "DMCIN", and one abbreviation that names two people."""
    d = docx.Document()
    d.add_paragraph("Lakeside City Council")
    d.add_paragraph("Children's Services Action Plan")
    d.add_paragraph("Version 3, October 2023")
    t = add_table(
        d,
        [
            ["Priority 3: Manageable caseloads", "", "", "", "", ""],
            [
                "No.",
                "Actions to be taken",
                "Responsible Officer",
                "Target Date",
                "Status",
                "Update/Commentary",
            ],
            [
                "3.1",
                "Improve the quality of supervision",
                "DM CIN",
                "December 2023",
                "Green",
                "Audit shows progress",
            ],
            ["3.2a", "Review caseloads weekly", "DMCIN / HoS", "Monthly", "Amber", "Started"],
            ["3.2b", "Report caseloads to the board", "", "January 2024", "Amber", ""],
            ["3.2c", "Cap caseloads at 20", "", "March 2024", "Red", "Not yet"],
            [
                "3.3",
                "Publish a practice standards guide",
                "DM (CIN)",
                "Completed",
                "Complete",
                "Published in May",
            ],
        ],
    )
    t.cell(0, 0).merge(t.cell(0, 5))  # a title row inside the table, above its header
    t.cell(3, 2).merge(t.cell(5, 2))  # one lead cell for 3.2a, 3.2b and 3.2c
    d.add_paragraph("Glossary")
    add_table(
        d,
        [
            ["Abbreviation", "Title", "Name"],
            ["DM (CIN)", "Deputy Manager Children in Need", "Sam Patel"],
            ["HoS", "Head of Service (Safeguarding)", "Chris Lee"],
            ["HoS", "Head of Service (Early Help)", "Robin Fox"],
        ],
    )
    d.save(str(path))
    return path


def semicolon_csv(path: Path, *, encoding: str = "utf-8-sig") -> Path:
    """CSV as Excel exports it in much of Europe: a byte-order mark (or cp1252), ";" between fields,
    a title line above the header, commas inside fields, a "RAG STATUS" column in lower case, and
    typographic dashes and quotes."""
    text = (
        "Northgate Council – Participation Plan 2024\r\n\r\n"  # a title line with no ";" fools the sniffer
        "Ref;Action;Lead Officer;Timescale;Progress Update;RAG STATUS\r\n"
        "1.1;Refresh the children’s participation strategy, with children;Head of Participation;March 2025;"
        "Drafted – out for consultation;green\r\n"
        "1.2;Hold termly ‘Big Voice’ events;Head of Participation;Termly;First one held;amber\r\n"
        '1.3;"Train staff in direct work; include foster carers";Principal Social Worker;31/12/2024;;Amber\r\n'
    )
    path.write_bytes(text.encode(encoding))
    return path


def inline_suffix_refs_docx(path: Path) -> Path:
    """Word: refs like "3.2a" in bold at the start of the action text (no ref column), headers "Action
    Owner" / "Date for completion" / "Status Update", a table split at a page break with a row carried
    over, text RAG, and "DCS & partners" where the glossary explains DCS."""
    d = docx.Document()
    d.add_paragraph("Hillford District Council")
    d.add_paragraph("Safeguarding Improvement Plan, May 2024")
    header = ["Action", "Action Owner", "Date for completion", "Status Update", "RAG"]
    add_table(
        d,
        [
            header,
            ["**3.1** Refresh the neglect strategy", "DCS", "July 2024", "Draft written", "Green"],
            [
                "**3.2a** Train staff on the neglect toolkit",
                "DCS & partners",
                "September 2024",
                "Booked",
                "Amber",
            ],
        ],
    )
    add_table(
        d,
        [
            header,
            ["and audit its use", "", "", "Audit tool ready", ""],
            ["**3.2b** Report toolkit use to the board", "Head of Safeguarding", "Every quarter", "", "Red"],
            ["**3.3** Publish the toolkit", "DCS (Pat Jones)", "October 2024", "", "Green"],
            [
                "**3.4** Offer toolkit training to schools",
                "Head of Safeguarding (Education)",
                "November 2024",
                "",
                "Amber",
            ],
        ],
    )
    d.add_paragraph("Glossary")
    add_table(d, [["Abbreviation", "Title", "Name"], ["DCS", "Director of Children's Services", "Pat Jones"]])
    d.save(str(path))
    return path


def number_refs_xlsx(path: Path) -> Path:
    """Excel: refs typed as numbers (so "1.10" is stored as 1.1), plain section rows that are neither bold
    nor merged with their name in the ref column, and lowercase text RAG."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Lead", "Timescale", "RAG"])
    ws.append(["Early Help and Front Door"])
    for i, ref in enumerate([1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 1.1, 1.11], start=1):
        ws.append([ref, f"Early help step {i}", "Head of Early Help", "May 2025", "green"])
    ws.append(["Children in care"])
    ws.append([2.1, "Review every care plan", "Head of Children in Care", "June 2025", "amber"])
    wb.save(path)
    return path


def stacked_refs_docx(path: Path) -> Path:
    """Word: a ref column holding two refs in one row ("1.1" and "1.2" as paragraphs) with one
    paragraph per action in every other cell, RAG included, and a bold section line in the action column."""
    d = docx.Document()
    d.add_paragraph("Greendale Council Improvement Plan")
    d.add_paragraph("June 2024")
    add_table(
        d,
        [
            ["Ref", "Action", "Lead", "Timescale", "RAG"],
            ["", "**Improving practice**", "", "", ""],
            [
                "1.1\n1.2",
                "Audit child in need plans\nTrain staff in SMART planning",
                "Head of Service\nPSW",
                "July 2024\nAugust 2024",
                "Green\nAmber",
            ],
            ["1.3", "Review supervision", "Head of Service", "Sept 2024", "Red"],
            ["", "**Listening to children**", "", "", ""],
            ["2.1", "Relaunch the children in care council", "Participation Lead", "Oct 2024", "Amber"],
        ],
    )
    d.save(str(path))
    return path


def sheet_per_priority_xlsx(path: Path) -> Path:
    """Excel: one sheet per priority, each repeating the header, named "Priority 1 - Workforce" and so on,
    with a glossary sheet whose lead is written "DM-CIN"."""
    from openpyxl import Workbook

    wb = Workbook()
    header = ["Ref", "Action", "Lead", "Timescale", "RAG Status"]
    first = wb.active
    first.title = "Priority 1 - Workforce"
    first.append(header)
    first.append(["1.1", "Recruit six permanent social workers", "Head of Service", "May 2025", "Green"])
    first.append(["1.2", "Cut agency use to 10%", "DM-CIN", "Dec 2025", "Red"])
    second = wb.create_sheet("Priority 2 - Practice")
    second.append(header)
    second.append(["2.1", "Audit 20 cases a month", "Head of Service", "Monthly", "Amber"])
    glossary = wb.create_sheet("Glossary")
    glossary.append(["Abbreviation", "Title", "Name"])
    glossary.append(["DM (CIN)", "Deputy Manager Children in Need", "Sam Patel"])
    wb.save(path)
    return path


def wingdings_symbols_docx(path: Path) -> Path:
    """Word: the five-state symbols typed with Insert Symbol, so the RAG cells hold Wingdings "ü" and
    w:sym elements rather than ✓ and ↑."""
    d = docx.Document()
    d.add_paragraph("Kingsmead Council Improvement Plan, April 2024")
    t = add_table(
        d,
        [
            ["Ref", "Action", "Lead", "Timescale", "RAG"],
            ["1", "Publish the practice standards", "Principal Social Worker", "May 2024", ""],
            ["2", "Recruit an IRO manager", "Head of Safeguarding", "July 2024", ""],
            ["3", "Refresh the PLO tracker", "Head of Legal", "June 2024", ""],
            ["4", "Start the family network meetings", "Head of Early Help", "Sept 2024", "-"],
        ],
    )

    def symbol(cell, font: str, char: str) -> None:
        run = cell.paragraphs[0].add_run()
        sym = OxmlElement("w:sym")
        sym.set(qn("w:font"), font)
        sym.set(qn("w:char"), char)
        run._r.append(sym)

    tick = t.cell(1, 4).paragraphs[0].add_run("ü")  # Wingdings 0xFC: a tick
    fonts = OxmlElement("w:rFonts")
    fonts.set(qn("w:ascii"), "Wingdings")
    fonts.set(qn("w:hAnsi"), "Wingdings")
    tick._r.get_or_add_rPr().append(fonts)
    symbol(t.cell(2, 4), "Symbol", "F0AF")  # ↓
    symbol(t.cell(3, 4), "Wingdings", "F0E1")  # ↑
    d.save(str(path))
    return path


def minimal_xlsx(path: Path, rows: list[list[str]], *, shared: bool = False) -> Path:
    """A workbook written part by part, for what openpyxl will not write (it cuts cells at 32,767
    characters): text cells inline, or through the shared strings table."""
    import zipfile
    from xml.sax.saxutils import escape

    ns = "http://schemas.openxmlformats.org"
    strings: list[str] = []

    def cell(ref: str, text: str) -> str:
        if shared:
            strings.append(text)
            return f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    sheet = "".join(
        f'<row r="{r}">' + "".join(cell(f"{chr(65 + c)}{r}", t) for c, t in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    rels = f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared:
        rels += f'<Relationship Id="rId2" Type="{ns}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships">'
            '<sheets><sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{ns}/package/2006/relationships">{rels}</Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{sheet}</sheetData></worksheet>',
        )
        if shared:
            items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{ns}/spreadsheetml/2006/main">{items}</sst>')
    return path
