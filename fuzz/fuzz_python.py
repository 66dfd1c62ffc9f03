"""Fuzz target: the Python code scanner (encoding, ast pre-check and libcst shape bounds, resolution)."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.code", "extgate.pyparse", "extgate.declarations"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'import subprocess as sp\nfrom os import system\ne = eval\ne(input())\nsp.run(x)\n__import__("o" + "s").system(y)\ngetattr(__builtins__, "ex" "ec")(z)\n'  # noqa: E501
]
FIXTURES = fixture_files("detect/**/*.py", "**/*.py")
DICTIONARY = [
    b"import ",
    b"from ",
    b"eval(",
    b"exec(",
    b"__import__(",
    b"getattr(",
    b"subprocess",
    b"os.system",
    b"compile(",
    b"lambda ",
    b"async ",
    b"await ",
    b"# -*- coding: latin-1 -*-\n",
    b"\xef\xbb\xbf",
    b'f"{',
    b"\\N{",
    b" and ",
    b" or ",
    b"\t",
    b"\x0c",
]
_targets.warm_code("tool.py", SEEDS)  # once, before the first input


def one_input(data: bytes) -> None:
    _targets.code("tool.py", data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
