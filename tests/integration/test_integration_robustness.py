"""Mutated hostile inputs through the whole pipeline: every gate must turn them into findings, never crash.

Deterministic (fixed seeds), so it cannot flake; an `engine/internal-error` here is a gate bug (it still fails
closed, but a crafted file should get its own clear finding).
"""

from __future__ import annotations

import random

import pytest

from extgate import Options, check
from support.archives import npm_tgz

SEEDS = [
    b"const x = require('child_process'); x.exec(`ls ${a}`); eval(b); new Function('a', c)(1);",
    b"import os, subprocess\nsubprocess.run(['ls']); eval(compile(x,'f','exec'))\nos.system(cmd)\n",
    b'{"name":"@a/b","version":"1.0.0","main":"index.js","dependencies":{"x":"^1"},"cinatra":{"kind":"agent"}}',
    b"manifestVersion: 1\nname: '@a/b'\nversion: 2026.01.01.1\nmodels: [a.ts]\n",
    b"<html><script>eval(location.hash)</script></html>",
    b"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nghp_" + b"a" * 36,
    b"# -*- coding: latin-1 -*-\ndef f():\n    '''doc'''\n",
]
NAMES = [
    "index.js",
    "a.ts",
    "b.tsx",
    "c.py",
    "package.json",
    "manifest.yaml",
    "x.html",
    "README.md",
    "d.mjs",
    ".env",
    "package-lock.json",
    "deno.json",
    "LICENSE",
]
NOISE = [b"(", b"[", b"{", b"\xe2\x80\xae", b"\x00", b"\\u00", b"`${", b"*/", b"'''", b"\xff", b"&a", b"!!"]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        op, at = rng.random(), rng.randrange(len(out) + 1)
        if op < 0.3 and out:
            del out[at % len(out)]
        elif op < 0.6:
            out[at:at] = bytes([rng.randrange(256)])
        elif op < 0.8:
            out[at:at] = rng.choice(SEEDS)[: rng.randrange(1, 40)]
        else:
            out[at:at] = rng.choice(NOISE) * rng.randint(1, 300)
    return bytes(out)


@pytest.mark.parametrize("seed", range(40))
def test_mutated_packages_never_crash_a_gate(seed: int, tmp_path: object) -> None:
    rng = random.Random(seed)
    files = {rng.choice(NAMES): mutate(rng, rng.choice(SEEDS)) for _ in range(rng.randint(1, 5))}
    options = Options(offline=True, network=False, osv_db=str(tmp_path), use_cache=False)
    verdict = check(npm_tgz(files), options=options)
    crashes = [f.message for f in verdict.findings if f.rule_id == "engine/internal-error"]
    assert not crashes, (sorted(files), crashes)
