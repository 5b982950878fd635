"""Plans written by a reviewer trying the importer on layouts none of the earlier plan sets use: Word
tables with merged section rows and vertically merged cells, Status words and % complete, title blocks
and two-row merged headers in Excel, several sheets, "Job title – Name" and "Name (Job title)" leads,
emails and agencies in lead cells, roman sub-actions, Word's own numbering in headings and in table
cells, content controls and tracked changes, "Mar-26" dates, a RAG and an update per quarter, footnote
and totals rows. What a careful person reads in each was set down below, before the importer was run
on it.

    (ref, title, leads, due, schedule, rag, progress, section)

Decisions a careful reader makes here (and the tests hold the importer to):

- "Sarah Okafor (Director of Finance)" and "Head of Early Help – Tom Reilly" are led by the person;
  the post is what they do. "Police – DI Smith" names the agency and who in it: kept whole.
- An email beside a name is the person's address, not part of their name.
- "Not started" is a task state, not a RAG colour, when the plan has no key saying which colour it is.
- Of a "Previous update" and a "Progress this quarter", the latest written one is the progress; of a
  RAG per quarter, the latest given is the RAG.
- A "% complete" column is a measure, not the progress text.
- Text a Word author deleted with track changes on is gone; text inserted is there. A content control
  still showing its placeholder ("Choose an item.") says nothing.

``tests/test_import_reviewer.py`` asserts every field of every action; ``benchmarks/import_accuracy.py``
scores the importer on them field by field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from tests.support.plan_builders import (
    add_table,
    layout_registry,
    repeat_header,
    span_row,
    write,
)

layout, EXPECTED, BUILDERS = layout_registry()


def _landscape(d) -> None:
    section = d.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width


def _el(tag: str, **attrs: str):
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _run(text: str, *, deleted: bool = False):
    run = _el("w:r")
    t = _el("w:delText" if deleted else "w:t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(t)
    return run


# ---------------------------------------------------------------- 1. peer challenge, merged cells, Status words

_FIN, _GOV = "Theme 1: Financial sustainability", "Theme 2: Governance and scrutiny"


@layout(
    "peer-challenge-merged-docx",
    [
        (
            "1.1",
            "Refresh the medium-term financial strategy to 2029/30",
            ["Sarah Okafor"],
            "2025-12-31",
            "once",
            "Green",
            "Draft considered by Cabinet in September",
            _FIN,
        ),
        (
            "1.2",
            "Agree a savings programme for the next two budget rounds",
            ["Sarah Okafor"],
            "2026-03-31",
            "once",
            "Red",
            "Savings proposals delayed by the budget consultation",
            _FIN,
        ),
        (
            "1.3",
            "Set up a capital programme board",
            ["Mark Ellis", "Sarah Okafor"],
            "2025-07-31",
            "once",
            "Blue",
            "Board met for the first time on 14 July",
            _FIN,
        ),
        (
            "2.1",
            "Review the constitution with members",
            ["Priya Nair"],
            "2026-03-31",
            "once",
            "Amber",
            "Member working group meets monthly",
            _GOV,
        ),
        (
            "2.2",
            "Introduce a scrutiny work programme agreed with Cabinet",
            ["Priya Nair"],
            "2025-10-06",
            "once",
            None,
            None,
            _GOV,
        ),
        (
            "2.3",
            "Train all members on the code of conduct",
            ["Priya Nair"],
            "2025-12-31",
            "once",
            "Green",
            "Two of four sessions held",
            _GOV,
        ),
    ],
)
def peer_challenge_merged_docx(path: Path) -> Path:
    """A district council's LGA peer challenge plan: theme rows merged across the table (gridSpan), a lead
    merged down over three actions (vMerge), leads as "Name (Job title)", a % complete column, a Status
    column of On track / Off track / At risk / Complete / Not started, and timescales as "Q3 2025/26",
    "31/03/26", "By end of March", "w/c 6 October", "Sept-Dec 2025"."""
    d = docx.Document()
    d.add_paragraph("Ashdown District Council")
    d.add_heading("Corporate Peer Challenge – Action Plan", 0)
    d.add_paragraph("Agreed by Cabinet, 10 June 2025")
    rows = [
        ["No.", "Action", "Lead officer", "Target date", "% complete", "Status", "Progress update"],
        [_FIN, "", "", "", "", "", ""],
        [
            "1.1",
            "Refresh the medium-term financial strategy to 2029/30",
            "Sarah Okafor (Director of Finance)",
            "Q3 2025/26",
            "60%",
            "On track",
            "Draft considered by Cabinet in September",
        ],
        [
            "1.2",
            "Agree a savings programme for the next two budget rounds",
            "Sarah Okafor",
            "31/03/26",
            "10%",
            "Off track",
            "Savings proposals delayed by the budget consultation",
        ],
        [
            "1.3",
            "Set up a capital programme board",
            "Mark Ellis (Chief Executive) / Sarah Okafor (Director of Finance)",
            "July 2025",
            "100%",
            "Complete",
            "Board met for the first time on 14 July",
        ],
        [_GOV, "", "", "", "", "", ""],
        [
            "2.1",
            "Review the constitution with members",
            "Priya Nair (Monitoring Officer)",
            "By end of March",
            "25%",
            "At risk",
            "Member working group meets monthly",
        ],
        [
            "2.2",
            "Introduce a scrutiny work programme agreed with Cabinet",
            "",
            "w/c 6 October",
            "0%",
            "Not started",
            "",
        ],
        [
            "2.3",
            "Train all members on the code of conduct",
            "",
            "Sept-Dec 2025",
            "50%",
            "On track",
            "Two of four sessions held",
        ],
    ]
    table = add_table(d, rows)
    for r in (1, 5):
        span_row(table, r, "D9E2F3", bold=True)
    table.cell(6, 2).merge(table.cell(8, 2))
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 2. a sheet per priority, title block, two-row header

_EH = "Priority 1: Early help and the front door"
_PERM = "Priority 2: Permanence for children in care"


@layout(
    "priority-sheets-xlsx",
    [
        (
            "1.1",
            "Launch a single front door for early help requests",
            ["Tom Reilly"],
            "2025-09-30",
            "once",
            "Blue",
            "Front door live since 1 September",
            _EH,
        ),
        (
            "1.2",
            "Reduce re-referrals to children's social care within 12 months",
            ["Aisha Begum"],
            "2026-03-31",
            "once",
            "Amber",
            "Re-referral rate 24%",
            _EH,
        ),
        (
            "1.3",
            "Publish the early help strategy with partners",
            ["Tom Reilly"],
            "2025-09-01",
            "once",
            "Green",
            "Strategy drafted",
            _EH,
        ),
        (
            "1.4",
            "Review MASH thresholds with partners",
            ["Aisha Begum"],
            None,
            "recurring",
            "Green",
            None,
            _EH,
        ),
        (
            "2.1",
            "Hold a permanence panel for every child within 4 months of coming into care",
            ["Gemma Shaw"],
            "2025-12-31",
            "once",
            "Green",
            "Panel sitting fortnightly",
            _PERM,
        ),
        (
            "2.2",
            "Recruit 20 new foster carers",
            ["Liam Dunn"],
            "2025-12-31",
            "once",
            "Red",
            "6 households approved",
            _PERM,
        ),
        (
            "2.3",
            "Reduce the number of children placed more than 20 miles from home",
            ["Gemma Shaw"],
            "2026-03-31",
            "once",
            None,
            None,
            _PERM,
        ),
    ],
)
def priority_sheets_xlsx(path: Path) -> Path:
    """A county's plan in Excel: a cover sheet, then one sheet per priority, each with a five-row title
    block (the priority's full name on row 2), a two-row header with merged cells (Timescale over Start |
    End, Progress over Previous update | Progress this quarter), frozen panes, end dates as real Excel
    dates and as text, leads as "Job title – Name", a Status column of words."""
    from openpyxl import Workbook

    wb = Workbook()
    cover = wb.active
    cover.title = "Cover"
    for line in (
        "Northshire County Council",
        "Children's Services Improvement Plan 2025–26",
        "Owner: Director of Children's Services",
        "Version 3, 1 September 2025",
    ):
        cover.append([line])
    eh, sm = "Head of Early Help – Tom Reilly", "Service Manager, MASH – Aisha Begum"
    cic = "Head of Children in Care – Gemma Shaw"
    april = dt.datetime(2025, 4, 1)
    sheets = {
        "Priority 1": (
            _EH,
            [
                [
                    "1.1",
                    "Launch a single front door for early help requests",
                    eh,
                    april,
                    dt.datetime(2025, 9, 30),
                    "Project board set up",
                    "Front door live since 1 September",
                    "Complete",
                ],
                [
                    "1.2",
                    "Reduce re-referrals to children's social care within 12 months",
                    sm,
                    april,
                    "31/03/2026",
                    "Re-referral rate 24%",
                    None,
                    "At risk",
                ],
                [
                    "1.3",
                    "Publish the early help strategy with partners",
                    eh,
                    None,
                    "Immediate",
                    None,
                    "Strategy drafted",
                    "On track",
                ],
                [
                    "1.4",
                    "Review MASH thresholds with partners",
                    sm,
                    april,
                    "Ongoing – reviewed monthly",
                    None,
                    None,
                    "On track",
                ],
            ],
        ),
        "Priority 2": (
            _PERM,
            [
                [
                    "2.1",
                    "Hold a permanence panel for every child within 4 months of coming into care",
                    cic,
                    dt.datetime(2025, 5, 1),
                    dt.datetime(2025, 12, 31),
                    "Panel terms of reference agreed",
                    "Panel sitting fortnightly",
                    "On track",
                ],
                [
                    "2.2",
                    "Recruit 20 new foster carers",
                    "Fostering Manager – Liam Dunn",
                    None,
                    "Sept-Dec 2025",
                    None,
                    "6 households approved",
                    "Off track",
                ],
                [
                    "2.3",
                    "Reduce the number of children placed more than 20 miles from home",
                    cic,
                    april,
                    "Q4 2025/26",
                    None,
                    None,
                    "Not started",
                ],
            ],
        ),
    }
    for title, (priority, rows) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["Northshire County Council – Children's Services Improvement Plan 2025–26"])
        ws.append([priority])
        ws.append(["Sponsor: Assistant Director, Early Help and Prevention"])
        ws.append(["Position at: 1 September 2025"])
        ws.append([])
        ws.append(["Ref", "Action", "Lead", "Timescale", None, "Progress", None, "RAG"])
        ws.append([None, None, None, "Start", "End", "Previous update", "Progress this quarter", None])
        for span in ("A6:A7", "B6:B7", "C6:C7", "D6:E6", "F6:G6", "H6:H7"):
            ws.merge_cells(span)
        ws.freeze_panes = "C8"
        for row in rows:
            ws.append(row)
            for col in (4, 5):
                ws.cell(ws.max_row, col).number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


# ---------------------------------------------------------------- 3. a tracker export: BOM, ";", emails, totals

_WF, _PR = "Workforce", "Practice"


@layout(
    "tracker-export-csv",
    [
        (
            "1.1",
            "Launch a recruitment campaign for experienced social workers",
            ["Priya Shah"],
            "2026-03-31",
            "once",
            "Green",
            "Campaign launched 1 October",
            _WF,
        ),
        (
            "1.2",
            "Cap caseloads at 18 children per social worker",
            ["Mark Jones"],
            "2026-03-31",
            "once",
            "Amber",
            "Average caseload 22",
            _WF,
        ),
        (
            "2.1",
            "Adopt Signs of Safety as the practice model",
            ["Priya Shah"],
            "2026-03-31",
            "once",
            "Blue",
            "Model launched at the practice conference",
            _PR,
        ),
        (
            "2.3a",
            "Audit 30 plans a month against the new standards",
            ["Priya Shah"],
            None,
            "recurring",
            "Green",
            "30 audits in October",
            _PR,
        ),
        (
            "2.3(b)",
            "Report audit findings to the improvement board",
            ["Priya Shah", "Mark Jones"],
            None,
            "recurring",
            "Red",
            None,
            _PR,
        ),
    ],
)
def tracker_export_csv(path: Path) -> Path:
    """A CSV exported from a project tracker: UTF-8 with a byte-order mark, ";" between fields, owners with
    their email address, "Progress this quarter" before "Previous update", % complete, sub-actions
    "2.3a" and "2.3(b)", blank spacer lines, and a totals line at the bottom."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(
        [
            "Workstream",
            "Action ID",
            "Action",
            "Owner",
            "Due date",
            "Status",
            "% complete",
            "Progress this quarter",
            "Previous update",
        ]
    )
    shah = "Priya Shah <priya.shah@eastvale.gov.uk>"
    w.writerow(
        [
            _WF,
            "1.1",
            "Launch a recruitment campaign for experienced social workers",
            shah,
            "31/03/26",
            "On track",
            "40%",
            "Campaign launched 1 October",
            "Advert drafted",
        ]
    )
    w.writerow(
        [
            _WF,
            "1.2",
            "Cap caseloads at 18 children per social worker",
            "Mark Jones (mark.jones@eastvale.gov.uk)",
            "Q4 2025/26",
            "At risk",
            "20%",
            "",
            "Average caseload 22",
        ]
    )
    w.writerow([""] * 9)
    w.writerow(
        [
            _PR,
            "2.1",
            "Adopt Signs of Safety as the practice model",
            shah,
            "Spring term 2026",
            "Complete",
            "100%",
            "Model launched at the practice conference",
            "",
        ]
    )
    w.writerow(
        [
            _PR,
            "2.3a",
            "Audit 30 plans a month against the new standards",
            "Priya Shah",
            "Monthly",
            "On track",
            "",
            "30 audits in October",
            "",
        ]
    )
    w.writerow(
        [
            _PR,
            "2.3(b)",
            "Report audit findings to the improvement board",
            "Priya Shah; Mark Jones",
            "Quarterly",
            "Off track",
            "",
            "",
            "",
        ]
    )
    w.writerow([""] * 9)
    w.writerow(["Total: 5 actions, 2 on track, 1 at risk, 1 off track, 1 complete"] + [""] * 8)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


