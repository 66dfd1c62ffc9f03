"""Fuzz target: the policy loader, an in-archive .extgate.toml as the engine reads it (TOML -> Policy ->
tightened_by -> applied to findings)."""

from __future__ import annotations

from _harness import instrumented, main

with instrumented(__name__, "extgate.policy", "tomllib"):
    import _targets

MAX_LEN = 8192  # > 4,300 digits: an integer past Python's str-conversion limit must fit
SEEDS = [
    b'[rules."code/dynamic-eval"]\nlevel = "warning"\n[code]\nmax_parse_bytes = 100\n[[acknowledge]]\nfingerprint = "abc:1"\nreason = "ok"\n',  # noqa: E501
    b'rules = {"safety/unparsed-file" = {enabled = false, level = "error"}}\nacknowledge = [{fingerprint = "def:1", rule = "x"}]\n',  # noqa: E501
]
FIXTURES: list[bytes] = []
DICTIONARY = [
    b"[rules.",
    b"[[acknowledge]]",
    b"fingerprint = ",
    b"reason = ",
    b"rule = ",
    b"level = ",
    b"enabled = ",
    b'"error"',
    b'"warning"',
    b'"note"',
    b"true",
    b"false",
    b'"code/dynamic-eval"',
    b'"engine/internal-error"',
    b"abc:1",
    b"def:1",
    b'"""',
    b"'''",
    b"1979-05-27T07:32:00Z",
    b"inf",
    b"nan",
    b"0x",
    b"[trust]",
    b"[code]",
]
_targets.rule_levels()  # once, before the first input


def one_input(data: bytes) -> None:
    _targets.policy(data)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
