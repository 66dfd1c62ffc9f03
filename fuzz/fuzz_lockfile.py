"""Fuzz target: package-lock.json / npm-shrinkwrap.json / deno.lock reading for the dependency audit."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'{"lockfileVersion": 3, "packages": {"": {}, "node_modules/left-pad": {"version": "1.3.0"}}}',
    b'{"lockfileVersion": 1, "dependencies": {"left-pad": {"version": "1.3.0", "dependencies": {}}}}',
]


def one_input(data: bytes) -> None:
    _targets.dependency_sources({"package.json": _targets.MANIFEST, "package-lock.json": data, "deno.lock": data})


if __name__ == "__main__":
    main(one_input, SEEDS)