# ---------------------------------------------------------------- 4. a list plan in one multi-level Word list

_Q1 = "The quality of strategy discussions"
_Q2 = "Management oversight of children in need"
_Q3 = "Accommodation for care leavers"


@layout(
    "multilevel-list-docx",
    [
        (
            "1.1",
            "Hold every strategy discussion with police, health and social care present",
            ["Head of MASH"],
            "2025-09-30",
            "once",
            None,
            None,
            _Q1,
        ),
        (
            "1.2",
            "Audit 20 strategy discussions each month",
            ["Service Manager Quality Assurance"],
            None,
            "recurring",
            None,
            None,
            _Q1,
        ),
        (
            "2.1",
            "Introduce a monthly case review for every child in need plan",
            ["Head of Children in Need"],
            "2025-10-31",
            "once",
            None,
            None,
            _Q2,
        ),
        (
            "2.2",
            "Refresh the supervision policy",
            ["Principal Social Worker"],
            "2025-07-03",
            "once",
            None,
            None,
            _Q2,
        ),
        (
            "3.1",
            "Commission 15 supported lodgings places",
            ["Head of Leaving Care"],
            "2026-03-31",
            "once",
            None,
            None,
            _Q3,
        ),
    ],
)
def multilevel_list_docx(path: Path) -> Path:
    """A plan written as one multi-level Word list: the areas for improvement are Heading 2 paragraphs
    numbered by the list's first level ("1."), the actions are its second level ("1.1"), typed with no
    number at all; a "Lead: …  Timescale: …" line under each action; bullets of detail under one."""
    d = docx.Document()
    d.add_paragraph("Fenmoor Council")
    d.add_heading("Improvement plan following the inspection of children's services", 0)
    d.add_paragraph("Approved by the Improvement Board: 3 July 2025")
    d.add_paragraph(
        "This plan responds to the three areas for improvement in the inspection report. Each area is "
        "numbered as in the report; the actions under it are ours."
    )
    num = _multilevel_list(d)
    areas = [
        (
            _Q1,
            [
                (
                    "Hold every strategy discussion with police, health and social care present",
                    "Lead: Head of MASH. Timescale: September 2025",
                    ["Daily slots agreed with the police", "Health attendance tracked weekly"],
                ),
                (
                    "Audit 20 strategy discussions each month",
                    "Lead: Service Manager Quality Assurance. Timescale: Monthly",
                    [],
                ),
            ],
        ),
        (
            _Q2,
            [
                (
                    "Introduce a monthly case review for every child in need plan",
                    "Lead: Head of Children in Need. Timescale: October 2025",
                    [],
                ),
                ("Refresh the supervision policy", "Lead: Principal Social Worker. Timescale: Immediate", []),
            ],
        ),
        (
            _Q3,
            [
                (
                    "Commission 15 supported lodgings places",
                    "Lead: Head of Leaving Care. Timescale: March 2026",
                    [],
                )
            ],
        ),
    ]
    for area, actions in areas:
        _list_para(d.add_heading(area, 2), num, 0)
        for text, who, bullets in actions:
            _list_para(d.add_paragraph(text), num, 1)
            d.add_paragraph(who)
            for bullet in bullets:
                d.add_paragraph(bullet, style="List Bullet")
    d.add_heading("Governance", 1)
    d.add_paragraph("The Improvement Board will review this plan every two months.")
    d.save(str(path))
    return path


