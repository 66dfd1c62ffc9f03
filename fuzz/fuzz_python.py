"""Fuzz target: the Python code scanner (encoding, ast pre-check and libcst shape bounds, resolution)."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'import subprocess as sp\nfrom os import system\ne = eval\ne(input())\nsp.run(x)\n__import__("o" + "s").system(y)\ngetattr(__builtins__, "ex" "ec")(z)\n'  # noqa: E501
]


def one_input(data: bytes) -> None:
    _targets.code("tool.py", data)


if __name__ == "__main__":
    main(one_input, SEEDS)
