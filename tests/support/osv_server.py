"""Loopback HTTP servers for the trust tests: the OSV API, an npm-style packument registry, the downloads API.

Each runs a ThreadingHTTPServer on 127.0.0.1 in a daemon thread and can be told to misbehave, so tests exercise
retries and fail-closed paths without any real network:

    fail_next   statuses to answer before behaving (e.g. [429, 500] then OK) -- retry tests
    always      a status to answer to everything (503 forever) -- fail-closed tests
    delay       seconds to sleep before answering -- timeout tests
    garbage     answer 200 with a body that is not JSON

The OSV server mirrors the API's shapes: `POST /v1/querybatch` ({"queries": [...]} -> {"results": [{"vulns":
[{"id", "modified"}], "next_page_token"?}]}) with small pages to exercise pagination, and `GET /v1/vulns/{id}`.
Which records it lists is decided by its own small evaluation of the ranges (exact, case-sensitive names, as
OSV does), independent of extgate's matcher.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import nodesemver


class LoopbackServer:
    """Base: routing, failure injection, request log. Subclasses implement `handle(method, path, body)`."""

    def __init__(self) -> None:
        self.fail_next: list[int] = []
        self.always: int | None = None
        self.delay = 0.0
        self.garbage = False
        self.requests: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms ACK stalls

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_POST(self) -> None:
                server._serve(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _ in self.requests if method is None or m == method]

    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("content-length") or 0)
        raw = request.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        with self._lock:
            self.requests.append((method, request.path, body))
            status = self.fail_next.pop(0) if self.fail_next else self.always
        if self.delay:
            time.sleep(self.delay)
        if status is not None:
            self._send(request, status, {"error": f"injected {status}"})
            return
        if self.garbage:
            self._send_bytes(request, 200, b"<html>not json")
            return
        code, payload = self.handle(method, unquote(request.path), body)
        if isinstance(payload, bytes):  # a non-JSON resource (OSV's modified_id.csv)
            self._send_bytes(request, code, payload)
        else:
            self._send(request, code, payload)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        raise NotImplementedError

    def _send(self, request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        self._send_bytes(request, status, json.dumps(payload).encode())

    @staticmethod
    def _send_bytes(request: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        try:
            request.send_response(status)
            request.send_header("content-type", "application/json")
            request.send_header("content-length", str(len(data)))
            if status == 429:
                request.send_header("retry-after", "0")
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)


def _cmp(a: str, b: str) -> int:
    return int(nodesemver.compare(a, b, True))


def _in_events(version: str, events: list[dict[str, str]]) -> bool:
    """OSV's sequential evaluation, written independently of extgate.trust.match."""
    affected = False
    for event in events:
        if "introduced" in event:
            bound = event["introduced"]
            if bound == "0" or _cmp(version, _pad(bound)) >= 0:
                affected = True
        elif "fixed" in event:
            affected = affected and _cmp(version, _pad(event["fixed"])) < 0
        elif "last_affected" in event:
            affected = affected and _cmp(version, _pad(event["last_affected"])) <= 0
    return affected


def _pad(version: str) -> str:
    parts = version.split("-", 1)
    core = parts[0].split(".")
    while len(core) < 3:
        core.append("0")
    return ".".join(core) + (f"-{parts[1]}" if len(parts) > 1 else "")


def osv_lists(record: Mapping[str, Any], name: str, version: str) -> bool:
    if record.get("withdrawn"):
        return False
    for entry in record.get("affected", []):
        package = entry.get("package", {})
        if package.get("ecosystem") != "npm" or package.get("name") != name:
            continue
        if version in entry.get("versions", []):
            return True
        for item in entry.get("ranges", []):
            if item.get("type") in ("SEMVER", "ECOSYSTEM") and _in_events(version, item.get("events", [])):
                return True
    return False


class OsvServer(LoopbackServer):
    def __init__(self, records: Iterable[Mapping[str, Any]], *, page_size: int = 2) -> None:
        super().__init__()
        self.records = {str(r["id"]): dict(r) for r in records if "id" in r}
        self.page_size = page_size
        self.max_batch_seen = 0

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "POST" and path == "/v1/querybatch":
            queries = body.get("queries", []) if isinstance(body, dict) else []
            self.max_batch_seen = max(self.max_batch_seen, len(queries))
            if len(queries) > 1000:
                return 400, {"message": "too many queries"}
            return 200, {"results": [self._answer(q) for q in queries]}
        if method == "GET" and path == "/npm/modified_id.csv":  # as OSV's data bucket lists it: newest first
            rows = sorted(((str(r.get("modified", "")), i) for i, r in self.records.items()), reverse=True)
            return 200, "".join(f"{stamp},{vuln_id}\n" for stamp, vuln_id in rows).encode()
        if method == "GET" and path.startswith("/v1/vulns/"):
            record = self.records.get(path.removeprefix("/v1/vulns/"))
            return (200, record) if record else (404, {"message": "not found"})
        return 404, {"message": "no route"}

    def _answer(self, query: Mapping[str, Any]) -> dict[str, Any]:
        package = query.get("package", {})
        name, version = package.get("name", ""), query.get("version", "")
        hits = sorted(i for i, r in self.records.items() if osv_lists(r, name, version))
        start = int(query.get("page_token") or 0)
        page = hits[start : start + self.page_size]
        answer: dict[str, Any] = {}
        if page:
            answer["vulns"] = [{"id": i, "modified": self.records[i].get("modified", "")} for i in page]
        if start + self.page_size < len(hits):
            answer["next_page_token"] = str(start + self.page_size)
        return answer


class PackumentServer(LoopbackServer):
    """`GET /{name}` (scoped names arrive as `@scope%2fname`) from a name -> packument mapping."""

    def __init__(self, packuments: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__()
        self.packuments = dict(packuments)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        name = path.lstrip("/")
        doc = self.packuments.get(name)
        return (200, doc) if doc is not None else (404, {"error": "not found"})


class DownloadsServer(LoopbackServer):
    """`GET /downloads/point/last-week/{name}` -> {"downloads": N} from a name -> count mapping."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        super().__init__()
        self.counts = dict(counts)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        name = path.removeprefix("/downloads/point/last-week/")
        if name in self.counts:
            return 200, {"downloads": self.counts[name], "package": name}
        return 404, {"error": f"package {name} not found"}


def packument(
    name: str,
    versions: Mapping[str, Mapping[str, Any]] | Iterable[str],
    *,
    latest: str | None = None,
    time_of: Mapping[str, str] | None = None,
    maintainers: list[dict[str, str]] | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A packument as the registry serves it, for loopback tests."""
    table = dict(versions) if isinstance(versions, Mapping) else {v: {} for v in versions}
    full = {v: {"name": name, "version": v, "license": "MIT", **dict(m)} for v, m in table.items()}
    ordered = sorted(full, key=functools.cmp_to_key(_cmp))
    release = [v for v in ordered if "-" not in v]
    stamps = dict(time_of or {})
    time_doc = {v: stamps.get(v, "2025-06-01T00:00:00.000Z") for v in full}
    time_doc["modified"] = "2026-01-01T00:00:00.000Z"
    doc: dict[str, Any] = {
        "name": name,
        "dist-tags": {"latest": latest or (release or ordered)[-1], **dict(tags or {})},
        "versions": full,
        "time": time_doc,
        "maintainers": [{"name": "maintainer"}] if maintainers is None else maintainers,
    }
    return doc
