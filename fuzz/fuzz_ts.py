"""Fuzz target: the TypeScript/TSX code scanner."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'import * as cp from "node:child_process";\nconst x = <T,>(a: T) => a as unknown as typeof eval;\ncp.spawn(Deno.env.get("X")!); eval(x!);\n'  # noqa: E501
]


def one_input(data: bytes) -> None:
    _targets.code("mod.ts", data)


if __name__ == "__main__":
    main(one_input, SEEDS)
