"""Plans in layouts unlike the samples, one per kind of mistake the importer used to make, and a few
more of other realistic shapes. Each builder writes a real file; ``EXPECTED`` holds, for every action,
what a careful person reads in the document:

    (ref, title, leads, due, schedule, rag, progress, section)

The tests assert every field of every action; ``benchmarks/import_accuracy.py`` scores the importer
field by field on the same plans.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tests.support.plan_builders import add_table, layout_registry, shade

layout, EXPECTED, BUILDERS = layout_registry()


HOEH = "Head of Early Help"
HOS = "Head of Safeguarding"


# ---------------------------------------------------------------- 1. progress that says "version" and "date"


@layout(
    "version-date-csv",
    [
        (
            "1.1",
            "Refresh the threshold document",
            [HOEH],
            "2025-03-31",
            "once",
            "Amber",
            "Version 3 drafted; date for sign-off at the partnership board is 12 February",
            "Early help",
        ),
        (
            "1.2",
            "Launch the new early help assessment",
            [HOEH],
            "2025-04-30",
            "once",
            "Green",
            "New version of the form is live; training date confirmed",
            "Early help",
        ),
        (
            "1.3",
            "Audit step-down decisions",
            ["Service Manager Quality Assurance"],
            None,
            "recurring",
            "Green",
            "First audit complete",
            "Early help",
        ),
        (
            "2.1",
            "Recruit permanent social workers",
            ["HR Business Partner"],
            "2025-06-30",
            "once",
            "Amber",
            "Campaign running",
            "Workforce",
        ),
        ("2.2", "Reduce caseloads to 18", [HOS], "2025-09-30", "once", "Red", "Average now 21", "Workforce"),
        (
            "2.3",
            "Publish the workforce strategy",
            ["Director of Children's Services"],
            None,
            "done",
            "Blue",
            "Published in December",
            "Workforce",
        ),
    ],
)
def version_date_csv(path: Path) -> Path:
    """A CSV whose progress cells mention a version and a date, with section rows and a title above."""
    text = (
        "Brackwell Borough Council – Children's Services Improvement Plan,,,,,\n"
        "Updated 14 January 2025,,,,,\n"
        "Ref,Action,Lead Officer,Timescale,Progress update,RAG\n"
        "Early help,,,,,\n"
        '1.1,Refresh the threshold document,Head of Early Help,March 2025,"Version 3 drafted; date for sign-off at '
        'the partnership board is 12 February",Amber\n'
        '1.2,Launch the new early help assessment,Head of Early Help,April 2025,"New version of the form is live; '
        'training date confirmed",Green\n'
        "1.3,Audit step-down decisions,Service Manager Quality Assurance,Quarterly,First audit complete,Green\n"
        "Workforce,,,,,\n"
        "2.1,Recruit permanent social workers,HR Business Partner,June 2025,Campaign running,Amber\n"
        "2.2,Reduce caseloads to 18,Head of Safeguarding,September 2025,Average now 21,Red\n"
        "2.3,Publish the workforce strategy,Director of Children's Services,Completed,Published in December,Complete\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- 2. a ref column with no header


@layout(
    "headerless-refs-docx",
    [
        (
            "A",
            "Publish a leadership charter",
            ["Director of Children's Services"],
            "2024-06-30",
            "once",
            "Green",
            "Published",
            "Leadership and management",
        ),
        (
            "B",
            "Hold monthly practice weeks",
            ["Principal Social Worker"],
            None,
            "recurring",
            "Amber",
            "Two held",
            "Leadership and management",
        ),
        (
            "C",
            "Audit management oversight",
            ["Head of Quality Assurance"],
            "2024-09-30",
            "once",
            "Red",
            None,
            "Leadership and management",
        ),
        (
            "1",
            "Introduce a new assessment template",
            ["Head of Children in Need"],
            "2024-07-31",
            "once",
            "Green",
            "Template live",
            "Practice",
        ),
        (
            "2",
            "Train staff in direct work",
            ["Principal Social Worker"],
            "2024-10-31",
            "once",
            "Amber",
            "Half trained",
            "Practice",
        ),
        (
            "3",
            "Review all child in need plans",
            ["Head of Children in Need"],
            "2024-12-31",
            "once",
            None,
            None,
            "Practice",
        ),
    ],
)
def headerless_refs_docx(path: Path) -> Path:
    """Word: the first header cell is empty and the column under it holds refs (A, B, C, then 1, 2, 3)."""
    d = docx.Document()
    d.add_paragraph("Norbridge City Council")
    d.add_paragraph("Improvement Plan – May 2024")
    t = add_table(
        d,
        [
            ["", "Action", "Responsible officer", "Target date", "Progress", "RAG"],
            ["Leadership and management", "", "", "", "", ""],
            [
                "A",
                "Publish a leadership charter",
                "Director of Children's Services",
                "June 2024",
                "Published",
                "Green",
            ],
            ["B", "Hold monthly practice weeks", "Principal Social Worker", "Monthly", "Two held", "Amber"],
            ["C", "Audit management oversight", "Head of Quality Assurance", "September 2024", "", "Red"],
            ["Practice", "", "", "", "", ""],
            [
                "1",
                "Introduce a new assessment template",
                "Head of Children in Need",
                "July 2024",
                "Template live",
                "Green",
            ],
            [
                "2",
                "Train staff in direct work",
                "Principal Social Worker",
                "October 2024",
                "Half trained",
                "Amber",
            ],
            ["3", "Review all child in need plans", "Head of Children in Need", "December 2024", "", ""],
        ],
    )
    for r in (1, 5):
        t.cell(r, 0).merge(t.cell(r, 5))
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 3. continuation rows after a page break


@layout(
    "page-break-continuations-docx",
    [
        (
            "1.1",
            "Agree a multi-agency neglect strategy",
            ["Head of Safeguarding"],
            "2024-03-31",
            "once",
            "Green",
            "Agreed by the partnership",
            "Neglect",
        ),
        (
            "1.2",
            "Roll out the graded care profile",
            ["Principal Social Worker"],
            "2024-06-30",
            "once",
            "Amber",
            "Training under way",
            "Neglect",
        ),
        (
            "1.3",
            "Audit neglect cases every quarter",
            [HOS],
            None,
            "recurring",
            "Amber",
            "First audit done\nAudit tool agreed with health in March",
            "Neglect",
        ),
        (
            "2.1",
            "Set up a missing children panel",
            ["Head of Exploitation"],
            "2024-04-30",
            "once",
            "Green",
            "Panel meets weekly",
            "Exploitation",
        ),
        (
            "2.2",
            "Commission return home interviews",
            ["Head of Commissioning"],
            "2024-09-30",
            "once",
            "Red",
            "Tender delayed\nSecond tender out in July",
            "Exploitation",
        ),
        (
            "2.3",
            "Map exploitation hot spots with the police",
            ["Head of Exploitation", "Detective Inspector"],
            "2024-12-31",
            "once",
            None,
            None,
            "Exploitation",
        ),
    ],
)
def page_break_continuations_docx(path: Path) -> Path:
    """Word: a plan in three tables. The second repeats the header and its first row (no ref) carries on
    1.3 after a page break; the third has no header and its first row carries more progress for 2.2."""
    d = docx.Document()
    d.add_paragraph("Kelworth Council Safeguarding Improvement Plan")
    d.add_paragraph("February 2024")
    header = ["Ref", "Action", "Lead", "Due", "Progress", "RAG"]
    t1 = add_table(
        d,
        [
            header,
            ["Neglect", "", "", "", "", ""],
            [
                "1.1",
                "Agree a multi-agency neglect strategy",
                HOS,
                "March 2024",
                "Agreed by the partnership",
                "Green",
            ],
            [
                "1.2",
                "Roll out the graded care profile",
                "Principal Social Worker",
                "June 2024",
                "Training under way",
                "Amber",
            ],
            ["1.3", "Audit neglect cases every quarter", HOS, "Quarterly", "First audit done", "Amber"],
        ],
    )
    t1.cell(1, 0).merge(t1.cell(1, 5))
    d.add_page_break()
    t2 = add_table(
        d,
        [
            header,
            [
                "",
                "Share the findings with the partnership board.",
                "",
                "",
                "Audit tool agreed with health in March",
                "",
            ],
            ["Exploitation", "", "", "", "", ""],
            [
                "2.1",
                "Set up a missing children panel",
                "Head of Exploitation",
                "April 2024",
                "Panel meets weekly",
                "Green",
            ],
            [
                "2.2",
                "Commission return home interviews",
                "Head of Commissioning",
                "September 2024",
                "Tender delayed",
                "Red",
            ],
        ],
    )
    t2.cell(2, 0).merge(t2.cell(2, 5))
    d.add_page_break()
    add_table(
        d,
        [
            ["", "", "", "", "Second tender out in July", ""],
            [
                "2.3",
                "Map exploitation hot spots with the police",
                "Head of Exploitation / Detective Inspector",
                "December 2024",
                "",
                "",
            ],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 4. hidden Excel columns, rows and sheets


@layout(
    "hidden-excel-xlsx",
    [
        (
            "1",
            "Stabilise the front door",
            ["Head of MASH"],
            "2025-05-31",
            "once",
            "Amber",
            "Agency staff replaced",
            "Front door",
        ),
        (
            "2",
            "Clear the assessment backlog",
            ["Head of Assessment"],
            "2025-07-31",
            "once",
            "Red",
            "Backlog at 140",
            "Front door",
        ),
        (
            "4",
            "Launch the family hub",
            ["Head of Early Help"],
            "2025-09-30",
            "once",
            "Green",
            "Site agreed",
            "Early help",
        ),
        (
            "5",
            "Recommission parenting support",
            ["Head of Commissioning"],
            "2025-12-31",
            "once",
            None,
            None,
            "Early help",
        ),
    ],
)
def hidden_excel_xlsx(path: Path) -> Path:
    """Excel: a hidden "Original target date" column before the visible "Target date", a hidden row (a
    withdrawn action) and a hidden sheet holding an old version of the plan."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    old = wb.active
    old.title = "Old plan"
    old.append(["Ref", "Action", "Lead", "Target date", "RAG"])
    old.append(["1", "An old action nobody should see", "Nobody", "Jan 2020", "Red"])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("Plan 2025")
    ws.append(["Eastmere Council – Improvement Plan (April 2025)"])
    ws.append(["Ref", "Action", "Lead", "Original target date", "Target date", "Progress", "RAG"])
    ws.append(["Front door"])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=7)
    ws.append(
        [
            "1",
            "Stabilise the front door",
            "Head of MASH",
            dt.datetime(2025, 1, 31),
            dt.datetime(2025, 5, 31),
            "Agency staff replaced",
            "Amber",
        ]
    )
    ws.append(
        [
            "2",
            "Clear the assessment backlog",
            "Head of Assessment",
            dt.datetime(2025, 3, 31),
            dt.datetime(2025, 7, 31),
            "Backlog at 140",
            "Red",
        ]
    )
    ws.append(
        [
            "3",
            "Withdrawn: merged into action 2",
            "Head of Assessment",
            dt.datetime(2025, 3, 31),
            dt.datetime(2025, 3, 31),
            "",
            "",
        ]
    )
    ws.row_dimensions[ws.max_row].hidden = True
    ws.append(["Early help"])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=7)
    ws.append(
        [
            "4",
            "Launch the family hub",
            "Head of Early Help",
            dt.datetime(2025, 6, 30),
            dt.datetime(2025, 9, 30),
            "Site agreed",
            "Green",
        ]
    )
    ws.append(
        [
            "5",
            "Recommission parenting support",
            "Head of Commissioning",
            dt.datetime(2025, 9, 30),
            dt.datetime(2025, 12, 31),
            "",
            "",
        ]
    )
    ws.column_dimensions["D"].hidden = True
    for row in ws.iter_rows(min_row=4, min_col=4, max_col=5):
        for cell in row:
            cell.number_format = "dd/mm/yyyy"
    wb.active = 1
    wb.save(path)
    return path


