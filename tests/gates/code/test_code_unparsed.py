"""safety/unparsed-file, caps and hostile inputs: bounded time and memory, never a silent skip, never a crash."""

from __future__ import annotations

import tracemalloc

import pytest
from code_support import analyze, findings, levels, scan, where

from extgate.model import Entry, EntryKind, Level, Package

RULE = "safety/unparsed-file"
UNIT = "var a=b.c(d,e)+f[g];"


def test_over_the_byte_cap_is_a_warning_with_the_prefilter_tokens() -> None:
    src = "x = 1;" * 200 + "eval(payload);"
    found = findings({"dist/big.js": src}, RULE, max_parse_bytes=1000)
    assert levels(found) == [Level.WARNING]
    assert found[0].properties["reason"] == "too-large"
    assert "eval" in found[0].message and "max_parse_bytes" in found[0].message


def test_five_megabyte_single_line_is_bounded() -> None:
    line = UNIT * (5_000_000 // len(UNIT)) + "eval(payload);"
    data = line.encode()
    tracemalloc.start()
    try:
        result = analyze("dist/huge.js", data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rules = [f.rule_id for f in result.findings]
    assert rules == [RULE, "code/minified"]
    assert result.skip_reason == "too-large"
    assert peak < 3 * len(data)  # the analysis never holds more than a couple of copies of the file


@pytest.mark.slow
def test_time_budget_stops_a_parse_that_is_allowed_by_size() -> None:
    data = (UNIT * (3_000_000 // len(UNIT)) + "eval(x);").encode()
    tracemalloc.start()
    try:
        result = analyze("dist/huge.js", data, max_parse_bytes=4_000_000, parse_timeout_ms=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.skip_reason == "timeout"
    assert [f.rule_id for f in result.findings if f.rule_id == RULE] == [RULE]
    assert peak < 64_000_000


def test_raised_cap_parses_and_finds_the_call_at_the_end_of_a_long_line() -> None:
    line = UNIT * (300_000 // len(UNIT)) + "eval(payload);"
    found = findings({"dist/long.js": line}, "code/dynamic-eval", max_parse_bytes=400_000)
    assert where(found) == [(1, len(line) - len("eval(payload);") + 1)]


def test_syntax_errors_are_still_scanned() -> None:
    src = "const a = ;\neval(x);\nfunction ( {\n"
    assert where(scan("broken.js", src, "code/dynamic-eval")) == [(2, 1)]


def test_sensitive_tokens_lost_in_an_error_region_are_reported() -> None:
    src = 'function f( {\n  eval(x);\n  var q = require("child_process");\n  q.spawn(a)\n'
    found = scan("broken.js", src, RULE)
    assert levels(found) == [Level.WARNING]
    assert found[0].properties["reason"] == "syntax"
    assert "eval" in found[0].properties["tokens"]


def test_harmless_syntax_error_is_not_reported() -> None:
    assert scan("broken.js", "const a = ;\nconst b = [1, 2,, ;\n", RULE) == []


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(:\n    pass\n", "syntax"),
        ("x = " + "(" * 250 + "1" + ")" * 250 + "\n", "syntax"),  # CPython refuses > 200 nested parens
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "syntax"),  # would crash libcst's native parser (SIGSEGV)
        ("x = " + "1 + " * 20000 + "1\n", "too-deep"),  # would crash libcst too
        ("x = a" + "[0]" * 150 + "\n", "too-deep"),
        ("if a:\n    pass\n" + "elif a:\n    pass\n" * 3000, "too-deep"),
        ("x = 1\x00\n", "syntax"),
    ],
)
def test_python_that_libcst_cannot_take_safely(source: str, reason: str) -> None:
    result = analyze("tool.py", "import os\n" + source)
    assert result.skip_reason == reason
    assert [f.rule_id for f in result.findings] == [RULE]


def test_python_cost_estimate_is_deterministic() -> None:
    src = "import os\n" + "x = [1, 2, 3]\n" * 2_000  # 16,000 AST nodes: 1.76 s estimated by node count
    too_complex = analyze("big.py", src, parse_timeout_ms=1_000)
    assert too_complex.skip_reason == "too-complex"
    assert "estimated parse time 1760 ms" in too_complex.findings[0].message
    assert analyze("big.py", src, parse_timeout_ms=5_000).parsed


def test_truncated_and_unread_entries_are_reported() -> None:
    package = Package(
        source="<memory>",
        format="memory",
        entries=(
            Entry("dist/cut.js", EntryKind.FILE, size=10, data=b"eval(x)", truncated=True),
            Entry("dist/skipped.js", EntryKind.FILE, size=10**9, data=None),
        ),
    )
    from code_support import registry

    from extgate.facts import Facts
    from extgate.gates.code import CodeGate
    from extgate.gates.interface import GateContext
    from extgate.options import Options
    from extgate.policy import Policy
    from extgate.profiles import get_profile

    rules = registry()
    ctx = GateContext(package, get_profile("npm", rules), Policy(), Options(), rules, Facts(), "code")
    result = CodeGate().run(ctx)
    unparsed = sorted((f.path, f.properties["reason"]) for f in result.findings if f.rule_id == RULE)
    assert unparsed == [("dist/cut.js", "truncated"), ("dist/skipped.js", "unread")]
    assert any(f.rule_id == "code/dynamic-eval" for f in result.findings)  # the part that was read is scanned


def test_many_findings_in_one_file_are_capped() -> None:
    src = "\n".join(f"eval(x{i});" for i in range(100))
    found = scan("a.js", src, "code/dynamic-eval")
    assert len(found) == 25
    assert found[-1].properties["more_in_file"] == 75


def test_bad_policy_value_fails_clearly() -> None:
    with pytest.raises(ValueError, match="max_parse_bytes must be a positive integer"):
        findings({"a.js": "eval(x)"}, max_parse_bytes="lots")


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ("x = " + "(" * 50_000 + "eval(a)" + ")" * 50_000 + ";", 50_005),
        ("eval" + "(a)" * 20_000 + ";", 1),
        ("function f(){" * 5_000 + "eval(x)" + "}" * 5_000, 65_001),
        ("{" * 50_000 + "eval(a)" + "}" * 50_000, 50_001),
        ("const a0 = eval;" + "".join(f"const a{i} = a{i - 1};" for i in range(1, 30)) + "a29(x);", 462),
    ],
)
def test_hostile_nesting_is_still_analysed(source: str, column: int) -> None:
    found = [f for f in analyze("hostile.js", source).findings if f.rule_id == "code/dynamic-eval"]
    assert [(f.line, f.column) for f in found] == [(1, column)]


def test_absurd_destructuring_depth_is_bounded() -> None:
    source = "const " + "{a:" * 5_000 + "b" + "}" * 5_000 + " = require('child_process');"
    result = analyze("hostile.js", source)
    assert result.parsed and [i.specifier for i in result.imports] == ["child_process"]


def test_declaration_files_do_not_report_error_regions() -> None:
    src = 'export default class A extends B<import("./x.js").T, import("./y.js").U> {\n  static id: string;\n}\n'
    assert scan("types/a.d.ts", src, RULE) == []
    assert levels(scan("src/a.ts", src, RULE)) == [Level.WARNING]  # the same text in runnable code is reported
