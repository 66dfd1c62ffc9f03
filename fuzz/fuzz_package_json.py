"""Fuzz target: package.json parser (line-tracking JSON, duplicate keys, depth and size caps)."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.manifest.parse"):
    import _targets

MAX_LEN = 8192
SEEDS = [_targets.MANIFEST, b'{"a": [1, {"b": null}], "a": 2}']
FIXTURES = fixture_files("**/package.json", "**/imports.json", "**/deno.json")
DICTIONARY = [
    b'"name"',
    b'"version"',
    b'"dependencies"',
    b'"scripts"',
    b'"files"',
    b"\\u0000",
    b"\\ud800",
    b'\\"',
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"true",
    b"false",
    b"null",
]


def one_input(data: bytes) -> None:
    _targets.json_manifest(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
