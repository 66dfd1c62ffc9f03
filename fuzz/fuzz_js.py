"""Fuzz target: the JavaScript code scanner (prefilter, tree-sitter, name resolution, rules)."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.code", "extgate.lang", "extgate.declarations"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'const {exec: run} = require("child_process"); run(process.env.X); (0, eval)(y); new Function("return this")();\nvar a = b, c = a; c(d); import("./" + n); fetch(u, {body: JSON.stringify(process.env)});\n'  # noqa: E501
]
FIXTURES = fixture_files(
    "detect/**/*.js", "detect/**/*.mjs", "code/**/*.js", "code/**/*.mjs", "cache/**/*.js", "content/**/*.js"
)
DICTIONARY = [
    b"require(",
    b"eval(",
    b"new Function(",
    b"child_process",
    b"process.env",
    b"import(",
    b"exec",
    b"spawn",
    b"fetch(",
    b"Deno.",
    b"Bun.",
    b"globalThis",
    b"constructor",
    b"=>",
    b"`${",
    b"\\u0065",
    b"/*",
    b"*/",
    b"//",
    b"var ",
    b"const ",
    b"let ",
    b"function ",
    b"class ",
    b"export ",
    b"import ",
    b" from ",
]
_targets.warm_code("index.js", SEEDS)  # once, before the first input


def one_input(data: bytes) -> None:
    _targets.code("index.js", data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
