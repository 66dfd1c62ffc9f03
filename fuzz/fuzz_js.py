"""Fuzz target: the JavaScript code scanner (prefilter, tree-sitter, name resolution, rules)."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'const {exec: run} = require("child_process"); run(process.env.X); (0, eval)(y); new Function("return this")();\nvar a = b, c = a; c(d); import("./" + n); fetch(u, {body: JSON.stringify(process.env)});\n'  # noqa: E501
]


def one_input(data: bytes) -> None:
    _targets.code("index.js", data)


if __name__ == "__main__":
    main(one_input, SEEDS)
