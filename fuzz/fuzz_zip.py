"""Fuzz target: zip intake (central directory, local headers, zip64, encryption flags) through open_source."""

from __future__ import annotations

from _harness import fixture_trees, instrumented, main

with instrumented(__name__, "extgate.intake", "extgate.model"):
    import _targets

MAX_LEN = 16384
SEEDS = [_targets.zip_bytes(_targets.PACKAGE_FILES)]
TREES = fixture_trees("intake/swamp-ext", "manifest/cinatra-real/*", "scoring/*", "manifest/swamp/*")
FIXTURES = [_targets.zip_bytes(_targets.package_tree(tree)) for tree in TREES]
DICTIONARY = [
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x06\x06",
    b"PK\x06\x07",
    b"PK\x07\x08",
    b"\x14\x00",
    b"\x2d\x00",
    b"\x3f\x00",
    b"\x01\x00",
    b"\xff\xff\xff\xff",
    b"package/",
]


def one_input(data: bytes) -> None:
    _targets.archive(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
