"""Issue 14: details the input table (test_hostile_inputs.py, which measures the time and memory bounds for every
input in a child process) does not check: which duplicate-key value counts, and which paths of a directory with a
symlink loop and a FIFO are reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


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


_FIFO_PROBE = """
import sys
from pathlib import Path
from extgate import Options, check
from extgate.workspace import find_packages
root = Path(sys.argv[1])
print(sorted(p.name for p in find_packages(root)))
verdict = check(str(root / "pkg"), options=Options(offline=True, network=False, use_cache=False))
print(verdict.blocked, sorted({(f.rule_id, f.path) for f in verdict.findings}))
"""


def test_a_fifo_named_package_json_is_never_opened_for_reading(tmp_path: Path) -> None:
    """Every reader of package.json off disk (publish-set walk, workspace search) opens it without blocking and
    rejects what is not a regular file: a FIFO package.json used to hang `extgate check DIR` forever. Run in a
    child process, so a regression fails on the timeout instead of hanging the suite."""
    (tmp_path / "pkg").mkdir()
    os.mkfifo(tmp_path / "pkg" / "package.json")
    (tmp_path / "pkg" / "index.js").write_text("module.exports = 1;\n")
    (tmp_path / "ext").mkdir()
    os.mkfifo(tmp_path / "ext" / "package.json")
    (tmp_path / "package.json").write_text('{"name": "root", "workspaces": ["pkg", "ext"]}')
    done = subprocess.run(
        [sys.executable, "-c", _FIFO_PROBE, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    packages, verdict = done.stdout.splitlines()
    assert packages == "['ext', 'pkg']"  # workspace members by their folders; the FIFOs were never read
    assert verdict.startswith("True ") and "('manifest/invalid', 'package.json')" in verdict
    assert "engine/internal-error" not in verdict
