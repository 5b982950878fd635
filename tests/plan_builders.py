"""Build plan files in the styles councils use, for importer tests (python-docx / openpyxl).

Each builder writes one file and returns its path; the expected results live in the tests.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn


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
    add_table(d, [["X", "Not started or behind"], ["-", "On track"], ["↓", "Delayed"],
                  ["↑", "Ahead of schedule"], ["✓", "Completed"]])
    d.add_paragraph("The actions")
    t = add_table(d, [
        PHASE_HEADER,
        ["Phase 1: Stabilise", "", "", "", "", ""],
        ["1.1", "Recruit permanent team managers. Reduce agency use.", "DM (CIN)", "31 March 2024",
         "Two appointed", "-"],
        ["1.2", "Launch the practice model", "DM CIN / OD / DCS", "Quarterly", "Launched in May", "✓"],
        ["1.2", "Refresh the supervision policy", "HoS", "June 2024", "", "X"],
        ["1.3", "Audit all child protection plans", "OD, DCS", "By September 2024", "Half done", "↓"],
        ["", "", "", "", "Audit tool agreed with partners", ""],
    ])
    t.cell(1, 0).merge(t.cell(1, 5))
    d.add_paragraph("Second phase")
    t2 = add_table(d, [
        PHASE_HEADER,
        ["Phase 2: Embed", "", "", "", "", ""],
        ["2.1", "Embed the quality assurance framework", "DMCIN", "June 2024", "Ahead of plan", "↑"],
        ["2.2", "Publish the sufficiency strategy", "Jo Bloggs", "Autumn", "", "Banana"],
    ])
    t2.cell(1, 0).merge(t2.cell(1, 5))
    d.add_paragraph("Glossary")
    add_table(d, [
        ["Abbreviation", "Title", "Name"],
        ["DM (CIN)", "Deputy Manager Children in Need", "Sam Patel"],
        ["OD", "Operations Director", "Alex Khan"],
        ["DCS", "Director of Children's Services", "Pat Jones"],
        ["HoS", "Head of Service", "Chris Lee"],
        ["HoS", "Head of Service (Early Help)", "Robin Fox"],
    ])
    d.save(str(path))
    return path


def merged_plan_docx(path: Path) -> Path:
    """Inline bold refs, a vertically merged lead cell, a spanned heading row, text and fill RAG."""
    d = docx.Document()
    d.add_paragraph("Northshire County Council")
    d.add_paragraph("Action Plan 2022")
    t = add_table(d, [
        ["Recommendation", "Actions", "LEAD", "TIMESCALE", "Update", "RAG rating"],
        ["Theme 1: Leadership", "", "", "", "", ""],
        ["Leaders know the front door", "**A.** Weekly front door audits", "Head of Early Help", "Monthly",
         "Running since March", "Green"],
        ["", "**B.** Publish a threshold document", "", "July 2022", "Draft out", ""],
        ["", "**C.** Train all staff", "Principal Social Worker", "within 3 months", "", "amber"],
    ], fills={(4, 5): "FFC000", (3, 5): "C00000"})
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
    add_table(d, [["", "Completed"], ["", "On track"], ["", "Some slippage"], ["", "Not on track"]],
              fills={(0, 0): "0070C0", (1, 0): "00B050", (2, 0): "FFC000", (3, 0): "FF0000"})
    header = ["", "Recommendation", "Action/ Required Outcomes", "Timescale", "Lead", "Progress Update", "RAG"]
    add_table(d, [
        header,
        ["1", "Improve management oversight.", "**1.1 Action** Audit supervision.\n**Outcome** Better plans.",
         "Dec 21", "HoS CIN / PSW", "Audit done", ""],
        ["", "", "**1.2 Action** Train managers.", "March 2022", "PSW", "", ""],
    ], fills={(1, 6): "0070C0", (2, 6): "FFC000"})
    add_table(d, [
        header,
        ["", "", "**Outcome** Managers confident.", "", "", "Survey in May", "00B050"],
        ["2.", "Improve return interviews.", "**2.1 Action** Commission a new service.", "April 2022", "DCS",
         "Tender out", "Red"],
    ])
    d.add_heading("Glossary", 3)
    add_table(d, [["Abbreviation", "Title", "Name"], ["HoS CIN", "Head of Service Children in Need", "Ann Lee"],
                  ["PSW", "Principal Social Worker", "Raj Shah"], ["DCS", "Director of Children's Services",
                                                                    "Kim Ode"]])
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