def _multilevel_list(d, levels=(("decimal", "%1."), ("decimal", "%1.%2"))) -> str:
    numbering = d.part.numbering_part.element
    abstract_id = str(700 + len(numbering.findall(qn("w:abstractNum"))))
    abstract = _el("w:abstractNum", abstractNumId=abstract_id)
    abstract.append(_el("w:multiLevelType", val="multilevel"))
    for ilvl, (fmt, text) in enumerate(levels):
        lvl = _el("w:lvl", ilvl=str(ilvl))
        for tag, value in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text)):
            lvl.append(_el(tag, val=value))
        abstract.append(lvl)
    numbering.insert(0, abstract)
    num_id = str(700 + len(numbering.findall(qn("w:num"))))
    num = _el("w:num", numId=num_id)
    num.append(_el("w:abstractNumId", val=abstract_id))
    numbering.append(num)
    return num_id


def _list_para(para, num_id: str, level: int) -> None:
    numpr = _el("w:numPr")
    numpr.append(_el("w:ilvl", val=str(level)))
    numpr.append(_el("w:numId", val=num_id))
    para._p.get_or_add_pPr().append(numpr)


# ---------------------------------------------------------------- 5. youth justice: landscape, repeated header, roman

_GOVN = "Domain 1: Governance and leadership"
_OOCD = "Strengthen the out-of-court disposal panel"
_ETE = "Domain 3: Education, training and employment"


