"""Shared helpers for the scoring tests: fixture extensions as file maps, a scoring runner, a loopback forge."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from extgate.facts import Facts
from extgate.model import FactorResult, Finding, Package, Score
from extgate.options import Options
from extgate.policy import Policy
from extgate.scoring import compute

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scoring"
OFFLINE = Options(offline=True, network=False)


def load(name: str) -> dict[str, bytes]:
    """A fixture extension folder as a path -> bytes map (POSIX paths relative to the folder)."""
    root = FIXTURES / name
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def license_text(name: str) -> bytes:
    return (FIXTURES / "licenses" / name).read_bytes()


def run(
    files: Mapping[str, bytes | str],
    *,
    options: Options = OFFLINE,
    facts: Facts | None = None,
    findings: Sequence[Finding] = (),
    policy: Policy | None = None,
    client: httpx.Client | None = None,
) -> Score:
    return compute(Package.from_files(files), facts or Facts(), findings, options, policy or Policy(), client=client)


def factor(score: Score, factor_id: str) -> FactorResult:
    [result] = [f for f in score.factors if f.id == factor_id]
    return result


class _ForgeHandler(http.server.BaseHTTPRequestHandler):
    """200 for /acme/*, 404 elsewhere, a redirect for /moved/*, 503 for /down/*."""

    def do_GET(self) -> None:
        if self.path.startswith("/moved/"):
            self.send_response(301)
            self.send_header("Location", "/acme/" + self.path.rsplit("/", 1)[-1])
            self.end_headers()
            return
        code = 200 if self.path.startswith("/acme/") else 503 if self.path.startswith("/down/") else 404
        body = b"<html>repository page</html>"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        return


@contextmanager
def loopback_forge() -> Iterator[str]:
    """A forge-like HTTP server on 127.0.0.1; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ForgeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class LoopbackTransport(httpx.BaseTransport):
    """Sends every request (https://github.com/acme/x ...) to the loopback server instead: real HTTP, no internet."""

    def __init__(self, base: str) -> None:
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host=self.host, port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
