"""Fuzz target: zip intake (central directory, local headers, zip64, encryption flags) through open_source."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [_targets.zip_bytes(_targets.PACKAGE_FILES)]


def one_input(data: bytes) -> None:
    _targets.archive(data)


if __name__ == "__main__":
    main(one_input, SEEDS)