# ---------------------------------------------------------------- 5. progress columns under other headers


@layout(
    "dated-updates-xlsx",
    [
        (
            "1.1",
            "Review the permanence policy",
            ["Head of Children in Care"],
            "2024-06-30",
            "once",
            "Green",
            "Policy approved by Cabinet",
            None,
        ),
        (
            "1.2",
            "Track every child's permanence plan",
            ["Head of Children in Care"],
            None,
            "recurring",
            "Amber",
            "Tracker built; first panel in March",
            None,
        ),
        (
            "1.3",
            "Recruit foster carers",
            ["Head of Fostering"],
            "2024-12-31",
            "once",
            "Red",
            "Four approved against a target of 12",
            None,
        ),
    ],
)
def dated_updates_xlsx(path: Path) -> Path:
    """Excel: two dated update columns ("Update (Jan 24)", "March 2025 update"): the latest written one
    is the progress; RAG written as a word."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Permanence"
    ws.append(["Ref", "Action", "Lead", "Deadline", "Update (Jan 24)", "March 2024 update", "RAG"])
    ws.append(
        [
            "1.1",
            "Review the permanence policy",
            "Head of Children in Care",
            "June 2024",
            "Draft written",
            "Policy approved by Cabinet",
            "Green",
        ]
    )
    ws.append(
        [
            "1.2",
            "Track every child's permanence plan",
            "Head of Children in Care",
            "Monthly",
            "Tracker built; first panel in March",
            "",
            "Amber",
        ]
    )
    ws.append(
        [
            "1.3",
            "Recruit foster carers",
            "Head of Fostering",
            "December 2024",
            "Campaign launched",
            "Four approved against a target of 12",
            "Red",
        ]
    )
    wb.save(path)
    return path


@layout(
    "progress-rag-docx",
    [
        (
            "1",
            "Design the practice learning forum",
            ["Principal Social Worker"],
            "2024-04-30",
            "once",
            "Amber",
            "Forum designed, first session booked",
            "Practice",
        ),
        (
            "2",
            "Publish practice standards",
            ["Principal Social Worker"],
            "2024-03-31",
            "once",
            "Green",
            "Published and launched at the staff conference",
            "Practice",
        ),
        (
            "3",
            "Audit supervision records",
            ["Head of Quality Assurance"],
            "2024-05-31",
            "once",
            "Red",
            "Audit postponed to June",
            "Practice",
        ),
        (
            "4",
            "Refresh the supervision policy",
            ["Head of Quality Assurance"],
            "2024-06-30",
            "once",
            "Green",
            "Consultation closed",
            "Practice",
        ),
    ],
)
def progress_rag_docx(path: Path) -> Path:
    """Word: one "Progress (RAG)" column holding the update and the RAG: as "(RAG: Amber)", as a leading
    word, or only as the cell's fill."""
    d = docx.Document()
    d.add_paragraph("Lindholme Council – Practice Improvement Plan")
    d.add_paragraph("Updated February 2024")
    t = add_table(
        d,
        [
            ["No.", "Action", "Lead", "Timescale", "Progress (RAG)"],
            ["Practice", "", "", "", ""],
            [
                "1",
                "Design the practice learning forum",
                "Principal Social Worker",
                "April 2024",
                "Forum designed, first session booked (RAG: Amber)",
            ],
            [
                "2",
                "Publish practice standards",
                "Principal Social Worker",
                "March 2024",
                "Green – published and launched at the staff conference",
            ],
            [
                "3",
                "Audit supervision records",
                "Head of Quality Assurance",
                "May 2024",
                "Audit postponed to June",
            ],
            [
                "4",
                "Refresh the supervision policy",
                "Head of Quality Assurance",
                "June 2024",
                "Consultation closed",
            ],
        ],
    )
    t.cell(1, 0).merge(t.cell(1, 4))
    shade(t.cell(4, 4), "FF0000")
    shade(t.cell(5, 4), "00B050")
    d.save(str(path))
    return path


