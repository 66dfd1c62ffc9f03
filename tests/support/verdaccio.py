"""A real Verdaccio 5 on 127.0.0.1 for registry tests: isolated storage, htpasswd auth, no uplinks.

Packages are published with the real npm CLI (`npm publish`, `npm deprecate`) against it, so what the tests
audit is what a registry really stores. No uplinks: it never reaches the network. All in a temp dir.

    v = start_verdaccio(tmp_dir)            # raises VerdaccioUnavailable when the binary or npm is missing
    v.publish_package({"name": "left-pad", "version": "1.0.0"}, {"index.js": "module.exports = 1"})
    v.deprecate("left-pad@1.0.0", "use String.prototype.padStart")
    v.packument("left-pad")
    v.stop()
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

SKIP_REASON = "Verdaccio not installed: run scripts/test to install it (registry tests SKIPPED)"
_USER = "extgate-test"
_PASSWORD = "extgate-test-password-0123456789"  # throwaway account in a throwaway registry


class VerdaccioUnavailable(RuntimeError):
    """The binary or npm is missing, or the server did not come up (message says which)."""


def verdaccio_binary() -> str | None:
    """`$EXTGATE_VERDACCIO` (set by scripts/test), else the cache install scripts/test makes."""
    env = os.environ.get("EXTGATE_VERDACCIO")
    if env:
        return env if os.access(env, os.X_OK) else None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidate = cache / "extgate-test" / "verdaccio" / "node_modules" / ".bin" / "verdaccio"
    return str(candidate) if os.access(candidate, os.X_OK) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_CONFIG = """\
storage: {root}/storage
plugins: {root}/plugins
web:
  enable: false
auth:
  htpasswd:
    file: {root}/htpasswd
    max_users: 100
uplinks: {uplinks}
packages:
  '@*/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated{proxy}
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated{proxy}
max_body_size: 200mb
server:
  keepAliveTimeout: 60
