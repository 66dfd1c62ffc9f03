"""Fuzz target: manifest.yaml parser (safe YAML: aliases, tags, depth and size caps)."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.gates.manifest.parse", "extgate.safeyaml"):
    import _targets

MAX_LEN = 8192
SEEDS = [b'name: "@me/ext"\nversion: 1.0.0\nmodels: [a.ts]\n', b"a: &x [1, 2]\nb: *x\nc: !!str 3\n"]
FIXTURES = fixture_files("**/manifest.yaml", "**/.swamp.yaml", "content/*/expected.yaml")
DICTIONARY = [
    b"manifestVersion: 1",
    b"name: ",
    b"version: ",
    b"models:",
    b"- ",
    b"&a ",
    b"*a",
    b"!!str ",
    b"!!int ",
    b"!!float ",
    b"!!bool ",
    b"!!null ",
    b"!!binary ",
    b"!!python/object ",
    b"--- ",
    b"...",
    b"? ",
    b"<<: ",
    b"0x",
    b"0o",
    b".inf",
    b".nan",
    b"~",
    b"%YAML 1.1",
    b"%TAG ! tag:x,2000:",
]


def one_input(data: bytes) -> None:
    _targets.yaml_manifest(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
