"""The ignore-rule matcher: unit cases, and a differential check against the minimatch that ships inside npm."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from extgate.intake.glob import Glob, brace_expand, compile_rules


def test_brace_expansion() -> None:
    assert brace_expand("a{b,c}d") == ["abd", "acd"]
    assert brace_expand("x{1..3}") == ["x1", "x2", "x3"]
    assert brace_expand("{a,{b,c}}") == ["a", "b", "c"]
    assert brace_expand("readme{,.*[^~$]}") == ["readme", "readme.*[^~$]"]
    assert brace_expand("{}") == ["{}"] and brace_expand("{only}") == ["{only}"]
    assert len(brace_expand("{a,b}" * 20)) == 256  # bounded


def test_negation_comments_and_empty() -> None:
    rule = Glob.compile("!lib/**")
    assert rule.negate and rule.match("lib/a.js")  # flipNegate: a hit is a hit
    assert not Glob.compile("#x").match("#x")
    assert Glob.compile("!!x").negate is False
    assert [r.pattern for r in compile_rules("# c\n\n  *.log  \r\n!keep.log\n")] == ["*.log", "!keep.log"]


@pytest.mark.parametrize(
    ("pattern", "path", "partial", "expected"),
    [
        ("*.js", "lib/deep/a.js", False, True),  # matchBase for one-portion patterns
        ("/lib", "lib", False, False),
        ("/lib", "/lib", False, True),
        ("lib/", "lib/", False, True),
        ("lib/", "lib", False, False),
        ("lib/**", "lib/a/b.js", False, True),
        ("src/**/*.ts", "src/a/b/c.ts", False, True),
        ("src/**/*.ts", "src/c.ts", False, True),
        ("src/**/*.ts", "src", True, True),  # partial: the folder may contain a match
        ("src/**/*.ts", "docs", True, False),
        ("**/.git/**", "a/.git/HEAD", False, True),
        ("*", ".hidden", False, True),  # dot: true
        ("README", "readme", False, True),  # nocase
        ("[!a]*.js", "b.js", False, True),
        ("[!a]*.js", "a.js", False, False),
        ("a\\*b", "a*b", False, True),
        ("a\\*b", "axb", False, False),
    ],
)
def test_match(pattern: str, path: str, partial: bool, expected: bool) -> None:
    assert Glob.compile(pattern).match(path, partial) is expected


def test_pathological_globstar_patterns_stay_bounded() -> None:
    rule = Glob.compile("/".join(["**", "a"] * 60) + "/**")
    path = "/".join(["a"] * 59 + ["b"])
    assert rule.match(path) in (True, False)  # answers (no hang), like minimatch's recursion limit
    assert Glob.compile("**/a/**/b").match("x/a/y/b") is True


PATTERNS = [
    "*", "*.js", "lib", "lib/", "/lib", "lib/**", "**/.git", "**/.git/**", ".*.swp", "._*", "**/._*/**", "*.orig",
    "/build/config.gypi", "!/readme{,.*[^~$]}", "!/license{,.*[^~$]}", "a/**/b", "**/*.md", "a/**", "**",
    "src/**/*.ts", "!lib/**", "lib/*", "lib/*/", "x/**/y/**/z", "a/*/c", "[abc]*.js", "[!a]*", "foo?.js", "{a,b}/c",
    "docs/{x,y/z}.md", "/.wafpickle-*", "node_modules", "/node_modules", "test/", "**/test/**", "*.[jt]s",
    "dist/**/*.d.ts", "/**/foo", "a/b/../c", "[[:digit:]]*.js",
]  # fmt: skip
PATHS = [
    "lib", "lib/", "lib/a.js", "lib/sub/b.js", "/lib", "/lib/a.js", "README.md", "/README.md", "/readme", "/README~",
    "a/b", "a/x/b", "a/x/y/b", ".git", "x/.git", "x/.git/HEAD", ".foo.swp", "dir/._x", "._x/y", "a.orig",
    "build/config.gypi", "/build/config.gypi", "src/a/b/c.ts", "src/c.ts", "a/b/c", "a/b/", "x/p/y/q/z", "x/y/z",
    "b.js", "a.js", "foo1.js", "a/c", "b/c", "docs/x.md", "docs/y/z.md", "node_modules", "x/node_modules", "test",
    "test/", "a/test/b", "x.ts", "dist/a/b.d.ts", "foo", "/x/foo", "a", "a/", "/LICENSE.txt", "/.wafpickle-7", "1a.js",
]  # fmt: skip


def _npm_minimatch() -> Path | None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None
    try:
        root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    candidate = Path(root.strip()) / "npm" / "node_modules" / "minimatch"
    return candidate if candidate.is_dir() else None


def test_agrees_with_npms_own_minimatch(tmp_path: Path) -> None:
    minimatch = _npm_minimatch()
    if minimatch is None:
        pytest.skip("npm's bundled minimatch not found (node/npm not on PATH): differential glob test SKIPPED")
    cases: list[tuple[str, str, bool]] = [(p, f, partial) for p in PATTERNS for f in PATHS for partial in (False, True)]
    script = tmp_path / "mm.js"
    script.write_text(
        "const {Minimatch} = require(process.argv[2]);\n"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const opts = {matchBase: true, dot: true, flipNegate: true, nocase: true};\n"
        "console.log(JSON.stringify(cases.map(([p, f, partial]) => new Minimatch(p, opts).match(f, partial))));\n"
    )
    result = subprocess.run(
        ["node", str(script), str(minimatch)], input=json.dumps(cases), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    expected = json.loads(result.stdout)
    mismatches = [
        (p, f, partial, want)
        for (p, f, partial), want in zip(cases, expected, strict=True)
        if Glob.compile(p).match(f, partial) is not want
    ]
    assert mismatches == []
    assert len(cases) > 3000


def test_literal_screen_never_rules_out_a_real_match() -> None:
    """`cannot_match` (the packlist's fast reject) is only ever True where no variant the packlist tries matches."""
    extra = ["CVS", "x/CVS/y", "NPM-DEBUG.LOG", "a/.DS_Store/b", "archived-packages/x", "Config.GYPI", "lib/A.JS"]
    screened = 0
    for pattern in [*PATTERNS, ".npmignore", "npm-debug.log", "**/CVS/**", "**/.DS_Store/**", "/archived-packages/**"]:
        rule = Glob.compile(pattern)
        for path in PATHS + extra:
            entry = path.strip("/")
            if not rule.cannot_match(entry):
                continue
            screened += 1
            for variant in (entry, "/" + entry, entry + "/", "/" + entry + "/", entry.rsplit("/", 1)[-1] + "/"):
                assert not rule.match(variant), (pattern, variant)
    assert screened > 100  # the screen really rejects most pairs, so the assertion above is exercised


def test_memo_key_never_merges_paths_with_different_answers() -> None:
    """The packlist memoizes `match` on `memo_key` (the basename, for basename-only rules): two paths with the same
    key must get the same answer, full and partial."""
    merged = 0
    for pattern in [*PATTERNS, "*.log", "test", "test/", "!keep", "[a-c]*", ".*.swp", "a{b,c}"]:
        rule = Glob.compile(pattern)
        for path in PATHS:
            entry = path.strip("/") or path
            for other in ("/" + entry, "x/" + entry, "x/y/" + entry + "/", entry + "/"):
                if rule.memo_key(other) != rule.memo_key(entry):
                    continue
                merged += 1
                for partial in (False, True):
                    assert rule.match(other, partial) == rule.match(entry, partial), (pattern, entry, other, partial)
    assert merged > 100
    assert not Glob.compile("lib/*.js").base_only and Glob.compile("*.log").base_only
