"""More plans, written after the importer was built and measured on them before any fix (see the
README's accuracy table): each is a layout a council could plausibly send that no other test plan uses.
They register in the same ``EXPECTED``/``BUILDERS`` tables as ``layout_plans``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx

from tests.support.layout_plans import layout
from tests.support.plan_builders import add_table

_MGMT = "1. Management oversight of children in need plans"
_VOICE = "2. The voice of the child in assessments"


@layout(
    "area-vmerge-docx",
    [
        (
            "1.1",
            "Introduce monthly case audits by team managers",
            ["Head of Children in Need"],
            "2024-06-30",
            "once",
            "Green",
            "Audits running since April",
            _MGMT,
        ),
        (
            "1.2",
            "Review supervision templates",
            ["Principal Social Worker"],
            "2024-05-31",
            "once",
            "Amber",
            "Draft template out for comment",
            _MGMT,
        ),
        (
            "2.1",
            "Train staff in direct work tools",
            ["Workforce Development Manager"],
            "2024-09-30",
            "once",
            "Red",
            "Training provider not yet found",
            _VOICE,
        ),
        (
            "2.2",
            "Add the child's words to every assessment summary",
            ["Head of Children in Need"],
            "2024-07-31",
            "once",
            "Amber",
            None,
            _VOICE,
        ),
    ],
)
def area_vmerge_docx(path: Path) -> Path:
    """Word: "Area for improvement" merged down over its actions, no refs, RAG as single letters, "Progress
    to date" and "Evidence of impact" columns, a date in the title line."""
    d = docx.Document()
    d.add_paragraph("Marlow Vale District Council – ILACS Action Plan (updated 8 April 2024)")
    t = add_table(
        d,
        [
            [
                "Area for improvement",
                "Action",
                "Responsible Officer(s)",
                "Target Date",
                "Evidence of impact",
                "Progress to date",
                "RAG",
            ],
            [
                _MGMT,
                "Introduce monthly case audits by team managers",
                "Head of Children in Need",
                "30/06/2024",
                "Audit scores",
                "Audits running since April",
                "G",
            ],
            [
                "",
                "Review supervision templates",
                "Principal Social Worker",
                "May 2024",
                "",
                "Draft template out for comment",
                "A",
            ],
            [
                _VOICE,
                "Train staff in direct work tools",
                "Workforce Development Manager",
                "September 2024",
                "Feedback from children",
                "Training provider not yet found",
                "R",
            ],
            [
                "",
                "Add the child's words to every assessment summary",
                "Head of Children in Need",
                "July 2024",
                "",
                "",
                "A",
            ],
        ],
    )
    t.cell(1, 0).merge(t.cell(2, 0))
    t.cell(3, 0).merge(t.cell(4, 0))
    d.save(str(path))
    return path


