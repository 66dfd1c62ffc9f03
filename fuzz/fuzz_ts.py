"""Fuzz target: the TypeScript/TSX code scanner."""

from __future__ import annotations

from _harness import JS_DICTIONARY, fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.code", "extgate.lang", "extgate.declarations"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'import * as cp from "node:child_process";\nconst x = <T,>(a: T) => a as unknown as typeof eval;\ncp.spawn(Deno.env.get("X")!); eval(x!);\n'  # noqa: E501
]
FIXTURES = fixture_files("detect/**/*.ts", "intake/**/*.ts", "manifest/**/*.ts", "scoring/**/*.ts")
DICTIONARY = [
    *JS_DICTIONARY,
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
