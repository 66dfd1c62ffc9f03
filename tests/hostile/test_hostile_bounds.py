"""Issue 14: details the input table (test_hostile_inputs.py, which measures the time and memory bounds for every
input in a child process) does not check: which duplicate-key value counts, and which paths of a directory with a
symlink loop and a FIFO are reported."""

from __future__ import annotations

import json
import os
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
