"""Byte ranges of string literals, for the Trojan Source scan: zero-width joiners (U+200C, U+200D) are ordinary
in natural-language text (Persian, Indic scripts, emoji sequences) inside strings, but not in identifiers or
between tokens.

Computed only when such a character is present (rare), from the real parsers: tree-sitter for JS/TS/TSX, CPython
`ast` for Python (its column offsets are UTF-8 byte offsets). A file that does not parse within the budget yields
no ranges, so its characters stay findings (fail closed).
"""

from __future__ import annotations

import ast
import time
from bisect import bisect_right
from functools import cache

from tree_sitter import Query, QueryCursor

from extgate.gates.code.jsresolve import ParseTimeout, TooDeep, check_depth, check_error_regions, parse
from extgate.lang import language

_STRINGS = "[(string) (template_string) (regex_pattern)] @s"
_MAX_PYTHON_DEPTH = 200  # deeper source is not handed to ast (the code gate reports it as too deep anyway)


@cache
def _query(grammar: str) -> Query:
    return Query(language(grammar), _STRINGS)


class Spans:
    """Sorted, non-overlapping byte ranges; `contains(start, end)` is True when one range holds [start, end)."""

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self.starts = [s for s, _ in merged]
        self.ranges = merged

    def contains(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.ranges[i][0] <= start and end <= self.ranges[i][1]


def javascript(data: bytes, grammar: str, timeout_ms: int) -> Spans:
    try:
        tree = parse(grammar, data, time.monotonic() + timeout_ms / 1000)
        check_depth(tree)  # the query cannot be cancelled: trees it would take minutes on are not queried
        check_error_regions(tree)
    except (ParseTimeout, TooDeep):
        return Spans([])
    nodes = QueryCursor(_query(grammar)).captures(tree.root_node).get("s", ())
    # the quotes are not text: only the inside of a literal counts
    return Spans([(n.start_byte + 1, n.end_byte - 1) for n in nodes if n.end_byte - n.start_byte >= 2])


def python(data: bytes) -> Spans:
    if _nesting(data) > _MAX_PYTHON_DEPTH:
        return Spans([])
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Spans([])
    line_starts = [0]
    for index, byte in enumerate(data):
        if byte == 0x0A:
            line_starts.append(index + 1)
    ranges = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Constant, ast.JoinedStr)):
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, str):
            continue
        if node.end_lineno is None or node.end_col_offset is None:
            continue
        start = line_starts[node.lineno - 1] + node.col_offset
        end = line_starts[node.end_lineno - 1] + node.end_col_offset
        ranges.append((start + 1, end - 1))
    return Spans(ranges)


def _nesting(data: bytes) -> int:
    depth = deepest = 0
    for byte in data:
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b")]}":
            depth = max(0, depth - 1)
    return deepest
