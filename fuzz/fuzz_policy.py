"""Fuzz target: the policy loader (TOML -> Policy, as for .extgate.toml inside an archive)."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__):
    import _targets

SEEDS = [
    b'[rules."code/dynamic-eval"]\nlevel = "warning"\n[code]\nmax_parse_bytes = 100\n[[acknowledge]]\nfingerprint = "abc:1"\nreason = "ok"\n'  # noqa: E501
]


def one_input(data: bytes) -> None:
    _targets.policy(data)


if __name__ == "__main__":
    main(one_input, SEEDS)
