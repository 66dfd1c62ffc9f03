"""The Verdaccio plugin end to end: a real Verdaccio 5 with integrations/verdaccio loaded, a real `extgate serve`,
and the real npm CLI publishing (clean, hostile, unowned scope, warnings, tampered metadata, gate down)."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import OPTIONS

from extgate import check
from support.archives import npm_tgz
from support.publishdoc import encode, publish_document
from support.serve import ServeProcess, free_port
from support.verdaccio import Verdaccio, VerdaccioUnavailable, start_verdaccio

pytestmark = pytest.mark.verdaccio
PLUGIN = Path(__file__).resolve().parents[2] / "integrations" / "verdaccio"
SUBPROCESS_JS = "const cp = require('child_process');\ncp.execFileSync('git', ['status']);\n"


@dataclass
class Registry:
    verdaccio: Verdaccio
    serve: ServeProcess
    root: Path

    def write_package(self, manifest: dict[str, Any], files: dict[str, str]) -> Path:
        folder = self.root / "pkgs" / manifest["name"].replace("/", "__") / manifest["version"]
        folder.mkdir(parents=True)
        (folder / "package.json").write_text(json.dumps(manifest, indent=2))
        for rel, text in files.items():
            (folder / rel).write_text(text)
        return folder

    def publish(self, target: Path, cwd: Path | None = None) -> Any:
        # npm retries a 503 with back-off (10 s and more): right for a real outage, only slow in a test
        return self.verdaccio.npm(
            "publish", "--ignore-scripts", "--fetch-retries", "0", str(target), cwd=cwd or target, check=False
        )

    def versions(self, name: str) -> dict[str, Any]:
        response = httpx.get(f"{self.verdaccio.url}/{name.replace('/', '%2f')}", timeout=30)
        return dict(response.json().get("versions", {})) if response.status_code == 200 else {}


def ack_fingerprint(name: str) -> str:
    """The code/subprocess warning's fingerprint (rule + path + evidence: the same for any version)."""
    manifest = {"name": name, "version": "0.0.0", "license": "MIT"}
    verdict = check(npm_tgz({"package.json": json.dumps(manifest), "index.js": SUBPROCESS_JS}), options=OPTIONS)
    return next(f.fingerprint for f in verdict.findings if f.rule_id == "code/subprocess")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("plugin")
    serve = ServeProcess(root, "--offline", "--no-cache", "--workers", "1", "--max-body", "8m", port=free_port())
    serve.start()
    config = f"""
middlewares:
  extgate:
    url: http://127.0.0.1:{serve.port}
    token_env: EXTGATE_TEST_TOKEN
    timeout_ms: 90000
    publishers:
      extgate-test: ["@acme"]
    acknowledge:
      "@acme/ack-by-config": ["{ack_fingerprint("@acme/ack-by-config")}"]
"""
    try:
        verdaccio = start_verdaccio(
            root / "verdaccio",
            extra_config=config,
            plugins={"verdaccio-extgate": PLUGIN},
            env={"EXTGATE_TEST_TOKEN": serve.token or ""},
        )
    except VerdaccioUnavailable as exc:
        serve.stop()
        pytest.skip(str(exc))
    try:
        yield Registry(verdaccio, serve, root)
    finally:
        verdaccio.stop()
        serve.stop()


def test_clean_extension_is_published_with_its_verdict_stored(registry: Registry) -> None:
    manifest = {
        "name": "@acme/clean-ext",
        "version": "1.0.0",
        "description": "ok",
        "main": "index.js",
        "license": "MIT",
        "bin": {"clean-ext": "index.js"},
        "scripts": {"test": "node index.js"},
    }
    result = registry.publish(registry.write_package(manifest, {"index.js": "module.exports = 1;\n"}))
    assert result.returncode == 0, result.stderr
    stored = registry.versions("@acme/clean-ext")["1.0.0"]["extgate"]
    assert stored["status"] == "passed" and len(stored["sha256"]) == 64
    view = registry.verdaccio.npm("view", "@acme/clean-ext@1.0.0", "extgate.status")
    assert view.stdout.strip() == "passed"


