"""Fuzz target: manifest.yaml parser (safe YAML: aliases, tags, depth and size caps)."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [b'name: "@me/ext"\nversion: 1.0.0\nmodels: [a.ts]\n', b"a: &x [1, 2]\nb: *x\nc: !!str 3\n"]


def one_input(data: bytes) -> None:
    _targets.yaml_manifest(data)


if __name__ == "__main__":
    main(one_input, SEEDS)
