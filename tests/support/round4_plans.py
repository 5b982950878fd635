"""Round four: plans written by an outsider before reading the importer's code, in layouts and
conventions none of the earlier sets use: RAG as a coloured cell with no text and its key at the end,
"Area for improvement | What we will do | Who | By when" with the area written once per group, phases as
headings over lettered actions, "Action 1." paragraphs under "Priority" headings, an Excel plan with a
sheet of closed actions, merged section bands and a totals row, a Microsoft Planner export, a
performance-system export, a Gantt chart of months, a bilingual Welsh plan, a five-state letter key beside
a "Direction of travel" column, and an "Evidence / Impact" column beside the progress. What a careful
person reads in each was set down below before the importer was run on them.

    (ref, title, leads, due, schedule, rag, progress, section)

Decisions a careful reader makes here (and the tests hold the importer to):

- Typed refs are kept as written: "Action 4." under the second priority is action 4, not "2.1".
- A lettered action "a)" under the heading "Phase 2 – …" is "2a"; the letter is not part of its title.
- A Planner task ID (a long machine key) is no ref anyone uses: such plans are numbered per bucket.
- A task state ("In progress", "Not started") is no RAG; "Completed" is complete (Blue), also in a
  Status column beside a RAG column that is empty for that row.
- A bilingual cell ("Ambr / Amber") means its English part; a bilingual header names one column.
- In a Gantt chart of months the action is due at the end of the last month marked.
- "Dec-25" written as text is December 2025; "w/c 14 April" is that Monday; "By next inspection" is no
  date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT

from tests.support.plan_builders import add_table, layout_registry, repeat_header, shade, span_row, write

layout, EXPECTED, BUILDERS = layout_registry()


def _landscape(d) -> None:
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width


# ---------------------------------------------------------------- 1. fill-only RAG under a RAG header, key at the end

_QS1, _QS2, _QS3 = "Assessing needs", "Supporting people to live healthier lives", "Safeguarding"


@layout(
    "cqc-fill-key-docx",
    [
        (
            "1.1",
            "Clear the waiting list for Care Act assessments over 28 days",
            ["Head of Adult Social Care Operations"],
            "2025-12-31",
            "once",
            "Amber",
            "Waiting list down from 640 to 410",
            _QS1,
        ),
        (
            "1.2",
            "Introduce a strengths-based assessment template",
            ["Principal Occupational Therapist", "Head of Commissioning"],
            "2025-06-30",
            "once",
            "Blue",
            "Template live since May",
            _QS1,
        ),
        (
            "2.1",
            "Expand the reablement service to seven days a week",
            ["Director of Adult Social Services"],
            "2025-09-30",
            "once",
            "Green",
            "Weekend rota agreed with the provider",
            _QS2,
        ),
        (
            "2.2",
            "Commission a carers' breaks service",
            ["Head of Commissioning"],
            "2026-03-31",
            "once",
            "Red",
            "Tender failed; re-procurement planned for the spring",
            _QS2,
        ),
        (
            "3.1",
            "Audit the timeliness of section 42 enquiries",
            ["Director of Adult Social Services"],
            None,
            "recurring",
            "Green",
            "Q1 audit reported to the Safeguarding Adults Board",
            _QS3,
        ),
        (
            "3.2",
            "Publish the Safeguarding Adults Board annual report",
            ["Safeguarding Adults Board Manager"],
            "2026-03-31",
            "once",
            None,
            None,
            _QS3,
        ),
    ],
)
def cqc_fill_key_docx(path: Path) -> Path:
    """An adult social care CQC assessment plan: landscape, a Quality statement column merged down over
    its actions, the RAG column only coloured (no text), a key of coloured cells at the end of the
    document, "Dec-25", "End of Q2 2025/26", "31.03.26", "Director of Adult Social Services (DASS)" then
    "DASS"."""
    d = docx.Document()
    _landscape(d)
    d.add_paragraph("Oakfield Metropolitan Borough Council")
    d.add_heading("CQC Local Authority Assessment – Adult Social Care Improvement Plan", 1)
    d.add_paragraph("Plan approved by the Adults Leadership Team: 3 March 2025")
    rows = [
        ["Ref", "Quality statement", "Action", "Responsible officer", "Target date", "RAG", "Commentary"],
        [
            "1.1",
            _QS1,
            "Clear the waiting list for Care Act assessments over 28 days",
            "Head of Adult Social Care Operations",
            "Dec-25",
            "",
            "Waiting list down from 640 to 410",
        ],
        [
            "1.2",
            "",
            "Introduce a strengths-based assessment template",
            "Principal Occupational Therapist & Head of Commissioning",
            "June 2025",
            "",
            "Template live since May",
        ],
        [
            "2.1",
            _QS2,
            "Expand the reablement service to seven days a week",
            "Director of Adult Social Services (DASS)",
            "End of Q2 2025/26",
            "",
            "Weekend rota agreed with the provider",
        ],
        [
            "2.2",
            "",
            "Commission a carers' breaks service",
            "Head of Commissioning",
            "31.03.26",
            "",
            "Tender failed; re-procurement planned for the spring",
        ],
        [
            "3.1",
            _QS3,
            "Audit the timeliness of section 42 enquiries",
            "DASS",
            "Quarterly",
            "",
            "Q1 audit reported to the Safeguarding Adults Board",
        ],
        [
            "3.2",
            "",
            "Publish the Safeguarding Adults Board annual report",
            "Safeguarding Adults Board Manager",
            "Q4 2025/26",
            "",
            "",
        ],
    ]
    fills = {(1, 5): "FFC000", (2, 5): "0070C0", (3, 5): "00B050", (4, 5): "FF0000", (5, 5): "00B050"}
    t = add_table(d, rows, fills)
    repeat_header(t)
    for top in (1, 3, 5):
        t.cell(top, 1).merge(t.cell(top + 1, 1))
    d.add_paragraph("")
    d.add_heading("Key", 2)
    add_table(
        d,
        [
            ["", "Complete"],
            ["", "On track"],
            ["", "Some slippage – action in hand"],
            ["", "Off track – needs escalation"],
        ],
        {(0, 0): "0070C0", (1, 0): "00B050", (2, 0): "FFC000", (3, 0): "FF0000"},
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 2. Area for improvement written once per group

_AFI1 = "The management board should understand the needs of children open to the service"
_AFI2 = "Children's education, training and employment needs should be assessed and met"
_AFI3 = "The quality of out-of-court disposal decisions should be reviewed"


@layout(
    "yjs-afi-brag-docx",
    [
        (
            "1.1",
            "Deliver a board development session on the profile of children open to the service",
            ["YJS Head of Service"],
            "2025-07-31",
            "once",
            "Blue",
            "Session held on 2 July",
            _AFI1,
        ),
        (
            "1.2",
            "Add a cohort report to the board's standing agenda",
            ["YJS Performance Officer"],
            None,
            "recurring",
            "Green",
            "First report in June",
            _AFI1,
        ),
        (
            "2.1",
            "Second an educational psychologist to the service two days a week",
            ["Head of Inclusion", "YJS Head of Service"],
            "2025-09-30",
            "once",
            "Amber",
            "Recruitment under way",
            _AFI2,
        ),
        (
            "2.2",
            "Track the education hours of every child of school age",
            ["YJS Education Officer"],
            "2025-06-02",
            "once",
            "Red",
            None,
            _AFI2,
        ),
        (
            "3.1",
            "Set up a joint scrutiny panel for out-of-court disposals with the police",
            ["YJS Head of Service", "Police – Inspector, Youth Justice"],
            "2025-10-31",
            "once",
            "Amber",
            "Terms of reference drafted",
            _AFI3,
        ),
    ],
)
def yjs_afi_brag_docx(path: Path) -> Path:
    """A youth justice HMIP plan: "Area for improvement | What we will do | Who | By when | How we will
    measure | Update | BRAG", the area written on the first row of its group only (not merged), no refs,
    BRAG as letters, "w/c 2 June", "Quarterly"."""
    d = docx.Document()
    d.add_paragraph("Brackenfield Council")
    d.add_heading("Youth Justice Service – HMIP Inspection Improvement Plan", 1)
    d.add_paragraph("Date: 12 May 2025")
    rows = [
        [
            "Area for improvement",
            "What we will do",
            "Who",
            "By when",
            "How we will measure",
            "Update",
            "BRAG",
        ],
        [
            _AFI1,
            "Deliver a board development session on the profile of children open to the service",
            "YJS Head of Service",
            "July 2025",
            "Board members can describe the cohort",
            "Session held on 2 July",
            "B",
        ],
        [
            "",
            "Add a cohort report to the board's standing agenda",
            "YJS Performance Officer",
            "Quarterly",
            "A report on every agenda",
            "First report in June",
            "G",
        ],
        [
            _AFI2,
            "Second an educational psychologist to the service two days a week",
            "Head of Inclusion and YJS Head of Service",
            "September 2025",
            "Every child has an education assessment within 20 days",
            "Recruitment under way",
            "A",
        ],
        [
            "",
            "Track the education hours of every child of school age",
            "YJS Education Officer",
            "w/c 2 June",
            "Hours recorded for every child",
            "",
            "R",
        ],
        [
            _AFI3,
            "Set up a joint scrutiny panel for out-of-court disposals with the police",
            "YJS Head of Service; Police – Inspector, Youth Justice",
            "October 2025",
            "Panel reviews ten decisions a quarter",
            "Terms of reference drafted",
            "A",
        ],
    ]
    add_table(d, rows)
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 3. phases as headings, lettered actions

_PH1 = "Phase 1 – Stabilise (April to September 2025)"
_PH2 = "Phase 2 – Embed (October 2025 to March 2026)"


@layout(
    "send-phases-lettered-docx",
    [
        (
            "1a",
            "Appoint an interim Head of SEND",
            ["Director of Education"],
            "2025-06-30",
            "once",
            "Blue",
            "Appointed from 1 May",
            _PH1,
        ),
        (
            "1b",
            "Clear the backlog of annual reviews older than 12 months",
            ["Head of SEND", "SEND Casework Manager"],
            "2025-09-30",
            "once",
            "Amber",
            "212 of 390 reviews completed",
            _PH1,
        ),
        (
            "1c",
            "Agree a joint commissioning plan for speech and language therapy",
            ["Designated Clinical Officer (Health)"],
            "2025-09-30",
            "once",
            "Red",
            "ICB funding not yet confirmed",
            _PH1,
        ),
        (
            "2a",
            "Launch a co-produced Local Offer website",
            ["Parent Carer Forum chair", "SEND Communications Officer"],
            "2026-03-31",
            "once",
            "Green",
            "Design workshops held with families",
            _PH2,
        ),
        (
            "2b",
            "Embed a multi-agency audit of EHC plans",
            ["Head of SEND"],
            None,
            "recurring",
            None,
            None,
            _PH2,
        ),
    ],
)
def send_phases_lettered_docx(path: Path) -> Path:
    """A SEND improvement plan: phase headings (Word Heading 2) between tables, actions lettered "a)",
    "b)" in the action cell with no ref column, "End of Q1", "30/09/2025", "Jan–Mar 2026", "Monthly"."""
    d = docx.Document()
    d.add_paragraph("Northmoor Council and Northmoor ICB")
    d.add_heading("Local Area SEND Improvement Plan", 1)
    d.add_paragraph("Version 3 – agreed by the SEND Partnership Board on 17 March 2025")
    header = ["Action", "Lead", "Due", "Progress", "RAG"]
    d.add_heading(_PH1, 2)
    add_table(
        d,
        [
            header,
            [
                "a) Appoint an interim Head of SEND",
                "Director of Education",
                "End of Q1",
                "Appointed from 1 May",
                "Complete",
            ],
            [
                "b) Clear the backlog of annual reviews older than 12 months",
                "Head of SEND / SEND Casework Manager",
                "30/09/2025",
                "212 of 390 reviews completed",
                "Amber",
            ],
            [
                "c) Agree a joint commissioning plan for speech and language therapy",
                "Designated Clinical Officer (Health)",
                "30/09/2025",
                "ICB funding not yet confirmed",
                "Red",
            ],
        ],
    )
    d.add_heading(_PH2, 2)
    add_table(
        d,
        [
            header,
            [
                "a) Launch a co-produced Local Offer website",
                "Parent Carer Forum chair / SEND Communications Officer",
                "Jan–Mar 2026",
                "Design workshops held with families",
                "Green",
            ],
            ["b) Embed a multi-agency audit of EHC plans", "Head of SEND", "Monthly", "", ""],
        ],
    )
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 4. "Action 1." paragraphs under "Priority" headings

_PR1 = "Priority 1 – Strengthen the front door"
_PR2 = "Priority 2 – Improve the quality of assessments"


@layout(
    "priority-action-paras-docx",
    [
        (
            "1",
            "Review the threshold document with partners",
            ["Head of Front Door"],
            "2025-09-30",
            "once",
            "Amber",
            "Draft circulated to partners for comment",
            _PR1,
        ),
        (
            "2",
            "Introduce a daily multi-agency triage meeting in the MASH",
            ["Team Manager, MASH"],
            "2025-07-31",
            "once",
            "Green",
            "Running daily since 7 July",
            _PR1,
        ),
        (
            "3",
            "Audit 20 contacts a month that led to no further action",
            ["Service Manager Quality Assurance"],
            None,
            "recurring",
            "Green",
            "June and July audits complete",
            _PR1,
        ),
        (
            "4",
            "Train all social workers in the assessment framework",
            ["Principal Social Worker"],
            "2025-12-31",
            "once",
            "Red",
            "Trainer left; course to be re-procured",
            _PR2,
        ),
        (
            "5",
            "Add the child's own words to every assessment template",
            ["Head of Service – Assessment and Intervention"],
            "2025-08-31",
            "once",
            "Blue",
            "Template changed in Liquidlogic in August",
            _PR2,
        ),
    ],
)
def priority_action_paras_docx(path: Path) -> Path:
    """A focused-visit plan written as paragraphs: "Priority N – …" headings, actions typed as "Action 1.",
    "Action 2." numbered through the whole plan, each followed by "Lead officer:", "Target date:",
    "Update:" and "RAG:" lines."""
    d = docx.Document()
    d.add_paragraph("Westford City Council – Children's Services")
    d.add_heading("Focused Visit Action Plan", 1)
    d.add_paragraph("Signed off by the Improvement Board on 4 June 2025.")
    d.add_paragraph(
        "Ofsted's focused visit in April 2025 looked at the front door. This plan sets out what we will do "
        "about its findings; the Improvement Board reviews it every month."
    )
    actions = [
        (
            _PR1,
            [
                (
                    "Action 1. Review the threshold document with partners",
                    "Head of Front Door",
                    "30 September 2025",
                    "Draft circulated to partners for comment",
                    "Amber",
                ),
                (
                    "Action 2. Introduce a daily multi-agency triage meeting in the MASH",
                    "Team Manager, MASH",
                    "July 2025",
                    "Running daily since 7 July",
                    "Green",
                ),
                (
                    "Action 3. Audit 20 contacts a month that led to no further action",
                    "Service Manager Quality Assurance",
                    "Monthly",
                    "June and July audits complete",
                    "Green",
                ),
            ],
        ),
        (
            _PR2,
            [
                (
                    "Action 4. Train all social workers in the assessment framework",
                    "Principal Social Worker",
                    "December 2025",
                    "Trainer left; course to be re-procured",
                    "Red",
                ),
                (
                    "Action 5. Add the child's own words to every assessment template",
                    "Head of Service – Assessment and Intervention",
                    "August 2025",
                    "Template changed in Liquidlogic in August",
                    "Complete",
                ),
            ],
        ),
    ]
    for heading, items in actions:
        d.add_heading(heading, 2)
        for title, lead, when, update, rag in items:
            d.add_paragraph(title).runs[0].bold = True
            d.add_paragraph(f"Lead officer: {lead}")
            d.add_paragraph(f"Target date: {when}")
            d.add_paragraph(f"Update: {update}")
            d.add_paragraph(f"RAG: {rag}")
    d.add_heading("Governance", 2)
    d.add_paragraph("The Improvement Board will receive a highlight report on this plan each month.")
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 5. Excel: plan + closed actions, bands, totals

_NEG = "Priority 1: Neglect"
_EXP = "Priority 2: Child exploitation"


@layout(
    "lscp-closed-sheet-xlsx",
    [
        (
            "1.1",
            "Roll out the Graded Care Profile 2 to all partner agencies",
            ["Neglect Strategy Lead"],
            "2025-12-31",
            "once",
            "Green",
            "Training delivered to 140 practitioners",
            _NEG,
        ),
        (
            "1.2",
            "Run a multi-agency audit of neglect cases",
            ["Designated Nurse Safeguarding Children"],
            "2025-10-31",
            "once",
            "Amber",
            "Audit tool agreed; cases being selected",
            _NEG,
        ),
        (
            "2.1",
            "Map children at risk of exploitation across the partnership",
            ["DI Tom Reed", "Head of Exploitation"],
            "2025-09-30",
            "once",
            "Red",
            "Data sharing agreement still awaited",
            _EXP,
        ),
        (
            "2.2",
            "Launch a disruption toolkit for licensed premises",
            ["Licensing Manager"],
            "2026-01-31",
            "once",
            None,
            None,
            _EXP,
        ),
        (
            "1.3",
            "Publish the partnership's neglect strategy",
            ["Partnership Business Manager"],
            "2025-05-31",
            "once",
            "Blue",
            "Published on the partnership website in May",
            _NEG,
        ),
        (
            "2.3",
            "Agree a joint exploitation screening tool",
            ["DI Tom Reed"],
            "2025-06-30",
            "once",
            "Blue",
            "Tool in use by all agencies since June",
            _EXP,
        ),
    ],
)
def lscp_closed_sheet_xlsx(path: Path) -> Path:
    """A safeguarding children partnership's action log: a title block, a frozen header with a filter,
    priority bands merged across the sheet and filled, Lead agency beside Lead officer, real Excel dates,
    a totals row; and a second sheet of closed actions with a Priority column and a Status of Closed."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    ws.append(["Harbourside Safeguarding Children Partnership – Business Plan Action Log"])
    ws.merge_cells("A1:H1")
    ws.append(["Agreed by the Executive: 2 April 2025"])
    ws.append([])
    ws.append(["Ref", "Action", "Lead agency", "Lead officer", "Start", "Due", "RAG", "Update"])
    ws.freeze_panes = "A5"
    band = PatternFill("solid", fgColor="FFD9E1F2")

    def _band(text):
        ws.append([text])
        r = ws.max_row
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
        ws.cell(r, 1).fill = band
        ws.cell(r, 1).font = Font(bold=True)

    def _row(values):
        ws.append(values)
        for c in (5, 6):
            ws.cell(ws.max_row, c).number_format = "dd/mm/yyyy"

    _band(_NEG)
    _row(
        [
            "1.1",
            "Roll out the Graded Care Profile 2 to all partner agencies",
            "Children's Services",
            "Neglect Strategy Lead",
            dt.datetime(2025, 4, 1),
            dt.datetime(2025, 12, 31),
            "Green",
            "Training delivered to 140 practitioners",
        ]
    )
    _row(
        [
            "1.2",
            "Run a multi-agency audit of neglect cases",
            "ICB",
            "Designated Nurse Safeguarding Children",
            dt.datetime(2025, 6, 1),
            dt.datetime(2025, 10, 31),
            "Amber",
            "Audit tool agreed; cases being selected",
        ]
    )
    _band(_EXP)
    _row(
        [
            "2.1",
            "Map children at risk of exploitation across the partnership",
            "Police / Children's Services",
            "DI Tom Reed / Head of Exploitation",
            dt.datetime(2025, 4, 1),
            dt.datetime(2025, 9, 30),
            "Red",
            "Data sharing agreement still awaited",
        ]
    )
    _row(
        [
            "2.2",
            "Launch a disruption toolkit for licensed premises",
            "Council",
            "Licensing Manager",
            dt.datetime(2025, 11, 1),
            dt.datetime(2026, 1, 31),
            None,
            None,
        ]
    )
    ws.append([])
    ws.append(
        [None, "Total open actions", None, None, None, None, "4", "1 green, 1 amber, 1 red, 1 not rated"]
    )
    ws.cell(ws.max_row, 2).font = Font(bold=True)
    ws.auto_filter.ref = f"A4:H{ws.max_row - 2}"

    closed = wb.create_sheet("Closed actions")
    closed.append(["Ref", "Priority", "Action", "Lead officer", "Due", "Status", "Closing update"])
    closed.freeze_panes = "A2"
    closed.append(
        [
            "1.3",
            _NEG,
            "Publish the partnership's neglect strategy",
            "Partnership Business Manager",
            dt.datetime(2025, 5, 31),
            "Closed",
            "Published on the partnership website in May",
        ]
    )
    closed.append(
        [
            "2.3",
            _EXP,
            "Agree a joint exploitation screening tool",
            "DI Tom Reed",
            dt.datetime(2025, 6, 30),
            "Closed",
            "Tool in use by all agencies since June",
        ]
    )
    for r in (2, 3):
        closed.cell(r, 5).number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