def test_hostile_extension_is_refused_showing_the_rules(registry: Registry) -> None:
    manifest = {"name": "@acme/hostile-ext", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    files = {
        "index.js": "eval(process.argv[2]);\n",
        ".env": "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    }
    result = registry.publish(registry.write_package(manifest, files))
    assert result.returncode != 0
    assert "403" in result.stderr and "code/dynamic-eval" in result.stderr and "secrets/dotenv-file" in result.stderr
    assert "How to fix" in result.stderr
    assert "1.0.0" not in registry.versions("@acme/hostile-ext")
    view = registry.verdaccio.npm("view", "@acme/hostile-ext@1.0.0", "version", check=False)
    assert view.stdout.strip() == "" and "E404" in view.stderr


def test_path_traversal_tarball_is_refused(registry: Registry) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in (
            ("package/package.json", json.dumps({"name": "@acme/traversal", "version": "1.0.0", "license": "MIT"})),
            ("package/index.js", "module.exports = 1;\n"),
            ("package/../../../etc/cron.d/evil", "* * * * * root id\n"),
        ):
            raw = data.encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    tgz = registry.root / "traversal-1.0.0.tgz"
    tgz.write_bytes(buf.getvalue())
    result = registry.publish(tgz, cwd=registry.root)
    assert result.returncode != 0 and "archive/path-traversal" in result.stderr, result.stderr
    assert registry.versions("@acme/traversal") == {}


def test_a_scope_the_user_does_not_own_is_refused(registry: Registry) -> None:
    manifest = {"name": "@other/tool", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    result = registry.publish(registry.write_package(manifest, {"index.js": "module.exports = 1;\n"}))
    assert result.returncode != 0 and "manifest/scope" in result.stderr
    assert registry.versions("@other/tool") == {}


def test_a_warning_passes_only_when_acknowledged(registry: Registry) -> None:
    manifest = {"name": "@acme/spawns-git", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    refused = registry.publish(registry.write_package(manifest, {"index.js": SUBPROCESS_JS}))
    assert refused.returncode != 0 and "code/subprocess" in refused.stderr and "needs acknowledgement" in refused.stderr
    fingerprint = ack_fingerprint("@acme/spawns-git")
    assert fingerprint in refused.stderr
    policy = f'[[acknowledge]]\nfingerprint = "{fingerprint}"\nreason = "runs git by design"\n'
    acked = registry.publish(
        registry.write_package({**manifest, "version": "1.0.1"}, {"index.js": SUBPROCESS_JS, ".extgate.toml": policy})
    )
    assert acked.returncode == 0, acked.stderr
    by_config = {"name": "@acme/ack-by-config", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    assert registry.publish(registry.write_package(by_config, {"index.js": SUBPROCESS_JS})).returncode == 0
    assert registry.versions("@acme/ack-by-config")["1.0.0"]["extgate"]["findings"][0]["acknowledged"] is True


def test_tampered_publish_metadata_is_refused(registry: Registry) -> None:
    manifest = {"name": "@acme/confused", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    doc = publish_document(
        manifest,
        {"index.js": "module.exports = 1;\n"},
        metadata={"scripts": {"postinstall": "node -e \"require('https').get('x')\""}},
    )
    response = httpx.put(
        f"{registry.verdaccio.url}/@acme%2fconfused",
        content=encode(doc),
        timeout=60,
        headers={"Authorization": f"Bearer {registry.verdaccio.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 403
    assert "manifest/publish-metadata-mismatch" in response.json()["error"]
    assert registry.versions("@acme/confused") == {}
    checks = registry.serve.log.read_text().count('"route":"check-publish"')
    anonymous = httpx.put(
        f"{registry.verdaccio.url}/@acme%2fconfused",
        content=encode(doc),
        timeout=60,
        headers={"Content-Type": "application/json"},
    )
    assert anonymous.status_code in (401, 403)  # Verdaccio's own refusal: the gate was not even asked
    assert registry.serve.log.read_text().count('"route":"check-publish"') == checks
    renamed = httpx.put(
        f"{registry.verdaccio.url}/@acme%2fother-name",
        content=encode(doc),
        timeout=60,
        headers={"Authorization": f"Bearer {registry.verdaccio.token}", "Content-Type": "application/json"},
    )
    assert renamed.status_code == 403 and "the URL publishes @acme/other-name" in renamed.json()["error"]
    legacy = httpx.put(
        f"{registry.verdaccio.url}/@acme%2fconfused/-/confused-1.0.0.tgz/-rev/1-x",
        content=b"x",
        timeout=30,
        headers={"Authorization": f"Bearer {registry.verdaccio.token}", "Content-Type": "application/octet-stream"},
    )
    assert legacy.status_code == 403


def test_extgate_down_refuses_the_publish(registry: Registry) -> None:
    manifest = {"name": "@acme/while-down", "version": "1.0.0", "main": "index.js", "license": "MIT"}
    folder = registry.write_package(manifest, {"index.js": "module.exports = 1;\n"})
    registry.serve.stop()
    try:
        result = registry.publish(folder)
    finally:
        registry.serve.start()
    assert result.returncode != 0 and "503" in result.stderr and "fail closed" in result.stderr
    assert registry.versions("@acme/while-down") == {}
    assert registry.publish(folder).returncode == 0  # the same package once the gate is back
