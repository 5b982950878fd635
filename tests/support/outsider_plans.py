"""Plans written by an outsider to the importer: twelve layouts as English councils, NHS trusts, police
forces, partnerships and schools really write them, none of them like the layouts in
``layout_plans.py`` and ``holdout_plans.py``. They were written, and what a careful person reads in
each was set down below, before the importer's code was read.

    (ref, title, leads, due, schedule, rag, progress, section)

``tests/test_import_outsider.py`` asserts every field of every action; ``benchmarks/import_accuracy.py``
scores the importer on them field by field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT

from tests.support.plan_builders import Expected, add_table, layout_registry, repeat_header, span_row

layout, EXPECTED, BUILDERS = layout_registry()


# ---------------------------------------------------------------- A. SEND written statement of action

_AOW1 = "Area of weakness 1: The timeliness and quality of education, health and care (EHC) plans"
_AOW2 = "Area of weakness 2: Parents' and carers' confidence in the local area's SEND arrangements"


@layout(
    "send-wsoa-docx",
    [
        (
            "1.1",
            "Recruit additional EHC plan coordinators and clear the backlog of overdue assessments",
            ["Head of SEND"],
            "2025-04-30",
            "once",
            "Green",
            "Four coordinators in post; backlog down from 212 to 130",
            _AOW1,
        ),
        (
            "1.2",
            "Introduce a multi-agency quality assurance framework for EHC plans",
            ["Head of SEND", "Designated Clinical Officer"],
            "2025-03-31",
            "once",
            "Blue",
            "Framework agreed at the SEND Partnership Board",
            _AOW1,
        ),
        (
            "1.3",
            "Ensure health advice for EHC needs assessments is returned within six weeks",
            ["Designated Clinical Officer"],
            None,
            "recurring",
            "Amber",
            "Timeliness at 64% in December",
            _AOW1,
        ),
        (
            "2.1",
            "Co-produce a new Local Offer website with the parent carer forum",
            ["SEND Communications Officer", "Parent Carer Forum Chair"],
            "2025-03-31",
            "once",
            "Red",
            None,
            _AOW2,
        ),
        (
            "2.2",
            "Publish a termly SEND newsletter for families",
            ["Assistant Director Education"],
            None,
            "recurring",
            "Green",
            "First edition sent in November",
            _AOW2,
        ),
    ],
)
def send_wsoa_docx(path: Path) -> Path:
    """A SEND WSoA: a colour-word key, areas of weakness as headings, several dated milestones per action in
    one cell (one of them saying "complete"), RAG as Completed / On Track / At Risk / Not Started."""
    d = docx.Document()
    d.add_paragraph("Kirkby Local Area Partnership")
    d.add_heading("SEND Written Statement of Action", 0)
    d.add_paragraph("Following the joint Ofsted and CQC inspection of the local area, 3–7 June 2024.")
    d.add_paragraph("Date of submission: 16 September 2024")
    d.add_paragraph("Key to progress ratings")
    add_table(
        d,
        [
            ["Blue", "Completed"],
            ["Green", "On Track"],
            ["Amber", "At Risk"],
            ["Red", "Not Started"],
        ],
        fills={(0, 0): "0070C0", (1, 0): "00B050", (2, 0): "FFC000", (3, 0): "FF0000"},
    )
    header = ["Ref", "Actions", "Milestones", "Lead(s)", "Evidence of impact", "Progress update", "RAG"]
    d.add_heading(_AOW1, 1)
    add_table(
        d,
        [
            header,
            [
                "1.1",
                "Recruit additional EHC plan coordinators and clear the backlog of overdue assessments",
                "October 2024 – recruitment complete\nJanuary 2025 – backlog halved\n"
                "April 2025 – no assessment older than 20 weeks",
                "Head of SEND",
                "% of EHC plans issued within 20 weeks",
                "Four coordinators in post; backlog down from 212 to 130",
                "On Track",
            ],
            [
                "1.2",
                "Introduce a multi-agency quality assurance framework for EHC plans",
                "December 2024 – framework agreed\nMarch 2025 – first audit cycle reported",
                "Head of SEND / Designated Clinical Officer (DCO)",
                "Audits show 80% of plans good or better",
                "Framework agreed at the SEND Partnership Board",
                "Completed",
            ],
            [
                "1.3",
                "Ensure health advice for EHC needs assessments is returned within six weeks",
                "Monthly",
                "Designated Clinical Officer (DCO)",
                "Health advice timeliness report",
                "Timeliness at 64% in December",
                "At Risk",
            ],
        ],
    )
    d.add_heading(_AOW2, 1)
    add_table(
        d,
        [
            header,
            [
                "2.1",
                "Co-produce a new Local Offer website with the parent carer forum",
                "Spring term 2025",
                "SEND Communications Officer and Parent Carer Forum Chair",
                "Local Offer visits; parent survey",
                "",
                "Not Started",
            ],
            [
                "2.2",
                "Publish a termly SEND newsletter for families",
                "Termly",
                "Assistant Director Education",
                "Newsletter open rates",
                "First edition sent in November",
                "On Track",
            ],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- B. RAG first, "By when" before "What"

_R1 = "Recommendation 1: Strengthen management oversight of children's plans"
_R2 = "Recommendation 2: Improve the response to children who go missing"


@layout(
    "rag-first-tracker-xlsx",
    [
        (
            "R1/A1",
            "Introduce monthly practice audits by team managers",
            ["Head of Quality Assurance"],
            "2025-03-31",
            "once",
            "Green",
            "Audits running in all teams since November",
            _R1,
        ),
        (
            "R1/A2",
            "Refresh the supervision policy and templates",
            ["Principal Social Worker"],
            "2024-12-31",
            "once",
            "Blue",
            "Policy signed off by DMT on 4 December",
            _R1,
        ),
        (
            "R2/A1",
            "Offer every child a return home interview within 72 hours",
            ["Missing and Exploitation Team Manager"],
            "2025-03-31",
            "once",
            "Amber",
            "Offer rate 71% against a target of 90%",
            _R2,
        ),
        (
            "R2/A2",
            "Agree a joint missing protocol with the police",
            ["Head of Safeguarding", "Detective Inspector, Child Exploitation"],
            "2025-02-28",
            "once",
            "Red",
            "Police sign-off delayed; escalated to the partnership",
            _R2,
        ),
    ],
)
def rag_first_tracker_xlsx(path: Path) -> Path:
    """Excel tracker: a title block and "Last updated" above a frozen header on row 4; BRAG first, By when
    before What, the ref after the action, the lead last; "R1/A2" refs; section rows in the What column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(["Eastmoor Metropolitan Borough Council"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["Children's Services Improvement Tracker 2024–25"])
    ws.append(["Last updated: 14/01/2025"])
    ws.append(["BRAG", "By when", "What we will do", "Ref", "Update this period", "Lead"])
    ws.freeze_panes = "A5"
    rows = [
        (None, None, _R1, None, None, None),
        (
            "G",
            dt.datetime(2025, 3, 31),
            "Introduce monthly practice audits by team managers",
            "R1/A1",
            "Audits running in all teams since November",
            "Head of Quality Assurance",
        ),
        (
            "B",
            "Q3 2024/25",
            "Refresh the supervision policy and templates",
            "R1/A2",
            "Policy signed off by DMT on 4 December",
            "Principal Social Worker",
        ),
        (None, None, _R2, None, None, None),
        (
            "A",
            "Sept 24 – Mar 25",
            "Offer every child a return home interview within 72 hours",
            "R2/A1",
            "Offer rate 71% against a target of 90%",
            "Missing and Exploitation Team Manager",
        ),
        (
            "R",
            dt.datetime(2025, 2, 28),
            "Agree a joint missing protocol with the police",
            "R2/A2",
            "Police sign-off delayed; escalated to the partnership",
            "Head of Safeguarding; Detective Inspector, Child Exploitation",
        ),
    ]
    for row in rows:
        ws.append(list(row))
        if row[0] is None:
            ws.cell(ws.max_row, 3).font = Font(bold=True)
        if isinstance(row[1], dt.datetime):
            ws.cell(ws.max_row, 2).number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


# ---------------------------------------------------------------- C. SharePoint list export

_EH, _FD = "Early Help", "Front Door"


@layout(
    "sharepoint-tracker-csv",
    [
        (
            "EH-01",
            "Refresh the early help assessment and step-down form",
            ["Early Help Strategic Lead"],
            "2025-03-31",
            "once",
            "Green",
            "14/01/2025: new form tested with two teams.\n02/12/2024: draft form shared with partners.",
            _EH,
        ),
        (
            "EH-02",
            "Launch the family hub in Northgate",
            ["Head of Early Help", "Family Hubs Programme Manager"],
            "2025-06-30",
            "once",
            "Amber",
            "Building works delayed by six weeks",
            _EH,
        ),
        (
            "FD-01",
            "Audit threshold decisions at the front door",
            ["MASH Team Manager"],
            "2024-12-31",
            "once",
            "Blue",
            "Audit of 60 contacts completed; report to the board in January",
            _FD,
        ),
        (
            "FD-02",
            "Train partners on the new threshold guidance",
            ["Safeguarding Partnership Business Manager"],
            None,
            "unknown",
            "Red",
            "Dates not yet set, awaiting a venue",
            _FD,
        ),
        (
            "FD-03",
            "Introduce a daily multi-agency screening meeting",
            ["MASH Team Manager", "Detective Sergeant, MASH"],
            "2025-02-28",
            "once",
            "Green",
            "Pilot running; police attend daily",
            _FD,
        ),
    ],
)
def sharepoint_tracker_csv(path: Path) -> Path:
    """A SharePoint list export: Title first, the ref second, a Workstream column, a task Status beside the
    RAG, dates with times, Modified and Created By columns, quoted multi-line cells."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        [
            "Title",
            "Action Ref",
            "Workstream",
            "Action Owner",
            "Target Completion Date",
            "Status",
            "RAG",
            "Latest Update",
            "Modified",
            "Created By",
        ]
    )
    w.writerows(
        [
            [
                "Refresh the early help assessment\nand step-down form",
                "EH-01",
                _EH,
                "Early Help Strategic Lead",
                "31/03/2025 00:00",
                "In progress",
                "Green",
                "14/01/2025: new form tested with two teams.\n02/12/2024: draft form shared with partners.",
                "14/01/2025 09:12",
                "Sam Carter",
            ],
            [
                "Launch the family hub in Northgate",
                "EH-02",
                _EH,
                "Head of Early Help; Family Hubs Programme Manager",
                "30/06/2025 00:00",
                "Not started",
                "Amber",
                "Building works delayed by six weeks",
                "10/01/2025 16:40",
                "Sam Carter",
            ],
            [
                "Audit threshold decisions at the front door",
                "FD-01",
                _FD,
                "MASH Team Manager",
                "31/12/2024 00:00",
                "Completed",
                "Blue",
                "Audit of 60 contacts completed; report to the board in January",
                "03/01/2025 11:05",
                "Priya Shah",
            ],
            [
                "Train partners on the new threshold guidance",
                "FD-02",
                _FD,
                "Safeguarding Partnership Business Manager",
                "",
                "In progress",
                "Red",
                "Dates not yet set, awaiting a venue",
                "08/01/2025 10:00",
                "Priya Shah",
            ],
            [
                "Introduce a daily multi-agency screening meeting",
                "FD-03",
                _FD,
                "MASH Team Manager\nDetective Sergeant, MASH",
                "28/02/2025 00:00",
                "In progress",
                "Green",
                "Pilot running; police attend daily",
                "13/01/2025 08:30",
                "Priya Shah",
            ],
        ]
    )
    path.write_text(out.getvalue(), encoding="utf-8-sig", newline="")
    return path


# ---------------------------------------------------------------- D. one small table per action

_YJ1, _YJ2 = "Priority 1: Governance and leadership", "Priority 2: Resettlement"


@layout(
    "action-cards-docx",
    [
        (
            "1.1",
            "Refresh the youth justice management board's terms of reference and membership",
            ["Head of Youth Justice"],
            "2024-10-31",
            "once",
            "Green",
            "New terms of reference agreed in September",
            _YJ1,
        ),
        (
            "1.2",
            "Develop a board induction and training programme",
            ["Board Chair", "Head of Youth Justice"],
            "2024-12-31",
            "once",
            "Amber",
            None,
            _YJ1,
        ),
        (
            "2.1",
            "Agree a resettlement protocol with the secure estate",
            ["Youth Justice Operations Manager"],
            "2025-03-31",
            "once",
            "Amber",
            "Draft with the secure estate for comment",
            _YJ2,
        ),
        (
            "2.2",
            "Ensure every child leaving custody has suitable accommodation on release",
            ["Head of Youth Justice", "Head of Housing Options"],
            None,
            "ongoing",
            "Green",
            "All three children released in Q2 had accommodation",
            _YJ2,
        ),
    ],
)
def action_cards_docx(path: Path) -> Path:
    """A youth justice plan where every action is its own small two-column table (label | value)."""
    d = docx.Document()
    d.add_paragraph("Harbour City Council")
    d.add_heading("Youth Justice Service Improvement Plan", 0)
    d.add_paragraph("Following the HMI Probation inspection, published 8 August 2024.")
    cards = [
        (
            _YJ1,
            [
                ("Action ref", "1.1"),
                ("Action", "Refresh the youth justice management board's terms of reference and membership"),
                ("Lead officer", "Head of Youth Justice"),
                ("Completion date", "31 October 2024"),
                ("Success measure", "Board attendance above 80%"),
                ("Progress", "New terms of reference agreed in September"),
                ("RAG", "Green"),
            ],
        ),
        (
            None,
            [
                ("Action ref", "1.2"),
                ("Action", "Develop a board induction and training programme"),
                ("Lead officer", "Board Chair / Head of Youth Justice"),
                ("Completion date", "December 2024"),
                ("Success measure", "Every board member inducted within three months of joining"),
                ("Progress", ""),
                ("RAG", "Amber"),
            ],
        ),
        (
            _YJ2,
            [
                ("Action ref", "2.1"),
                ("Action", "Agree a resettlement protocol with the secure estate"),
                ("Lead officer", "Youth Justice Operations Manager"),
                ("Completion date", "March 2025"),
                ("Success measure", "Protocol signed by the secure estate"),
                ("Progress", "Draft with the secure estate for comment"),
                ("RAG", "Amber"),
            ],
        ),
        (
            None,
            [
                ("Action ref", "2.2"),
                ("Action", "Ensure every child leaving custody has suitable accommodation on release"),
                ("Lead officer", "Head of Youth Justice and Head of Housing Options"),
                ("Completion date", "Ongoing"),
                ("Success measure", "No child released without accommodation"),
                ("Progress", "All three children released in Q2 had accommodation"),
                ("RAG", "Green"),
            ],
        ),
    ]
    for heading, card in cards:
        if heading:
            d.add_heading(heading, 1)
        table = add_table(d, [list(pair) for pair in card])
        for row in table.rows:
            row.cells[0].paragraphs[0].runs[0].bold = True
        d.add_paragraph("")
    d.save(str(path))
    return path


# ---------------------------------------------------------------- E. police: landscape, repeated header, footnote

_AFI1 = "The force should improve how it records crimes reported with antisocial behaviour"
_AFI2 = "The force should make sure it understands the demand on its neighbourhood teams"
_COC = "The force isn't answering emergency and non-emergency calls quickly enough"


@layout(
    "hmicfrs-landscape-docx",
    [
        (
            "1.1",
            "Deliver crime recording refresher training to all contact handlers",
            ["Ch Insp, Force Crime Registrar"],
            "2025-03-31",
            "once",
            "Green",
            "Two of three cohorts trained",
            _AFI1,
        ),
        (
            "1.2",
            "Audit antisocial behaviour incidents for missed crimes every month",
            ["Force Crime Registrar"],
            None,
            "recurring",
            "Blue",
            "Audit embedded in the crime data integrity programme",
            _AFI1,
        ),
        (
            "2.1",
            "Complete a neighbourhood demand analysis",
            ["Supt, Neighbourhood Policing"],
            "2024-09-30",
            "once",
            "Red",
            "Analyst post vacant until October",
            _AFI2,
        ),
        (
            "3.1",
            "Recruit 40 call handlers and introduce a call-back service",
            ["Head of Contact Management"],
            "2024-12-31",
            "once",
            "Blue",
            "All 40 in post; call-back live since November",
            _COC,
        ),
        (
            "3.2",
            "Review the online reporting portal with the digital team",
            ["Head of Contact Management", "Digital Lead"],
            "2025-03-31",
            "once",
            "Green",
            None,
            _COC,
        ),
    ],
)
def hmicfrs_landscape_docx(path: Path) -> Path:
    """A police force's PEEL plan: a landscape table whose header row repeats on each page, the finding
    merged down over its actions, dotted dates (one with a footnote mark), Update, Evidence and Impact
    measure columns, a Status of On track / Off track / Closed, and a footnote row at the bottom."""
    d = docx.Document()
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    d.add_paragraph("Westshire Police")
    d.add_heading("HMICFRS PEEL 2023–25: Force Improvement Plan", 0)
    d.add_paragraph("Version 4 – 12 June 2024")
    header = [
        "No.",
        "Area for improvement / Cause of concern",
        "Action",
        "Owner",
        "Target date",
        "Status",
        "Update",
        "Evidence",
        "Impact measure",
    ]
    rows = [
        header,
        [
            "1.1",
            _AFI1,
            "Deliver crime recording refresher training to all contact handlers",
            "Ch Insp, Force Crime Registrar",
            "31.03.25",
            "On track",
            "Two of three cohorts trained",
            "Training attendance records",
            "Crime recording compliance above 90%",
        ],
        [
            "1.2",
            "",
            "Audit antisocial behaviour incidents for missed crimes every month",
            "Force Crime Registrar",
            "Monthly",
            "Closed",
            "Audit embedded in the crime data integrity programme",
            "Monthly audit reports",
            "Compliance rate",
        ],
        [
            "2.1",
            _AFI2,
            "Complete a neighbourhood demand analysis",
            "Supt, Neighbourhood Policing",
            "30.09.24*",
            "Off track",
            "Analyst post vacant until October",
            "Demand analysis report",
            "Abstraction rate reduced",
        ],
        [
            "3.1",
            _COC,
            "Recruit 40 call handlers and introduce a call-back service",
            "Head of Contact Management",
            "31.12.24",
            "Closed",
            "All 40 in post; call-back live since November",
            "Recruitment tracker",
            "999 calls answered within 10 seconds: 90%",
        ],
        [
            "3.2",
            "",
            "Review the online reporting portal with the digital team",
            "Head of Contact Management / Digital Lead",
            "31.03.25",
            "On track",
            "",
            "",
            "Online reports up 20%",
        ],
        [
            "* Target date revised at the Force Improvement Board, 12 June 2024.",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    table = add_table(d, rows)
    repeat_header(table)
    table.cell(1, 1).merge(table.cell(2, 1))
    table.cell(4, 1).merge(table.cell(5, 1))
    span_row(table, 6)
    d.save(str(path))
    return path


# ---------------------------------------------------------------- F. NHS trust CQC must-do / should-do

_UEC, _MAT = "Urgent and emergency care", "Maternity"


@layout(
    "cqc-must-do-xlsx",
    [
        (
            "UEC-MD1",
            "Ensure all patients receive a triage assessment within 15 minutes of arrival",
            ["Chief Nurse", "Matron, Emergency Department"],
            "2024-09-30",
            "once",
            "Blue",
            "Triage within 15 minutes for 92% of patients in August",
            _UEC,
        ),
        (
            "UEC-MD2",
            "Ensure staff complete mandatory safeguarding level 3 training",
            ["Chief Nurse", "Head of Safeguarding"],
            "2024-12-31",
            "once",
            "Green",
            "Compliance 84% against 90%",
            _UEC,
        ),
        (
            "UEC-SD1",
            "Improve the privacy of the streaming area",
            ["Chief Operating Officer", "Estates Manager"],
            "2025-03-31",
            "once",
            "Red",
            None,
            _UEC,
        ),
        (
            "MAT-MD1",
            "Ensure fetal monitoring competencies are assessed annually for all midwives",
            ["Chief Nurse", "Director of Midwifery"],
            "2024-12-31",
            "once",
            "Amber",
            "71% assessed; practice development midwife on leave",
            _MAT,
        ),
        (
            "MAT-SD1",
            "Review the staffing of the maternity triage telephone line",
            ["Chief Operating Officer", "Maternity Triage Lead"],
            None,
            "recurring",
            "Green",
            "Call audit shows 95% answered within 2 minutes",
            _MAT,
        ),
    ],
)
def cqc_must_do_xlsx(path: Path) -> Path:
    """An NHS trust's CQC plan: a cover sheet, one sheet per core service (the section), Executive and
    Operational lead columns, a Regulation column, and a BRAG key sheet whose colours are fills only."""
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover.append(["St Wilfrid's Hospitals NHS Foundation Trust"])
    cover.append(["CQC Inspection Action Plan"])
    cover.append(["Inspection: 12–14 March 2024. Report published: 22 May 2024."])
    cover.append(["Version 3 – 2 September 2024"])
    header = [
        "Ref",
        "Must do / Should do",
        "Regulation",
        "Action",
        "Executive lead",
        "Operational lead",
        "Completion date",
        "Progress",
        "BRAG",
    ]
    sheets = {
        _UEC: [
            [
                "UEC-MD1",
                "Must do",
                "Reg 12(2)(a)",
                "Ensure all patients receive a triage assessment within 15 minutes of arrival",
                "Chief Nurse",
                "Matron, Emergency Department",
                dt.datetime(2024, 9, 30),
                "Triage within 15 minutes for 92% of patients in August",
                "Completed",
            ],
            [
                "UEC-MD2",
                "Must do",
                "Reg 18(2)(a)",
                "Ensure staff complete mandatory safeguarding level 3 training",
                "Chief Nurse",
                "Head of Safeguarding",
                "Q3 2024/25",
                "Compliance 84% against 90%",
                "On Track",
            ],
            [
                "UEC-SD1",
                "Should do",
                None,
                "Improve the privacy of the streaming area",
                "Chief Operating Officer",
                "Estates Manager",
                "March 2025",
                None,
                "Not Started",
            ],
        ],
        _MAT: [
            [
                "MAT-MD1",
                "Must do",
                "Reg 17",
                "Ensure fetal monitoring competencies are assessed annually for all midwives",
                "Chief Nurse",
                "Director of Midwifery",
                dt.datetime(2024, 12, 31),
                "71% assessed; practice development midwife on leave",
                "At Risk",
            ],
            [
                "MAT-SD1",
                "Should do",
                None,
                "Review the staffing of the maternity triage telephone line",
                "Chief Operating Officer",
                "Maternity Triage Lead",
                "Monthly",
                "Call audit shows 95% answered within 2 minutes",
                "On Track",
            ],
        ],
    }
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
            if isinstance(row[6], dt.datetime):
                ws.cell(ws.max_row, 7).number_format = "dd/mm/yyyy"
    key = wb.create_sheet("Key")
    key.append(["BRAG", "Meaning"])
    for word, meaning, fill in [
        ("Completed", "Action complete and evidence of impact provided", "0070C0"),
        ("On Track", "Action on track to be delivered by the completion date", "00B050"),
        ("At Risk", "Risk that the completion date will be missed", "FFC000"),
        ("Not Started", "Action not yet started or off track", "FF0000"),
    ]:
        key.append([word, meaning])
        key.cell(key.max_row, 1).fill = PatternFill("solid", fgColor=fill)
    wb.save(path)
    return path


# ---------------------------------------------------------------- G. school improvement plan

_READ = "Reading: all pupils read fluently by the end of Key Stage 1"
_ATT = "Attendance: persistent absence falls below the national average"
_EL, _SENCO = "English Lead", "Special Educational Needs Coordinator"


@layout(
    "school-improvement-docx",
    [
        (
            "1.1",
            "Train all staff in the new phonics scheme",
            [_EL],
            "2024-12-31",
            "once",
            None,
            None,
            _READ,
        ),
        (
            "1.2",
            "Introduce daily catch-up sessions for pupils below the expected standard",
            [_EL, _SENCO],
            "2025-03-31",
            "once",
            None,
            None,
            _READ,
        ),
        (
            "2.1",
            "Run weekly attendance panels with the education welfare officer",
            ["Deputy Headteacher"],
            "2025-03-31",
            "once",
            None,
            None,
            _ATT,
        ),
        (
            "2.2",
            "Publish the revised attendance policy on the school website",
            ["Headteacher"],
            "2024-11-05",
            "once",
            None,
            None,
            _ATT,
        ),
        (
            "2.3",
            "Report attendance figures to the governing body",
            ["Deputy Headteacher"],
            None,
            "recurring",
            None,
            None,
            _ATT,
        ),
    ],
)
def school_improvement_docx(path: Path) -> Path:
    """A primary school's post-Ofsted plan: By when first, Who in abbreviations with a glossary at the end,
    sections as filled rows spanning the table with no ref, Monitoring and Cost columns, no RAG."""
    d = docx.Document()
    d.add_paragraph("Oakfield Primary School")
    d.add_heading("Post-Ofsted Action Plan 2024–25", 0)
    d.add_paragraph("Inspection: 1–2 October 2024. Plan agreed by governors: 5 November 2024.")
    rows = [
        ["By when", "What we will do", "Who", "How we will know (success criteria)", "Monitoring", "Cost"],
        [_READ, "", "", "", "", ""],
        [
            "Autumn term 2024",
            "Train all staff in the new phonics scheme",
            "English Lead (EL)",
            "All staff observed teaching phonics with fidelity",
            "HT – half-termly drop-ins",
            "£3,500",
        ],
        [
            "Spring term 2025",
            "Introduce daily catch-up sessions for pupils below the expected standard",
            "EL and SENCo",
            "Phonics screening check pass rate at least 85%",
            "Governors – termly",
            "",
        ],
        [_ATT, "", "", "", "", ""],
        [
            "Sept 24 – Mar 25",
            "Run weekly attendance panels with the education welfare officer",
            "DHT",
            "Persistent absence below 17%",
            "HT – monthly",
            "£1,200",
        ],
        [
            "Immediately",
            "Publish the revised attendance policy on the school website",
            "HT",
            "Policy on the website",
            "Governors – once",
            "",
        ],
        [
            "Half-termly",
            "Report attendance figures to the governing body",
            "DHT",
            "Governors can challenge attendance with current data",
            "Chair of Governors",
            "",
        ],
    ]
    table = add_table(d, rows)
    for r in (1, 4):
        span_row(table, r, "D9E2F3")
        table.cell(r, 0).paragraphs[0].runs[0].bold = True
    d.add_paragraph("Glossary")
    add_table(
        d,
        [
            ["HT", "Headteacher"],
            ["DHT", "Deputy Headteacher"],
            ["EL", _EL],
            ["SENCo", _SENCO],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- H. partnership plan, columns reversed

_P1, _P2 = "Priority 1 – Neglect", "Priority 2 – Child exploitation"
_DCI = "Detective Chief Inspector, Public Protection"


@layout(
    "partnership-reversed-csv",
    [
        (
            "1.1",
            "Complete a multi-agency audit of neglect cases",
            ["Designated Nurse Safeguarding Children"],
            "2024-12-31",
            "once",
            "Green",
            "Audit completed in November; findings to the board in January",
            _P1,
        ),
        (
            "1.2",
            "Roll out the Graded Care Profile 2 neglect tool",
            ["Head of Early Help"],
            "2025-03-31",
            "once",
            "Amber",
            "Tool chosen; training dates set for February",
            _P1,
        ),
        (
            "1.3",
            "Deliver neglect training to designated safeguarding leads in schools",
            ["Education Safeguarding Lead"],
            "2025-03-31",
            "once",
            "Green",
            None,
            _P1,
        ),
        (
            "2.1",
            "Publish a child exploitation problem profile",
            [_DCI],
            "2024-09-30",
            "once",
            "Red",
            "Awaiting data from the police",
            _P2,
        ),
        (
            "2.2",
            "Agree a joint exploitation screening protocol",
            [_DCI, "Head of Safeguarding"],
            None,
            "done",
            "Blue",
            "Protocol signed by all three partners",
            _P2,
        ),
    ],
)
def partnership_reversed_csv(path: Path) -> Path:
    """A safeguarding partnership's business plan exported to CSV with every column in reverse: RAG first,
    the ref and the priority last; a Lead agency column beside the Lead officer; RAG in capitals."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["Northvale Safeguarding Children Partnership Business Plan 2024-26 – position at 31 December 2024"]
    )
    w.writerow(
        ["RAG", "Progress to date", "Lead agency", "Lead officer", "Target", "Action", "No", "Priority"]
    )
    w.writerows(
        [
            [
                "GREEN",
                "Audit completed in November; findings to the board in January",
                "Health",
                "Designated Nurse Safeguarding Children",
                "31/12/2024",
                "Complete a multi-agency audit of neglect cases",
                "1.1",
                _P1,
            ],
            [
                "AMBER",
                "Tool chosen; training dates set for February",
                "Children's Services",
                "Head of Early Help",
                "by end of March 2025",
                "Roll out the Graded Care Profile 2 neglect tool",
                "1.2",
                _P1,
            ],
            [
                "GREEN",
                "",
                "Education",
                "Education Safeguarding Lead",
                "Q4 2024/25",
                "Deliver neglect training to designated safeguarding leads in schools",
                "1.3",
                _P1,
            ],
            [
                "RED",
                "Awaiting data from the police",
                "Police",
                _DCI,
                "30/09/2024",
                "Publish a child exploitation problem profile",
                "2.1",
                _P2,
            ],
            [
                "BLUE",
                "Protocol signed by all three partners",
                "Police / Children's Services",
                f"{_DCI} / Head of Safeguarding",
                "Completed",
                "Agree a joint exploitation screening protocol",
                "2.2",
                _P2,
            ],
        ]
    )
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