# ---------------------------------------------------------------- 6. Microsoft Planner export

_B1, _B2 = "Workforce", "Practice standards"


@layout(
    "planner-export-csv",
    [
        (
            "1.1",
            "Run a recruitment campaign for experienced social workers",
            ["Amy Clarke"],
            "2025-05-30",
            "once",
            "Blue",
            None,
            _B1,
        ),
        (
            "1.2",
            "Agree a market supplement for hard-to-fill posts",
            ["Amy Clarke", "Raj Patel"],
            "2025-07-31",
            "once",
            None,
            None,
            _B1,
        ),
        (
            "1.3",
            "Set up a newly qualified social worker academy",
            ["Raj Patel"],
            "2025-09-01",
            "once",
            None,
            None,
            _B1,
        ),
        (
            "2.1",
            "Publish practice standards for supervision",
            ["Helen Ward"],
            "2025-06-13",
            "once",
            "Blue",
            None,
            _B2,
        ),
        (
            "2.2",
            "Audit supervision records against the standards",
            ["Helen Ward"],
            "2025-10-31",
            "once",
            None,
            None,
            _B2,
        ),
    ],
)
def planner_export_csv(path: Path) -> Path:
    """A Microsoft Planner plan exported to Excel and saved as CSV: Task ID, Bucket Name, Progress (Not
    started / In progress / Completed), Priority, Assigned To with ";" between people, Created and
    Completed columns, checklist counts, Labels and Description."""
    header = [
        "Task ID",
        "Task Name",
        "Bucket Name",
        "Progress",
        "Priority",
        "Assigned To",
        "Created By",
        "Created Date",
        "Start Date",
        "Due Date",
        "Is Recurring",
        "Late",
        "Completed Date",
        "Completed By",
        "Completed Checklist Items",
        "Checklist Items",
        "Labels",
        "Description",
    ]
    rows = [
        [
            "kT0vXQ2mV0yZ9h3bRZpLqGUAF0dS",
            "Run a recruitment campaign for experienced social workers",
            _B1,
            "Completed",
            "Important",
            "Amy Clarke",
            "Helen Ward",
            "03/03/2025",
            "10/03/2025",
            "30/05/2025",
            "false",
            "false",
            "28/05/2025",
            "Amy Clarke",
            "3",
            "Advert agreed;Social media;Open day",
            "",
            "Campaign with the regional recruitment partnership.",
        ],
        [
            "a8Hq3L0xSEuD1Bf7WcN4kGUAJ2pX",
            "Agree a market supplement for hard-to-fill posts",
            _B1,
            "In progress",
            "Urgent",
            "Amy Clarke;Raj Patel",
            "Helen Ward",
            "03/03/2025",
            "",
            "31/07/2025",
            "false",
            "false",
            "",
            "",
            "1",
            "Benchmark pay;Cabinet report",
            "",
            "Needs Cabinet approval.",
        ],
        [
            "Zp2Rt6YyF0-QmM5uVd8HbmUAE7wK",
            "Set up a newly qualified social worker academy",
            _B1,
            "Not started",
            "Medium",
            "Raj Patel",
            "Helen Ward",
            "03/03/2025",
            "",
            "01/09/2025",
            "false",
            "false",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "c1Nw7Hh2bU6qzXy4EeJ9_GUAB3rT",
            "Publish practice standards for supervision",
            _B2,
            "Completed",
            "Medium",
            "Helen Ward",
            "Helen Ward",
            "04/03/2025",
            "04/03/2025",
            "13/06/2025",
            "false",
            "false",
            "11/06/2025",
            "Helen Ward",
            "",
            "",
            "",
            "",
        ],
        [
            "Vb5Jk8Ls3Q0mWn2Pz7YxTGUAK9dE",
            "Audit supervision records against the standards",
            _B2,
            "In progress",
            "Important",
            "Helen Ward",
            "Helen Ward",
            "04/03/2025",
            "01/07/2025",
            "31/10/2025",
            "false",
            "false",
            "",
            "",
            "0",
            "Audit tool;Sample of 40",
            "",
            "",
        ],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return path


# ---------------------------------------------------------------- 7. performance-system export


@layout(
    "performance-system-csv",
    [
        (
            "CYP/IP/01.01",
            "Refresh the corporate parenting strategy",
            ["Lorna Whitby"],
            "2025-11-30",
            "once",
            "Amber",
            "Consultation with the Children in Care Council extended to October",
            None,
        ),
        (
            "CYP/IP/01.02",
            "Increase the number of in-house foster carers",
            ["Dev Shah"],
            "2026-03-31",
            "once",
            "Red",
            "Net loss of three households this quarter",
            None,
        ),
        (
            "CYP/IP/02.01",
            "Introduce a permanence tracking meeting",
            ["Lorna Whitby"],
            "2025-06-30",
            "once",
            "Blue",
            "Meeting established; first tracker report in July",
            None,
        ),
        (
            "CYP/IP/02.02",
            "Reduce the use of unregistered placements to zero",
            ["Dev Shah", "Lorna Whitby"],
            "2025-12-31",
            "once",
            "Green",
            "One child in an unregistered placement, down from four",
            None,
        ),
        (
            "CYP/IP/03.01",
            "Commission an independent review of the fostering panel",
            ["Karen Lowe"],
            "2025-10-31",
            "once",
            None,
            None,
            None,
        ),
    ],
)
def performance_system_csv(path: Path) -> Path:
    """A council's performance-management system export: codes with slashes, Managed By beside Assigned
    To, an Original Due Date before the Due Date, a % Progress, a task Status beside a Traffic Light,
    Latest Note and Latest Note Date, dates with times."""
    header = [
        "Code",
        "Title",
        "Managed By",
        "Assigned To",
        "Original Due Date",
        "Due Date",
        "Progress",
        "Status",
        "Traffic Light",
        "Latest Note",
        "Latest Note Date",
    ]
    rows = [
        [
            "CYP/IP/01.01",
            "Refresh the corporate parenting strategy",
            "Martin Gray",
            "Lorna Whitby",
            "30/09/2025 00:00",
            "30/11/2025 00:00",
            "60%",
            "In Progress",
            "Amber",
            "Consultation with the Children in Care Council extended to October",
            "14/08/2025 16:02",
        ],
        [
            "CYP/IP/01.02",
            "Increase the number of in-house foster carers",
            "Martin Gray",
            "Dev Shah",
            "31/03/2026 00:00",
            "31/03/2026 00:00",
            "20%",
            "In Progress",
            "Red",
            "Net loss of three households this quarter",
            "02/08/2025 09:41",
        ],
        [
            "CYP/IP/02.01",
            "Introduce a permanence tracking meeting",
            "Martin Gray",
            "Lorna Whitby",
            "30/06/2025 00:00",
            "30/06/2025 00:00",
            "100%",
            "Completed",
            "",
            "Meeting established; first tracker report in July",
            "27/06/2025 11:15",
        ],
        [
            "CYP/IP/02.02",
            "Reduce the use of unregistered placements to zero",
            "Martin Gray",
            "Dev Shah, Lorna Whitby",
            "30/09/2025 00:00",
            "31/12/2025 00:00",
            "75%",
            "In Progress",
            "Green",
            "One child in an unregistered placement, down from four",
            "20/08/2025 10:30",
        ],
        [
            "CYP/IP/03.01",
            "Commission an independent review of the fostering panel",
            "Martin Gray",
            "Karen Lowe",
            "31/10/2025 00:00",
            "31/10/2025 00:00",
            "0%",
            "Not Started",
            "",
            "",
            "",
        ],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


# ---------------------------------------------------------------- 8. Gantt chart of months

_TA = "Theme A – Financial resilience"
_TB = "Theme B – Customer access"


@layout(
    "gantt-months-xlsx",
    [
        (
            "A1",
            "Close the 2025/26 budget gap",
            ["Director of Finance"],
            "2025-09-30",
            "once",
            "Amber",
            "Gap down to £2.1m",
            _TA,
        ),
        (
            "A2",
            "Review fees and charges",
            ["Head of Finance"],
            "2025-12-31",
            "once",
            "Green",
            "Proposals to Cabinet in November",
            _TA,
        ),
        (
            "A3",
            "Set up an invest-to-save fund",
            ["Director of Finance", "Head of Transformation"],
            "2026-03-31",
            "once",
            None,
            None,
            _TA,
        ),
        (
            "B1",
            "Move council tax forms online",
            ["Head of Customer Services"],
            "2025-07-31",
            "once",
            "Blue",
            "Live since July",
            _TB,
        ),
        (
            "B2",
            "Open a single customer contact centre",
            ["Head of Customer Services"],
            None,
            "unknown",
            "Red",
            "Site not yet found",
            _TB,
        ),
    ],
)
def gantt_months_xlsx(path: Path) -> Path:
    """A corporate improvement plan drawn as a Gantt chart: one column per month (real dates shown
    "mmm-yy") whose filled cells mark when each action runs, no due-date column, theme bands, RAG and
    Update at the right."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Plan on a page"
    ws.append(["Riverside Borough Council – Corporate Improvement Plan 2025/26"])
    ws.append(["Approved by Cabinet, 8 April 2025"])
    months = [dt.datetime(2025 + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(12)]  # Apr-25 … Mar-26
    ws.append(["Ref", "Action", "Lead", *months, "RAG", "Update"])
    for c in range(4, 16):
        ws.cell(3, c).number_format = "mmm-yy"
    bar = PatternFill("solid", fgColor="FF4472C4")

    def _row(values, first, last):
        ws.append([*values[:3], *([None] * 12), *values[3:]])
        for c in range(4 + first, 4 + last + 1) if first is not None else ():
            ws.cell(ws.max_row, c).fill = bar

    def _band(text):
        ws.append([text])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=17)

    _band(_TA)
    _row(["A1", "Close the 2025/26 budget gap", "Director of Finance", "Amber", "Gap down to £2.1m"], 0, 5)
    _row(
        ["A2", "Review fees and charges", "Head of Finance", "Green", "Proposals to Cabinet in November"],
        3,
        8,
    )
    _row(
        ["A3", "Set up an invest-to-save fund", "Director of Finance / Head of Transformation", None, None],
        9,
        11,
    )
    _band(_TB)
    _row(
        ["B1", "Move council tax forms online", "Head of Customer Services", "Blue", "Live since July"], 1, 3
    )
    _row(
        [
            "B2",
            "Open a single customer contact centre",
            "Head of Customer Services",
            "Red",
            "Site not yet found",
        ],
        None,
        None,
    )
    wb.save(path)
    return path


# ---------------------------------------------------------------- 9. a bilingual Welsh plan

_W1 = "Argymhelliad 1 / Recommendation 1: Improve the timeliness of carers' assessments"
_W2 = "Argymhelliad 2 / Recommendation 2: Strengthen the voice of people in their care and support plans"


@layout(
    "welsh-bilingual-docx",
    [
        (
            "1.1",
            "Add carers' assessments to the weekly performance report",
            ["Head of Adult Services"],
            "2025-07-31",
            "once",
            "Green",
            "In the report since June",
            _W1,
        ),
        (
            "1.2",
            "Recruit two carers' support workers",
            ["Carers Lead"],
            "2025-09-30",
            "once",
            "Amber",
            "One post filled",
            _W1,
        ),
        (
            "2.1",
            "Rewrite the care and support plan template in plain language, in Welsh and English",
            ["Principal Social Worker"],
            "2026-03-31",
            "once",
            "Red",
            "Translation delayed",
            _W2,
        ),
        (
            "2.2",
            "Offer every person an active offer of services in Welsh",
            ["Welsh Language Officer", "Head of Adult Services"],
            "2025-06-30",
            "once",
            "Blue",
            "Active offer checklist in use in all teams",
            _W2,
        ),
    ],
)
def welsh_bilingual_docx(path: Path) -> Path:
    """A Welsh council's CIW inspection plan: every header cell and the RAG words in Welsh and English
    ("Cam gweithredu / Action", "Ambr / Amber"), recommendation rows merged across in both languages, a
    date written in both ("Medi 2025 / September 2025")."""
    d = docx.Document()
    d.add_paragraph("Cyngor Sir Glanmor / Glanmor County Council")
    d.add_heading("Cynllun Gweithredu Arolygiad AGC / CIW Inspection Action Plan", 1)
    d.add_paragraph("Dyddiad / Date: 19 May 2025")
    rows = [
        [
            "Cyf / Ref",
            "Cam gweithredu / Action",
            "Swyddog arweiniol / Lead officer",
            "Dyddiad targed / Target date",
            "Cynnydd / Progress",
            "Statws RAG / RAG status",
        ],
        [_W1, "", "", "", "", ""],
        [
            "1.1",
            "Add carers' assessments to the weekly performance report",
            "Head of Adult Services",
            "Gorffennaf 2025 / July 2025",
            "In the report since June",
            "Gwyrdd / Green",
        ],
        [
            "1.2",
            "Recruit two carers' support workers",
            "Carers Lead",
            "Medi 2025 / September 2025",
            "One post filled",
            "Ambr / Amber",
        ],
        [_W2, "", "", "", "", ""],
        [
            "2.1",
            "Rewrite the care and support plan template in plain language, in Welsh and English",
            "Principal Social Worker",
            "31/03/2026",
            "Translation delayed",
            "Coch / Red",
        ],
        [
            "2.2",
            "Offer every person an active offer of services in Welsh",
            "Welsh Language Officer and Head of Adult Services",
            "30/06/2025",
            "Active offer checklist in use in all teams",
            "Glas / Blue",
        ],
    ]
    t = add_table(d, rows)
    span_row(t, 1, "D9D9D9", bold=True)
    span_row(t, 4, "D9D9D9", bold=True)
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 10. letter key with five states, Direction of travel

_DA1 = "Priority 1 – Early identification"
_DA2 = "Priority 2 – Safe accommodation"


@layout(
    "da-letters-direction-docx",
    [
        (
            "1",
            "Roll out routine enquiry about domestic abuse in maternity and health visiting",
            ["Designated Nurse Safeguarding Adults"],
            "2025-12-31",
            "once",
            "Green",
            "Maternity live; health visiting from October",
            _DA1,
        ),
        (
            "2",
            "Train GP practices in the IRIS programme",
            ["Domestic Abuse Coordinator"],
            "2026-03-31",
            "once",
            "Amber",
            "12 of 30 practices trained",
            _DA1,
        ),
        (
            "3",
            "Publish a directory of specialist services for professionals",
            ["Domestic Abuse Coordinator"],
            "2025-06-30",
            "once",
            "Blue",
            "Published in June",
            _DA1,
        ),
        (
            "4",
            "Commission eight more units of dispersed safe accommodation",
            ["Head of Housing Options"],
            "2026-03-31",
            "once",
            "Red",
            "No provider bid in the first tender",
            _DA2,
        ),
        (
            "5",
            "Introduce a sanctuary scheme for survivors staying in their homes",
            ["Head of Housing Options", "Community Safety Manager"],
            "2026-06-30",
            "once",
            None,
            "Scoping starts in the new year",
            _DA2,
        ),
    ],
)
def da_letters_direction_docx(path: Path) -> Path:
    """A domestic abuse partnership board's delivery plan: a five-state key of letters at the top (B, G,
    A, R, NS), a "Direction of travel" column of arrows right before the RAG letters, a Priority column
    repeated on every row, "No." refs, "Q3 2025/26", "Q1 2026/27"."""
    d = docx.Document()
    d.add_paragraph("Southdown Domestic Abuse Partnership Board")
    d.add_heading("Domestic Abuse Strategy – Delivery Plan 2025/26", 1)
    d.add_paragraph("Agreed by the Board on 24 April 2025")
    d.add_paragraph("Status key")
    add_table(
        d,
        [
            ["Status", "Meaning"],
            ["B", "Complete"],
            ["G", "On track"],
            ["A", "At risk"],
            ["R", "Off track"],
            ["NS", "Not started"],
        ],
    )
    d.add_paragraph("")
    rows = [
        ["No.", "Priority", "Action", "Lead", "Deadline", "Direction of travel", "Status", "Update"],
        [
            "1",
            _DA1,
            "Roll out routine enquiry about domestic abuse in maternity and health visiting",
            "Designated Nurse Safeguarding Adults",
            "Q3 2025/26",
            "↑",
            "G",
            "Maternity live; health visiting from October",
        ],
        [
            "2",
            _DA1,
            "Train GP practices in the IRIS programme",
            "Domestic Abuse Coordinator",
            "Q4 2025/26",
            "→",
            "A",
            "12 of 30 practices trained",
        ],
        [
            "3",
            _DA1,
            "Publish a directory of specialist services for professionals",
            "Domestic Abuse Coordinator",
            "June 2025",
            "↑",
            "B",
            "Published in June",
        ],
        [
            "4",
            _DA2,
            "Commission eight more units of dispersed safe accommodation",
            "Head of Housing Options",
            "Q4 2025/26",
            "↓",
            "R",
            "No provider bid in the first tender",
        ],
        [
            "5",
            _DA2,
            "Introduce a sanctuary scheme for survivors staying in their homes",
            "Head of Housing Options; Community Safety Manager",
            "Q1 2026/27",
            "–",
            "NS",
            "Scoping starts in the new year",
        ],
    ]
    add_table(d, rows)
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 11. Evidence / Impact beside the progress

_F1 = "Complaints about damp and mould were not escalated quickly enough"
_F2 = "Residents were not kept informed about repairs"


@layout(
    "housing-evidence-impact-xlsx",
    [
        (
            "HO1",
            "Triage every damp and mould report within 24 hours",
            ["Head of Repairs"],
            "2025-04-14",
            "once",
            "Blue",
            "Triage desk live; 96% of reports triaged within 24 hours in May",
            _F1,
        ),
        (
            "HO2",
            "Inspect every home with a damp report in the last two years",
            ["Head of Repairs", "Asset Manager"],
            "2025-12-31",
            "once",
            "Amber",
            "1,120 of 1,900 homes inspected",
            _F1,
        ),
        (
            "HO3",
            "Train all housing officers in spotting damp and mould",
            ["Housing Services Manager"],
            "2025-06-15",
            "once",
            "Green",
            "Six of eight sessions held",
            _F1,
        ),
        (
            "HO4",
            "Text residents at each stage of a repair",
            ["Head of Customer Experience"],
            "2026-03-31",
            "once",
            "Red",
            "Supplier contract delayed",
            _F2,
        ),
        (
            "HO5",
            "Publish repairs performance to residents each quarter",
            ["Head of Customer Experience"],
            None,
            "unknown",
            None,
            None,
            _F2,
        ),
    ],
)
def housing_evidence_impact_xlsx(path: Path) -> Path:
    """A housing landlord's plan after a Housing Ombudsman special investigation: a Finding column merged
    down over its actions, "Progress to date" beside an "Evidence / Impact" column, dates typed as text
    ("w/c 14 April", "Dec-25", "Mid-June", "31.03.26", "By next inspection")."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "Improvement plan"
    ws.append(["Eastleigh Vale Council – Housing Ombudsman Special Investigation: Improvement Plan"])
    ws.append(["Plan date: 1 April 2025"])
    ws.append(["Ref", "Finding", "Action", "Owner", "Target", "Progress to date", "Evidence / Impact", "RAG"])
    data = [
        [
            "HO1",
            _F1,
            "Triage every damp and mould report within 24 hours",
            "Head of Repairs",
            "w/c 14 April",
            "Triage desk live; 96% of reports triaged within 24 hours in May",
            "Weekly triage report; complaints down 30%",
            "Complete",
        ],
        [
            "HO2",
            None,
            "Inspect every home with a damp report in the last two years",
            "Head of Repairs / Asset Manager",
            "Dec-25",
            "1,120 of 1,900 homes inspected",
            "Inspection tracker",
            "Amber",
        ],
        [
            "HO3",
            None,
            "Train all housing officers in spotting damp and mould",
            "Housing Services Manager",
            "Mid-June",
            "Six of eight sessions held",
            "Attendance records",
            "Green",
        ],
        [
            "HO4",
            _F2,
            "Text residents at each stage of a repair",
            "Head of Customer Experience",
            "31.03.26",
            "Supplier contract delayed",
            "",
            "Red",
        ],
        [
            "HO5",
            None,
            "Publish repairs performance to residents each quarter",
            "Head of Customer Experience",
            "By next inspection",
            "",
            "",
            "",
        ],
    ]
    for row in data:
        ws.append(row)
    ws.merge_cells("B4:B6")
    ws.merge_cells("B7:B8")
    for r in range(4, 9):
        ws.cell(r, 2).alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "C4"
    wb.save(path)
    return path


__all__ = ["BUILDERS", "EXPECTED", "shade", "write"]
