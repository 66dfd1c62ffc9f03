"""Helpers for the manifest gate tests: build a GateContext around in-memory files and run the gate."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from extgate.facts import ApiUse, CodeFacts, Facts, ImportRef
from extgate.gates.interface import GateContext, GateResult
from extgate.gates.manifest import ManifestGate
from extgate.model import Finding, Package
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import detect_profile, get_profile
from extgate.rules.registry import load_registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "manifest"
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def context(
    files: Mapping[str, bytes | str],
    *,
    profile: str | None = None,
    options: Options | None = None,
    code: CodeFacts | None = None,
    policy: Policy | None = None,
) -> GateContext:
    rules = load_registry()
    package = Package.from_files(files)
    name = profile or (options.profile if options and options.profile else None) or detect_profile(package)
    return GateContext(
        package,
        get_profile(name, rules),
        policy or Policy(),
        options or Options(now=NOW),
        rules,
        Facts(code=code),
        "manifest",
    )


def run(files: Mapping[str, bytes | str], **kwargs: Any) -> GateResult:
    return ManifestGate().run(context(files, **kwargs))


def pkg(doc: Mapping[str, Any], extra: Mapping[str, bytes | str] | None = None) -> dict[str, bytes | str]:
    """A package whose package.json is `doc` (pretty-printed, so every field has its own line)."""
    return {"package.json": json.dumps(doc, indent=2), **(extra or {})}


def ids(result: GateResult) -> list[str]:
    return sorted(f.rule_id for f in result.findings)


def of(result: GateResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


def load_dir(folder: Path) -> dict[str, bytes | str]:
    """Every file under `folder` except the imports.json snapshot, keyed by relative POSIX path."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != "imports.json"
    }


def code_facts(imports: list[tuple[str, str, int]] = (), api: list[tuple[str, str, int]] = ()) -> CodeFacts:  # type: ignore[assignment]
    return CodeFacts(
        imports=tuple(ImportRef(spec, path, line) for spec, path, line in imports),
        api_uses=tuple(ApiUse(name, path, line) for name, path, line in api),
    )


def imports_snapshot(folder: Path) -> CodeFacts:
    records = json.loads((folder / "imports.json").read_text())
    return CodeFacts(imports=tuple(ImportRef(r["specifier"], r["path"], r["line"], r["kind"]) for r in records))


class PackumentServer:
    """A loopback registry serving hand-written packuments (for states npm cannot create: CalVer versions,
    yanked and removed versions, package-level lifecycle) or a fixed failure status."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.status: int | None = None
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = unquote(self.path.lstrip("/"))
                server.requests.append(name)
                if server.status is not None:
                    self._send(server.status, b'{"error": "down"}')
                elif name in server.docs:
                    self._send(200, json.dumps(server.docs[name]).encode())
                else:
                    self._send(404, b'{"error": "not found"}')

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def packument(name: str, versions: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A minimal packument: each version document gets name and version filled in."""
    docs = {v: {"name": name, "version": v, **doc} for v, doc in versions.items()}
    latest = list(docs)[-1] if docs else None
    base: dict[str, Any] = {"name": name, "versions": docs, "dist-tags": {"latest": latest} if latest else {}}
    base["time"] = {v: "2026-01-01T00:00:00.000Z" for v in docs}
    return {**base, **extra}
