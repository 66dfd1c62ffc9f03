"""Issue 15.5: hostile manifests and policy files give a verdict, never a traceback.

Profile detection and policy loading run inside the engine's fail-closed handling; `Policy.from_mapping` rejects
values of the wrong shape with PolicyError instead of AttributeError/TypeError/RecursionError.
"""

from __future__ import annotations

import os
import signal
import tracemalloc
from pathlib import Path

import pytest

from extgate import Options, Status, check
from extgate.cli import main
from extgate.policy import Policy, PolicyError
from hostile.hostile_archives import npm_tarball

OFFLINE = Options(offline=True, network=False, use_cache=False)
DEEP = 100_000
CLEAN_PKG = '{"name": "clean-pkg", "version": "1.0.0", "description": "d", "license": "MIT"}'


def test_deeply_nested_package_json_gives_a_blocked_verdict() -> None:
    deep = '{"name": "x", "version": "1.0.0", "a": ' + "[" * DEEP + "]" * DEEP + "}"
    verdict = check(npm_tarball({"package.json": deep, "index.js": "module.exports = 1\n"}), options=OFFLINE)
    assert verdict.status is Status.BLOCKED
    assert verdict.profile == "npm"
    assert "manifest/invalid" in {f.rule_id for f in verdict.findings}


MALFORMED = {
    "rules-string": 'rules = "x"\n',
    "acknowledge-int": "acknowledge = 5\n",
    "acknowledge-strings": 'acknowledge = ["abc"]\n',
    "fingerprint-int": "[[acknowledge]]\nfingerprint = 5\n",
    "reason-table": '[[acknowledge]]\nfingerprint = "ab"\nreason = {a = 1}\n',
    "enabled-string": '[rules."code/subprocess"]\nenabled = "no"\n',
    "level-int": '[rules."code/subprocess"]\nlevel = 5\n',
    "rule-array": 'rules = {"code/x" = [1]}\n',
    "deep-array": "a = " + "[" * DEEP + "]" * DEEP + "\n",
    "deep-inline-table": "a = " + "{b = " * 5000 + "1" + "}" * 5000 + "\n",
    "int-over-4300-digits": "[code]\nmax_parse_bytes = " + "9" * 4301 + "\n",  # tomllib lets int()'s ValueError out
}


@pytest.mark.parametrize("toml", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_in_archive_policy_is_ignored_with_a_note(toml: str) -> None:
    evil = "require('child_process').execSync('id')\neval(process.argv[2])\n"
    data = npm_tarball({"package.json": CLEAN_PKG, "index.js": evil, ".extgate.toml": toml})
    verdict = check(data, options=OFFLINE)
    assert verdict.status is Status.BLOCKED
    assert "engine/internal-error" not in {f.rule_id for f in verdict.findings}
    assert any("ignored unreadable in-archive .extgate.toml" in n for n in verdict.notes)
    assert "code/subprocess" in {f.rule_id for f in verdict.findings}


@pytest.mark.parametrize("toml", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_policy_text_raises_policy_error(toml: str) -> None:
    with pytest.raises(PolicyError):
        Policy.from_toml(toml, "test")


@pytest.mark.parametrize("doc", [{"rules": "x"}, {"acknowledge": 5}, {"rules": {"a/b": {"enabled": 1}}}, []])
def test_from_mapping_rejects_wrong_shapes(doc: object) -> None:
    with pytest.raises(PolicyError):
        Policy.from_mapping(doc, "test")  # type: ignore[arg-type]


def test_broken_author_policy_in_a_directory_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(CLEAN_PKG)
    (tmp_path / "index.js").write_text("module.exports = 1\n")
    (tmp_path / ".extgate.toml").write_text('rules = "x"\n')
    verdict = check(tmp_path, options=OFFLINE)
    assert verdict.status is Status.BLOCKED
    [internal] = [f for f in verdict.findings if f.rule_id == "engine/internal-error"]
    assert "policy loading failed (PolicyError" in internal.message


def test_broken_pyproject_tool_table_is_a_policy_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('tool = "x"\n')
    assert Policy.discover(tmp_path) is None  # no [tool.extgate] table: nothing to apply, no AttributeError
    (tmp_path / "pyproject.toml").write_text('[tool.extgate]\nrules = ["x"]\n')
    with pytest.raises(PolicyError):
        Policy.discover(tmp_path)


def test_policy_file_with_an_int_over_4300_digits_is_a_policy_error(tmp_path: Path) -> None:
    path = tmp_path / ".extgate.toml"
    path.write_text("[code]\nmax_parse_bytes = " + "9" * 4301 + "\n")
    with pytest.raises(PolicyError, match="4300"):
        Policy.load(path)


class _Hang(Exception):
    pass


def _alarm(seconds: int) -> None:
    def fire(*_: object) -> None:
        raise _Hang(f"still reading after {seconds} s")

    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)


def _author_tree(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "package.json").write_text(CLEAN_PKG)
    (root / "index.js").write_text("module.exports = 1\n")
    return root


@pytest.mark.parametrize("shape", ["symlink-to-huge-file", "huge-file", "fifo", "symlink-to-fifo", "dangling-link"])
def test_an_author_policy_that_is_not_a_small_regular_file_fails_closed_at_once(shape: str, tmp_path: Path) -> None:
    """A directory's `.extgate.toml` is read through no link and at most 1 MB of it: a link to a 3 GB file took
    a minute and 6 GB of memory, and a FIFO would block forever."""
    root = _author_tree(tmp_path)
    policy = root / ".extgate.toml"
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as handle:
        handle.truncate(3 * 1024**3)  # sparse: costs no disk
    if shape == "symlink-to-huge-file":
        policy.symlink_to(huge)
    elif shape == "huge-file":
        os.link(huge, policy)
    elif shape == "fifo":
        os.mkfifo(policy)
    elif shape == "symlink-to-fifo":
        os.mkfifo(tmp_path / "pipe")
        policy.symlink_to(tmp_path / "pipe")
    else:
        policy.symlink_to(tmp_path / "nowhere")
    tracemalloc.start()
    _alarm(60)
    try:
        verdict = check(root, options=OFFLINE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        signal.alarm(0)
        tracemalloc.stop()
    assert verdict.status is Status.BLOCKED
    [internal] = [f for f in verdict.findings if f.rule_id == "engine/internal-error"]
    assert "policy loading failed" in internal.message and ".extgate.toml" in internal.message
    assert peak < 20_000_000


def test_a_callers_policy_that_is_a_fifo_is_a_usage_error_not_a_hang(tmp_path: Path) -> None:
    root = _author_tree(tmp_path)
    os.mkfifo(tmp_path / "policy.toml")
    _alarm(60)
    try:
        code = main(
            ["check", str(root), "--offline", "--policy", str(tmp_path / "policy.toml"), "-o", str(tmp_path / "v")]
        )
    finally:
        signal.alarm(0)
    assert code == 2
