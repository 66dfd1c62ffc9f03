"""Issue 12: the Python analyzer reads CPython's `ast` (the pre-check's tree) instead of libcst with whole-module
position metadata. Nothing may change: every finding (rule, line, column, end, snippet, message, properties),
import and API use must be what the libcst-based analyzer (`cst_reference`, positions from libcst's
`PositionProvider`) computes, on real code (node-gyp's gyp) and on fixtures made for the hard cases. Columns are
1-based and count characters (as libcst did), not CPython's UTF-8 bytes.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import cst_reference
import pytest
from code_support import FIXTURES, config

from extgate.gates.code import python
from extgate.gates.code.interface import CallMatcher, CodeConfig, ParseResult

PYTHON = FIXTURES / "python"
FILES = sorted(PYTHON.glob("*.py.txt")) + sorted((PYTHON / "node-gyp").glob("*.py.txt"))


def _wide() -> CodeConfig:
    """Every resolved call is a finding, uncapped: positions and snippets of far more nodes than the real rules."""
    base = config()
    every = CallMatcher("test/any-call", python=("*",), message="{api}")
    return dataclasses.replace(base, call_matchers=(*base.call_matchers, every), max_findings_per_rule=10**6)


def _facts(result: ParseResult) -> dict[str, Any]:
    return {
        "findings": [dataclasses.astuple(f) for f in result.findings],
        "totals": sorted(result.totals.items(), key=repr),
        "imports": [dataclasses.astuple(i) for i in result.imports],
        "api_uses": [dataclasses.astuple(a) for a in result.api_uses],
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("wide", [False, True], ids=["rules", "every-call"])
def test_same_findings_facts_and_positions_as_the_libcst_reference(path: Path, wide: bool) -> None:
    data = path.read_bytes()
    cfg = _wide() if wide else config()
    expected = _facts(cst_reference.analyze(path.name, data, cfg))
    actual = _facts(python.analyze(path.name, data, cfg))
    assert actual == expected
    assert expected["findings"] or not wide  # the comparison covers real findings


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_call_f_string_field_and_attribute_is_placed_like_libcst(path: Path) -> None:
    data = path.read_bytes()
    cfg = config()
    _, module = cst_reference.parse_module(data, cfg.python_max_depth, cfg.parse_timeout_ms)
    ref = cst_reference.Analyzer(path.name, data, module, cfg)
    new = python.Analyzer(path.name, data, python.check(data, cfg), cfg)

    def old(node: Any) -> tuple[int, int, int, int, str]:
        where = ref.positions[node]
        return where.start.line, where.start.column, where.end.line, where.end.column, ref.short(node)

    def now(node: python.Located) -> tuple[int, int, int, int, str]:
        span, source = new.span(node), new.source
        line, column = source.line_at(span.start)
        end_line, end_column = source.line_at(span.end)
        return line, source.chars(line, column), end_line, source.chars(end_line, end_column), new.short(node)

    assert [(*now(c.node), new.short(c.node.func, 60)) for c in new.collector.calls] == [
        (*old(c.node), ref.short(c.node.func, 60)) for c in ref.collector.calls
    ]
    assert [now(f) for f, _ in new.collector.fstrings] == [old(f) for f, _ in ref.collector.fstrings]
    assert [n.lineno for n, _ in new.collector.attributes] == [ref.line(n) for n, _ in ref.collector.attributes]


def _where(name: str, rule: str | None = None) -> list[tuple[int | None, int | None, int | None, str | None]]:
    data = (PYTHON / name).read_bytes()
    result = python.analyze(name, data, config())
    return [(f.line, f.column, f.end_column, f.snippet) for f in result.findings if rule in (None, f.rule_id)]


def test_columns_count_characters_not_utf8_bytes() -> None:
    found = _where("positions.py.txt")
    assert (26, 17, 27, "eval(café)") in found  # `café = "naïve"; ` is 16 characters, 18 bytes
    assert (27, 36, 52, 'eval("ß" + café)') in found
    # declared latin-1: characters of the decoded text (`x = 'é'; ` is 9; CPython counts 10 UTF-8 bytes)
    assert _where("latin1.py.txt") == [(3, 10, 17, "eval(x)"), (4, 12, 26, "os.system('é')")]


def test_tabs_count_one_column_and_line_ends_do_not_move_anything() -> None:
    assert (24, 10, 30, "sp.check_output(cmd)") in _where("positions.py.txt")  # two tabs before `return`
    assert _where("positions-crlf.py.txt") == _where("positions.py.txt")
    assert _where("bom.py.txt") == [(2, 1, 15, "os.system('x')"), (2, 17, 24, "eval(y)")]  # the BOM is no column


def test_parentheses_are_in_the_snippet_not_the_position() -> None:
    found = {(line, column): snippet for line, column, _, snippet in _where("positions.py.txt")}
    assert found[(28, 6)] == "(eval(a))"
    assert found[(29, 7)] == "( eval(b) )"
    assert found[(30, 8)] == "(eval(c))"  # f((eval(c))): one pair is the call's
    assert found[(32, 5)] == "eval(d)"  # the call's parentheses, on other lines
    assert found[(35, 5)] == "( # a comment inside the parentheses eval(e) )"
    assert found[(40, 7)] == "eval(j)"  # `with (eval(j)):` the statement's parentheses


def test_multi_line_strings_decorators_and_f_string_fields() -> None:
    found = _where("positions.py.txt")
    assert (10, 43, 52, "eval(DOC)") in found  # after a three-line string, on its last line
    assert (12, 12, 25, "eval(payload)") in found  # in a decorator
    assert (17, 17, 31, 'os.system("a")') in found  # a default of a nested function
    env = _where("positions.py.txt", "code/env-exfiltration")
    assert (44, 7, 19, "{os.environ}") in env
    assert (44, 29, 45, "{env!r:>{width}}") in env  # the second literal of an implicit concatenation
    assert (46, 1, 13, "{os.environ}") in env  # inside a triple-quoted f-string, on its second line


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_pre_checks_node_list_is_ast_walk_order_for_the_behaviour_rules(path: Path) -> None:
    checked = python.check(path.read_bytes(), config())
    assert list(checked.nodes) == list(ast.walk(checked.tree))  # py_behaviour keeps ast.walk's order


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"], ids=["lf", "cr", "crlf"])
def test_parentheses_across_lines_and_comments_under_every_line_end(newline: str) -> None:
    source = "import os\nx = (  # c\n    eval(y)\n)\nz = f(  # c\n  os.system(a)  # d\n)\nw = (\n\n  eval(v))\n"
    data = source.replace("\n", newline).encode()
    expected = _facts(cst_reference.analyze("a.py", data, config()))
    assert _facts(python.analyze("a.py", data, config())) == expected
    assert [f[2:7] for f in expected["findings"]] == [  # line, column, end line, end column, snippet
        (3, 5, 3, 12, "( # c eval(y) )"),
        (6, 3, 6, 15, "os.system(a)"),  # f(...)'s own parentheses: not the snippet's
        (10, 3, 10, 10, "( eval(v))"),
    ]
