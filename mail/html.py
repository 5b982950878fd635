"""Small HTML pieces the form pages and the HTML emails share: escaping and the RAG badge."""

from __future__ import annotations

from report.html_parts import e

__all__ = ["contrast_ratio", "e", "rag_badge", "text_on"]
# Inline, so the badge looks the same in an email (where no stylesheet is) as on the page.
BADGE = "display:inline-block;padding:1px 8px;border-radius:3px;font-weight:bold;"


def _luminance(colour: str) -> float | None:
    value = colour.strip().lstrip("#")
    if len(value) != 6:
        return None
    try:
        channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return None
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two "#RRGGBB" colours (1 to 21)."""
    la, lb = _luminance(a), _luminance(b)
    if la is None or lb is None:
        return 1.0
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill`` (WCAG relative luminance)."""
    return "#000000" if contrast_ratio(fill, "#000000") >= contrast_ratio(fill, "#ffffff") else "#ffffff"


def rag_badge(label: str | None, colour: str | None) -> str:
    """The RAG as a word on its colour, so it reads without colour too; "No RAG yet" when there is none."""
    if not label:
        return f'<span class="rag" style="{BADGE}background:#ffffff;color:#333333;border:1px solid #767676">No RAG yet</span>'
    fill = colour if colour and _luminance(colour) is not None else "#ffffff"
    return (
        f'<span class="rag" style="{BADGE}background:{e(fill)};color:{text_on(fill)};border:1px solid #333333">'
        f"{e(label)}</span>"
    )
