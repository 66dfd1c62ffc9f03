"""`--baseline auto` against a real Verdaccio on 127.0.0.1: the previous published version is fetched, its
integrity verified and compared; brand-new dependency names; a first release; a tampered tarball fails closed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from extgate.engine import check
from extgate.model import Finding, Level, Verdict
from extgate.options import Options
from support.archives import npm_tgz
from support.verdaccio import Verdaccio

pytestmark = pytest.mark.verdaccio
INDEX = "module.exports = (a, b) => a + b;\n"


@pytest.fixture(scope="module")
def registry(verdaccio: Verdaccio) -> Verdaccio:
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        doc = {"name": "driftfx-lib", "version": version, "license": "MIT", "main": "index.js"}
        verdaccio.publish_package(doc, {"index.js": INDEX}, tag="latest" if version != "2.0.0" else None)
    verdaccio.publish_package({"name": "driftfx-fresh", "version": "0.0.1", "license": "MIT"}, {"index.js": "1"})
    return verdaccio


def release(tmp_path: Path, version: str, name: str = "driftfx-lib", **fields: Any) -> Path:
    doc = {"name": name, "version": version, "license": "MIT", "main": "index.js", **fields}
    path = tmp_path / f"{name}-{version}.tgz"
    path.write_bytes(npm_tgz({"package.json": json.dumps(doc, indent=2), "index.js": INDEX}))
    return path


CLOSED = "http://127.0.0.1:9"  # nothing listens: the trust gate's OSV lookups never leave the machine


def auto(path: Path, registry: str) -> Verdict:
    return check(path, options=Options(baseline="auto", registry=registry, osv_url=CLOSED, timeout=5))


def drift(verdict: Verdict) -> list[Finding]:
    return [f for f in verdict.findings if f.gate == "drift"]


def test_auto_compares_with_the_highest_lower_version(tmp_path: Path, registry: Verdaccio) -> None:
    new = release(tmp_path, "1.1.1", scripts={"postinstall": "node -e \"require('https').get('x')\""})
    verdict = auto(new, registry.url)
    assert verdict.baseline is not None and verdict.baseline.status == "compared"
    assert verdict.baseline.version == "1.1.0"  # not 2.0.0 (higher), not 1.0.0 (older)
    assert verdict.baseline.source.startswith(registry.url) and verdict.baseline.integrity.startswith("sha512-")
    assert [f.rule_id for f in drift(verdict)] == ["drift/install-script"]


def test_a_brand_new_dependency_is_a_warning(tmp_path: Path, registry: Verdaccio) -> None:
    new = release(tmp_path, "1.1.2", dependencies={"driftfx-fresh": "^0.0.1"})
    (finding,) = drift(auto(new, registry.url))
    assert finding.rule_id == "drift/new-dependency" and finding.level is Level.WARNING
    assert "created" in finding.properties and "day(s) ago" in finding.message


def test_a_first_release_has_nothing_to_compare(tmp_path: Path, registry: Verdaccio) -> None:
    verdict = auto(release(tmp_path, "1.0.0", name="driftfx-never-published"), registry.url)
    assert drift(verdict) == []
    assert verdict.baseline is not None and verdict.baseline.status == "none"
    assert any("no earlier version" in note for note in verdict.notes)


class _Tampered(BaseHTTPRequestHandler):
    """A registry whose tarball does not match the integrity its packument publishes."""

    def do_GET(self) -> None:
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/driftfx-lib":
            body = json.dumps({"name": "driftfx-lib", "versions": {"1.0.0": {"name": "driftfx-lib", "version": "1.0.0",
                "dist": {"tarball": f"{host}/t.tgz", "integrity": "sha512-" + "A" * 86 + "=="}}}}).encode()  # fmt: skip
        elif self.path == "/t.tgz":
            body = npm_tgz({"package.json": '{"name": "driftfx-lib", "version": "1.0.0"}'})
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def tampered() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tampered)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("case", ["tampered", "unreachable"])
def test_an_unverifiable_or_unreachable_baseline_blocks(tmp_path: Path, tampered: str, case: str) -> None:
    url = tampered if case == "tampered" else CLOSED
    options = Options(baseline="auto", registry=url, osv_url=CLOSED, timeout=2)
    verdict = check(release(tmp_path, "1.0.1"), options=options)
    (finding,) = drift(verdict)
    assert finding.rule_id == "drift/baseline-unavailable" and verdict.blocked
    assert ("integrity" in finding.message) if case == "tampered" else ("no usable answer" in finding.message)