@layout(
    "youth-justice-landscape-docx",
    [
        (
            "1.1",
            "Refresh the partnership's terms of reference and membership",
            ["Head of Youth Justice"],
            "2025-05-22",
            "once",
            "Green",
            "Agreed at the May board",
            _GOVN,
        ),
        (
            "1.2",
            "Agree a joint performance dashboard with the police and health",
            ["Police – DI Smith", "Health – Named Nurse"],
            "2025-09-30",
            "once",
            "Amber",
            "Data sharing agreement awaiting sign-off",
            _GOVN,
        ),
        (
            "2i",
            "Invite victims' services to every panel",
            ["Victim Liaison Officer"],
            "2025-12-31",
            "once",
            "Red",
            "Post vacant",
            _OOCD,
        ),
        (
            "2ii",
            "Review ten panel decisions a quarter",
            ["Head of Youth Justice", "Police – Sgt Patel"],
            None,
            "recurring",
            "Green",
            "First review found consistent decisions",
            _OOCD,
        ),
        (
            "3.1",
            "Place an education worker in the youth justice team",
            ["Education – Virtual School Head"],
            "2026-03-31",
            "once",
            "Amber",
            "Funding agreed; recruitment under way",
            _ETE,
        ),
        (
            "3.2",
            "Track every child's education hours",
            ["Youth Justice Education Officer"],
            None,
            "recurring",
            "Green",
            None,
            _ETE,
        ),
    ],
)
def youth_justice_landscape_docx(path: Path) -> Path:
    """A youth justice partnership's plan: landscape, the table broken at a page into two tables that each
    repeat the header row, domain rows merged across, a recommendation row "2" over sub-actions "i." and
    "ii.", a ref with a footnote mark ("1.2*"), multi-agency leads ("Police – DI Smith; Health – Named
    Nurse"), an empty spacer row, the top row of the second table continuing the last action's update, a
    "* denotes …" row and a totals row at the bottom."""
    d = docx.Document()
    _landscape(d)
    d.add_paragraph("Riverside Youth Justice Partnership")
    d.add_heading("Youth Justice Plan 2025–26: inspection action plan", 0)
    d.add_paragraph("Management board sign-off: 22 May 2025")
    header = ["Ref", "Action", "Lead(s)", "Timescale", "RAG", "Update"]
    first = add_table(
        d,
        [
            header,
            [_GOVN, "", "", "", "", ""],
            [
                "1.1",
                "Refresh the partnership's terms of reference and membership",
                "Head of Youth Justice",
                "Immediate",
                "G",
                "Agreed at the May board",
            ],
            [
                "1.2*",
                "Agree a joint performance dashboard with the police and health",
                "Police – DI Smith; Health – Named Nurse",
                "Q2 2025/26",
                "A",
                "Data sharing agreement awaiting sign-off",
            ],
            ["", "", "", "", "", ""],
            ["2", _OOCD, "", "", "", ""],
            [
                "i.",
                "Invite victims' services to every panel",
                "Victim Liaison Officer",
                "Sept-Dec 2025",
                "R",
                "Post vacant",
            ],
            [
                "ii.",
                "Review ten panel decisions a quarter",
                "Head of Youth Justice / Police – Sgt Patel",
                "Quarterly",
                "G",
                "",
            ],
        ],
    )
    repeat_header(first)
    span_row(first, 1, "FFF2CC", bold=True)
    d.add_page_break()
    second = add_table(
        d,
        [
            header,
            ["", "", "", "", "", "First review found consistent decisions"],
            [_ETE, "", "", "", "", ""],
            [
                "3.1",
                "Place an education worker in the youth justice team",
                "Education – Virtual School Head",
                "Spring term 2026",
                "A",
                "Funding agreed; recruitment under way",
            ],
            [
                "3.2",
                "Track every child's education hours",
                "Youth Justice Education Officer",
                "ongoing – reviewed monthly",
                "G",
                "",
            ],
            ["* denotes an action carried forward from the 2024–25 plan", "", "", "", "", ""],
            ["Total: 6 actions – 3 green, 2 amber, 1 red", "", "", "", "", ""],
        ],
    )
    repeat_header(second)
    for r, fill in ((2, "FFF2CC"), (5, None), (6, None)):
        span_row(second, r, fill, bold=fill is not None)
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 6. ICB: title block, grouped header, totals

