"""Fuzz target: OSV record parsing and range matching (records from the API, the offline database or the cache)."""

from __future__ import annotations

from _harness import instrumented, main, seed_files

with instrumented(__name__):
    import _targets

SEEDS = [
    *seed_files("osv/npm/GHSA-27h2-hvpr-p74q.json", "osv/npm/GHSA-29mw-wpgm-hmr9.json"),
    b'{"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]}',  # noqa: E501
]


def one_input(data: bytes) -> None:
    _targets.osv(data)


if __name__ == "__main__":
    main(one_input, SEEDS)
