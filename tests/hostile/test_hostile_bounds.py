"""Issue 14: hostile code and manifest inputs each get a proper rule (never engine/internal-error, never a pass),
checked in a child process under a memory limit (RLIMIT_AS: what the interpreter already maps + 300 MB) with a
per-input alarm as the hang guard. Archive-format cases are in test_hostile_archives.py / test_hostile_polyglot.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    r"""
    import json, os, resource, signal, sys, time
    sys.path.insert(0, sys.argv[1])
    from support.archives import npm_tgz
    from extgate import Options, check

    OFFLINE = Options(offline=True, network=False, use_cache=False)
    def pkg(**files):
        return npm_tgz({"package.json": '{"name": "hostile", "version": "1.0.0"}', **files})

    big_json = "{\"name\": \"a\", \"version\": \"1.0.0\", \"x\": \"" + "a" * 50_000_000 + "\"}"
    deep_json = '{"name": "x", "version": "1.0.0", "a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    CASES = {
        "package-json-50mb": npm_tgz({"package.json": big_json}),
        "package-json-100k-nesting": npm_tgz({"package.json": deep_json}),
        "package-json-utf16": npm_tgz({"package.json": '{"name": "a", "version": "1.0.0"}'.encode("utf-16")}),
        "package-json-invalid-utf8": npm_tgz({"package.json": b'{"name": "a\xff", "version": "1.0.0"}'}),
        "js-50mb-single-line": pkg(**{"index.js": "var a=b.c(d,e)+f[g];" * 2_500_000 + "eval(x);"}),
        "js-100k-brackets": pkg(**{"index.js": "x = " + "(" * 100_000 + "eval(a)" + ")" * 100_000}),
        "ts-100k-brackets": pkg(**{"index.ts": "let x = " + "[" * 100_000 + "eval(a)" + "]" * 100_000}),
        "py-100k-brackets": pkg(**{"tool.py": "import os\nx = " + "(" * 100_000 + "1" + ")" * 100_000}),
        "js-100k-nested-calls": pkg(**{"index.js": "f" + "()" * 100_000 + ";eval(x)"}),
        "py-10k-and-chain": pkg(**{"tool.py": "import os\nx = " + " and ".join(["a"] * 10_000)}),
        "html-1mb-script-tags": pkg(**{"index.html": "<script " * 130_000 + "<script>eval(x)</script>"}),
    }
    def vm_size():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    check(pkg(**{"a.js": "eval(x)", "b.py": "import os\neval(x)", "c.html": "<script>eval(x)</script>"}),
          options=OFFLINE)  # load every parser first: the limit is on what a hostile input adds
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("hang")))
    for name, data in CASES.items():
        resource.setrlimit(resource.RLIMIT_AS, (vm_size() + 300 * 2**20, resource.RLIM_INFINITY))
        signal.alarm(60)
        started = time.monotonic()
        verdict = check(data, options=OFFLINE)
        signal.alarm(0)
        elapsed = time.monotonic() - started
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        del data
        rules = sorted({f.rule_id for f in verdict.findings})
        print(json.dumps({"case": name, "status": verdict.status.value, "rules": rules, "seconds": round(elapsed, 2)}),
              flush=True)
    """
)

EXPECTED = {  # the rule that must explain each verdict
    "package-json-50mb": "archive/file-too-large",
    "package-json-100k-nesting": "manifest/invalid",
    "package-json-utf16": "manifest/invalid",
    "package-json-invalid-utf8": "manifest/invalid",
    "js-50mb-single-line": "archive/file-too-large",
    "js-100k-brackets": "safety/unparsed-file",
    "ts-100k-brackets": "safety/unparsed-file",
    "py-100k-brackets": "safety/unparsed-file",
    "js-100k-nested-calls": "safety/unparsed-file",
    "py-10k-and-chain": "safety/unparsed-file",
    "html-1mb-script-tags": "safety/unparsed-file",
}


@pytest.mark.slow
def test_hostile_inputs_get_a_rule_within_memory_and_time(tmp_path: Path) -> None:
    tests = Path(__file__).resolve().parents[1]
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tests)], capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["case"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert set(rows) == set(EXPECTED)
    for name, rule in EXPECTED.items():
        row = rows[name]
        assert row["status"] != "passed", row
        assert "engine/internal-error" not in row["rules"], row  # a MemoryError under the limit would land here
        assert rule in row["rules"], row
    print({name: row["seconds"] for name, row in rows.items()})  # measured, reported, not asserted


def test_duplicate_json_keys_say_which_value_counts_and_it_is_npms() -> None:
    from extgate import Options, check
    from extgate.formatters import to_json
    from support.archives import npm_tgz

    data = npm_tgz({"package.json": '{"name": "a", "version": "1.0.0", "name": "evil"}', "index.js": "x\n"})
    verdict = check(data, options=Options(offline=True, network=False, use_cache=False))
    assert verdict.blocked
    [dup] = [f for f in verdict.findings if f.rule_id == "manifest/invalid"]
    assert 'duplicate key "name"' in dup.message and "last one counts" in dup.message
    assert json.loads(to_json(verdict))["package"]["name"] == "evil"  # JSON.parse (npm) keeps the last value


def test_directory_with_a_symlink_loop_and_a_fifo_is_checked_without_hanging(tmp_path: Path) -> None:
    from extgate import Options, check

    root = tmp_path / "pkg"
    (root / "lib").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "a", "version": "1.0.0"}')
    (root / "index.js").write_text("module.exports = 1;\n")
    (root / "lib" / "loop").symlink_to(root / "lib")  # lib/loop/loop/loop/...
    (root / "self").symlink_to(root / "self")
    os.mkfifo(root / "pipe.js")  # opening it for reading would block forever
    verdict = check(str(root), options=Options(offline=True, network=False, use_cache=False))
    found = {(f.rule_id, f.path) for f in verdict.findings}
    assert verdict.blocked
    assert {("archive/link", "lib/loop"), ("archive/link", "self"), ("archive/special-file", "pipe.js")} <= found
    assert "engine/internal-error" not in {rule for rule, _ in found}
