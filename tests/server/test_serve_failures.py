"""Fail closed under load and faults: timeouts, crashed or out-of-memory workers, and too many requests."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jsonschema
import pytest
from serve_helpers import OPTIONS, clean_archive

from extgate.server import ServeConfig
from support.serve import serve_in_thread
from support.serve_jobs import misbehaving_job


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    config = ServeConfig(
        workers=2, timeout=60.0, memory_mb=1024, max_concurrency=8, options=OPTIONS, archive_job=misbehaving_job
    )
    with serve_in_thread(config) as base:
        yield base


def check(url: str, body: bytes, **params: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/check", content=body, params=params, timeout=120)


SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src/extgate/schemas/verdict.schema.json").read_text())


def internal_errors(response: httpx.Response) -> list[str]:
    jsonschema.validate(response.json(), SCHEMA)  # a fail-closed verdict is still the JSON contract
    return [f["message"] for f in response.json()["findings"] if f["rule_id"] == "engine/internal-error"]


def test_a_check_past_the_timeout_is_blocked_and_the_worker_is_replaced(url: str) -> None:
    response = check(url, b"sleep", timeout="1.5")  # the client's shorter deadline; the server's is 60 s
    assert response.status_code == 200 and response.json()["status"] == "blocked"
    assert any("did not finish within 1.5 s" in m for m in internal_errors(response))
    assert check(url, clean_archive()).json()["status"] == "passed"
    assert "extgate_worker_replacements_total 0" not in httpx.get(f"{url}/metrics").text


def test_a_crashed_worker_blocks_only_its_own_request(url: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as threads:
        crashed, healthy = threads.map(lambda body: check(url, body), [b"crash", clean_archive(1)])
    assert crashed.json()["status"] == "blocked"
    assert any("worker process died" in m for m in internal_errors(crashed))
    assert healthy.json()["status"] == "passed"
    assert check(url, clean_archive(2)).json()["status"] == "passed"  # the pool recovered


def test_a_worker_over_its_memory_limit_is_blocked(url: str) -> None:
    response = check(url, b"memory")
    assert response.json()["status"] == "blocked"
    assert any("MemoryError" in m for m in internal_errors(response))
    assert check(url, clean_archive(3)).json()["status"] == "passed"


def test_past_max_concurrency_answers_429_with_retry_after() -> None:
    config = ServeConfig(workers=1, max_concurrency=1, options=OPTIONS, archive_job=misbehaving_job)
    release = threading.Event()
    archive = clean_archive()

    def slow_body() -> Iterator[bytes]:  # holds the only slot while its body is still being uploaded
        yield archive[:10]
        release.wait(60)
        yield archive[10:]

    with serve_in_thread(config) as base, ThreadPoolExecutor(max_workers=1) as threads:
        first = threads.submit(httpx.post, f"{base}/v1/check", content=slow_body(), timeout=120)
        for _ in range(1200):  # until the slow request is in flight (bounded: 60 s)
            if httpx.get(f"{base}/healthz").json()["in_flight"] == 1:
                break
            threading.Event().wait(0.05)
        else:
            release.set()
            pytest.fail("the slow upload never became in flight")
        busy = check(base, clean_archive())
        release.set()
        assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
        assert first.result().status_code == 200 and first.result().json()["status"] == "passed"


def test_a_body_that_never_finishes_arriving_is_408(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(b"POST /v1/check?timeout=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"\0" * 10)
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 408"), reply[:200]
    assert check(url, clean_archive(4)).json()["status"] == "passed"  # its slot was given back