@layout(
    "quarterly-updates-xlsx",
    [
        (
            "P1.1",
            "Publish a sufficiency strategy",
            ["Head of Commissioning"],
            "2025-06-30",
            "once",
            "Amber",
            "Consultation closed; final draft due in May",
            "Priority 1: Placements",
        ),
        (
            "P1.2",
            "Open two children's homes",
            ["Head of Commissioning"],
            "2026-03-31",
            "once",
            "Red",
            "Planning permission refused for the first site",
            "Priority 1: Placements",
        ),
        (
            "P2.1",
            "Launch the mockingbird model",
            ["Head of Fostering"],
            "2025-09-30",
            "once",
            "Green",
            "First hub live",
            "Priority 2: Fostering",
        ),
    ],
)
def quarterly_updates_xlsx(path: Path) -> Path:
    """Excel: a Priority column written only on each priority's first row (not merged), a "Start date"
    before the "End date", quarterly update columns ("Q1 update", "Q2 update") and "Status (BRAG)"."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "Priority",
            "Ref",
            "Key Action",
            "Lead",
            "Start date",
            "End date",
            "Q1 update",
            "Q2 update",
            "Status (BRAG)",
        ]
    )
    ws.append(
        [
            "Priority 1: Placements",
            "P1.1",
            "Publish a sufficiency strategy",
            "Head of Commissioning",
            dt.datetime(2025, 1, 6),
            dt.datetime(2025, 6, 30),
            "Draft written",
            "Consultation closed; final draft due in May",
            "Amber",
        ]
    )
    ws.append(
        [
            None,
            "P1.2",
            "Open two children's homes",
            "Head of Commissioning",
            dt.datetime(2025, 4, 1),
            dt.datetime(2026, 3, 31),
            "Sites identified",
            "Planning permission refused for the first site",
            "Red",
        ]
    )
    ws.append(
        [
            "Priority 2: Fostering",
            "P2.1",
            "Launch the mockingbird model",
            "Head of Fostering",
            dt.datetime(2025, 2, 1),
            dt.datetime(2025, 9, 30),
            "First hub live",
            None,
            "Green",
        ]
    )
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=6):
        for cell in row:
            cell.number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


@layout(
    "sharepoint-list-csv",
    [
        (
            "14",
            "Update the missing from home protocol",
            ["Sam Okafor"],
            "2025-02-28",
            "once",
            None,
            "Draft with police for comment",
            None,
        ),
        (
            "15",
            "Run a multi-agency audit of exploitation cases",
            ["Ruth Lee"],
            "2025-03-31",
            "once",
            None,
            None,
            None,
        ),
        (
            "16",
            "Publish the annual report of the LADO",
            ["Sam Okafor"],
            "2025-01-31",
            "once",
            "Blue",
            "Published",
            None,
        ),
    ],
)
def sharepoint_list_csv(path: Path) -> Path:
    """CSV exported from a task list: ID, Title, Assigned To, Due Date (ISO), Status as task states
    (Not started / In progress / Completed), Comments."""
    path.write_text(
        "ID,Title,Assigned To,Due Date,Status,Comments\n"
        "14,Update the missing from home protocol,Sam Okafor,2025-02-28,In progress,Draft with police for comment\n"
        "15,Run a multi-agency audit of exploitation cases,Ruth Lee,2025-03-31,Not started,\n"
        "16,Publish the annual report of the LADO,Sam Okafor,2025-01-31,Completed,Published\n",
        encoding="utf-8",
    )
    return path


@layout(
    "two-row-header-docx",
    [
        (
            "1",
            "Agree a quality assurance framework",
            ["Head of Quality Assurance"],
            "2024-10-31",
            "once",
            "Green",
            "Agreed at the October board",
            None,
        ),
        (
            "2",
            "Audit twenty plans a month",
            ["Head of Quality Assurance"],
            None,
            "recurring",
            "Amber",
            "Twelve a month so far",
            None,
        ),
        (
            "3",
            "Report audit findings to scrutiny",
            ["Director of Children's Services"],
            None,
            "recurring",
            "Green",
            "First report in November",
            None,
        ),
    ],
)
def two_row_header_docx(path: Path) -> Path:
    """Word: a two-row header ("Action details" and "Progress" spanning the columns below them), "R/A/G"."""
    d = docx.Document()
    d.add_paragraph("Fenwick Council Quality Assurance Plan, September 2024")
    t = add_table(
        d,
        [
            ["Action details", "", "", "", "Progress", ""],
            ["No.", "Action", "Lead", "Deadline", "Update", "R/A/G"],
            [
                "1",
                "Agree a quality assurance framework",
                "Head of Quality Assurance",
                "October 2024",
                "Agreed at the October board",
                "Green",
            ],
            [
                "2",
                "Audit twenty plans a month",
                "Head of Quality Assurance",
                "Monthly",
                "Twelve a month so far",
                "Amber",
            ],
            [
                "3",
                "Report audit findings to scrutiny",
                "Director of Children's Services",
                "Quarterly",
                "First report in November",
                "Green",
            ],
        ],
    )
    t.cell(0, 0).merge(t.cell(0, 3))
    t.cell(0, 4).merge(t.cell(0, 5))
    d.save(str(path))
    return path


_AREA1 = "Area for improvement 1: The quality of plans for children in need"
_AREA2 = "Area for improvement 2: Placement stability"


@layout(
    "bold-list-plan-docx",
    [
        (
            "1.1",
            "Introduce SMART planning training for all social workers",
            ["Principal Social Worker"],
            "2025-09-30",
            "once",
            None,
            None,
            _AREA1,
        ),
        (
            "1.2",
            "Audit plans monthly and feed findings back to teams",
            ["Head of Quality Assurance"],
            None,
            "recurring",
            None,
            None,
            _AREA1,
        ),
        (
            "2.1",
            "Set up a placement stability panel",
            ["Head of Children in Care"],
            "2025-12-31",
            "once",
            None,
            None,
            _AREA2,
        ),
    ],
)
def bold_list_plan_docx(path: Path) -> Path:
    """A plan written as paragraphs with no heading styles: bold "Area for improvement N:" lines, a bold
    "Actions:" line, typed refs "1.1", and "Lead officer: …; Timescale: …" on the line under each action."""
    d = docx.Document()
    d.add_paragraph("Halstead County Council")
    d.add_paragraph("Children's Services Improvement Plan – approved by Cabinet on 4 June 2025")
    d.add_paragraph("This plan responds to the two areas for improvement in the inspection report.")
    for area, actions in (
        (
            _AREA1,
            [
                (
                    "1.1 Introduce SMART planning training for all social workers.",
                    "Lead officer: Principal Social Worker; Timescale: September 2025",
                ),
                (
                    "1.2 Audit plans monthly and feed findings back to teams.",
                    "Lead officer: Head of Quality Assurance; Timescale: Monthly",
                ),
            ],
        ),
        (
            _AREA2,
            [
                (
                    "2.1 Set up a placement stability panel.",
                    "Lead officer: Head of Children in Care; Timescale: December 2025",
                )
            ],
        ),
    ):
        d.add_paragraph().add_run(area).bold = True
        d.add_paragraph("We want every child to have a plan that says what will change and by when.")
        d.add_paragraph().add_run("Actions:").bold = True
        for action, detail in actions:
            d.add_paragraph(action)
            d.add_paragraph(detail)
    d.save(str(path))
    return path


@layout(
    "semicolon-progress-rag-csv",
    [
        (
            "A1",
            "Sign off the new early help strategy",
            ["Head of Early Help"],
            "2025-04-30",
            "once",
            "Green",
            "Policy signed off at the April board",
            None,
        ),
        (
            "A2",
            "Recruit three family support workers",
            ["Head of Early Help"],
            "2025-06-30",
            "once",
            "Amber",
            "Two in post; third advert out",
            None,
        ),
        (
            "A3",
            "Publish the early help dashboard",
            ["Performance Manager"],
            "2025-05-31",
            "once",
            "Red",
            "Data feed from schools still missing",
            None,
        ),
    ],
)
def semicolon_progress_rag_csv(path: Path) -> Path:
    """CSV with ";" between fields and one "Progress/RAG" column: "Green: policy signed off …"."""
    path.write_text(
        "Ref;Action;Lead officer;Deadline;Progress/RAG\n"
        "A1;Sign off the new early help strategy;Head of Early Help;April 2025;Green: Policy signed off at the April board\n"
        'A2;Recruit three family support workers;Head of Early Help;June 2025;"Amber - Two in post; third advert out"\n'
        "A3;Publish the early help dashboard;Performance Manager;May 2025;Data feed from schools still missing (RAG: Red)\n",
        encoding="utf-8",
    )
    return path


# ---------------------------------------------------------------- a second round, found by probing


_OVERSIGHT = "Improve management oversight of plans"
_TIMELINESS = "Improve the timeliness of assessments"


@layout(
    "lettered-sub-actions-xlsx",
    [
        (
            "1a",
            "Introduce monthly audits",
            ["Head of Quality Assurance"],
            "2025-05-31",
            "once",
            "Amber",
            "Started",
            _OVERSIGHT,
        ),
        (
            "1b",
            "Review the supervision policy",
            ["Principal Social Worker"],
            "2025-06-30",
            "once",
            "Green",
            None,
            _OVERSIGHT,
        ),
        (
            "2a",
            "Recruit two social workers",
            ["Head of Service"],
            "2025-07-31",
            "once",
            "Red",
            "Advert out",
            _TIMELINESS,
        ),
    ],
)
def lettered_sub_actions_xlsx(path: Path) -> Path:
    """Excel: each recommendation is a numbered row with only its text; its actions are lettered a, b under it."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ashby Council improvement plan, April 2025"])
    ws.append(["No.", "Recommendation / Action", "Lead", "Timescale", "Progress", "RAG"])
    ws.append(["1", _OVERSIGHT])
    ws.append(["a", "Introduce monthly audits", "Head of Quality Assurance", "May 2025", "Started", "Amber"])
    ws.append(["b", "Review the supervision policy", "Principal Social Worker", "June 2025", None, "Green"])
    ws.append(["2", _TIMELINESS])
    ws.append(["a", "Recruit two social workers", "Head of Service", "July 2025", "Advert out", "Red"])
    wb.save(path)
    return path