_ND = "Workstream 1: Neurodevelopmental pathway"
_SLT = "Workstream 2: Speech and language therapy"


@layout(
    "icb-title-block-xlsx",
    [
        (
            "1.1",
            "Cut the wait for an autism assessment to 52 weeks",
            ["Dr Helen Marsh"],
            "2026-03-31",
            "once",
            "Red",
            "Longest wait 71 weeks",
            _ND,
        ),
        (
            "1.2",
            "Publish waiting list information on the Local Offer",
            ["James Ward"],
            "2025-11-30",
            "once",
            "Blue",
            "Published in October",
            _ND,
        ),
        (
            "2.1",
            "Commission extra speech and language therapy for early years settings",
            ["Ruth Adeyemi"],
            None,
            "unknown",
            None,
            None,
            _SLT,
        ),
        (
            "2.2",
            "Train 200 teaching assistants in language support",
            ["Designated Clinical Officer", "SENCO Network Chair"],
            "2026-07-31",
            "once",
            "Amber",
            "Trainer recruited",
            _SLT,
        ),
    ],
)
def icb_title_block_xlsx(path: Path) -> Path:
    """An integrated care board's SEND plan: a title block of five rows (the first merged across), a
    grouped header row with merged cells over the real one, frozen panes, workstream rows merged across
    and filled, real Excel dates and "TBC", % complete as a percentage, "Progress this quarter" and
    "Previous update", blank rows between workstreams, a "Note:" row and a totals row at the bottom."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "SEND plan"
    for line in (
        "Southvale Integrated Care Board",
        "SEND Joint Commissioning Improvement Plan",
        "Owner: Director of Nursing",
        "Updated: 15 October 2025",
    ):
        ws.append([line])
    ws.merge_cells("A1:H1")
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append([None, None, "Delivery", None, "Assurance", None, None, None])
    ws.merge_cells("C6:D6")
    ws.merge_cells("E6:H6")
    ws.append(
        [
            "Ref",
            "Action",
            "Lead",
            "Due",
            "Status",
            "% complete",
            "Progress this quarter",
            "Previous update",
        ]
    )
    ws.freeze_panes = "A8"
    fill = PatternFill("solid", fgColor="DDEBF7")

    def section(title: str) -> None:
        ws.append([title])
        ws.merge_cells(f"A{ws.max_row}:H{ws.max_row}")
        ws.cell(ws.max_row, 1).fill = fill
        ws.cell(ws.max_row, 1).font = Font(bold=True)

    def action(row: list) -> None:
        ws.append(row)
        ws.cell(ws.max_row, 4).number_format = "dd/mm/yyyy"
        ws.cell(ws.max_row, 6).number_format = "0%"

    section(_ND)
    action(
        [
            "1.1",
            "Cut the wait for an autism assessment to 52 weeks",
            "Dr Helen Marsh (Clinical Lead, Neurodevelopmental Pathway)",
            dt.datetime(2026, 3, 31),
            "Off track",
            0.3,
            "Longest wait 71 weeks",
            "Longest wait 78 weeks",
        ]
    )
    action(
        [
            "1.2",
            "Publish waiting list information on the Local Offer",
            "Head of Communications – James Ward",
            dt.datetime(2025, 11, 30),
            "Complete",
            1,
            "Published in October",
            None,
        ]
    )
    ws.append([])
    section(_SLT)
    action(
        [
            "2.1",
            "Commission extra speech and language therapy for early years settings",
            "Senior Commissioner (Children) – Ruth Adeyemi",
            "TBC",
            "Not started",
            None,
            None,
            None,
        ]
    )
    action(
        [
            "2.2",
            "Train 200 teaching assistants in language support",
            "Designated Clinical Officer / SENCO Network Chair",
            dt.datetime(2026, 7, 31),
            "At risk",
            0.15,
            None,
            "Trainer recruited",
        ]
    )
    ws.append([])
    ws.append(["Note: due dates revised at the April board"])
    ws.append(["Total: 4 actions – 0 on track, 1 at risk, 1 off track, 1 complete"])
    wb.save(path)
    return path


# ---------------------------------------------------------------- 7. focused visit: vMerge across a page break

_DIS = "Timeliness of assessments for disabled children"
_CIN = "Quality of plans for children in need"


@layout(
    "focused-visit-docx",
    [
        (
            "1",
            "Set a 35-working-day standard for assessments of disabled children",
            ["Joanne Pike"],
            "2025-10-31",
            "once",
            "Green",
            "Standard in force; 78% on time",
            _DIS,
        ),
        (
            "2",
            "Report timeliness to the leadership team",
            ["Raj Patel"],
            None,
            "recurring",
            "Green",
            "First report in September",
            _DIS,
        ),
        (
            "3",
            "Add two social workers to the disabled children's team",
            ["Joanne Pike"],
            "2026-03-31",
            "once",
            "Amber",
            "Business case approved",
            _DIS,
        ),
        (
            "4",
            "Audit every child in need plan over six months old",
            ["Leanne Cole"],
            "2025-12-31",
            "once",
            "Red",
            None,
            _CIN,
        ),
        (
            "5",
            "Relaunch the child in need plan template with practitioners",
            ["Dan Hughes"],
            "2025-11-03",
            "once",
            "Amber",
            "Template tested with two teams",
            _CIN,
        ),
    ],
)
def focused_visit_docx(path: Path) -> Path:
    """A plan after an Ofsted focused visit: the area for development merged down over its actions, the
    table broken at a page with the header repeated and the area's cell empty at the top of the second
    table (the same area), leads as "Job title – Name", "Previous update" before "Progress this quarter",
    RAG as colour words."""
    d = docx.Document()
    _landscape(d)
    d.add_paragraph("Westmere Borough Council")
    d.add_heading("Focused visit action plan: children with disabilities and children in need", 0)
    d.add_paragraph("Position at 30 September 2025")
    header = [
        "Area for development",
        "Ref",
        "Action",
        "Owner",
        "Timescale",
        "Previous update",
        "Progress this quarter",
        "RAG",
    ]
    pike = "Head of Disabled Children's Service – Joanne Pike"
    first = add_table(
        d,
        [
            header,
            [
                _DIS,
                "1",
                "Set a 35-working-day standard for assessments of disabled children",
                pike,
                "31/10/25",
                "Standard agreed",
                "Standard in force; 78% on time",
                "Green",
            ],
            [
                "",
                "2",
                "Report timeliness to the leadership team",
                "Business Intelligence Manager – Raj Patel",
                "Monthly",
                "",
                "First report in September",
                "Green",
            ],
        ],
    )
    first.cell(1, 0).merge(first.cell(2, 0))
    repeat_header(first)
    d.add_page_break()
    second = add_table(
        d,
        [
            header,
            [
                "",
                "3",
                "Add two social workers to the disabled children's team",
                pike,
                "By end of March",
                "Business case approved",
                "",
                "Amber",
            ],
            [
                _CIN,
                "4",
                "Audit every child in need plan over six months old",
                "Head of Quality Assurance – Leanne Cole",
                "Sept-Dec 2025",
                "",
                "",
                "Red",
            ],
            [
                "",
                "5",
                "Relaunch the child in need plan template with practitioners",
                "Principal Social Worker – Dan Hughes",
                "w/c 3 November",
                "Template drafted",
                "Template tested with two teams",
                "Amber",
            ],
        ],
    )
    second.cell(2, 0).merge(second.cell(3, 0))
    repeat_header(second)
    d.save(str(path))
    return path


# ---------------------------------------------------------------- 8. a Word template: content controls, tracked changes

_QA, _PART = "Priority 1: Quality assurance", "Priority 2: Partnerships"


@layout(
    "content-controls-docx",
    [
        (
            "1.1",
            "Publish a quality assurance framework",
            ["Kate Lund"],
            "2026-01-31",
            "once",
            "Green",
            "Framework drafted",
            _QA,
        ),
        (
            "1.2",
            "Run a practice week each term",
            ["Kate Lund", "Ben Ito"],
            None,
            "recurring",
            "Amber",
            "First practice week held in October",
            _QA,
        ),
        (
            "1.3",
            "Recruit an independent chair for the improvement board",
            ["Director of Children's Services"],
            "2025-12-31",
            "once",
            None,
            None,
            _QA,
        ),
        (
            "2.1",
            "Agree a partnership protocol for escalation",
            ["Ben Ito"],
            "2026-02-28",
            "once",
            "Red",
            "Partners have not yet responded",
            _PART,
        ),
    ],
)
def content_controls_docx(path: Path) -> Path:
    """A plan kept in a Word template: the RAG chosen from a drop-down content control (one still showing
    "Choose an item."), target dates from a date-picker control around the cell's paragraph, a lead as an
    email link, two leads on one line broken with Shift+Enter, and changes tracked: deleted text is still
    in the file, inserted text sits inside w:ins."""
    d = docx.Document()
    d.add_paragraph("Castlebridge Council")
    d.add_heading("Children's Services Improvement Plan", 0)
    d.add_paragraph("Version 2 – 20 October 2025")
    header = ["Ref", "Action", "Responsible officer", "Target date", "RAG status", "Progress"]
    d.add_heading(_QA, 2)
    t1 = add_table(
        d,
        [
            header,
            ["1.1", "Publish a quality assurance framework", "", "", "", "Framework drafted"],
            ["1.2", "Run a practice week each term", "", "Termly", "", ""],
            [
                "1.3",
                "Recruit an independent chair for the ",
                "Director of Children's Services",
                "December 2025",
                "",
                "",
            ],
        ],
    )
    _hyperlink(d, t1.cell(1, 2), "Kate Lund", "mailto:kate.lund@castlebridge.gov.uk")
    _date_control(t1.cell(1, 3), "31/01/2026", "2026-01-31")
    _dropdown(t1.cell(1, 4), "Green")
    _line_break(t1.cell(2, 2), "Kate Lund", "Ben Ito")
    _dropdown(t1.cell(2, 4), "Amber")
    _tracked(
        t1.cell(2, 5).paragraphs[0], deleted="Not yet planned", inserted="First practice week held in October"
    )
    _tracked(t1.cell(3, 1).paragraphs[0], deleted="safeguarding", inserted="improvement board")
    _dropdown(t1.cell(3, 4), None)
    d.add_heading(_PART, 2)
    t2 = add_table(
        d,
        [
            header,
            [
                "2.1",
                "Agree a partnership protocol for escalation",
                "Ben Ito",
                "",
                "",
                "Partners have not yet responded",
            ],
        ],
    )
    _date_control(t2.cell(1, 3), "28/02/2026", "2026-02-28")
    _dropdown(t2.cell(1, 4), "Red")
    d.save(str(path))
    return path


def _dropdown(cell, value: str | None) -> None:
    """A run-level drop-down content control in the cell's paragraph; None leaves the placeholder."""
    sdt = _el("w:sdt")
    pr = _el("w:sdtPr")
    pr.append(_el("w:alias", val="RAG"))
    if value is None:
        pr.append(_el("w:showingPlcHdr"))
    choices = _el("w:dropDownList")
    for word in ("Red", "Amber", "Green", "Blue"):
        choices.append(_el("w:listItem", displayText=word, value=word))
    pr.append(choices)
    sdt.append(pr)
    content = _el("w:sdtContent")
    content.append(_run(value or "Choose an item."))
    sdt.append(content)
    cell.paragraphs[0]._p.append(sdt)


