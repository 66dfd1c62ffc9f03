"""examples/publish-service: the library's acheck behind a real upload endpoint, over real HTTP."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from serve_helpers import clean_archive, hostile_archive

from support.serve import app_in_thread

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "publish-service" / "app.py"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ModuleType]]:
    spec = importlib.util.spec_from_file_location("publish_service_example", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.STORE = tmp_path_factory.mktemp("store")
    with app_in_thread(module.app) as url:
        yield url, module


def test_clean_upload_is_stored_and_hostile_upload_is_rejected_with_findings(service: tuple[str, ModuleType]) -> None:
    url, module = service
    archive = clean_archive(7)
    accepted = httpx.put(f"{url}/packages/clean-pkg-7", content=archive, timeout=120)
    assert accepted.status_code == 201, accepted.text
    sha = accepted.json()["sha256"]
    assert (module.STORE / f"{sha}.tgz").read_bytes() == archive
    assert accepted.json()["verdict"]["status"] == "passed"
    rejected = httpx.put(f"{url}/packages/evil-pkg-0", content=hostile_archive(), timeout=120)
    assert rejected.status_code == 422
    rules = {f["rule"] for f in rejected.json()["findings"]}
    assert {"code/dynamic-eval", "archive/path-traversal", "secrets/dotenv-file"} <= rules
    assert len(list(module.STORE.iterdir())) == 1


def test_publisher_header_is_one_scope_not_characters(service: tuple[str, ModuleType]) -> None:
    import json

    from support.archives import npm_tgz

    url, _ = service
    archive = npm_tgz({"package.json": json.dumps({"name": "@si/tool", "version": "1.0.0", "license": "MIT"})})
    refused = httpx.put(f"{url}/packages/@si/tool", content=archive, timeout=120)
    assert refused.status_code == 422 and "manifest/scope" in {f["rule"] for f in refused.json()["findings"]}
    owned = httpx.put(f"{url}/packages/@si/tool", content=archive, headers={"X-Publisher": "@si"}, timeout=120)
    assert owned.status_code == 201, owned.text