@layout(
    "capital-sections-csv",
    [
        (
            "1.1",
            "Audit the plans of children in need",
            ["Head of Quality Assurance"],
            "2025-05-31",
            "once",
            "Green",
            None,
            "LEADERSHIP",
        ),
        (
            "1.2",
            "Report audit findings to the board",
            ["Head of Quality Assurance"],
            None,
            "recurring",
            "Green",
            None,
            "LEADERSHIP",
        ),
        (
            "2.1",
            "Train staff in direct work",
            ["Principal Social Worker"],
            "2025-06-30",
            "once",
            "Amber",
            None,
            "Early Help and Front Door",
        ),
    ],
)
def capital_sections_csv(path: Path) -> Path:
    """CSV: section names alone in the Action column (one in capitals, one in title case) and blank lines."""
    path.write_text(
        "Ref,Action,Lead,Timescale,RAG\n"
        ",LEADERSHIP,,,\n"
        "1.1,Audit the plans of children in need,Head of Quality Assurance,May 2025,Green\n"
        "1.2,Report audit findings to the board,Head of Quality Assurance,Quarterly,Green\n"
        "\n"
        ",Early Help and Front Door,,,\n"
        "2.1,Train staff in direct work,Principal Social Worker,June 2025,Amber\n",
        encoding="utf-8",
    )
    return path


@layout(
    "spanned-action-header-docx",
    [
        ("1.1", "Audit the plans", ["Head of Quality Assurance"], "2025-05-31", "once", "Green", None, None),
        ("1.2", "Train the staff", ["Principal Social Worker"], "2025-06-30", "once", "Amber", None, None),
    ],
)
def spanned_action_header_docx(path: Path) -> Path:
    """Word: the "Action" header cell spans the number column and the text column."""
    d = docx.Document()
    d.add_paragraph("Brook Council Improvement Plan, May 2025")
    t = add_table(
        d,
        [
            ["Action", "", "Lead", "Timescale", "RAG"],
            ["1.1", "Audit the plans", "Head of Quality Assurance", "May 2025", "Green"],
            ["1.2", "Train the staff", "Principal Social Worker", "June 2025", "Amber"],
        ],
    )
    t.cell(0, 0).merge(t.cell(0, 1))
    d.save(str(path))
    return path