def _date_control(cell, shown: str, iso: str) -> None:
    """A block-level date-picker content control wrapping the cell's only paragraph."""
    para = cell.paragraphs[0]._p
    sdt = _el("w:sdt")
    pr = _el("w:sdtPr")
    date = _el("w:date", fullDate=f"{iso}T00:00:00Z")
    date.append(_el("w:dateFormat", val="dd/MM/yyyy"))
    pr.append(date)
    sdt.append(pr)
    content = _el("w:sdtContent")
    para.addprevious(sdt)
    content.append(para)
    para.append(_run(shown))
    sdt.append(content)


def _hyperlink(d, cell, text: str, url: str) -> None:
    r_id = d.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    link.append(_run(text))
    cell.paragraphs[0]._p.append(link)


def _line_break(cell, first: str, second: str) -> None:
    run = cell.paragraphs[0].add_run(first)
    run.add_break()
    run.add_text(second)


def _tracked(para, *, deleted: str, inserted: str) -> None:
    gone = _el("w:del", id="901", author="Policy Officer", date="2025-10-20T09:00:00Z")
    gone.append(_run(deleted, deleted=True))
    para._p.append(gone)
    added = _el("w:ins", id="902", author="Policy Officer", date="2025-10-20T09:00:00Z")
    added.append(_run(inserted))
    para._p.append(added)


