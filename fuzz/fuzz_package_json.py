"""Fuzz target: package.json parser (line-tracking JSON, duplicate keys, depth and size caps)."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [_targets.MANIFEST, b'{"a": [1, {"b": null}], "a": 2}']


def one_input(data: bytes) -> None:
    _targets.json_manifest(data)


if __name__ == "__main__":
    main(one_input, SEEDS)
