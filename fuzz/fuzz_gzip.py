"""Fuzz target: gzip intake (members, trailing data, tar inside) through open_source."""

from __future__ import annotations

from _harness import fixture_trees, instrumented, main

with instrumented(__name__, "extgate.intake", "extgate.model"):
    import _targets

MAX_LEN = 16384
SEEDS = [_targets.tar_bytes(_targets.PACKAGE_FILES, "w:gz")]
TREES = fixture_trees("intake/swamp-ext", "manifest/cinatra-real/*", "scoring/*", "manifest/swamp/*")
FIXTURES = [_targets.tar_bytes(_targets.package_tree(tree), "w:gz") for tree in TREES]
DICTIONARY = [b"\x1f\x8b\x08\x00", b"\x1f\x8b\x08\x08", b"\x1f\x8b\x08\x1f", b"\x00\x00\xff\xff", b"\x03\x00"]


def one_input(data: bytes) -> None:
    _targets.archive(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
