"""Fuzz target: deno.json / deno.jsonc imports and import maps for the dependency audit."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.trust", "extgate.registry.client", "extgate.model"):
    import _targets

MAX_LEN = 4096
SEEDS = [
    b'{"imports": {"std/": "jsr:@std/", "x": "npm:left-pad@1"}} // c',
    b'{"importMap": "./map.json", /* c */ "tasks": {}}',
]
FIXTURES = fixture_files("**/deno.json", "**/imports.json")
DICTIONARY = [
    b'"imports"',
    b'"scopes"',
    b'"importMap"',
    b"npm:",
    b"jsr:",
    b"https://",
    b"//",
    b"/*",
    b"*/",
    b"@^1",
    b"@latest",
]


def one_input(data: bytes) -> None:
    _targets.import_maps({"deno.json": data, "deno.jsonc": data, "import_map.json": data})


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
