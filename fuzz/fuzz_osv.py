"""Fuzz target: OSV record parsing and range matching (records from the API, the offline database or the cache)."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(
    __name__, "extgate.trust.osv", "extgate.trust.match", "extgate.trust.resolve", "extgate.trust.severity"
):
    import _targets

MAX_LEN = 8192
SEEDS = [
    b'{"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]}',  # noqa: E501
]
FIXTURES = fixture_files("osv/**/*.json")
DICTIONARY = [
    b'"affected"',
    b'"ranges"',
    b'"events"',
    b'"introduced"',
    b'"fixed"',
    b'"last_affected"',
    b'"limit"',
    b'"versions"',
    b'"SEMVER"',
    b'"ECOSYSTEM"',
    b'"GIT"',
    b'"npm"',
    b'"severity"',
    b"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    b'"database_specific"',
    b'"withdrawn"',
    b"-beta.1",
    b"+build",
]


def one_input(data: bytes) -> None:
    _targets.osv(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
