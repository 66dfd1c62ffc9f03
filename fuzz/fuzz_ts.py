"""Fuzz target: the TypeScript/TSX code scanner."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.code", "extgate.lang", "extgate.declarations"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'import * as cp from "node:child_process";\nconst x = <T,>(a: T) => a as unknown as typeof eval;\ncp.spawn(Deno.env.get("X")!); eval(x!);\n'  # noqa: E501
]
FIXTURES = fixture_files("detect/**/*.ts", "intake/**/*.ts", "manifest/**/*.ts", "scoring/**/*.ts")
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
    b"interface ",
    b"type ",
    b" as ",
    b"satisfies ",
    b"declare ",
    b"namespace ",
    b"enum ",
    b"<T>",
    b"!.",
    b"?.",
]
_targets.warm_code("mod.ts", SEEDS)  # once, before the first input


def one_input(data: bytes) -> None:
    _targets.code("mod.ts", data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
