"""`extgate serve` as a registry operator runs it: a real subprocess on 127.0.0.1, real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jsonschema
import pytest
from serve_helpers import OPTIONS, SERVE_ARGS, clean_archive, comparable, hostile_archive

from extgate import check
from support.publishdoc import encode, publish_document
from support.serve import ServeProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    proc = ServeProcess(tmp_path_factory.mktemp("serve"), *SERVE_ARGS).start()
    try:
        yield proc
    finally:
        proc.stop()


def post(server: ServeProcess, body: bytes, path: str = "/v1/check", **params: object) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", content=body, params=params, headers=server.headers, timeout=120)


def test_health_rules_and_metrics(server: ServeProcess) -> None:
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["status"] == "ok" and health["workers"] == 2
    rules = {r["id"]: r for r in httpx.get(f"{server.url}/v1/rules").json()}
    assert rules["manifest/publish-metadata-mismatch"]["level"] == "error"
    assert post(server, hostile_archive()).status_code == 200
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'extgate_requests_total{route="check",code="200"}' in metrics
    assert 'extgate_verdicts_total{status="blocked"}' in metrics
    assert "extgate_request_duration_seconds_count" in metrics


def test_token_is_required_and_never_logged(server: ServeProcess) -> None:
    url = f"{server.url}/v1/check"
    assert httpx.post(url, content=clean_archive()).status_code == 401
    wrong = httpx.post(url, content=clean_archive(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert post(server, clean_archive()).status_code == 200
    log = server.log.read_text()
    assert server.token and server.token not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    checks = [line for line in lines if line["route"] == "check" and line["code"] == 200]
    assert checks and all(len(line["digest"]) == 64 and line["status"] and line["ms"] >= 0 for line in checks)
    assert {401} <= {line["code"] for line in lines}


def test_body_over_the_limit_is_413_declared_or_streamed(server: ServeProcess) -> None:
    declared = post(server, b"\0" * (3 * 1024 * 1024))
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count while streaming
        for _ in range(40):
            yield b"\0" * (64 * 1024)

    streamed = httpx.post(f"{server.url}/v1/check", content=chunks(), headers=server.headers, timeout=60)
    assert streamed.status_code == 413


def test_not_an_archive_is_422_with_a_corrupt_verdict(server: ServeProcess) -> None:
    response = post(server, b"this is not an archive")
    assert response.status_code == 422
    verdict = response.json()
    assert verdict["status"] == "blocked"
    assert "archive/corrupt" in {f["rule_id"] for f in verdict["findings"]}


def test_verdicts_match_the_cli(server: ServeProcess, tmp_path: Path) -> None:
    for name, archive in (("hostile.tgz", hostile_archive()),):  # clean ones: the concurrent test, via the library
        (tmp_path / name).write_bytes(archive)
        cli = subprocess.run(
            [sys.executable, "-m", "extgate.cli", "check", name, "--format", "json", "--offline", "--no-cache"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        response = post(server, archive)
        assert response.status_code == 200
        assert comparable(response.json()) == comparable(json.loads(cli.stdout)), name
        assert response.headers["x-extgate-status"] == response.json()["status"]
    assert post(server, hostile_archive()).json()["status"] == "blocked"


def test_sarif_format_and_bad_query(server: ServeProcess) -> None:
    sarif = post(server, hostile_archive(), format="sarif")
    assert sarif.status_code == 200 and sarif.headers["content-type"].startswith("application/sarif+json")
    results = sarif.json()["runs"][0]["results"]
    assert "code/dynamic-eval" in {r["ruleId"] for r in results}
    assert post(server, clean_archive(), format="xml").status_code == 400
    assert post(server, clean_archive(), profile="nope").status_code == 400


def test_publisher_and_profile_come_from_the_query(server: ServeProcess) -> None:
    from support.archives import npm_tgz

    archive = npm_tgz({"package.json": json.dumps({"name": "@si/tool", "version": "1.0.0", "license": "MIT"})})
    without = {f["rule_id"] for f in post(server, archive, profile="npm").json()["findings"]}
    assert "manifest/scope" in without  # @si is reserved unless the registry vouches for the publisher
    owned = {f["rule_id"] for f in post(server, archive, profile="npm", publisher="@si").json()["findings"]}
    assert "manifest/scope" not in owned


def test_check_publish_compares_metadata_with_the_tarball(server: ServeProcess) -> None:
    manifest = {"name": "left-pad", "version": "1.0.0", "description": "pads", "main": "index.js", "license": "MIT"}
    files = {"index.js": "module.exports = 1;\n"}
    clean = post(server, encode(publish_document(manifest, files)), "/v1/check-publish")
    assert clean.status_code == 200 and clean.json()["status"] == "passed", clean.json()["findings"]
    tampered = publish_document(manifest, files, metadata={"scripts": {"postinstall": "node x.js"}})
    verdict = post(server, encode(tampered), "/v1/check-publish").json()
    assert verdict["status"] == "blocked"
    assert "manifest/publish-metadata-mismatch" in {f["rule_id"] for f in verdict["findings"]}
    assert post(server, b"{not json", "/v1/check-publish").status_code == 422


def test_twenty_concurrent_uploads_get_cli_identical_verdicts(server: ServeProcess) -> None:
    archives = [clean_archive(i) if i % 2 else hostile_archive(i) for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as threads:
        responses = list(threads.map(lambda a: post(server, a), archives))
    assert [r.status_code for r in responses] == [200] * 20
    schema = json.loads((Path(__file__).resolve().parents[2] / "src/extgate/schemas/verdict.schema.json").read_text())
    for archive, response in zip(archives, responses, strict=True):
        jsonschema.validate(response.json(), schema)
        expected = check(archive, options=OPTIONS).to_dict()
        assert comparable(response.json()) == comparable(expected)
    assert {r.json()["status"] for r in responses} == {"passed", "blocked"}
