"""Exported-declaration doc coverage with real parsers: what counts as exported, what counts as documented."""

from __future__ import annotations

import random

import pytest

from extgate.model import Package
from extgate.scoring.symbols import Limits, coverage, file_symbols, js_symbols, python_symbols, select_sources


def docs(source: str, grammar: str = "typescript") -> dict[str, bool]:
    return {s.name: s.documented for s in js_symbols(source.encode(), grammar)}


def test_typescript_export_forms() -> None:
    got = docs(
        """
/** f */
export function f(): void {}
export class C {}
/** I */
export interface I {}
export type T = string;
/** E */
export enum E { A }
export abstract class A {}
/** z */
export declare const z: number;
export namespace N { export const inner = 1 }
"""
    )
    assert got == {"f": True, "C": False, "I": True, "T": False, "E": True, "A": False, "z": True, "N": False}
    assert "inner" not in got  # namespace members belong to the namespace


def test_const_list_and_destructuring() -> None:
    got = docs("/** both */\nexport const a = 1, b = 2;\nexport const { c, d: [e] } = obj;\n")
    assert got == {"a": True, "b": True, "c": False, "e": False}


def test_overloads_count_once_and_any_doc_counts() -> None:
    got = docs("export function g(a: string): void;\n/** g */\nexport function g(a: any) {}\n")
    assert got == {"g": True}


def test_local_export_clause_resolves_to_the_declaration() -> None:
    got = docs(
        """
export { helper, documented as alias };
/** documented */
function documented() {}
function helper() {}
import { imported } from "./x";
export { imported };
"""
    )
    assert got == {"helper": False, "alias": True}  # `imported` is documented where it is declared


def test_reexports_from_other_modules_are_not_counted() -> None:
    assert docs('export * from "./a";\nexport { b } from "./b";\nexport * as ns from "./c";\n') == {}


def test_default_exports() -> None:
    assert docs("/** d */\nexport default function run() {}\n") == {"default": True}
    assert docs("export default class {}\n") == {"default": False}
    assert docs("/** x */\nconst x = 1;\nexport default x;\n") == {"default": True}


@pytest.mark.parametrize(
    ("prefix", "documented"),
    [
        ("/** Documented. */\n", True),
        ("/** Documented. */\n\n\n", True),  # blank lines are whitespace
        ("/** Documented. */\n// eslint-disable-next-line\n", True),
        ("/* not a doc comment */\n", False),
        ("// line comment\n", False),
        ("/** */\n", False),  # empty
        ("/***/\n", False),
        ("/** @module */\n", False),  # a module doc, not the symbol's
        ("/** @license MIT */\n", False),
        ("/** Documented. */\nconst gap = 1;\n", False),  # not immediately preceding
        ('const s = "/** not a comment */";\n', False),  # inside a string
    ],
)
def test_what_counts_as_a_doc_comment(prefix: str, documented: bool) -> None:
    assert docs(prefix + "export function target() {}\n")["target"] is documented


def test_keyword_in_comment_or_string_is_not_an_export() -> None:
    source = '// export function fake() {}\nconst s = "export const alsoFake = 1";\n/* export class C {} */\n'
    assert docs(source) == {}


def test_commonjs_forms() -> None:
    got = docs(
        """
/** f */
function f() {}
const dep = require("./dep");
module.exports = {
  /** a */
  a: 1,
  f,
  dep,
  b: 2,
  /** m */
  m() {},
  r: require("./r"),
  ...rest,
};
/** x */
exports.x = function () {};
module.exports.y = 2;
exports.z = exports.w = void 0;
exports.__esModule = true;
""",
        "javascript",
    )
    assert got == {"a": True, "f": True, "b": False, "m": True, "x": True, "y": False}


def test_tsc_commonjs_output_counts_each_export_once() -> None:
    got = docs(
        """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.b = exports.a = void 0;
/** a */
function a() {}
exports.a = a;
const b = 2;
exports.b = b;
""",
        "javascript",
    )
    assert got == {"a": True, "b": False}


def test_module_exports_single_value() -> None:
    assert docs("/** main */\nmodule.exports = function main() {};\n", "javascript") == {"module.exports": True}
    assert docs("module.exports = require('./lib');\n", "javascript") == {}


