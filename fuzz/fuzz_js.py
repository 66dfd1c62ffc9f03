"""Fuzz target: the JavaScript code scanner (prefilter, tree-sitter, name resolution, rules)."""

from __future__ import annotations

from _harness import JS_DICTIONARY, fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.code", "extgate.lang", "extgate.declarations"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'const {exec: run} = require("child_process"); run(process.env.X); (0, eval)(y); new Function("return this")();\nvar a = b, c = a; c(d); import("./" + n); fetch(u, {body: JSON.stringify(process.env)});\n'  # noqa: E501
]
FIXTURES = fixture_files(
    "detect/**/*.js", "detect/**/*.mjs", "code/**/*.js", "code/**/*.mjs", "cache/**/*.js", "content/**/*.js"
)
DICTIONARY = JS_DICTIONARY
_targets.warm_code("index.js", SEEDS)  # once, before the first input


def one_input(data: bytes) -> None:
    _targets.code("index.js", data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
