"""`extgate check --each-package ROOT`: which folders are packages, the changed-files filter, repository-relative
paths in every format, and the worst exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extgate.cli import main
from extgate.workspace import WorkspaceError, find_packages, owning_packages


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _pkg(name: str, **extra: object) -> str:
    return json.dumps({"name": name, "version": "1.0.0", "license": "MIT", "main": "index.js", **extra})


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    _write(
        tmp_path,
        {
            "package.json": json.dumps(
                {"name": "mono", "private": True, "workspaces": ["packages/*", "!packages/skip"]}
            ),
            "packages/a/package.json": _pkg("@acme/a"),
            "packages/a/index.js": "module.exports = 1;\n",
            "packages/b/package.json": _pkg("@acme/b"),
            "packages/b/index.js": "module.exports = 1;\neval(process.argv[2]);\n",
            "packages/skip/package.json": _pkg("@acme/skip"),
            "tools/ext/package.json": _pkg("@acme/ext", cinatra={"kind": "tool"}),
            "tools/plain/package.json": _pkg("plain"),  # neither a workspace member nor an extension
            "swamp/weather/manifest.yaml": "name: '@acme/weather'\nversion: 2026.01.01.1\n",
            "node_modules/dep/manifest.yaml": "name: dep\n",
            ".hidden/manifest.yaml": "name: hidden\n",
        },
    )
    return tmp_path


def test_find_packages(mono: Path) -> None:
    found = [p.relative_to(mono.resolve()).as_posix() for p in find_packages(mono)]
    assert found == ["packages/a", "packages/b", "swamp/weather", "tools/ext"]


def test_single_package_root_and_pnpm(tmp_path: Path) -> None:
    _write(tmp_path / "single", {"package.json": _pkg("x")})
    assert find_packages(tmp_path / "single") == [(tmp_path / "single").resolve()]
    _write(tmp_path / "pnpm", {"pnpm-workspace.yaml": "packages:\n  - libs/*\n", "libs/q/package.json": _pkg("q")})
    assert [p.name for p in find_packages(tmp_path / "pnpm")] == ["q"]
    with pytest.raises(WorkspaceError):
        find_packages(tmp_path / "missing")


def test_owning_packages(mono: Path) -> None:
    packages = find_packages(mono)
    hit = owning_packages(packages, [str(mono / "packages/b/index.js"), str(mono / "README.md")])
    assert [p.name for p in hit] == ["b"]


def test_each_package_cli(mono: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(mono)
    rc = main(
        ["check", "--offline", "--each-package", ".", "--format", "text", "--format", "json", "-o", "-", "-o", "v.json"]
    )
    out = capsys.readouterr().out
    assert rc == 1  # the worst: packages/b is blocked
    assert "packages/b/index.js:2:1: error[code/dynamic-eval]" in out
    assert "== packages/a ==" in out and "== swamp/weather ==" in out
    doc = json.loads((mono / "v.json").read_text())
    assert doc["status"] == "blocked"
    roots = [v["target"]["root"] for v in doc["packages"]]
    assert roots == ["packages/a", "packages/b", "swamp/weather", "tools/ext"]
    blocked = doc["packages"][1]
    assert blocked["findings"][0]["path"].startswith("packages/b/")


def test_each_package_changed_files(
    mono: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(mono)
    assert main(["check", "--offline", "--each-package", ".", "packages/a/index.js", "--format", "sarif"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert [r["automationDetails"]["id"] for r in log["runs"]] == ["extgate/packages/a/"]
    assert main(["check", "--offline", "--each-package", ".", "README.md"]) == 0
    assert "nothing to check" in capsys.readouterr().err


def test_each_package_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["check", "--each-package", str(tmp_path / "empty")]) == 2
    assert "no extension package" in capsys.readouterr().err
    assert main(["check", "a", "b"]) == 2


def test_single_check_of_a_workspace_root_points_at_each_package(
    mono: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", str(mono), "--offline", "--format", "json"])
    assert "is a workspace root" in capsys.readouterr().err