@layout(
    "latest-position-csv",
    [
        (
            "EH1",
            "Agree the early help strategy",
            ["Head of Early Help"],
            "2024-09-30",
            "once",
            "Green",
            "Strategy agreed\nComments: Launch event on 3 October",
            None,
        ),
        (
            "EH2",
            "Open two family hubs",
            ["Head of Early Help"],
            "2025-03-31",
            "once",
            "Red",
            "Second site still not found",
            None,
        ),
        (
            "EH3",
            "Report early help outcomes to the board",
            ["Business Intelligence Manager"],
            None,
            "recurring",
            "Green",
            "First report in July",
            None,
        ),
    ],
)
def latest_position_csv(path: Path) -> Path:
    """CSV: "Latest position" for the progress, "Comments" beside it, and a Status column of On track /
    Off track / Complete words."""
    path.write_text(
        "Ref,Action,Lead,By when,Latest position,Comments,Status\n"
        "EH1,Agree the early help strategy,Head of Early Help,September 2024,Strategy agreed,Launch event on 3 October,On track\n"
        "EH2,Open two family hubs,Head of Early Help,March 2025,Second site still not found,,Off track\n"
        "EH3,Report early help outcomes to the board,Business Intelligence Manager,Quarterly,First report in July,,On track\n",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- 6. lead cells


@layout(
    "lead-cells-docx",
    [
        (
            "1",
            "Review the health assessments of children in care",
            ["Head of Service – Children in Care", "Designated Nurse (Looked After Children)"],
            "2024-07-31",
            "once",
            "Amber",
            None,
            None,
        ),
        (
            "2",
            "Recruit and train ten new team managers",
            ["HR Business Partner", "Workforce Development Manager"],
            "2024-09-30",
            "once",
            "Green",
            None,
            None,
        ),
        (
            "3",
            "Extend the prevention offer to secondary schools",
            ["Head of Early Help and Prevention"],
            "2024-10-31",
            "once",
            "Green",
            None,
            None,
        ),
        (
            "4",
            "Agree inclusion funding",
            ["Director of Education", "Head of Inclusion"],
            "2024-11-30",
            "once",
            "Red",
            None,
            None,
        ),
        (
            "5",
            "Share intelligence on exploitation",
            ["Police – Detective Inspector, Public Protection"],
            "2024-08-31",
            "once",
            "Amber",
            None,
            None,
        ),
        (
            "6",
            "Refresh the corporate parenting pledge",
            ["Assistant Director, Children's Social Care"],
            "2024-12-31",
            "once",
            None,
            None,
            None,
        ),
    ],
)
def lead_cells_docx(path: Path) -> Path:
    """Word: lead cells naming two posts with "/" (one part has a dash and a bracket), with ";", and two
    post titles joined by "and"; titles that contain "and" or a comma stay whole."""
    d = docx.Document()
    d.add_paragraph("Harrowgate Council Children's Plan 2024")
    add_table(
        d,
        [
            ["Ref", "Action", "Lead", "Timescale", "RAG"],
            [
                "1",
                "Review the health assessments of children in care",
                "Head of Service – Children in Care / Designated Nurse (Looked After Children)",
                "July 2024",
                "Amber",
            ],
            [
                "2",
                "Recruit and train ten new team managers",
                "HR Business Partner and Workforce Development Manager",
                "September 2024",
                "Green",
            ],
            [
                "3",
                "Extend the prevention offer to secondary schools",
                "Head of Early Help and Prevention",
                "October 2024",
                "Green",
            ],
            [
                "4",
                "Agree inclusion funding",
                "Director of Education; Head of Inclusion",
                "November 2024",
                "Red",
            ],
            [
                "5",
                "Share intelligence on exploitation",
                "Police – Detective Inspector, Public Protection",
                "August 2024",
                "Amber",
            ],
            [
                "6",
                "Refresh the corporate parenting pledge",
                "Assistant Director, Children's Social Care",
                "December 2024",
                "",
            ],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 8. titles that look like labels


@layout(
    "action-labels-docx",
    [
        (
            "12",
            "Review the front door thresholds",
            ["Head of MASH"],
            "2024-05-31",
            "once",
            "Green",
            "Thresholds reviewed",
            None,
        ),
        (
            "13",
            "Publish the threshold guide",
            ["Head of MASH"],
            "2024-06-30",
            "once",
            "Amber",
            "Progress update: at the printers",
            None,
        ),
        (
            "14",
            "Train partners in the new thresholds",
            ["Safeguarding Partnership Manager"],
            "2024-09-30",
            "once",
            "Red",
            "Progress update: no dates yet",
            None,
        ),
    ],
)
def action_labels_docx(path: Path) -> Path:
    """Word: every action starts "Action 12 …" and every progress cell "Progress update: …"; four columns."""
    d = docx.Document()
    d.add_paragraph("Cressley Council Improvement Plan, March 2024")
    add_table(
        d,
        [
            ["Action", "Lead", "Timescale", "Progress", "RAG"],
            [
                "Action 12 Review the front door thresholds",
                "Head of MASH",
                "May 2024",
                "Thresholds reviewed",
                "Green",
            ],
            [
                "Action 13 Publish the threshold guide",
                "Head of MASH",
                "June 2024",
                "Progress update: at the printers",
                "Amber",
            ],
            [
                "Action 14 Train partners in the new thresholds",
                "Safeguarding Partnership Manager",
                "September 2024",
                "Progress update: no dates yet",
                "Red",
            ],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 7. a list plan with Word's own numbering

_REC1 = "Recommendation 1 – for immediate improvement"
_REC2 = "Recommendation 2 – for improvement within 3 months"
_REC3 = "Recommendation 3 – for improvement within 6 months"


@layout(
    "list-plan-docx",
    [
        (
            "1.1",
            "Review every open strategy discussion within 24 hours of referral",
            ["Head of MASH"],
            "2025-03-12",
            "once",
            None,
            None,
            _REC1,
        ),
        (
            "1.2",
            "Introduce a daily management huddle in the MASH",
            [],
            "2025-03-12",
            "once",
            None,
            None,
            _REC1,
        ),
        (
            "1.3",
            "Audit 20 strategy discussions a month and report to the DCS",
            ["Service Manager Quality Assurance"],
            "2025-03-12",
            "once",
            None,
            None,
            _REC1,
        ),
        (
            "2.1",
            "Refresh the supervision policy with practitioners",
            ["Principal Social Worker"],
            "2025-06-12",
            "once",
            None,
            None,
            _REC2,
        ),
        (
            "2.2",
            "Train all team managers in reflective supervision",
            [],
            "2025-06-12",
            "once",
            None,
            None,
            _REC2,
        ),
        (
            "3.1",
            "Commission an independent review of the care leavers offer",
            ["Head of Leaving Care"],
            "2025-09-12",
            "once",
            None,
            None,
            _REC3,
        ),
        (
            "3.2",
            "Co-produce a new local offer with care leavers",
            [],
            "2025-09-12",
            "once",
            None,
            None,
            _REC3,
        ),
    ],
)
def list_plan_docx(path: Path) -> Path:
    """A cabinet report whose appendix is the plan, written as headed, numbered paragraphs: Word's own list
    numbering (numPr and numbering.xml), restarted for recommendation 1, continued for recommendation 2,
    typed numbers for recommendation 3; the cabinet's recommendations above the plan are a numbered list
    too, and are not actions."""
    d = docx.Document()
    d.add_paragraph("Wenbury Borough Council")
    d.add_heading("Cabinet – 12 March 2025", 1)
    d.add_paragraph("Report of the Director of Children's Services")
    d.add_heading("Ofsted inspection of local authority children's services: action plan", 1)
    d.add_heading("Recommendations", 2)
    d.add_paragraph("Cabinet is requested to:")
    cabinet = _list(d)
    for text in (
        "Endorse the Action Plan at Appendix A.",
        "Note the progress made since the inspection.",
        "Agree to receive a progress report every six months.",
    ):
        _numbered(d, text, cabinet)
    d.add_paragraph("Date of sign-off: 12 March 2025")
    d.add_heading("Appendix A: Ofsted Improvement Action Plan", 1)
    plan_list = _list(d)
    d.add_heading(_REC1, 2)
    d.add_paragraph(
        "Improve the timeliness and quality of strategy discussions so that children at risk are protected."
    )
    d.add_heading("Outcome", 3)
    d.add_paragraph("Strategy discussions are held promptly and include all agencies.", style="List Bullet")
    d.add_heading("How will we know", 3)
    d.add_paragraph("Monthly audits show 95% of strategy discussions within timescale.", style="List Bullet")
    d.add_heading("Actions", 3)
    restarted = _restart(d, plan_list)
    _numbered(
        d,
        "Review every open strategy discussion within 24 hours of referral (Lead: Head of MASH).",
        restarted,
    )
    _numbered(d, "Introduce a daily management huddle in the MASH.", restarted)
    _numbered(
        d,
        "Audit 20 strategy discussions a month and report to the DCS. Lead: Service Manager Quality Assurance",
        restarted,
    )
    d.add_heading(_REC2, 2)
    d.add_paragraph(
        "Strengthen the quality of supervision so that it is reflective and drives plans forward."
    )
    d.add_heading("How will we know", 3)
    d.add_paragraph("Supervision audits graded good or better.", style="List Bullet")
    d.add_heading("Actions", 3)
    _numbered(
        d, "Refresh the supervision policy with practitioners (Lead: Principal Social Worker).", restarted
    )
    _numbered(d, "Train all team managers in reflective supervision.", restarted)
    d.add_heading(_REC3, 2)
    d.add_paragraph("Improve the support and accommodation offered to care leavers.")
    d.add_heading("Actions", 3)
    d.add_paragraph(
        "3.1 Commission an independent review of the care leavers offer (Lead: Head of Leaving Care)."
    )
    d.add_paragraph("3.2 Co-produce a new local offer with care leavers.")
    d.save(str(path))
    return path


def _list(d) -> str:
    """A new decimal list ("1.", "2.") in the document's numbering part: returns its numId."""
    numbering = d.part.numbering_part.element
    abstract_id = str(900 + len(numbering.findall(qn("w:abstractNum"))))
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), abstract_id)
    lvl = OxmlElement("w:lvl")
    lvl.set(qn("w:ilvl"), "0")
    for tag, value in (("w:start", "1"), ("w:numFmt", "decimal"), ("w:lvlText", "%1.")):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        lvl.append(child)
    abstract.append(lvl)
    numbering.insert(0, abstract)
    return _num(numbering, abstract_id)


def _num(numbering, abstract_id: str, restart: bool = False) -> str:
    num_id = str(900 + len(numbering.findall(qn("w:num"))))
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), num_id)
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), abstract_id)
    num.append(ref)
    if restart:
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), "0")
        start = OxmlElement("w:startOverride")
        start.set(qn("w:val"), "1")
        override.append(start)
        num.append(override)
    numbering.append(num)
    return num_id