log: {{type: file, path: {root}/verdaccio.log, level: warn}}
"""


class Verdaccio:
    """A running server. `url` has no trailing slash; `npmrc` holds the token for the test user.

    extra_config  YAML appended to the config (a `middlewares:` block); plugins: name -> folder copied into the
                  config's plugins folder (Verdaccio loads `verdaccio-<name>` from there)
    uplink        a registry URL to proxy (benchmarks only: tests never reach beyond 127.0.0.1)
    """

    def __init__(
        self,
        root: Path,
        binary: str,
        npm: str,
        *,
        extra_config: str = "",
        plugins: dict[str, Path] | None = None,
        env: dict[str, str] | None = None,
        uplink: str | None = None,
    ) -> None:
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._npm = npm
        (root / "storage").mkdir(parents=True, exist_ok=True)
        for name, folder in (plugins or {}).items():
            shutil.copytree(folder, root / "plugins" / name, ignore=shutil.ignore_patterns("test", "node_modules"))
        config = root / "config.yaml"
        uplinks, proxy = "{}", ""
        if uplink:
            uplinks = "{upstream: {url: '" + uplink + "', timeout: 60s, max_fails: 5}}"
            proxy = "\n    proxy: upstream"
        config.write_text(_CONFIG.format(root=root, uplinks=uplinks, proxy=proxy) + extra_config)
        run_env = {**os.environ, **(env or {})}
        if run_env.get("SSL_CERT_FILE") and not run_env.get("NODE_EXTRA_CA_CERTS"):
            run_env["NODE_EXTRA_CA_CERTS"] = run_env["SSL_CERT_FILE"]  # a TLS-inspecting proxy's CA, for the uplink
        self._log = open(root / "stdout.log", "wb")  # noqa: SIM115 -- lives as long as the server
        self._process = subprocess.Popen(
            [binary, "--config", str(config), "--listen", f"127.0.0.1:{self.port}"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=root,
            env=run_env,
        )
        self.npmrc = root / ".npmrc"
        self.token = ""

    # -- lifecycle --
    def wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise VerdaccioUnavailable(f"Verdaccio exited with {self._process.returncode}: {self._tail()}")
            try:
                if httpx.get(f"{self.url}/-/ping", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise VerdaccioUnavailable(f"Verdaccio did not answer within {seconds}s: {self._tail()}")

    def login(self) -> None:
        """Create the test user (CouchDB-style PUT) and write a private .npmrc holding its token."""
        response = httpx.put(
            f"{self.url}/-/user/org.couchdb.user:{_USER}",
            json={"name": _USER, "password": _PASSWORD, "type": "user", "roles": []},
            timeout=30,
        )
        if response.status_code not in (200, 201):
            raise VerdaccioUnavailable(f"user creation failed: HTTP {response.status_code} {response.text[:200]}")
        self.token = str(response.json()["token"])
        host = self.url.removeprefix("http:")
        self.npmrc.write_text(f"{host}/:_authToken={self.token}\nregistry={self.url}/\n")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._log.close()

    def _tail(self) -> str:
        self._log.flush()
        parts = []
        for name in ("stdout.log", "verdaccio.log"):
            path = self.root / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-2000:])
        return " | ".join(parts) or "(no output)"

    # -- npm --
    def npm(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the real npm CLI against this registry only, with a private cache and config (`check`: raise when
        it exits non-zero)."""
        env = {
            **os.environ,
            "npm_config_cache": str(self.root / "npm-cache"),
            "npm_config_userconfig": str(self.npmrc),
            "npm_config_registry": f"{self.url}/",
            "npm_config_update_notifier": "false",
            "npm_config_audit": "false",
            "npm_config_fund": "false",
        }
        command = [self._npm, *args, "--registry", f"{self.url}/", "--userconfig", str(self.npmrc)]
        result = subprocess.run(
            command, cwd=cwd or self.root, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result

    def publish(self, directory: Path | str, *, tag: str | None = None) -> None:
        """`npm publish` a package directory (prereleases need a tag; we default them to 'next')."""
        manifest = json.loads((Path(directory) / "package.json").read_text())
        version = str(manifest.get("version", ""))
        args = ["publish", "--ignore-scripts"]
        if tag or "-" in version:
            args += ["--tag", tag or "next"]
        self.npm(*args, cwd=Path(directory))

    def publish_package(
        self, package_json: dict[str, Any], files: dict[str, str] | None = None, *, tag: str | None = None
    ) -> None:
        """Write `package.json` and `files` to a temp dir and publish it."""
        with tempfile.TemporaryDirectory(dir=self.root) as tmp:
            pkg = Path(tmp)
            (pkg / "package.json").write_text(json.dumps(package_json, indent=2))
            for rel, text in (files or {}).items():
                target = pkg / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            self.publish(pkg, tag=tag)

    def put_package(
        self, package_json: dict[str, Any], files: dict[str, str] | None = None, *, tag: str = "latest"
    ) -> None:
        """Publish over the registry API npm itself uses (PUT of the publish document with the tarball attached),
        without an npm process per version: for tests that need dozens of small packages."""
        from support.archives import npm_tgz

        name, version = str(package_json["name"]), str(package_json["version"])
        tarball = npm_tgz({"package.json": json.dumps(package_json), **(files or {})})
        base = name.rsplit("/", 1)[-1]
        filename = f"{base}-{version}.tgz"
        digest = base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        manifest = {
            **package_json,
            "_id": f"{name}@{version}",
            "dist": {
                "shasum": hashlib.sha1(tarball).hexdigest(),  # npm's legacy checksum field
                "integrity": f"sha512-{digest}",
                "tarball": f"{self.url}/{name}/-/{filename}",
            },
        }
        body = {
            "_id": name,
            "name": name,
            "dist-tags": {tag: version},
            "versions": {version: manifest},
            "_attachments": {
                filename: {
                    "content_type": "application/octet-stream",
                    "data": base64.b64encode(tarball).decode(),
                    "length": len(tarball),
                }
            },
        }
        encoded = name.replace("/", "%2f")
        response = httpx.put(
            f"{self.url}/{encoded}", json=body, headers={"authorization": f"Bearer {self.token}"}, timeout=30
        )
        if response.status_code not in (200, 201):
            raise RuntimeError(f"publish {name}@{version}: HTTP {response.status_code} {response.text[:200]}")

    def deprecate(self, spec: str, message: str) -> None:
        """`npm deprecate <spec> <message>` (real npm, so the registry stores what npm writes)."""
        self.npm("deprecate", spec, message)

    def dist_tag(self, spec: str, tag: str) -> None:
        self.npm("dist-tag", "add", spec, tag)

    def packument(self, name: str) -> dict[str, Any]:
        from extgate.registry.client import fetch_packument

        data = fetch_packument(self.url, name, timeout=30)
        if data is None:
            raise KeyError(name)
        return data


def start_verdaccio(
    root: Path,
    *,
    extra_config: str = "",
    plugins: dict[str, Path] | None = None,
    env: dict[str, str] | None = None,
    uplink: str | None = None,
) -> Verdaccio:
    """Start, wait until it answers, log in. Raises VerdaccioUnavailable (with the reason) when it cannot."""
    binary = verdaccio_binary()
    npm = shutil.which("npm")
    if binary is None:
        raise VerdaccioUnavailable(SKIP_REASON)
    if npm is None:
        raise VerdaccioUnavailable("npm not on PATH: registry tests SKIPPED")
    server = Verdaccio(root, binary, npm, extra_config=extra_config, plugins=plugins, env=env, uplink=uplink)
    try:
        server.wait_ready()
        server.login()
    except BaseException:
        server.stop()
        raise
    return server
