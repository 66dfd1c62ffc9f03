"""A real `extgate serve` on 127.0.0.1 for tests: as a subprocess (the CLI a registry operator runs), or in-process
in a thread (to inject worker jobs that sleep, crash or exhaust memory)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, seconds: float = 90.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"extgate serve exited with {process.returncode}")
        try:
            health = httpx.get(f"{url}/healthz", timeout=2)
            if health.status_code == 200 and health.json()["ready"] == health.json()["workers"]:
                return  # every worker has imported extgate: no test waits on a cold one
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"extgate serve did not answer at {url} within {seconds}s")


class ServeProcess:
    """`extgate serve ARGS` as a subprocess; `log` is its stderr (the JSON access log)."""

    def __init__(self, root: Path, *args: str, token: str | None = "test-token-0123456789", port: int = 0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        self.log = root / f"serve-{self.port}.log"
        self._args = args
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        env = {**os.environ, "EXTGATE_TOKEN": self.token or ""}
        command = [sys.executable, "-m", "extgate.cli", "serve", "--port", str(self.port), *self._args]
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        wait_healthy(self.url, process=self._process)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@contextmanager
def serve_in_thread(config: object) -> Iterator[str]:
    """Run `create_app(config)` under uvicorn in a thread; yields the base URL once every worker is ready."""
    from extgate.server import create_app

    with app_in_thread(create_app(config)) as url:  # type: ignore[arg-type]
        wait_healthy(url)
        yield url


@contextmanager
def app_in_thread(app: object) -> Iterator[str]:
    """Any ASGI app under uvicorn on a free 127.0.0.1 port, in a thread; yields the base URL once it listens."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