# ---------------------------------------------------------------- 9. housing: "Mar-26" dates, Alt+Enter, merged recs

_DAMP = "Damp and mould: a proactive approach"
_COMP = "Complaint handling"
_VOICE = "Tenant voice"


@layout(
    "housing-mmm-yy-xlsx",
    [
        (
            "1",
            "Survey every property with a damp report in the last two years",
            ["Alison Grant"],
            "2026-03-31",
            "once",
            "Green",
            "1,240 of 2,000 surveyed",
            _DAMP,
        ),
        (
            "2",
            "Call back every tenant within 2 days of a damp report",
            ["Alison Grant"],
            "2025-05-08",
            "once",
            "Blue",
            "Call-back standard live since May",
            _DAMP,
        ),
        (
            "3",
            "Respond to stage 1 complaints within 10 working days",
            ["Neil Foster"],
            "2025-09-30",
            "once",
            "Red",
            "62% in time (target 95%)\nExtra staff start in November",
            _COMP,
        ),
        (
            "4",
            "Publish the annual complaints self-assessment",
            ["Neil Foster"],
            "2025-06-30",
            "once",
            "Blue",
            "Published 27 June",
            _COMP,
        ),
        (
            "5",
            "Set up a tenant scrutiny panel",
            ["Director of Housing"],
            "2025-11-30",
            "once",
            None,
            None,
            _VOICE,
        ),
    ],
)
def housing_mmm_yy_xlsx(path: Path) -> Path:
    """A housing improvement plan after a regulator's judgement: the recommendation merged down over its
    actions, action numbers typed as numbers, target dates as real dates shown "Mar-26" (a month, not a
    day), an update written on two lines with Alt+Enter, Status words, leads "Name (Job title)" and
    "Job title – Name"."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "Action Plan"
    ws.append(["Hollins Homes – Regulatory Improvement Plan"])
    ws.append(["Agreed by the Housing Committee on 8 May 2025"])
    ws.append(["Action no.", "Recommendation", "Action", "Owner", "Target", "Status", "Update"])
    grant, foster = "Alison Grant (Head of Repairs)", "Complaints Manager – Neil Foster"
    rows = [
        [1, _DAMP, "Survey every property with a damp report in the last two years", grant,
         dt.datetime(2026, 3, 1), "On track", "1,240 of 2,000 surveyed"],
        [2, None, "Call back every tenant within 2 days of a damp report", grant, "Immediate", "Complete",
         "Call-back standard live since May"],
        [3, _COMP, "Respond to stage 1 complaints within 10 working days", foster, dt.datetime(2025, 9, 1),
         "Off track", "62% in time (target 95%)\nExtra staff start in November"],
        [4, None, "Publish the annual complaints self-assessment", foster, dt.datetime(2025, 6, 30), "Complete",
         "Published 27 June"],
        [5, _VOICE, "Set up a tenant scrutiny panel", "Director of Housing", "Autumn 2025", "Not started", None],
    ]  # fmt: skip
    for row in rows:
        ws.append(row)
        target = ws.cell(ws.max_row, 5)
        target.number_format = "dd/mm/yyyy" if row[0] == 4 else "mmm-yy"
        ws.cell(ws.max_row, 7).alignment = Alignment(wrap_text=True)
    ws.merge_cells("B4:B5")
    ws.merge_cells("B6:B7")
    wb.save(path)
    return path


# ---------------------------------------------------------------- 10. a RAG and an update per quarter

_SV = "Serious violence duty"


@layout(
    "quarterly-rag-xlsx",
    [
        (
            "SV1",
            "Publish the serious violence strategic needs assessment",
            ["Community Safety Manager"],
            "2026-01-31",
            "once",
            "Green",
            "Draft shared with partners",
            None,
        ),
        (
            "SV2",
            "Set up a multi-agency violence reduction panel",
            ["Police – DI Smith", "Health – Named Nurse"],
            "2025-09-30",
            "once",
            "Blue",
            "Panel met in July and September",
            None,
        ),
        (
            "SV3",
            "Place youth workers in the emergency department at weekends",
            ["Health – Named Nurse"],
            "2026-05-31",
            "once",
            "Amber",
            "Funding bid submitted",
            None,
        ),
        (
            "SV4",
            "Deliver knife crime awareness sessions in every secondary school",
            ["Education – Inclusion Lead", "Police – Schools Officer"],
            None,
            "recurring",
            "Green",
            "14 of 18 schools visited",
            None,
        ),
    ],
)
def quarterly_rag_xlsx(path: Path) -> Path:
    """A community safety partnership's delivery plan: a RAG and an update column for each quarter, the
    later quarters not yet filled in; multi-agency leads "Police – DI Smith; Health – Named Nurse"; RAG as
    letters."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Delivery plan"
    ws.append(["Safer Lakeside Partnership – Serious Violence Duty delivery plan 2025/26"])
    ws.append(["Agreed by the partnership board on 2 April 2025"])
    ws.append(
        [
            "Ref",
            "Action",
            "Lead",
            "Deadline",
            "Q1 RAG",
            "Q1 update",
            "Q2 RAG",
            "Q2 update",
            "Q3 RAG",
            "Q3 update",
            "Q4 RAG",
            "Q4 update",
        ]
    )
    rows = [
        ["SV1", "Publish the serious violence strategic needs assessment", "Community Safety Manager",
         "31/01/26", "A", "Data requests sent", "G", "Draft shared with partners"],
        ["SV2", "Set up a multi-agency violence reduction panel", "Police – DI Smith; Health – Named Nurse",
         "Q2 2025/26", "G", "Terms of reference agreed", "B", "Panel met in July and September"],
        ["SV3", "Place youth workers in the emergency department at weekends", "Health – Named Nurse",
         "Spring 2026", "R", "Funding bid submitted", "A", None],
        ["SV4", "Deliver knife crime awareness sessions in every secondary school",
         "Education – Inclusion Lead / Police – Schools Officer", "Termly", "G", "Six schools visited", "G",
         "14 of 18 schools visited"],
    ]  # fmt: skip
    for row in rows:
        ws.append(row + [None] * 4)
    wb.save(path)
    return path


