"""Fuzz target: tar intake (ustar/pax/GNU headers, links, names; tarfile and the node-tar view) through open_source."""

from __future__ import annotations

from _harness import fixture_trees, instrumented, main

with instrumented(__name__, "extgate.intake", "extgate.model"):
    import _targets

MAX_LEN = 16384
SEEDS = [_targets.tar_bytes(_targets.PACKAGE_FILES), _targets.tar_bytes(_targets.PACKAGE_FILES, "w:")]
TREES = fixture_trees("intake/swamp-ext", "manifest/cinatra-real/*", "scoring/*", "manifest/swamp/*")
FIXTURES = [_targets.tar_bytes(_targets.package_tree(tree)) for tree in TREES]
DICTIONARY = [
    b"ustar\x00",
    b"ustar  \x00",
    b"00",
    b"package/",
    b"././@LongLink",
    b"././@PaxHeader",
    b" path=",
    b" linkpath=",
    b" size=",
    b" mtime=",
    b"GNU.sparse.",
    b"\x00" * 512,
    b"0000644\x00",
    b"0000755\x00",
]


def one_input(data: bytes) -> None:
    _targets.archive(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
