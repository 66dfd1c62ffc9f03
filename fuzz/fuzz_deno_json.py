"""Fuzz target: deno.json / deno.jsonc imports and import maps for the dependency audit."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'{"imports": {"std/": "jsr:@std/", "x": "npm:left-pad@1"}} // c',
    b'{"importMap": "./map.json", /* c */ "tasks": {}}',
]


def one_input(data: bytes) -> None:
    _targets.dependency_sources({"deno.json": data, "deno.jsonc": data, "import_map.json": data})


if __name__ == "__main__":
    main(one_input, SEEDS)
