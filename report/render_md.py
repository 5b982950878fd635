"""The report in Markdown, for email or chat: the same content as the Word paper, as lists."""

from __future__ import annotations

from report.data import ReportData
from report.headline import human_date
from report.summaries import by_section, overall
from report.text import _item_md, _md, render_markdown


def render_md(data: ReportData) -> str:
    out = []
    if data.organisation:
        out.append(f"**{_md(data.organisation)}**\n")
    out.append(f"# {_md(data.title)}\n")
    out.append(f"Progress report as at {human_date(data.as_of_date)}\n")
    out.append(f"{_md(data.introduction)}\n")

    out.append("## Key to RAG status\n")
    out += [f"- **{_md(k.label)}**: {_md(k.meaning or k.label)}" for k in data.rag_key]
    out.append("")

    out.append("## Document history\n")
    if data.history:
        out.append("| Date issued | Version No. | Summary of changes | Author |")
        out.append("|---|---|---|---|")
        for row in data.history:
            summary = _md(row.summary).replace("\n", " ")
            out.append(f"| {human_date(row.date)} | {_md(row.version)} | {summary} | {_md(row.author)} |")
    else:
        out.append("No version of this report has been published yet.")
    out.append("")

    out.append("## Headline summary\n")
    out.append(render_markdown(overall(data)).split("\n", 2)[2])

    out.append("## Exceptions\n")
    for _kind, title, items in data.exception_groups():
        out.append(f"### {_md(title)} ({len(items)})\n")
        if not items:
            out.append("None.\n")
            continue
        for e in items:
            leads = ", ".join(e.leads) or "no lead"
            out.append(
                f"- **{_md(e.ref)}** [{_md(e.rag or 'not rated')}] {_md(e.title)} · {_md(leads)}: "
                f"{_md(e.detail)}"
            )
        out.append("")

    out.append("## Progress against the action plan\n")
    if not data.actions:
        out.append("The plan has no actions yet.\n")
    for group in by_section(data).groups:
        out.append(f"### {_md(group.name)}\n")
        out += [_item_md(item) for item in group.actions]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
