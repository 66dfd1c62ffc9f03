"""content/long-line: runs of more than N characters without whitespace; one hit per file.

What is measured is the longest whitespace-free run, as the message says: a long line of prose (short words,
many spaces) is readable and not reported, a 600-character minified statement is.
"""

from __future__ import annotations

from collections.abc import Iterator

from extgate.gates.content.interface import PatternSpec, Raw, RuleSpec, Scan, props
from extgate.gates.content.text import excerpt, excerpt_span

_WS = r" \t\r\n\x0c\x0b"  # spelled out: hyperscan reads `\v` as a class of vertical whitespace (PCRE)
# UTF-8 continuation bytes are dropped before counting, so multi-byte characters count once.
_CONTINUATION = bytes(range(0x80, 0xC0))


def run_pattern(limit: int) -> PatternSpec:
    """Whitespace-free runs of more than `limit` bytes (a run of more than `limit` characters has more than `limit`
    bytes). The lookbehind only lets a match start where a run starts, so `re` walks each run once: linear, also on
    one 5 MB line. The hyperscan candidate ends with the byte after the run (or the end of the file), so it reports
    each run once, with its start, however long the run is."""
    return PatternSpec(
        regex=f"(?<![^{_WS}])[^{_WS}]{{{limit + 1},}}",
        candidate=f"[^{_WS}]{{{limit + 1},}}(?:[{_WS}]|\\z)",
    )


def _chars(data: bytes, start: int, end: int, step: int = 1 << 16) -> int:
    """Characters in data[start:end], counted in bounded slices (a 5 MB run is never copied whole)."""
    return sum(len(data[i : min(i + step, end)].translate(None, _CONTINUATION)) for i in range(start, end, step))


def long_line(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    limit = int(spec.params.get("max_line_chars", 500))
    data = scan.data
    first: tuple[int, int, int, int] | None = None  # line start, run start, run end, chars
    lines: set[int] = set()
    longest = 0
    for match in scan.matches(spec, bounded=False):
        start, end = match.span()
        chars = _chars(data, start, end)
        if chars <= limit:
            continue
        line_start = data.rfind(b"\n", 0, start) + 1
        lines.add(line_start)
        longest = max(longest, chars)
        if first is None:
            first = (line_start, start, end, chars)
    if first is None:
        return
    line_start, start, end, chars = first
    count = len(lines)
    which = "1 line in this file has" if count == 1 else f"{count} lines in this file have"
    yield Raw(
        line_start,
        line_start,
        f"{which} a run of more than {limit} characters without whitespace; the first (this line) is "
        f"{chars:,} characters long. Such lines hide code from review: ship the readable source (or the unminified "
        f"build) beside the bundle, or acknowledge this warning if the file is generated output.",
        snippet=excerpt(data, start, end, 80),
        shows=excerpt_span(start, end, 80),
        evidence="long-line",
        properties=props(lines=count, first_line_chars=chars, longest=longest, limit=limit),
    )