# ---------------------------------------------------------------- 11. Word numbering in the table's first column

_RHI = "Improve the quality of return home interviews"
_MISS = "Strengthen the response to children missing from care"


@layout(
    "numbered-cells-docx",
    [
        (
            "1.1",
            "Offer every child a return home interview within 72 hours",
            ["Missing Children Coordinator"],
            "2025-12-31",
            "once",
            "Amber",
            "68% offered within 72 hours",
            _RHI,
        ),
        (
            "1.2",
            "Share what children say in interviews with their social worker",
            ["Missing Children Coordinator", "Team Manager, Exploitation"],
            "2025-10-31",
            "once",
            "Green",
            "Template updated",
            _RHI,
        ),
        (
            "2.1",
            "Hold a strategy meeting after a child's third missing episode",
            ["Head of Children in Care"],
            None,
            "ongoing",
            "Green",
            None,
            _MISS,
        ),
        (
            "2.2",
            "Agree a missing protocol with the police and residential providers",
            ["Head of Children in Care"],
            "2026-01-31",
            "once",
            "Red",
            "Providers not yet engaged",
            _MISS,
        ),
    ],
)
def numbered_cells_docx(path: Path) -> Path:
    """A Word table whose first column is numbered by Word, not typed: each recommendation row's cell is
    level 1 of a list ("1."), each action row's level 2 ("1.1"), so the cells hold no text of their own."""
    d = docx.Document()
    d.add_paragraph("Greyhaven Council")
    d.add_heading("Missing children: action plan following the JTAI", 0)
    d.add_paragraph("Plan date: 14 July 2025")
    num = _multilevel_list(d)
    rows = [
        ["No.", "Action", "Lead", "By when", "RAG", "Progress"],
        ["", _RHI, "", "", "", ""],
        ["", "Offer every child a return home interview within 72 hours", "Missing Children Coordinator",
         "December 2025", "Amber", "68% offered within 72 hours"],
        ["", "Share what children say in interviews with their social worker",
         "Missing Children Coordinator and Team Manager, Exploitation", "October 2025", "Green", "Template updated"],
        ["", _MISS, "", "", "", ""],
        ["", "Hold a strategy meeting after a child's third missing episode", "Head of Children in Care", "Ongoing",
         "Green", ""],
        ["", "Agree a missing protocol with the police and residential providers", "Head of Children in Care",
         "January 2026", "Red", "Providers not yet engaged"],
    ]  # fmt: skip
    table = add_table(d, rows)
    for r, level in ((1, 0), (2, 1), (3, 1), (4, 0), (5, 1), (6, 1)):
        _list_para(table.cell(r, 0).paragraphs[0], num, level)
        if level == 0:
            write_bold(table.cell(r, 1))
    d.save(str(path))
    return path


def write_bold(cell) -> None:
    for run in cell.paragraphs[0].runs:
        run.bold = True


assert write  # the builders share plan_builders' helpers
