"""content/long-line: lines over N characters once whitespace is removed; one hit per file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from extgate.gates.content.interface import Raw, RuleSpec, Scan, props
from extgate.gates.content.text import excerpt, excerpt_span

# Removed before counting: ASCII whitespace, and UTF-8 continuation bytes so multi-byte characters count once.
_DROP = b" \t\r\n\f\v" + bytes(range(0x80, 0xC0))


@lru_cache(maxsize=8)
def _candidate_lines(limit: int) -> re.Pattern[bytes]:
    # A line of more than `limit` characters has more than `limit` bytes. `^` under MULTILINE only holds at line
    # starts, so `re` examines each line once: linear, also on one 5 MB line.
    return re.compile(rb"(?m)^[^\n]{%d,}" % (limit + 1))


def long_line(spec: RuleSpec, scan: Scan) -> Iterator[Raw]:
    limit = int(spec.params.get("max_line_chars", 500))
    first: tuple[int, int, int] | None = None
    count = 0
    longest = 0
    for match in _candidate_lines(limit).finditer(scan.data):
        start, end = match.span()
        chars = len(scan.data[start:end].translate(None, _DROP))
        if chars <= limit:
            continue
        count += 1
        longest = max(longest, chars)
        if first is None:
            first = (start, end, chars)
    if first is None:
        return
    start, end, chars = first
    lines = "1 line in this file exceeds" if count == 1 else f"{count} lines in this file exceed"
    yield Raw(
        start,
        start,
        f"{lines} {limit} characters without whitespace; the first (reported here) has "
        f"{chars:,}. Such lines hide code from review: ship the readable source (or the unminified build) beside the "
        f"bundle, or acknowledge this warning if the file is generated output.",
        snippet=excerpt(scan.data, start, end, 80),
        shows=excerpt_span(start, end, 80),
        evidence="long-line",
        properties=props(lines=count, first_line_chars=chars, longest=longest, limit=limit),
    )
