"""`extgate next-version PATH --registry URL`: SemVer against a real Verdaccio, CalVer against loopback packuments."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from extgate.cli import main
from gates.manifest.manifest_support import PackumentServer, packument
from support.verdaccio import Verdaccio


def package_dir(tmp_path: Path, name: str, version: str) -> Path:
    folder = tmp_path / f"{name.replace('/', '_')}-{version}"
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps({"name": name, "version": version, "main": "index.js"}))
    (folder / "index.js").write_text("module.exports = 1\n")
    return folder


def swamp_dir(tmp_path: Path, version: str) -> Path:
    folder = tmp_path / f"swamp-{version}"
    (folder / "extensions" / "models").mkdir(parents=True)
    (folder / "manifest.yaml").write_text(
        f'manifestVersion: 1\nname: "@acme/deploy"\nversion: "{version}"\nmodels:\n  - ec2.ts\n'
    )
    (folder / "extensions" / "models" / "ec2.ts").write_text("export const model = {};\n")
    return folder


def next_version(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["next-version", *args])
    return code, capsys.readouterr().out.strip()


@pytest.fixture(scope="module")
def registry(verdaccio: Verdaccio) -> Verdaccio:
    for version in ("1.0.0", "1.0.1", "1.1.0-beta.1"):
        verdaccio.publish_package({"name": "@mfx/nextv", "version": version}, {"index.js": ""})
    return verdaccio


@pytest.mark.verdaccio
@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.0.1", "1.1.0"),  # taken: the patch after the highest published (1.1.0-beta.1 -> 1.1.0)
        ("1.0.0", "1.1.0"),
        ("2.0.0", "2.0.0"),  # free and newer than everything published
        ("1.0.0+build", "1.1.0"),
    ],
)
def test_semver_next_version(
    registry: Verdaccio, tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, expected: str
) -> None:
    folder = package_dir(tmp_path, "@mfx/nextv", version)
    assert next_version(capsys, str(folder), "--registry", registry.url) == (0, expected)


@pytest.mark.verdaccio
def test_unpublished_package_keeps_its_version(
    registry: Verdaccio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = package_dir(tmp_path, "@mfx/never-published", "0.3.0")
    assert next_version(capsys, str(folder), "--registry", registry.url) == (0, "0.3.0")


@pytest.mark.verdaccio
def test_next_version_then_publish_then_next(
    registry: Verdaccio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry.publish_package({"name": "@mfx/cycle", "version": "0.1.0"}, {"index.js": ""})
    folder = package_dir(tmp_path, "@mfx/cycle", "0.1.0")
    code, first = next_version(capsys, str(folder), "--registry", registry.url)
    assert (code, first) == (0, "0.1.1")
    registry.publish_package({"name": "@mfx/cycle", "version": first}, {"index.js": ""})
    assert next_version(capsys, str(folder), "--registry", registry.url) == (0, "0.1.2")


@pytest.fixture
def stub() -> Iterator[PackumentServer]:
    server = PackumentServer()
    yield server
    server.stop()


def test_calver_same_day_increments(stub: PackumentServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stub.docs["@acme/deploy"] = packument("@acme/deploy", {"2026.05.18.4": {}, "2026.05.19.1": {}, "2026.05.19.2": {}})
    folder = swamp_dir(tmp_path, "2026.05.19.2")
    assert next_version(capsys, str(folder), "--registry", stub.url, "--today", "2026-05-19") == (0, "2026.05.19.3")


def test_calver_new_day_starts_at_one(
    stub: PackumentServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.docs["@acme/deploy"] = packument("@acme/deploy", {"2026.05.19.2": {}})
    folder = swamp_dir(tmp_path, "2026.05.19.2")
    assert next_version(capsys, str(folder), "--registry", stub.url, "--today", "2026-05-20") == (0, "2026.05.20.1")


def test_calver_never_published(stub: PackumentServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = swamp_dir(tmp_path, "2026.01.01.1")
    assert next_version(capsys, str(folder), "--registry", stub.url, "--today", "2026-05-20") == (0, "2026.05.20.1")


def test_registry_down_prints_nothing_and_fails(
    stub: PackumentServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.status = 500
    folder = package_dir(tmp_path, "x", "1.0.0")
    assert next_version(capsys, str(folder), "--registry", stub.url, "--timeout", "2") == (1, "")


def test_unreachable_registry_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        assert next_version(capsys, str(package_dir(tmp_path, "x", "1.0.0")), "--registry", url) == (1, "")


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert next_version(capsys, str(tmp_path / "nothing"), "--registry", "http://127.0.0.1:9")[0] == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert next_version(capsys, str(empty), "--registry", "http://127.0.0.1:9")[0] == 2
    assert next_version(capsys, str(empty))[0] == 2  # --registry is required
    folder = package_dir(tmp_path, "x", "1.0.0")
    assert next_version(capsys, str(folder), "--registry", "http://127.0.0.1:9", "--today", "May 5")[0] == 2
