"""Charts as PNG bytes (matplotlib, imported lazily so the CLI starts fast).

Figures are built with the object API (``matplotlib.figure.Figure``), not pyplot, so there is no global
figure state and no GUI backend: safe in the Slack app's worker threads and on a headless server.
PNGs carry no creation date or software tag, so the same data gives byte-identical images.
"""

from __future__ import annotations

import io

from report.data import ReportData
from report.headline import human_date

NO_RAG_COLOUR = "#BFBFBF"
_DPI = 150
_SIZE = (5.2, 2.9)  # inches: two charts side by side across a landscape A4 page


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=_SIZE)
    return fig, fig.subplots()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None}, bbox_inches="tight")
    return buf.getvalue()


def rag_distribution_png(data: ReportData) -> bytes:
    """Horizontal bars: how many actions are in each RAG state now (best at the top)."""
    overall = data.headline.overall
    # barh draws the first bar at the bottom: "no RAG", then worst → best, so the best is on top.
    labels = (["No RAG yet"] if overall.no_rag else []) + [c.label for c in overall.counts]
    values = ([overall.no_rag] if overall.no_rag else []) + [c.count for c in overall.counts]
    colours = ([NO_RAG_COLOUR] if overall.no_rag else []) + [k.colour for k in data.rag_key]
    fig, ax = _figure()
    positions = list(range(len(labels)))
    ax.barh(positions, values, color=colours, edgecolor="#404040", linewidth=0.6)
    ax.set_yticks(positions, labels=labels)
    top = max(values, default=0)
    for pos, value in zip(positions, values, strict=True):
        pct = f" ({100 * value / overall.total:.0f}%)" if overall.total else ""
        ax.text(value + max(top, 1) * 0.02, pos, f"{value}{pct}", va="center", fontsize=8)
    ax.set_xlim(0, max(top, 1) * 1.3)
    ax.set_title(f"RAG status at {_short(data.as_of_date)} ({overall.total} actions)", fontsize=10)
    ax.tick_params(labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def rag_over_time_png(data: ReportData) -> bytes:
    """Stacked columns: RAG counts at each published version (from its snapshot) and now; by month end
    instead while fewer than two versions have been published."""
    points = data.trend if len(data.trend) >= 3 or len(data.monthly) <= len(data.trend) else data.monthly
    fig, ax = _figure()
    xs = list(range(len(points)))
    bottoms = [0] * len(points)
    series = [(k.label, k.colour, [p.counts[i].count for p in points]) for i, k in enumerate(data.rag_key)]
    if any(p.no_rag for p in points):
        series.insert(0, ("No RAG yet", NO_RAG_COLOUR, [p.no_rag for p in points]))
    for label, colour, values in series:
        ax.bar(
            xs,
            values,
            bottom=bottoms,
            color=colour,
            edgecolor="#404040",
            linewidth=0.6,
            label=label,
            width=0.6,
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    ax.set_xticks(xs, labels=[f"{p.label}\n{_short(p.date)}" for p in points])
    ax.set_title("RAG status over time", fontsize=10)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    ax.yaxis.get_major_locator().set_params(integer=True)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(
        handles[::-1], names[::-1], fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0)
    )
    return _png(fig)


def _short(iso: str) -> str:
    return human_date(iso)
