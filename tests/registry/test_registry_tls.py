"""TLS trust behind a proxy: a loopback HTTPS registry whose certificate is signed by a self-made CA.

The CA is trusted only when the caller says so -- SSL_CERT_FILE (what corporate setups export) or --ca-bundle --
and without it every request fails closed (blocked, never a pass).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from extgate.cli import main
from extgate.registry.client import RegistryUnavailable, fetch_packument
from extgate.registry.tls import CaBundleError, ssl_context
from support.osv_server import PackumentServer, packument
from support.tls import LoopbackCa, make_ca, serve_tls


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCa:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def registry(ca: LoopbackCa) -> Iterator[PackumentServer]:
    server = PackumentServer({"left-pad": packument("left-pad", ["1.0.0", "1.3.0"])})
    serve_tls(server, ca)
    with server:
        yield server


@pytest.fixture
def no_env_trust(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither the machine's proxy CA nor its system store knows our test CA: make that explicit."""
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))


def test_ssl_cert_file_is_honoured(registry: PackumentServer, ca: LoopbackCa, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_cert))
    doc = fetch_packument(registry.url, "left-pad", timeout=5)
    assert doc is not None and doc["dist-tags"]["latest"] == "1.3.0"


def test_unknown_ca_fails_closed(registry: PackumentServer, no_env_trust: None) -> None:
    with pytest.raises(RegistryUnavailable, match=r"(?i)certificate"):
        fetch_packument(registry.url, "left-pad", timeout=5)


def test_ca_bundle_replaces_the_default_store(registry: PackumentServer, ca: LoopbackCa, no_env_trust: None) -> None:
    assert fetch_packument(registry.url, "left-pad", timeout=5, ca_bundle=str(ca.ca_cert)) is not None


def test_bad_ca_bundle_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CaBundleError, match="not found"):
        ssl_context(str(tmp_path / "nope.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(CaBundleError, match="not usable"):
        ssl_context(str(junk))


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "package.json").write_text(
        json.dumps({"name": "tls-demo", "version": "1.0.0", "license": "MIT", "dependencies": {"left-pad": "^1.0.0"}})
    )
    (pkg / "index.js").write_text("module.exports = 1;\n")
    (tmp_path / "osv").mkdir()
    return pkg


def _check(tmp_path: Path, registry: PackumentServer, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    pkg = _package(tmp_path)
    args = ["check", str(pkg), "--registry", registry.url, "--osv-db", str(tmp_path / "osv"), "--no-cache"]
    rc = main([*args, "--timeout", "5", "--yes", "--format", "json", *extra])
    verdict = json.loads(capsys.readouterr().out)
    verdict["exit"] = rc
    return verdict


def _rules(verdict: dict) -> set[str]:
    return {f["rule_id"] for f in verdict["findings"]}


def test_trust_gate_resolves_through_ssl_cert_file(
    tmp_path: Path, registry: PackumentServer, ca: LoopbackCa, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.ca_cert))
    verdict = _check(tmp_path, registry, capsys)
    dep = next(d for d in verdict["dependencies"] if d["name"] == "left-pad")
    assert dep["resolved"] == "1.3.0", verdict["findings"]
    assert not {"trust/registry-unavailable", "manifest/registry-unavailable"} & _rules(verdict)
    assert verdict["status"] == "passed" and verdict["exit"] == 0


def test_trust_gate_blocks_without_trust(tmp_path: Path, registry: PackumentServer, no_env_trust: None, capsys) -> None:
    verdict = _check(tmp_path, registry, capsys)
    assert verdict["status"] == "blocked" and verdict["exit"] == 1
    failing = [f for f in verdict["findings"] if f["rule_id"].endswith("registry-unavailable")]
    assert failing and all(f["level"] == "error" for f in failing)
    assert any("certificate" in f["message"].lower() for f in failing)


def test_cli_ca_bundle(tmp_path: Path, registry: PackumentServer, ca: LoopbackCa, no_env_trust: None, capsys) -> None:
    verdict = _check(tmp_path, registry, capsys, "--ca-bundle", str(ca.ca_cert))
    assert verdict["status"] == "passed", verdict["findings"]
    dep = next(d for d in verdict["dependencies"] if d["name"] == "left-pad")
    assert dep["resolved"] == "1.3.0"


def test_cli_missing_ca_bundle_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pkg = _package(tmp_path)
    assert main(["check", str(pkg), "--ca-bundle", str(tmp_path / "missing.pem")]) == 2
    assert "CA bundle not found" in capsys.readouterr().err
