"""Fuzz target: the ignore-file glob matcher (`.npmignore` / `.gitignore` / `files` rules, npm's minimatch
semantics) that decides a directory's publish set. Split out of `directory` so that its per-entry cost does not
slow that harness, and so that its own promises are checked on every input:

- `cannot_match` (the literal screen the walk uses to skip rules) never rules out a full match;
- `memo_key` (what the walk memoizes on) never gives two paths with different answers the same key."""

from __future__ import annotations

from _harness import fixture_files, instrumented, main

with instrumented(__name__, "extgate.intake.glob"):
    from extgate.intake.glob import compile_rules

MAX_LEN = 1024
SEEDS = [
    b"*.log\n!keep.log\n/build/\n**/test/**\nlib/*.js\n!/readme{,.*[^~$]}\n\0a.log\0keep.log\0build/x\0lib/a.js\0x/test/y",
    b"{a,b}{1..3}/[[:alpha:]]?\n**\n!**/.git/**\n\0b2/xy\0.git/config\0a/b/c/d\0",
]
FIXTURES = fixture_files("**/.npmignore", "**/.gitignore")  # rules only, no paths (none committed today)
DICTIONARY = [b"**", b"*", b"?", b"[", b"]", b"[!", b"[:alpha:]", b"{", b"}", b",", b"..", b"!", b"#", b"/", b"\\"]
_MAX_RULES = 8  # per input: each rule is matched against each path ~12 times (variants, partial, invariants)
_MAX_PATHS = 4


def one_input(data: bytes) -> None:
    rules_text, _, rest = data.partition(b"\0")
    rules = compile_rules(rules_text.decode("utf-8", "replace"), limit=_MAX_RULES)
    paths = [p.decode("utf-8", "replace")[:512] for p in rest.split(b"\0")[:_MAX_PATHS]]
    for rule in rules:
        for path in paths:
            full = [rule.match(variant) for variant in (path, "/" + path, path + "/", "/" + path + "/")]
            rule.match(path, True)
            if rule.cannot_match(path):
                assert not any(full), (rule.pattern, path)
            for other in ("/" + path, "x/" + path, path + "/"):
                if rule.memo_key(other) == rule.memo_key(path):
                    for partial in (False, True):
                        assert rule.match(other, partial) == rule.match(path, partial), (rule.pattern, path, other)


if __name__ == "__main__":
    main(one_input, SEEDS, max_len=MAX_LEN, dictionary=DICTIONARY)
