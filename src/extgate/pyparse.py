"""The pre-check every Python file passes before analysis: `check` (the code gate and scoring analyse CPython's
tree; the libcst analyzer the tests compare with, `tests/gates/code/cst_reference.py`, parses with libcst after it).

The bounds were made for libcst, which extgate analysed Python with before 0.1.0, and are kept as they were so
that no verdict changes (they also bound the cost of the analysis on CPython's tree).

libcst's native parser is not safe on hostile input. Measured with libcst 1.9 in a subprocess probe (one shape per
run, sizes 300..30,000): deep nesting (about 3,000 brackets), and shapes CPython's `ast` keeps flat but libcst
nests one level per element, crash the whole process with SIGSEGV from about 5,000 elements and raise
RecursionError (or KeyError) from about 1,000:

    a and b and ... (BoolOp)          import a.b.c... / from a.b.c... import x (dotted names)
    "a" "b" "c" ... (implicit concatenation: one ast Constant)   [x for a in b for a in b ...] (comprehension fors)

and 1,000 nested calls take minutes. So `check` (C parsers only, iterative walks) rejects, before libcst sees it:

    bytes Python itself would refuse: a bad `# coding:` line, invalid UTF-8 (ast.parse alone accepts `#\\xff`)
    syntax CPython 3.11 rejects
    a syntax tree deeper than `max_depth`, or deeper than `max_depth + CHAIN_ALLOWANCE` counting the levels
    libcst builds for the shapes above
    more work than the time budget by a deterministic cost estimate (per node and per level of deep nesting)

and the reference's `parse_module` turns any exception of libcst into `Unparseable` too. Every rejection has a reason
(`FileAnalysis.skip_reason`), so callers report it instead of crashing or silently skipping the file.
"""

from __future__ import annotations

import ast
import gc
import io
import re
import tokenize
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Cost model, measured with libcst 1.9 (parse + position metadata + one visit): 57-60 us per CPython AST node for
# ordinary modules (typing.py, inspect.py, _pydecimal.py), up to 110 us per node for data-heavy code (long runs of
# literal statements; libcst is slightly superlinear there), plus ~40 us per node-level of nesting beyond 20 (where
# its parser turns superlinear). The estimate is deterministic: the same file gets the same verdict on any machine.
US_PER_NODE = 110
US_PER_EXCESS_DEPTH = 40
FREE_DEPTH = 20
# Levels libcst may add on top of `max_depth` where CPython's tree is flat (the shapes in the module docstring):
# native crashes start at ~5,900 levels (dotted import) and ~7,000 (`and`); from ~1,000 libcst raises RecursionError.
CHAIN_ALLOWANCE = 900
_LINE_END = re.compile(rb"\r\n|\r|\n")  # CPython's tokenizer ends lines at any of these


class Unparseable(Exception):
    """The file cannot be handed to libcst safely. `reason`: 'syntax', 'too-deep', 'too-complex'."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode(data: bytes) -> str:
    """The source text as CPython reads a file: PEP 263 cookie or BOM, else strict UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except SyntaxError as exc:  # detect_encoding: a bad cookie, or invalid UTF-8 in the first two lines
        raise Unparseable("syntax", f"Python refuses to read it: {exc.msg}") from None
    except LookupError as exc:  # a cookie naming an unknown codec
        raise Unparseable("syntax", f"Python refuses to read it: {exc}") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unparseable(
            "syntax", f"Python refuses to read it: bytes invalid in its encoding ({exc.encoding}) at line {line}"
        ) from None


@dataclass(frozen=True, slots=True)
class Checked:
    """A file that passed `check`: its CPython tree and the decoded text it was parsed from (ast columns are
    UTF-8 byte offsets into `text.encode()`)."""

    tree: ast.Module
    text: str
    nodes: Sequence[ast.AST] = ()  # every node of `tree` in `ast.walk`'s (breadth-first) order


def check(data: bytes, max_depth: int, budget_ms: int) -> ast.Module:
    """The CPython syntax tree of `data`; raises Unparseable unless libcst can parse it within the bounds."""
    return check_source(data, max_depth, budget_ms).tree