def _restart(d, num_id: str) -> str:
    """Another instance of the same list that starts again at 1 (Word's "Restart numbering")."""
    numbering = d.part.numbering_part.element
    for num in numbering.findall(qn("w:num")):
        if num.get(qn("w:numId")) == num_id:
            abstract = num.find(qn("w:abstractNumId")).get(qn("w:val"))
            return _num(numbering, abstract, restart=True)
    raise AssertionError(num_id)


def _numbered(d, text: str, num_id: str) -> None:
    para = d.add_paragraph(text)
    ppr = para._p.get_or_add_pPr()
    numpr = OxmlElement("w:numPr")
    for tag, value in (("w:ilvl", "0"), ("w:numId", num_id)):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        numpr.append(child)
    ppr.append(numpr)


# ---------------------------------------------------------------- plans of our own invention


@layout(
    "tracker-xlsx",
    [
        (
            "L1",
            "Publish the leadership improvement charter",
            ["Director of Children's Services"],
            "2025-02-28",
            "once",
            "Green",
            "Charter published",
            "Leadership",
        ),
        (
            "L2",
            "Set up the improvement board",
            ["Chief Executive"],
            None,
            "done",
            "Blue",
            "Board met in January",
            "Leadership",
        ),
        (
            "L3",
            "Report to scrutiny every quarter",
            ["Director of Children's Services"],
            None,
            "recurring",
            "Green",
            None,
            "Leadership",
        ),
        (
            "P1",
            "Adopt a single practice model",
            ["Principal Social Worker"],
            "2025-06-30",
            "once",
            "Red",
            "Model chosen; training not booked",
            "Practice",
        ),
        (
            "P2",
            "Audit 30 cases a month",
            ["Head of Quality Assurance"],
            None,
            "recurring",
            "Green",
            "Audits on schedule",
            "Practice",
        ),
    ],
)
def tracker_xlsx(path: Path) -> Path:
    """A landscape Excel tracker: title and date rows, a Theme column whose cells are merged down over
    each theme's rows, real dates in "Due", an "Owner" column, a "% complete" and a "Last updated"
    column to ignore, and a Status column of On track / Off track / Complete words."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(["Thornbury Council – Children's Improvement Tracker"])
    ws["A1"].font = Font(bold=True)
    ws.append(["Position at 10 January 2025"])
    ws.append([])
    ws.append(["Theme", "ID", "Action", "Owner", "Due", "Status", "% complete", "Last updated", "Commentary"])
    rows = [
        [
            "Leadership",
            "L1",
            "Publish the leadership improvement charter",
            "Director of Children's Services",
            dt.datetime(2025, 2, 28),
            "On track",
            0.8,
            dt.datetime(2025, 1, 6),
            "Charter published",
        ],
        [
            None,
            "L2",
            "Set up the improvement board",
            "Chief Executive",
            "Completed",
            "Complete",
            1,
            dt.datetime(2025, 1, 6),
            "Board met in January",
        ],
        [
            None,
            "L3",
            "Report to scrutiny every quarter",
            "Director of Children's Services",
            "Quarterly",
            "On track",
            None,
            None,
            None,
        ],
        [
            "Practice",
            "P1",
            "Adopt a single practice model",
            "Principal Social Worker",
            dt.datetime(2025, 6, 30),
            "Off track",
            0.2,
            dt.datetime(2025, 1, 8),
            "Model chosen; training not booked",
        ],
        [
            None,
            "P2",
            "Audit 30 cases a month",
            "Head of Quality Assurance",
            "Monthly",
            "On track",
            0.5,
            dt.datetime(2025, 1, 8),
            "Audits on schedule",
        ],
    ]
    for row in rows:
        ws.append(row)
        ws.cell(ws.max_row, 5).number_format = "dd/mm/yyyy"
        ws.cell(ws.max_row, 7).number_format = "0%"
        ws.cell(ws.max_row, 8).number_format = "dd/mm/yyyy"
    ws.merge_cells("A5:A7")
    ws.merge_cells("A8:A9")
    wb.save(path)
    return path


@layout(
    "fill-only-rag-docx",
    [
        (
            "1.1",
            "Reduce agency social workers to 15%",
            ["Head of Workforce"],
            "2024-09-30",
            "once",
            "Amber",
            "Now 22%",
            "1. Workforce",
        ),
        (
            "1.2",
            "Launch a social work academy",
            ["Principal Social Worker", "Head of Workforce"],
            "2024-06-30",
            "once",
            "Blue",
            "First cohort started",
            "1. Workforce",
        ),
        (
            "2.1",
            "Introduce a practice quality dashboard",
            ["Business Intelligence Manager"],
            "2024-12-31",
            "once",
            "Red",
            "Data issues in the case system",
            "2. Quality",
        ),
        (
            "2.2",
            "Hold monthly practice panels",
            ["Head of Quality Assurance"],
            None,
            "recurring",
            "Green",
            "Running",
            "2. Quality",
        ),
    ],
)
def fill_only_rag_docx(path: Path) -> Path:
    """Word: the RAG is only the colour of an unlabelled last column (blue for done), no key; sections are
    headings between tables; a lead cell with "/"."""
    d = docx.Document()
    d.add_paragraph("Southbay Council Workforce and Quality Plan")
    d.add_paragraph("July 2024")
    header = ["Ref", "What we will do", "Who", "When", "Update", ""]
    d.add_heading("1. Workforce", 2)
    t1 = add_table(
        d,
        [
            header,
            [
                "1.1",
                "Reduce agency social workers to 15%",
                "Head of Workforce",
                "September 2024",
                "Now 22%",
                "",
            ],
            [
                "1.2",
                "Launch a social work academy",
                "Principal Social Worker / Head of Workforce",
                "June 2024",
                "First cohort started",
                "",
            ],
        ],
    )
    shade(t1.cell(1, 5), "FFC000")
    shade(t1.cell(2, 5), "0070C0")
    d.add_heading("2. Quality", 2)
    t2 = add_table(
        d,
        [
            header,
            [
                "2.1",
                "Introduce a practice quality dashboard",
                "Business Intelligence Manager",
                "December 2024",
                "Data issues in the case system",
                "",
            ],
            ["2.2", "Hold monthly practice panels", "Head of Quality Assurance", "Monthly", "Running", ""],
        ],
    )
    shade(t2.cell(1, 5), "FF0000")
    shade(t2.cell(2, 5), "00B050")
    d.save(str(path))
    return path


@layout(
    "table-per-recommendation-docx",
    [
        (
            "1a",
            "Appoint a permanent head of service for the front door",
            ["Director of Children's Services"],
            "2024-04-30",
            "once",
            "Green",
            "Appointed in April",
            "Recommendation 1: Strengthen management oversight at the front door",
        ),
        (
            "1b",
            "Introduce threshold audits",
            ["Head of Front Door"],
            None,
            "recurring",
            "Amber",
            "First two done",
            "Recommendation 1: Strengthen management oversight at the front door",
        ),
        (
            "2a",
            "Agree a pathway for 16 and 17 year olds who are homeless",
            ["Head of Housing", "Head of Leaving Care"],
            "2024-07-31",
            "once",
            "Red",
            "Housing not yet signed up",
            "Recommendation 2: Improve the response to homeless 16 and 17 year olds",
        ),
    ],
)
def table_per_recommendation_docx(path: Path) -> Path:
    """Word: one table per recommendation, its title in a merged first row above the header; a sign-off
    table after the plan (not part of it, so its rows are named in warnings)."""
    d = docx.Document()
    d.add_paragraph("Oakham Council Improvement Plan")
    d.add_paragraph("Version 2, March 2024")
    header = ["Ref", "Action", "Lead", "Target", "Progress", "RAG"]
    for title, rows in (
        (
            "Recommendation 1: Strengthen management oversight at the front door",
            [
                [
                    "1a",
                    "Appoint a permanent head of service for the front door",
                    "Director of Children's Services",
                    "April 2024",
                    "Appointed in April",
                    "Green",
                ],
                [
                    "1b",
                    "Introduce threshold audits",
                    "Head of Front Door",
                    "Monthly",
                    "First two done",
                    "Amber",
                ],
            ],
        ),
        (
            "Recommendation 2: Improve the response to homeless 16 and 17 year olds",
            [
                [
                    "2a",
                    "Agree a pathway for 16 and 17 year olds who are homeless",
                    "Head of Housing & Head of Leaving Care",
                    "July 2024",
                    "Housing not yet signed up",
                    "Red",
                ]
            ],
        ),
    ):
        t = add_table(d, [[title, "", "", "", "", ""], header, *rows])
        t.cell(0, 0).merge(t.cell(0, 5))
    d.add_paragraph("Sign-off")
    add_table(d, [["Signed", "Date"], ["Jo Smith, Director of Children's Services", "14 March 2024"]])
    d.save(str(path))
    return path
