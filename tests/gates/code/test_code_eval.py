"""code/dynamic-eval: direct, indirect, computed and aliased eval in JS/TS; eval/exec/compile/__import__ in Python."""

from __future__ import annotations

import pytest
from code_support import levels, scan, where

from extgate.model import Level

RULE = "code/dynamic-eval"


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ("eval(payload);", 1),
        ("x = (0, eval)(payload);", 5),
        ("globalThis.eval(payload);", 1),
        ('window["eval"](payload);', 1),
        ("self.eval(payload);", 1),
        ("global.eval(payload);", 1),
        ("top.eval(payload);", 1),
        ('globalThis["ev" + "al"](payload);', 1),
        ("globalThis[`eval`](payload);", 1),
        ('window["\\x65val"](payload);', 1),
        ('window["\\u0065v" + `al`](payload);', 1),
        ("window[String.fromCharCode(101, 118, 97, 108)](payload);", 1),
        ('window[atob("ZXZhbA==")](payload);', 1),
        ('const k = "ev" + "al"; window[k](payload);', 24),
        ("const e = eval; e(payload);", 17),
        ("let e; e = window.eval; e(payload);", 25),
        ("eval.call(null, payload);", 1),
        ("eval.apply(null, [payload]);", 1),
        ("Reflect.apply(eval, null, [payload]);", 1),
        ("eval?.(payload);", 1),
        ("(window.window).eval(payload);", 1),
        ('var g = Function("return this")(); g.eval(payload);', 36),
        ("const run = x || eval; run(payload);", 24),
    ],
)
def test_indirect_and_direct_eval_is_an_error(source: str, column: int) -> None:
    found = scan("index.js", source, RULE)
    assert where(found) == [(1, column)]
    assert levels(found) == [Level.ERROR]


@pytest.mark.parametrize(
    "source",
    [
        "retrieval(x); medieval(y); evaluate(z); evaluation = 1;",
        "// eval(x)\n/* eval(y) */",
        'const s = "eval(x)"; const t = `eval(${y})`;',
        "obj.eval(x); this.eval(y); model.eval();",
        "typeof eval === 'function'; if (window.eval === eval) {}",
        "eval(); eval(0);",
        "function f(eval2) { return eval2(x); }",
        "const o = { eval: 1, evaluate() {} }; o.eval;",
        'class A { eval(x) { return x; } }\nnew A().eval("1");',
    ],
)
def test_not_eval(source: str) -> None:
    assert scan("index.js", source, RULE) == []


def test_eval_of_a_constant_is_a_warning_and_this_is_a_note() -> None:
    found = scan("a.js", 'eval("1 + 1");\nvar req = eval("require");\n(0, eval)("this");\n', RULE)
    assert where(found) == [(1, 1), (2, 11), (3, 1)]
    assert levels(found) == [Level.WARNING, Level.WARNING, Level.NOTE]


def test_eval_passed_as_a_value_is_an_error() -> None:
    found = scan("a.js", "run(eval);\n[eval][0](x);\nconst api = { eval };\nobj.f = eval;\n", RULE)
    assert where(found) == [(1, 5), (2, 2), (3, 15), (4, 9)]
    assert all(f.properties.get("via") == "value" for f in found)


def test_local_binding_shadows_the_global() -> None:
    src = "function run(eval2) {}\nconst window = { eval: (s) => s };\nwindow.eval(x);\n"
    assert scan("a.js", src, RULE) == []


def test_message_says_what_and_how_to_fix() -> None:
    (finding,) = scan("a.js", 'globalThis["ev" + "al"](code)', RULE)
    assert "globalThis" in finding.message and "JSON.parse" in finding.message
    assert finding.snippet == 'globalThis["ev" + "al"](code)'


def test_typescript_and_tsx() -> None:
    ts = scan("a.ts", "const f = (eval as any)(code);\nconst g = (<any>window).eval(code);\nx!.eval(1);\n", RULE)
    assert where(ts) == [(1, 11), (2, 11)]
    tsx = scan("a.tsx", "export const C = () => <div onClick={() => eval(code)}>{label}</div>;\n", RULE)
    assert where(tsx) == [(1, 44)]


@pytest.mark.parametrize("suffix", [".mjs", ".cjs", ".jsx", ".mts", ".cts"])
def test_every_js_suffix_is_scanned(suffix: str) -> None:
    assert where(scan(f"dist/bundle{suffix}", "eval(x)", RULE)) == [(1, 1)]


def test_columns_count_characters_not_bytes() -> None:
    found = scan("a.js", 'const s = "héllo wörld"; eval(x);', RULE)
    assert where(found) == [(1, 26)]


# -- Python ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("eval(data)\n", 1, 1),
        ("exec(code)\n", 1, 1),
        ("x = compile(src, 'f', 'exec')\n", 1, 5),
        ("import builtins\nbuiltins.eval(data)\n", 2, 1),
        ("import builtins\ngetattr(builtins, 'ev' + 'al')(data)\n", 2, 1),
        ("__builtins__['exec'](code)\n", 1, 1),
        ("e = eval\ne(data)\n", 2, 1),
        ("from builtins import exec as run\nrun(code)\n", 2, 1),
        ("mod = __import__(name)\n", 1, 7),
        ("import importlib\nimportlib.import_module(name)\n", 2, 1),
        ("def f():\n    return eval(x)\n", 2, 12),
    ],
)
def test_python_eval_family(source: str, line: int, column: int) -> None:
    found = scan("tool.py", source, RULE)
    assert where(found) == [(line, column)]
    assert levels(found) == [Level.ERROR]


@pytest.mark.parametrize(
    "source",
    [
        "import re\nre.compile(pattern)\n",
        "def run(exec):\n    return exec(cmd)\n",
        "retrieval(x)\nevaluate(y)\n# eval(z)\ns = 'exec(x)'\n",
        "obj.eval(x)\nmodel.exec(y)\n",
        "def eval(x):\n    return x\neval(y)\n",
        "__import__('os')\nimport importlib\nimportlib.import_module('json')\n",
    ],
)
def test_python_not_eval(source: str) -> None:
    assert scan("tool.py", source, RULE) == []


def test_python_constant_eval_is_a_warning() -> None:
    found = scan("tool.py", "eval('1 + 1')\nexec('import os' '\\n')\n", RULE)
    assert levels(found) == [Level.WARNING, Level.WARNING]


def test_escaped_identifiers_are_the_same_name() -> None:
    src = "\\u0065val(x);\nwindow.\\u{65}val(y);\n"
    assert where(scan("a.js", src, RULE)) == [(1, 1), (2, 1)]


def test_python_nfkc_identifiers_are_the_same_name() -> None:
    found = scan("tool.py", "ｅｖａｌ(data)\n", RULE)  # fullwidth letters: Python runs the builtin eval
    assert where(found) == [(1, 1)]


@pytest.mark.parametrize(
    "source",
    [
        "window" + ".window" * 100 + ".eval(payload);",  # long chains resolve iteratively
        "(" * 500 + "eval" + ")" * 500 + "(payload);",
        "(0, " * 200 + "eval" + ")" * 200 + "(payload);",
        "window[" + " + ".join(['""'] * 300 + ['"ev"', '"al"']) + "](payload);",
        'var g = new Function("return this")(); g.eval(payload);',
    ],
)
def test_padding_does_not_hide_eval(source: str) -> None:
    assert [f.level for f in scan("a.js", source, RULE)] == [Level.ERROR]