def test_tsx_and_jsx_parse() -> None:
    assert docs("/** App */\nexport function App() { return <div/>; }\n", "tsx") == {"App": True}
    assert docs("/** App */\nexport function App() { return <div/>; }\n", "javascript") == {"App": True}


def test_python_public_defs_and_dunder_all() -> None:
    result = python_symbols(
        "m.py",
        b'"""module"""\ndef run():\n    """Run."""\n\nasync def go():\n    pass\n\nclass Model:\n    """M."""\n\n'
        b"def _private():\n    pass\n\nif True:\n    def hidden():\n        pass\n",
    )
    assert {s.name: s.documented for s in result.symbols} == {"run": True, "go": False, "Model": True}
    explicit = python_symbols("m.py", b"__all__ = ['_exported']\ndef public():\n    pass\ndef _exported():\n    'x'\n")
    assert {s.name: s.documented for s in explicit.symbols} == {"_exported": True}


def test_python_docstring_keyword_in_string_is_not_a_docstring() -> None:
    result = python_symbols("m.py", b'def f():\n    x = """not a docstring"""\n')
    assert [s.documented for s in result.symbols] == [False]


def test_unparsable_and_hostile_python_is_skipped_with_a_reason() -> None:
    assert python_symbols("bad.py", b"def f(:\n").error
    assert "nested" in (python_symbols("deep.py", b"x = " + b"(" * 500 + b")" * 500).error or "")


def test_source_selection_prefers_typescript_and_skips_tests() -> None:
    pkg = Package.from_files(
        {
            "src/a.ts": "export const a = 1;\n",
            "dist/a.js": "exports.a = 1;\n",
            "dist/a.d.ts": "export declare const a: number;\n",
            "src/a.test.ts": "export const t = 1;\n",
            "node_modules/x/index.ts": "export const n = 1;\n",
            "dist/bundle.min.js": "exports.q=1;",
        }
    )
    language, entries = select_sources(pkg)
    assert language == "typescript"
    assert [e.path for e in entries] == ["src/a.ts"]
    declarations_only = Package.from_files({"index.d.ts": "export declare const a: number;\n", "index.js": ""})
    assert select_sources(declarations_only)[0] == "declarations"


def test_coverage_limits_are_reported_not_silent() -> None:
    files = {f"src/m{i}.ts": f"/** d */\nexport const v{i} = {i};\n" for i in range(5)}
    files["src/huge.ts"] = "export const big = 1;\n" + "// pad\n" * 2000
    cov = coverage(Package.from_files(files), Limits(max_files=10, max_file_bytes=5000))
    assert (cov.total, cov.documented) == (5, 5)
    assert any("huge.ts" in s for s in cov.skipped)
    capped = coverage(Package.from_files(files), Limits(max_files=2))
    assert capped.files == 2 and any("file limit" in s for s in capped.skipped)


def test_file_symbols_is_pure() -> None:
    data = b"/** a */\nexport const a = 1;\n"
    assert file_symbols("x.ts", data) == file_symbols("x.ts", data)
    assert file_symbols("x.txt", data).error


def test_many_exports_and_comments_stay_linear() -> None:
    source = "".join(f"// note\n// note\n/** d{i} */\nexport const v{i} = {i};\n" for i in range(5000))
    symbols = js_symbols(source.encode(), "typescript")
    assert len(symbols) == 5000 and all(s.documented for s in symbols)


def _reference_nesting(data: bytes) -> int:
    depth = deepest = 0
    for byte in data:
        if byte in b"([{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b")]}":
            depth = max(0, depth - 1)
    return deepest


@pytest.mark.parametrize("seed", range(4))
def test_bracket_nesting_matches_the_step_by_step_count(seed: int) -> None:
    """`_nesting` (prefix sums, no Python step per bracket) gives the clamped depth a bracket-by-bracket walk gives:
    unbalanced closers first, runs of openers, text between brackets, nothing at all."""
    from extgate.scoring.symbols import _nesting

    rnd = random.Random(seed)
    cases = [b"", b"abc", b")))", b"(((", b")(", b"())((", b"[{(x)}]" * 3, b"(" * 150 + b")" * 300 + b"[" * 7]
    cases += [bytes(rnd.choice(b"()[]{}a\n") for _ in range(rnd.randrange(0, 80))) for _ in range(3000)]
    for data in cases:
        assert _nesting(data) == _reference_nesting(data), data
    assert _nesting(b"(" * 150 + b")" * 300 + b"[" * 7) == 150
