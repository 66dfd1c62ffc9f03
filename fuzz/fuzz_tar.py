"""Fuzz target: tar intake (ustar/pax/GNU headers, links, names) through open_source."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [_targets.tar_bytes(_targets.PACKAGE_FILES), _targets.tar_bytes(_targets.PACKAGE_FILES, "w:")]


def one_input(data: bytes) -> None:
    _targets.archive(data)


if __name__ == "__main__":
    main(one_input, SEEDS)
