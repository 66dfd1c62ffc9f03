"""The pre-commit hooks (.pre-commit-hooks.yaml) with the real `pre-commit` tool on temporary git repositories.

The hook repository is this worktree's files committed into a temporary repo (`rev:` its sha), so the hook
definitions under test are the real ones; pre-commit builds one environment for it (pip, from PyPI) in a
session-wide PRE_COMMIT_HOME that all tests share.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "extgate test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "extgate test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class HookRepo:
    exe: str
    home: Path
    path: Path
    sha: str


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if exe is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git not installed (pip install pre-commit): pre-commit hook tests SKIPPED")
    listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout.split("\0")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    assert _git(repo, "commit", "-q", "-m", "hook repo").returncode == 0
    sha = _git(repo, "rev-parse", "HEAD").stdout.strip()
    return HookRepo(exe, tmp_path_factory.mktemp("pre-commit-home"), repo, sha)


class Project:
    """A temporary git repository with `pre-commit install`ed hooks from `hook_repo`."""

    def __init__(self, path: Path, hooks: HookRepo, config_hooks: list[dict[str, object]]) -> None:
        self.path, self.hooks = path, hooks
        path.mkdir()
        _git(path, "init", "-q")
        config = {"repos": [{"repo": str(hooks.path), "rev": hooks.sha, "hooks": config_hooks}]}
        (path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        done = self._run([hooks.exe, "install"])
        assert done.returncode == 0, done.stdout + done.stderr

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(self.hooks.home), "PRE_COMMIT_COLOR": "never"}
        return subprocess.run(argv, cwd=self.path, env=env, capture_output=True, text=True, timeout=900)

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text)

    def commit(self, files: dict[str, str], *, verify: bool = True) -> subprocess.CompletedProcess[str]:
        self.write(files)
        _git(self.path, "add", "-A")
        argv = ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "change"]
        done = self._run([*argv] if verify else [*argv, "--no-verify"])
        done.stdout += done.stderr
        return done


def _manifest(name: str) -> str:
    # `files`: what an author publishes; without it npm pack would ship .pre-commit-config.yaml (a hidden file)
    return json.dumps({"name": name, "version": "1.0.0", "license": "MIT", "main": "index.js", "files": ["index.js"]})


CLEAN = "module.exports = (a, b) => a + b;\n"
EVAL = "module.exports = 1;\neval(process.argv[2]);\n"
LONG = "module.exports = [" + ",".join(["1"] * 400) + "];\n"


def test_hook_definitions_select_files_without_always_run() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"extgate", "extgate-each-package"}
    for hook in hooks:
        assert not hook.get("always_run") and hook["files"]
        files = re.compile(hook["files"])
        assert files.search("packages/x/index.ts") and files.search("manifest.yaml") and files.search("package.json")
        assert not files.search("docs/logo.png")


def test_passing_then_blocked_commit_with_a_subfolder_arg(tmp_path: Path, hook_repo: HookRepo) -> None:
    project = Project(tmp_path / "single", hook_repo, [{"id": "extgate", "args": ["--offline", "packages/x"]}])
    project.commit({".pre-commit-config.yaml": (project.path / ".pre-commit-config.yaml").read_text()}, verify=False)
    ok = project.commit({"packages/x/package.json": _manifest("@acme/x"), "packages/x/index.js": CLEAN})
    assert ok.returncode == 0, ok.stdout
    assert re.search(r"extgate publish gate\.+Passed", ok.stdout)
    blocked = project.commit({"packages/x/index.js": EVAL})
    assert blocked.returncode != 0, blocked.stdout
    assert "error[code/dynamic-eval]" in blocked.stdout and "BLOCKED: @acme/x@1.0.0" in blocked.stdout


def test_warnings_only_says_how_to_acknowledge(tmp_path: Path, hook_repo: HookRepo) -> None:
    project = Project(tmp_path / "warned", hook_repo, [{"id": "extgate", "args": ["--offline", "."]}])
    warned = project.commit({"package.json": _manifest("warned"), "index.js": LONG})
    assert warned.returncode != 0, warned.stdout
    assert "warning[content/long-line]" in warned.stdout
    assert "`extgate check . --yes`" in warned.stdout and "[[acknowledge]]" in warned.stdout
    block = re.search(r"^\[\[acknowledge\]\]\n(\w+ = .*\n)+", warned.stdout, re.MULTILINE)
    assert block, warned.stdout
    entry = block.group(0)
    accepted = project.commit({".extgate.toml": entry.replace("TODO: why this is fine", "generated table")})
    assert accepted.returncode == 0, accepted.stdout  # the printed entry, pasted as is, acknowledges the warning


def test_monorepo_gates_only_the_changed_package(tmp_path: Path, hook_repo: HookRepo) -> None:
    hooks = [{"id": "extgate-each-package", "args": ["--offline"], "verbose": True}]
    project = Project(tmp_path / "mono", hook_repo, hooks)
    project.commit(
        {
            "package.json": json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*"]}),
            "packages/a/package.json": _manifest("@acme/a"),
            "packages/a/index.js": CLEAN,
            "packages/b/package.json": _manifest("@acme/b"),
            "packages/b/index.js": EVAL,  # committed past the hook: an existing problem elsewhere
        },
        verify=False,
    )
    only_a = project.commit({"packages/a/index.js": CLEAN + "// tweak\n"})
    assert only_a.returncode == 0, only_a.stdout
    assert "== packages/a ==" in only_a.stdout and "packages/b" not in only_a.stdout
    assert "PASSED: 1 package(s)" in only_a.stdout
    touch_b = project.commit({"packages/b/index.js": EVAL + "// tweak\n"})
    assert touch_b.returncode != 0
    assert "packages/b/index.js:2:1: error[code/dynamic-eval]" in touch_b.stdout  # repository-relative paths
    assert "== packages/a ==" not in touch_b.stdout