def check_source(data: bytes, max_depth: int, budget_ms: int) -> Checked:
    """`check`, also returning the decoded text."""
    text = decode(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in scanned code is not our output
        try:
            tree = _parse(text)
        except SyntaxError as exc:
            where = f" at line {exc.lineno}" if exc.lineno else ""
            raise Unparseable(
                "syntax", f"Python syntax error{where}: {exc.msg} (extgate parses with Python 3.11 grammar)"
            ) from None
        except ValueError as exc:  # e.g. null bytes
            raise Unparseable("syntax", f"not parseable as Python: {exc}") from None
        except (RecursionError, MemoryError):
            raise Unparseable("too-deep", "nesting too deep for the Python parser") from None
    shape = Shape(text)
    depth, cst_depth, excess, nodes = shape.measure(tree, max_depth + CHAIN_ALLOWANCE)
    if depth > max_depth:
        raise Unparseable("too-deep", f"syntax tree {depth} levels deep (limit {max_depth})")
    if cst_depth > max_depth + CHAIN_ALLOWANCE:
        raise Unparseable(
            "too-deep",
            f"syntax tree {cst_depth} levels deep as libcst builds it (limit {max_depth + CHAIN_ALLOWANCE}): very "
            "long `and`/`or` chains, dotted names, implicitly concatenated strings or comprehension clauses",
        )
    estimate_ms = (US_PER_NODE * nodes + US_PER_EXCESS_DEPTH * excess) // 1000
    if estimate_ms > budget_ms:
        raise Unparseable("too-complex", f"estimated parse time {estimate_ms} ms exceeds the {budget_ms} ms budget")
    return Checked(tree, text, shape.order)


def _parse(text: str) -> ast.Module:
    """`ast.parse` without the cyclic garbage collector running during it: the parse allocates one object per
    node (none of them cyclic) and would otherwise trigger collections that cost a third of the parse. The
    collector's state is restored afterwards (it stays enabled if any thread had it enabled)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(text)
    finally:
        if enabled:
            gc.enable()


class Shape:
    """Depth as libcst nests it, the excess-depth sum and the node count of a CPython tree (iterative)."""

    def __init__(self, text: str) -> None:
        self.source = text.encode("utf-8")  # ast columns are UTF-8 byte offsets into the decoded text
        self._starts: list[int] | None = None
        self.order: list[ast.AST] = []

    def measure(self, tree: ast.AST, cst_limit: int | None = None) -> tuple[int, int, int, int]:
        """(CPython tree depth, depth as libcst nests it, excess-depth sum, node count).

        With `cst_limit`, the libcst depth is exact only when it exceeds the limit; below it, it may be an upper
        bound (string literals are first counted from their quotes, tokenized only when the bound is too high).
        """
        if cst_limit is not None:
            measured = self._walk(tree, exact=False)
            if measured[1] <= cst_limit:
                return measured
        return self._walk(tree, exact=True)

    def _walk(self, tree: ast.AST, *, exact: bool) -> tuple[int, int, int, int]:
        """One breadth-first pass, level by level (`self.order`: every node in `ast.walk`'s order)."""
        deepest = deepest_cst = excess = 0
        literal_parts: set[int] = set()  # f-string parts: Python 3.11 gives them the whole f-string's position
        node_type, list_type, extra = ast.AST, list, _EXTRA
        order: list[ast.AST] = [tree]
        added: list[int] = [0]  # per node of `order`: levels libcst adds above it (its depth there - its depth)
        depth = start = 0
        while start < len(order):
            end = len(order)
            deepest = depth
            if depth > FREE_DEPTH:
                excess += (depth - FREE_DEPTH) * (end - start)
            for index in range(start, end):
                node = order[index]
                levels = added[index]
                kind = node.__class__
                rule = extra.get(kind)
                if rule is not None:
                    if id(node) not in literal_parts:
                        levels += rule(self, node, exact)
                    if kind is ast.JoinedStr:
                        literal_parts.update(id(value) for value in node.values)  # type: ignore[attr-defined]
                    elif kind is ast.FormattedValue and node.format_spec is not None:  # type: ignore[attr-defined]
                        literal_parts.add(id(node.format_spec))  # type: ignore[attr-defined]
                if depth + levels > deepest_cst:
                    deepest_cst = depth + levels
                for name in node._fields:  # ast.iter_child_nodes, inlined (this loop is the pre-check's cost)
                    value = getattr(node, name, None)
                    if isinstance(value, node_type):
                        order.append(value)
                        added.append(levels)
                    elif value.__class__ is list_type:
                        for item in value:
                            if isinstance(item, node_type):
                                order.append(item)
                                added.append(levels)
            start = end
            depth += 1
        self.order = order
        return deepest, deepest_cst, excess, len(order)

    def extra_levels(self, node: ast.AST) -> int:
        """Levels libcst adds where the CPython tree is flat."""
        rule = _EXTRA.get(node.__class__)
        return 0 if rule is None else rule(self, node, True)

    def _string_levels(self, node: ast.expr, exact: bool) -> int:
        if node.__class__ is ast.Constant and not isinstance(node.value, (str, bytes)):
            return 0
        return self._pieces(node, exact) - 1

    def _pieces(self, node: ast.expr, exact: bool = True) -> int:
        """String literals making up one (implicitly concatenated) constant; not `exact`: an upper bound (each
        literal has at least two quotes)."""
        if node.end_lineno is None or node.end_col_offset is None:
            return 1
        segment = self._segment(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        quotes = segment.count(b'"') + segment.count(b"'")
        if quotes <= 4:
            return 1  # one literal, or one with a quote inside: no need to tokenize
        if not exact:
            return quotes // 2
        try:
            tokens = tokenize.tokenize(io.BytesIO(b"(" + segment + b")").readline)
            return max(1, sum(1 for tok in tokens if tok.type == tokenize.STRING))
        except (tokenize.TokenError, SyntaxError):
            return 1  # part of an f-string's format spec: not a literal of its own

    def _segment(self, line: int, col: int, end_line: int, end_col: int) -> bytes:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _LINE_END.finditer(self.source))]
        starts = self._starts
        if end_line > len(starts):
            return b""
        return self.source[starts[line - 1] + col : starts[end_line - 1] + end_col]


def _generators(shape: Shape, node: ast.AST, exact: bool) -> int:
    return len(node.generators) - 1  # type: ignore[attr-defined]


_EXTRA: dict[type[ast.AST], Callable[[Shape, Any, bool], int]] = {
    ast.BoolOp: lambda shape, node, exact: max(0, len(node.values) - 2),
    ast.alias: lambda shape, node, exact: node.name.count("."),
    ast.ImportFrom: lambda shape, node, exact: (node.module or "").count("."),
    ast.ListComp: _generators,
    ast.SetComp: _generators,
    ast.DictComp: _generators,
    ast.GeneratorExp: _generators,
    ast.JoinedStr: Shape._string_levels,
    ast.Constant: Shape._string_levels,
    ast.FormattedValue: lambda shape, node, exact: 0,  # no levels of its own; its format spec is a literal part
}
