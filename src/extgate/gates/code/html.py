"""Inline `<script>` blocks of HTML files, as byte ranges of the document.

The JavaScript parser is given the ranges (tree-sitter `included_ranges`), so every position it reports is already
a line and column of the HTML file. Only JavaScript script types are taken (no type, a JavaScript MIME type,
`module`, or JSX/Babel); JSON, import maps and templates are data, not code. Scripts inside HTML comments are
skipped, as browsers do.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass

from tree_sitter import Point, Range

_OPEN_OR_COMMENT = re.compile(rb"<!--|<script(?=[\s/>])", re.IGNORECASE)
# possessive (no backtracking: the only way a tag can end is at its first unquoted `>`), so a failed attempt costs
# one pass over the window instead of per-character alternation
_TAG_REST = re.compile(rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_CLOSE = re.compile(rb"</script", re.IGNORECASE)
_TYPE = re.compile(rb"""\btype\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_MAX_TAG = 4096  # a <script ...> tag longer than this is malformed; not worth a regex over the whole file
JS_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "application/x-javascript", "text/ecmascript",
     "application/ecmascript", "module", "text/jsx", "text/babel"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Scripts:
    """Script content ranges (start, end byte offsets), and how many were left out over the limit."""

    ranges: tuple[tuple[int, int], ...]
    omitted: int = 0


def _is_javascript(attributes: bytes) -> bool:
    match = _TYPE.search(attributes)
    if match is None:
        return True
    value = next(g for g in match.groups() if g is not None)
    return value.decode("ascii", "replace").strip().lower().split(";")[0].strip() in JS_TYPES


class ScanTimeout(Exception):
    """The script scan ran past its deadline."""


class ScanTooComplex(Exception):
    """The tag scan would need more than its work budget (a deterministic bound, unlike the deadline)."""


def work_budget(size: int) -> int:
    """Bytes the tag matches may examine in all: an honest page examines each tag once (well under its size);
    runs of `<script ` whose only `>` sits inside quotes make every start re-scan up to _MAX_TAG bytes."""
    return 8 * size + (1 << 20)


def script_ranges(data: bytes, limit: int = 500, deadline: float = float("inf")) -> Scripts:
    """Raises ScanTooComplex past the work budget and ScanTimeout past `deadline`: each step may try a 4 KiB tag
    match, so 7 MB of `<script ` is minutes of work without them."""
    found: list[tuple[int, int]] = []
    omitted = 0
    pos = 0
    budget = work_budget(len(data))
    for step in itertools.count():
        if step % 256 == 255 and time.monotonic() > deadline:
            raise ScanTimeout()
        match = _OPEN_OR_COMMENT.search(data, pos)
        if match is None:
            break
        if match.group().startswith(b"<!--"):
            close = data.find(b"-->", match.end())
            if close < 0:
                break
            pos = close + 3
            continue
        gt = data.find(b">", match.end())
        if gt < 0:
            break  # no tag can end any more
        if gt - match.end() > _MAX_TAG:
            pos = gt - _MAX_TAG  # tags that start before this cannot reach a `>` within _MAX_TAG: all malformed
            continue
        window = min(len(data), match.end() + _MAX_TAG)
        tag = _TAG_REST.match(data, match.end(), window)
        budget -= (tag.end() if tag else window) - match.end()
        if budget < 0:
            raise ScanTooComplex()
        if tag is None:
            pos = match.end()
            continue
        start = tag.end()
        close_match = _CLOSE.search(data, start)
        end = close_match.start() if close_match else len(data)
        if data[start:end].strip() and _is_javascript(data[match.end() : tag.end() - 1]):
            if len(found) < limit:
                found.append((start, end))
            else:
                omitted += 1
        pos = end + 1 if close_match else len(data)
    return Scripts(tuple(found), omitted)


def point_at(data: bytes, offset: int) -> Point:
    row = data.count(b"\n", 0, offset)
    return Point(row, offset - (data.rfind(b"\n", 0, offset) + 1))


def ts_range(data: bytes, start: int, end: int) -> Range:
    return Range(point_at(data, start), point_at(data, end), start, end)
