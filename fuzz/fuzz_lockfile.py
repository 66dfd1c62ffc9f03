"""Fuzz target: package-lock.json / npm-shrinkwrap.json / deno.lock reading for the dependency audit."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.trust", "extgate.registry.client", "extgate.model"):
    import _targets

MAX_LEN = 8192
SEEDS = [
    b'{"lockfileVersion": 3, "packages": {"": {}, "node_modules/left-pad": {"version": "1.3.0"}}}',
    b'{"lockfileVersion": 1, "dependencies": {"left-pad": {"version": "1.3.0", "dependencies": {}}}}',
    b'{"version": "4", "npm": {"left-pad@1.3.0": {"integrity": "x"}}, "jsr": {}}',
]
FIXTURES = fixture_files("**/package-lock.json", "**/deno.lock", "**/npm-shrinkwrap.json")
DICTIONARY = [
    b'"lockfileVersion"',
    b'"packages"',
    b'"node_modules/',
    b'"dependencies"',
    b'"version"',
    b'"resolved"',
    b'"link": true',
    b'"npm"',
    b'"jsr"',
    b'"specifiers"',
    b"npm:",
    b"jsr:",
    b"@1.0.0",
    b'"dev": true',
    b'"optional": true',
]
_targets.direct_names()  # once, before the first input: MANIFEST's dependencies


def one_input(data: bytes) -> None:
    _targets.lockfiles({"package-lock.json": data, "deno.lock": data})


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
