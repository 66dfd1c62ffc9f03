"""Issue 15 (items 3, 6, 7, 10-python): resolution depth, libcst crash shapes, deadlines, encodings.

Every bound either settles the question or ends in a finding (safety/unparsed-file with a reason); none stops
silently. Inputs are built in code; shapes that crash libcst run in a child process so a regression is a failed
test, not a dead test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cst_reference
import libcst
import pytest
from code_support import analyze

from extgate import pyparse
from extgate.gates.code import bounded, html
from extgate.scoring.symbols import python_symbols

RULE = "safety/unparsed-file"
EVAL = "code/dynamic-eval"


def _rules(source: str | bytes, path: str, **settings: object) -> list[tuple[str, object]]:
    result = analyze(path, source, **settings)
    return [(f.rule_id, dict(f.properties).get("reason")) for f in result.findings]


def _js_chain(n: int, *, reverse: bool) -> str:
    if reverse:  # every alias is declared before the one it names: no order of evaluation helps
        return "".join(f"var a{i} = a{i + 1};\n" for i in range(n)) + f"var a{n} = eval;\na0(x);\n"
    return "var a0 = eval;\n" + "".join(f"var a{i} = a{i - 1};\n" for i in range(1, n + 1)) + f"a{n}(x);\n"


def _py_chain(n: int, *, reverse: bool) -> str:
    if reverse:
        return "".join(f"a{i} = a{i + 1}\n" for i in range(n)) + f"a{n} = eval\na0(x)\n"
    return "a0 = eval\n" + "".join(f"a{i} = a{i - 1}\n" for i in range(1, n + 1)) + f"a{n}(x)\n"


# -- item 3: alias chains ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [33, 64, 2_000])
@pytest.mark.parametrize("reverse", [False, True])
def test_js_eval_through_long_alias_chains_is_found(n: int, reverse: bool) -> None:
    assert _rules(_js_chain(n, reverse=reverse), "a.js") == [(EVAL, None)]


@pytest.mark.parametrize("n", [25, 64, 1_000])
@pytest.mark.parametrize("reverse", [False, True])
def test_python_eval_through_long_alias_chains_is_found(n: int, reverse: bool) -> None:
    assert _rules(_py_chain(n, reverse=reverse), "a.py") == [(EVAL, None)]


@pytest.mark.parametrize(
    ("path", "source"), [("a.js", _js_chain(300, reverse=True)), ("a.py", _py_chain(300, reverse=True))]
)
def test_a_chain_beyond_the_resolution_budget_is_a_finding(
    monkeypatch: pytest.MonkeyPatch, path: str, source: str
) -> None:
    monkeypatch.setattr(bounded, "MAX_PASSES", 3)  # what ~65,000 aliases would take with the real budget
    assert _rules(source, path) == [(RULE, "unresolved-chain")]


def test_cycle_does_not_poison_the_memo() -> None:
    # resolving `b` first meets `a` while `b` is in progress; `a` must not be remembered as "nothing"
    assert _rules("var a = b;\nvar b = a;\nb = eval;\nb('1');\na(payload);\n", "a.js") == [(EVAL, None)] * 2
    assert _rules("a = b\nb = a\nb = eval\nb('1')\na(payload)\n", "a.py") == [(EVAL, None)] * 2


@pytest.mark.parametrize("path", ["a.js", "a.py"])
def test_may_alias_fan_out_stays_linear(path: str) -> None:
    # 16 bindings per name over 60 levels: 16**60 paths without the per-pass memo
    sep = ";\n" if path.endswith(".js") else "\n"
    decl = "var " if path.endswith(".js") else ""
    lines = [f"{decl}a0 = eval"] + [f"{decl}a{i} = a{i - 1}" for i in range(1, 60) for _ in range(16)]
    assert _rules(sep.join([*lines, "a59(x)"]) + sep, path) == [(EVAL, None)]


# -- item 6: shapes CPython keeps flat and libcst nests (crash above ~5,900 levels) ---------------------------------
CRASH_SHAPES = {
    "and-chain": "x = " + " and ".join(["a"] * 10_000),
    "or-chain": "x = " + " or ".join(["a"] * 10_000),
    "import-dotted": "import " + ".".join(["a"] * 10_000),
    "from-dotted": "from " + ".".join(["a"] * 6_500) + " import b",
    "string-concat": "x = (" + " ".join(['"a"'] * 8_000) + ")",
    "fstring-field-concat": 'x = f"{' + " ".join(["'a'"] * 8_000) + '}"',
    "comprehension-fors": "x = [a " + " ".join(["for a in b"] * 8_000) + "]",
}


def test_libcst_crash_shapes_are_refused_before_libcst_in_a_child_process(tmp_path: Path) -> None:
    for name, body in CRASH_SHAPES.items():
        (tmp_path / f"{name}.py").write_text("import os\n" + body + "\neval(x)\n")
    child = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from code_support import analyze
        from extgate.scoring.symbols import python_symbols
        for path in sorted(Path({str(tmp_path)!r}).glob("*.py")):
            data = path.read_bytes()
            result = analyze(path.name, data)
            scored = python_symbols(path.name, data)
            print(path.stem, result.skip_reason, [f.rule_id for f in result.findings], bool(scored.error))
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]  # -11 would be libcst's SIGSEGV
    rows = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert rows == {name: f"too-deep ['{RULE}'] True" for name in CRASH_SHAPES}


def test_shapes_within_the_allowance_are_still_analysed() -> None:
    assert _rules("x = " + " and ".join(["a"] * 150) + "\neval(x)\n", "a.py") == [(EVAL, None)]
    assert _rules("import " + ".".join(["a"] * 150) + "\neval(x)\n", "a.py") == [(EVAL, None)]
    assert _rules('x = f"{a}" "b"\ny = f"{z:{w}>3}"\neval(x)\n', "a.py") == [(EVAL, None)]


def test_libcst_is_not_on_the_analysis_path_and_its_failures_stay_unparseable(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes) -> None:
        raise KeyError("libcst bug")  # libcst 1.9 raises KeyError on `from a.a.a... import b` at ~1,000 parts

    monkeypatch.setattr(libcst, "parse_module", broken)
    source = 'import os\n\ndef run():\n    """Docs."""\n\neval(x)\n'
    result = analyze("a.py", source)  # the code gate and scoring read CPython's tree: a libcst bug cannot hit them
    assert (result.skip_reason, [f.rule_id for f in result.findings]) == ("", [EVAL])
    assert [(s.name, s.documented) for s in python_symbols("a.py", source.encode()).symbols] == [("run", True)]
    with pytest.raises(pyparse.Unparseable, match="KeyError"):  # the tests' libcst reference
        cst_reference.parse_module(source.encode(), 200, 5_000)


# -- item 7: deadlines ---------------------------------------------------------------------------------------------
def test_js_tree_too_deep_for_tree_sitter_queries_is_a_finding() -> None:
    # 62,000 nested calls: py-tree-sitter's captures stop at 65,536 nodes and take seconds to minutes past that
    result = analyze("a.js", "f" + "()" * 62_000 + ";eval(x);", max_parse_bytes=1_000_000)
    assert result.skip_reason == "too-deep"
    assert [f.rule_id for f in result.findings if f.rule_id == RULE] == [RULE]


def test_html_script_scan_has_a_deadline() -> None:
    # each `<script ` whose tag cannot end costs a tag match over up to 4 KiB; with a `>` inside quotes every 4 KiB
    # (so no stretch of tags can be skipped as unterminated) 1.2 MB of them is seconds of work. The deterministic
    # work budget (test_code_html.py) usually stops it first; a deadline already past stops it before that.
    unit = b"<script " * 500 + b'"a>b"'
    data = unit * 300 + b"<script>eval(x)</script>"
    with pytest.raises(html.ScanTimeout):
        html.script_ranges(data, deadline=time.monotonic() - 1)
    result = analyze("a.html", data, parse_timeout_ms=50, max_parse_bytes=4_000_000)
    assert result.skip_reason in ("timeout", "too-complex")  # whichever bound comes first: never the whole scan
    assert _rules(data, "a.html", parse_timeout_ms=50)[0][0] == RULE


def test_unterminated_script_tags_are_skipped_in_one_pass() -> None:
    # 150,000 `<script ` with no `>` for megabytes: once 160 s, then a timeout; now the stretch is skipped at once
    data = b"<script " * 150_000 + b"<script>eval(x)</script>"
    result = analyze("a.html", data, parse_timeout_ms=5_000, max_parse_bytes=4_000_000)
    assert result.skip_reason != "timeout"
    assert "code/dynamic-eval" in {f.rule_id for f in result.findings}


def test_python_resolution_has_a_deadline() -> None:
    result = analyze("a.py", _py_chain(2_000, reverse=True), parse_timeout_ms=1)
    assert result.skip_reason in ("timeout", "too-complex")
    assert [f.rule_id for f in result.findings] == [RULE]


# -- item 10 (Python part): encodings ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        b"#\xff\nimport os\neval(x)\n",  # ast.parse accepts it; Python refuses to run it
        b"import os\nx = 1\n# \xff\neval(x)\n",
        b"# coding: no-such-codec\neval(x)\n",
        "eval(x)\n".encode("utf-16"),
    ],
)
def test_python_that_python_refuses_to_read_is_a_finding(source: bytes) -> None:
    result = analyze("a.py", source)
    assert (result.skip_reason, [f.rule_id for f in result.findings]) == ("syntax", [RULE])
    assert "refuses to read" in result.findings[0].message
    assert python_symbols("a.py", source).error  # scoring: 'not parsable', not a crash


@pytest.mark.parametrize(
    "source", [b"\xef\xbb\xbfeval(x)\n", "# -*- coding: latin-1 -*-\nx = '\xe9'\neval(x)\n".encode("latin-1")]
)
def test_python_in_a_declared_encoding_is_analysed(source: bytes) -> None:
    assert _rules(source, "a.py") == [(EVAL, None)]