# ---------------------------------------------------------------- I. two-level refs "SEND 1.a"

_S1 = "Leaders' strategic planning does not yet draw on an accurate understanding of need"
_S2 = "Children and young people wait too long for neurodevelopmental assessments"
_ICB = "ICB Director of Commissioning"


@layout(
    "send-two-level-refs-docx",
    [
        (
            "SEND 1.a",
            "Produce a joint strategic needs assessment chapter on SEND",
            ["Public Health Consultant"],
            "2025-07-31",
            "once",
            "Green",
            "Data gathered; drafting under way",
            _S1,
        ),
        (
            "SEND 1.b",
            "Use the needs assessment to refresh the SEND sufficiency plan",
            ["Head of SEND Commissioning"],
            "2025-10-31",
            "once",
            "Amber",
            None,
            _S1,
        ),
        (
            "SEND 2.a",
            "Commission additional autism assessment capacity from an independent provider",
            [_ICB],
            "2025-07-02",
            "once",
            "Blue",
            "Contract awarded in May",
            _S2,
        ),
        (
            "SEND 2.b",
            "Introduce a waiting well offer for families on the pathway",
            ["Designated Clinical Officer", "Parent Carer Forum Chair"],
            "2025-09-30",
            "once",
            "Green",
            "Offer designed with families",
            _S2,
        ),
        (
            "SEND 2.c",
            "Report waiting times to the SEND Partnership Board",
            [_ICB],
            None,
            "recurring",
            "Green",
            "First report in May",
            _S2,
        ),
    ],
)
def send_two_level_refs_docx(path: Path) -> Path:
    """An area SEND priority action plan: "SEND 1" rows (ref and text only) head "SEND 1.a" actions, a
    dated update column, "within 3 months" counted from the plan's agreed date."""
    d = docx.Document()
    d.add_paragraph("Riverbank Council and NHS Riverbank Integrated Care Board")
    d.add_heading("Local Area SEND Priority Action Plan", 0)
    d.add_paragraph("Area SEND inspection: 10–14 February 2025. Plan agreed: 2 April 2025.")
    add_table(
        d,
        [
            ["Ref", "What we will do", "Who will lead", "By when", "Update (June 2025)", "RAG"],
            ["SEND 1", _S1, "", "", "", ""],
            [
                "SEND 1.a",
                "Produce a joint strategic needs assessment chapter on SEND",
                "Public Health Consultant",
                "July 2025",
                "Data gathered; drafting under way",
                "G",
            ],
            [
                "SEND 1.b",
                "Use the needs assessment to refresh the SEND sufficiency plan",
                "Head of SEND Commissioning",
                "October 2025",
                "",
                "A",
            ],
            ["SEND 2", _S2, "", "", "", ""],
            [
                "SEND 2.a",
                "Commission additional autism assessment capacity from an independent provider",
                _ICB,
                "within 3 months",
                "Contract awarded in May",
                "B",
            ],
            [
                "SEND 2.b",
                "Introduce a waiting well offer for families on the pathway",
                "Designated Clinical Officer; Parent Carer Forum Chair",
                "Sept 2025",
                "Offer designed with families",
                "G",
            ],
            [
                "SEND 2.c",
                "Report waiting times to the SEND Partnership Board",
                _ICB,
                "Bi-monthly",
                "First report in May",
                "G",
            ],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- J. ILACS plan with leads in abbreviations

_REC1 = "Recommendation 1: The quality of management oversight and supervision"
_REC2 = "Recommendation 2: The timeliness of initial health assessments for children coming into care"
_ADSC, _HOSCP = "Assistant Director, Social Care", "Head of Service, Child Protection"


@layout(
    "ilacs-glossary-docx",
    [
        (
            "1",
            "Introduce a supervision audit tool and audit 10% of supervisions each month",
            [_ADSC, _HOSCP],
            "2024-10-25",
            "once",
            "Green",
            "Tool in use since October; 38 supervisions audited",
            _REC1,
        ),
        (
            "2",
            "Deliver reflective supervision training to all team managers",
            ["Principal Social Worker"],
            "2025-03-31",
            "once",
            "Amber",
            "Two of four cohorts trained",
            _REC1,
        ),
        (
            "3",
            "Agree a joint escalation route with the ICB for late health assessments",
            ["Director of Children's Services"],
            "2025-03-20",
            "once",
            "Red",
            "ICB has not yet agreed the route",
            _REC2,
        ),
        (
            "4",
            "Report initial health assessment timeliness to the corporate parenting board",
            [_HOSCP],
            None,
            "recurring",
            "Green",
            "First report in December",
            _REC2,
        ),
        (
            "5",
            "Escalate every health assessment later than 20 working days to the DCS",
            ["Director of Children's Services"],
            "2025-04-25",
            "once",
            "Amber",
            None,
            _REC2,
        ),
    ],
)
def ilacs_glossary_docx(path: Path) -> Path:
    """An ILACS plan with leads written as abbreviations (one as "Director of Children's Services (DCS)"),
    a Partners column, recommendation rows spanning the table, a glossary at the end, and timescales
    "Immediately", "within 6 months of the inspection", "31.03.25"."""
    d = docx.Document()
    d.add_paragraph("Millbrook City Council")
    d.add_heading("Children's Services: Action Plan following the Ofsted ILACS inspection", 0)
    d.add_paragraph("Inspection dates: 16–20 September 2024")
    d.add_paragraph("Date of plan: 25 October 2024")
    rows = [
        ["No.", "Action", "Lead", "Partners", "Timescale", "Progress", "RAG"],
        [_REC1, "", "", "", "", "", ""],
        [
            "1",
            "Introduce a supervision audit tool and audit 10% of supervisions each month",
            "AD SC / HoS CP",
            "Principal Social Worker, IROs",
            "Immediately",
            "Tool in use since October; 38 supervisions audited",
            "Green",
        ],
        [
            "2",
            "Deliver reflective supervision training to all team managers",
            "PSW",
            "Partners in Practice",
            "31.03.25",
            "Two of four cohorts trained",
            "Amber",
        ],
        [_REC2, "", "", "", "", "", ""],
        [
            "3",
            "Agree a joint escalation route with the ICB for late health assessments",
            "Director of Children's Services (DCS)",
            "ICB Designated Nurse for Looked After Children",
            "within 6 months of the inspection",
            "ICB has not yet agreed the route",
            "Red",
        ],
        [
            "4",
            "Report initial health assessment timeliness to the corporate parenting board",
            "HoS CP",
            "",
            "Quarterly",
            "First report in December",
            "Green",
        ],
        [
            "5",
            "Escalate every health assessment later than 20 working days to the DCS",
            "DCS",
            "Designated Doctor",
            "within 6 months",
            "",
            "Amber",
        ],
    ]
    table = add_table(d, rows)
    for r in (1, 4):
        span_row(table, r)
    d.add_heading("Glossary of abbreviations", 1)
    add_table(
        d,
        [
            ["Abbreviation", "Meaning"],
            ["AD SC", _ADSC],
            ["DCS", "Director of Children's Services"],
            ["HoS CP", _HOSCP],
            ["ICB", "Integrated Care Board"],
            ["IRO", "Independent Reviewing Officer"],
            ["PSW", "Principal Social Worker"],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- K. JTAI plan: grouped header, merged lead

_INFO, _SUPPORT = "Information sharing at the front door", "Support for children"


@layout(
    "jtai-grouped-header-xlsx",
    [
        (
            "1",
            "Agree a daily domestic abuse triage meeting between police, health and children's social care",
            ["MASH Strategic Manager"],
            "2025-03-31",
            "once",
            "Blue",
            "Daily triage in place since February",
            _INFO,
        ),
        (
            "2",
            "Share police domestic abuse notifications with schools before the next school day",
            ["MASH Strategic Manager"],
            "2025-07-31",
            "once",
            "Green",
            None,
            _INFO,
        ),
        (
            "3",
            "Train MASH staff in the DASH risk assessment",
            ["Domestic Abuse Coordinator"],
            "2025-05-31",
            "once",
            "Amber",
            "Two of four sessions delivered",
            _INFO,
        ),
        (
            "4",
            "Commission a therapeutic service for children who have witnessed domestic abuse",
            ["Head of Commissioning, ICB"],
            "2025-09-30",
            "once",
            "Red",
            "Specification drafted; procurement route agreed",
            _SUPPORT,
        ),
        (
            "5",
            "Audit the quality of safety plans for children affected by domestic abuse",
            ["Head of Quality Assurance"],
            None,
            "recurring",
            "Green",
            "First audit due in July",
            _SUPPORT,
        ),
    ],
)
def jtai_grouped_header_xlsx(path: Path) -> Path:
    """A JTAI action plan in Excel: a grouped header row (WHAT / WHO / WHEN …) above the real one, a Theme
    merged down, one Lead merged over two actions, Start and Target dates, Evidence and Impact measure,
    a dated progress column, BRAG letters."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "JTAI action plan"
    ws.append(["JTAI: the multi-agency response to children affected by domestic abuse – action plan"])
    ws.append(["Inspection: 4–8 November 2024. Plan date: 13 January 2025."])
    ws.append(["", "WHAT", "", "WHO", "WHEN", "", "HOW WE WILL KNOW", "", "WHERE WE ARE", ""])
    ws.merge_cells("B3:C3")
    ws.merge_cells("E3:F3")
    ws.merge_cells("G3:H3")
    ws.merge_cells("I3:J3")
    ws.append(
        [
            "Theme",
            "No",
            "Action",
            "Lead",
            "Start date",
            "Target date",
            "Evidence",
            "Impact measure",
            "Progress (Mar 25)",
            "BRAG",
        ]
    )
    ws.freeze_panes = "A5"
    start = dt.datetime(2025, 1, 13)
    rows = [
        [
            _INFO,
            1,
            "Agree a daily domestic abuse triage meeting between police, health and children's social care",
            "MASH Strategic Manager",
            start,
            dt.datetime(2025, 3, 31),
            "Triage minutes",
            "Notifications screened within 24 hours",
            "Daily triage in place since February",
            "B",
        ],
        [
            None,
            2,
            "Share police domestic abuse notifications with schools before the next school day",
            None,
            start,
            "Summer term 2025",
            "Operation Encompass log",
            "Schools notified for 95% of incidents",
            None,
            "G",
        ],
        [
            None,
            3,
            "Train MASH staff in the DASH risk assessment",
            "Domestic Abuse Coordinator",
            start,
            "31.05.25",
            "Attendance records",
            "Risk assessments complete in 90% of referrals",
            "Two of four sessions delivered",
            "A",
        ],
        [
            _SUPPORT,
            4,
            "Commission a therapeutic service for children who have witnessed domestic abuse",
            "Head of Commissioning, ICB",
            start,
            "Q2 2025/26",
            "Contract award",
            "Waiting time for support under 8 weeks",
            "Specification drafted; procurement route agreed",
            "R",
        ],
        [
            None,
            5,
            "Audit the quality of safety plans for children affected by domestic abuse",
            "Head of Quality Assurance",
            start,
            "Six-monthly",
            "Audit reports",
            "80% of safety plans good or better",
            "First audit due in July",
            "G",
        ],
    ]
    for row in rows:
        ws.append(row)
        ws.cell(ws.max_row, 5).number_format = "dd/mm/yyyy"
        if isinstance(row[5], dt.datetime):
            ws.cell(ws.max_row, 6).number_format = "dd/mm/yyyy"
    ws.merge_cells("A5:A7")
    ws.merge_cells("D5:D6")
    ws.merge_cells("A8:A9")
    wb.save(path)
    return path


# ---------------------------------------------------------------- L. adult social care, Windows CSV

_WWP, _PS, _ES = "Working with people", "Providing support", "Ensuring safety"


@layout(
    "adults-assurance-csv",
    [
        (
            "W1",
            "Reduce the waiting list for Care Act assessments to under 200 people",
            ["Head of Adult Social Care Operations"],
            "2025-03-31",
            "once",
            "Amber",
            "Waiting list at 310, down from 480",
            _WWP,
        ),
        (
            "W2",
            "Relaunch the adult social care information and advice web pages",
            ["Head of Customer Services"],
            "2025-01-31",
            "once",
            "Green",
            "Pages live since 6 January",
            _WWP,
        ),
        (
            "P1",
            "Commission additional home care capacity in rural areas",
            ["Head of Commissioning"],
            "2025-06-30",
            "once",
            "Green",
            "Tender evaluation under way",
            _PS,
        ),
        (
            "P2",
            "Review all direct payment rates",
            ["Head of Commissioning"],
            None,
            "unknown",
            "Red",
            "Awaiting budget setting",
            _PS,
        ),
        (
            "S1",
            "Clear the backlog of safeguarding concerns awaiting triage",
            ["Principal Social Worker – Adults"],
            None,
            "ongoing",
            "Green",
            "Backlog cleared in December; monitoring weekly",
            _ES,
        ),
    ],
)
def adults_assurance_csv(path: Path) -> Path:
    """An adult social care CQC assurance plan saved from Excel as Windows CSV: the theme repeated on every
    row, a long "I statement" before the action, "Mar-25" dates, TBC and Ongoing."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["Theme", "Ref", "I statement", "Improvement action", "Accountable lead", "Delivery date",
                "Progress commentary", "RAG"])  # fmt: skip
    w.writerows(
        [
            [
                _WWP,
                "W1",
                "I have care and support that is co-ordinated, and everyone works well together and with me.",
                "Reduce the waiting list for Care Act assessments to under 200 people",
                "Head of Adult Social Care Operations",
                "Mar-25",
                "Waiting list at 310, down from 480",
                "Amber",
            ],
            [
                _WWP,
                "W2",
                "I can get information and advice about my health, care and support.",
                "Relaunch the adult social care information and advice web pages",
                "Head of Customer Services",
                "Jan-25",
                "Pages live since 6 January",
                "Green",
            ],
            [
                _PS,
                "P1",
                "I can get support when I need it, in the place that’s right for me.",
                "Commission additional home care capacity in rural areas",
                "Head of Commissioning",
                "Jun-25",
                "Tender evaluation under way",
                "Green",
            ],
            [
                _PS,
                "P2",
                "I have control over my care and support.",
                "Review all direct payment rates",
                "Head of Commissioning",
                "TBC",
                "Awaiting budget setting",
                "Red",
            ],
            [
                _ES,
                "S1",
                "I feel safe and am supported to understand and manage any risks.",
                "Clear the backlog of safeguarding concerns awaiting triage",
                "Principal Social Worker – Adults",
                "Ongoing",
                "Backlog cleared in December; monitoring weekly",
                "Green",
            ],
        ]
    )
    path.write_bytes(out.getvalue().encode("cp1252"))
    return path


# ================================================================ second round
# Written after the fixes above, to see whether they generalise across formats rather than fit the
# first twelve: the same kinds of layout, in another file type or another form.

ROUND_TWO: set[str] = set()


def round_two(name: str, expected: list[Expected]):
    ROUND_TWO.add(name)
    return layout(name, expected)


@round_two(
    "cards-stacked-xlsx",
    [
        (
            "S1",
            "Publish a revised SEND Local Offer",
            ["SEND Information Officer"],
            "2025-06-30",
            "once",
            "Green",
            "Draft pages reviewed by the parent carer forum",
            None,
        ),
        (
            "S2",
            "Reduce the number of EHC needs assessments over 20 weeks to below 10%",
            ["EHC Team Manager"],
            "2025-09-30",
            "once",
            "Red",
            None,
            None,
        ),
        (
            "S3",
            "Set up a SEND data dashboard for the partnership board",
            ["Business Intelligence Lead", "SEND Strategy Manager"],
            None,
            "done",
            "Blue",
            "Dashboard live since January",
            None,
        ),
    ],
)
def cards_stacked_xlsx(path: Path) -> Path:
    """Action cards copied into Excel: label | value pairs stacked down one sheet, blank rows between."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Action cards"
    ws.append(["Bramley Borough Council – SEND Improvement Plan"])
    ws.append(["Plan agreed 3 March 2025"])
    cards = [
        [
            ("Ref", "S1"),
            ("Action", "Publish a revised SEND Local Offer"),
            ("Responsible officer", "SEND Information Officer"),
            ("Target date", dt.datetime(2025, 6, 30)),
            ("Update", "Draft pages reviewed by the parent carer forum"),
            ("Status", "On target"),
        ],
        [
            ("Ref", "S2"),
            ("Action", "Reduce the number of EHC needs assessments over 20 weeks to below 10%"),
            ("Responsible officer", "EHC Team Manager"),
            ("Target date", "Q2 2025/26"),
            ("Update", None),
            ("Status", "Behind"),
        ],
        [
            ("Ref", "S3"),
            ("Action", "Set up a SEND data dashboard for the partnership board"),
            ("Responsible officer", "Business Intelligence Lead & SEND Strategy Manager"),
            ("Target date", "Completed"),
            ("Update", "Dashboard live since January"),
            ("Status", "Complete"),
        ],
    ]
    for card in cards:
        ws.append([])
        for label, value in card:
            ws.append([label, value])
            if isinstance(value, dt.datetime):
                ws.cell(ws.max_row, 2).number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


_DNS = "Designated Nurse for Safeguarding"


@round_two(
    "lead-agency-docx",
    [
        (
            "E1",
            "Agree a shared definition of criminal exploitation across all agencies",
            ["Partnership Business Manager"],
            "2025-06-14",
            "once",
            "Blue",
            "Definition agreed at the executive in May",
            None,
        ),
        (
            "E2",
            "Train all frontline police officers in spotting exploitation",
            ["Detective Superintendent, Public Protection"],
            "2025-09-30",
            "once",
            "Amber",
            "Two of five divisions trained",
            None,
        ),
        (
            "E3",
            "Introduce an exploitation screening tool for health practitioners",
            [_DNS],
            "2025-09-30",
            "once",
            "Green",
            None,
            None,
        ),
        (
            "E4",
            "Report exploitation data to the partnership executive",
            [_DNS],
            None,
            "recurring",
            "Green",
            "First report in July",
            None,
        ),
    ],
)
def lead_agency_docx(path: Path) -> Path:
    """A JTAI plan in Word: Lead agency beside Named lead, a Partners column, a lead written "Title (ABBR)"
    and later as "ABBR", "within 3 months of the inspection", Delivered as a RAG, a note row at the end."""
    d = docx.Document()
    d.add_paragraph("Westbury Safeguarding Partnership")
    d.add_heading("JTAI Action Plan: children at risk of criminal exploitation", 0)
    d.add_paragraph("The joint targeted area inspection took place from 10 to 14 March 2025.")
    d.add_paragraph("This plan was signed off by the partnership executive on 9 May 2025.")
    rows = [
        ["Ref", "Action", "Lead agency", "Named lead", "Partners", "Deadline", "RAG", "Progress"],
        [
            "E1",
            "Agree a shared definition of criminal exploitation across all agencies",
            "Partnership",
            "Partnership Business Manager",
            "All agencies",
            "within 3 months of the inspection",
            "Delivered",
            "Definition agreed at the executive in May",
        ],
        [
            "E2",
            "Train all frontline police officers in spotting exploitation",
            "Police",
            "Detective Superintendent, Public Protection",
            "Children's Social Care",
            "30/09/2025",
            "Amber",
            "Two of five divisions trained",
        ],
        [
            "E3",
            "Introduce an exploitation screening tool for health practitioners",
            "Health",
            f"{_DNS} (DNS)",
            "GPs; A&E",
            "Sept 2025",
            "Green",
            "",
        ],
        [
            "E4",
            "Report exploitation data to the partnership executive",
            "Partnership",
            "DNS",
            "",
            "Every quarter",
            "Green",
            "First report in July",
        ],
        ["Note: RAG ratings agreed at the executive on 9 May 2025.", "", "", "", "", "", "", ""],
    ]
    table = add_table(d, rows)
    span_row(table, 5)
    d.save(str(path))
    return path


_LEAD, _PRACTICE = "Leadership and governance", "Practice quality"


@round_two(
    "smartsheet-csv",
    [
        (
            "2",
            "Refresh the improvement board's terms of reference",
            ["Director of Children's Services"],
            "2025-04-30",
            "once",
            "Blue",
            "Agreed at April board",
            _LEAD,
        ),
        (
            "3",
            "Publish a quarterly performance report to the board",
            ["Head of Performance"],
            None,
            "unknown",
            "Green",
            "Q1 report published",
            _LEAD,
        ),
        (
            "5",
            "Roll out the new practice model to all teams",
            ["Principal Social Worker"],
            "2025-12-31",
            "once",
            "Amber",
            "Two of five teams trained",
            _PRACTICE,
        ),
        (
            "6",
            "Audit 20 cases a month against the practice standards",
            ["Head of Quality Assurance"],
            "2026-03-31",
            "once",
            "Red",
            None,
            _PRACTICE,
        ),
    ],
)
def smartsheet_csv(path: Path) -> Path:
    """A Smartsheet export: Row ID, parent rows (a name and an ID only) over their tasks, Start and Due
    Date, % Complete, a task Status beside the RAG."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(
        ["Row ID", "Task Name", "Assigned To", "Start", "Due Date", "% Complete", "Status", "RAG", "Comments"]
    )
    w.writerows(
        [
            ["1", _LEAD, "", "", "", "", "", "", ""],
            [
                "2",
                "Refresh the improvement board's terms of reference",
                "Director of Children's Services",
                "01/04/2025",
                "30/04/2025",
                "100%",
                "Complete",
                "Blue",
                "Agreed at April board",
            ],
            [
                "3",
                "Publish a quarterly performance report to the board",
                "Head of Performance",
                "01/04/2025",
                "",
                "25%",
                "In Progress",
                "Green",
                "Q1 report published",
            ],
            ["4", _PRACTICE, "", "", "", "", "", "", ""],
            [
                "5",
                "Roll out the new practice model to all teams",
                "Principal Social Worker",
                "01/05/2025",
                "31/12/2025",
                "40%",
                "In Progress",
                "Amber",
                "Two of five teams trained",
            ],
            [
                "6",
                "Audit 20 cases a month against the practice standards",
                "Head of Quality Assurance",
                "01/05/2025",
                "31/03/2026",
                "10%",
                "Not Started",
                "Red",
                "",
            ],
        ]
    )
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@round_two(
    "sheets-no-refs-xlsx",
    [
        ("1.1", "Recruit eight permanent social workers", ["Head of Workforce"], "2025-09-30", "once", "Amber",
         "Five appointed", "Workforce"),
        ("1.2", "Launch a retention payment scheme", ["HR Business Partner"], "2025-07-31", "once", "Green",
         "Scheme approved by Cabinet", "Workforce"),
        ("2.1", "Embed the new supervision policy", ["Principal Social Worker"], "2025-10-31", "once", "Green",
         None, "Practice"),
        ("2.2", "Audit plans of children in need every month", ["Head of Quality Assurance"], None, "recurring",
         "Green", "First audit done", "Practice"),
    ],
)  # fmt: skip
def sheets_no_refs_xlsx(path: Path) -> Path:
    """One sheet per theme with no refs anywhere and a cover sheet: the first row of the second sheet is
    an action of its own, not the rest of the last action on the first sheet."""
    from openpyxl import Workbook

    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    cover.append(["Hartley Council Children's Services Improvement Plan 2025"])
    cover.append(["Last updated 2 June 2025"])
    header = ["Action", "Lead", "Target", "Update", "RAG"]
    for title, rows in {
        "Workforce": [
            ["Recruit eight permanent social workers", "Head of Workforce", "September 2025", "Five appointed", "Amber"],
            ["Launch a retention payment scheme", "HR Business Partner", "July 2025", "Scheme approved by Cabinet",
             "Green"],
        ],
        "Practice": [
            ["Embed the new supervision policy", "Principal Social Worker", "October 2025", None, "Green"],
            ["Audit plans of children in need every month", "Head of Quality Assurance", "Monthly",
             "First audit done", "Green"],
        ],
    }.items():  # fmt: skip
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path
