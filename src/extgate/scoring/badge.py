"""A shields.io-style "flat" SVG badge for a score: `quality | B 82%`, coloured by grade.

Text widths are estimated from a small per-character table for Verdana 11px (what shields uses), so the badge is
produced without fonts or network and is byte-identical for the same score.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from extgate.model import Score

GRADE_COLORS = {"A": "#4c1", "B": "#97ca00", "C": "#dfb317", "D": "#fe7d37", "F": "#e05d44"}
UNKNOWN_COLOR = "#9f9f9f"
_NARROW = set("fijlrtI.,:;!'|() ")
_WIDE = set("mwMW%@")


def text_width(text: str) -> int:
    """Approximate rendered width in px of `text` in Verdana 11px."""
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 3.9
        elif ch in _WIDE:
            width += 10.5
        elif ch.isupper() or ch.isdigit():
            width += 7.4
        else:
            width += 6.6
    return round(width)


def message_for(score: Score | None) -> str:
    return "unknown" if score is None else f"{score.grade} {score.percentage:.0f}%"


def render(score: Score | None, label: str = "quality") -> str:
    """SVG text of the badge; a missing score renders as a grey `unknown` badge."""
    message = message_for(score)
    color = UNKNOWN_COLOR if score is None else GRADE_COLORS.get(score.grade, UNKNOWN_COLOR)
    left = text_width(label) + 10
    right = text_width(message) + 10
    total = left + right
    title = f"{label}: {message}"
    if score is not None:
        title += f" ({score.earned:g}/{score.max:g} points, rubric {score.rubric_version})"
    lx, rx = left / 2, left + right / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f"aria-label={quoteattr(f'{label}: {message}')}>"
        f"<title>{escape(title)}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lx:g}" y="15" fill="#010101" fill-opacity=".3">{escape(label)}</text>'
        f'<text x="{lx:g}" y="14">{escape(label)}</text>'
        f'<text x="{rx:g}" y="15" fill="#010101" fill-opacity=".3">{escape(message)}</text>'
        f'<text x="{rx:g}" y="14">{escape(message)}</text>'
        "</g></svg>\n"
    )
