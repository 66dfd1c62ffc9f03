"""Trust gate: audit 100 dependencies against a local registry and a loopback OSV API. Target: <= 2 s, cold cache.

    .venv/bin/python benchmarks/bench_trust.py [--deps 100] [--versions 40] [--repeat 5] [--verdaccio]

Default registry: a loopback packument server (tests/support/osv_server.py) holding `--deps` packages with
`--versions` versions each, every one depending on a shared helper (so the transitive walk runs too). With
`--verdaccio`, the packages are published into a real Verdaccio first (slow setup, not timed). OSV: the loopback
API serving the 48 real records of tests/fixtures/osv. The cache is off, so every run does all the requests.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import multiprocessing
import statistics
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from extgate.facts import Facts  # noqa: E402
from extgate.gates.interface import GateContext  # noqa: E402
from extgate.gates.trust import TrustGate  # noqa: E402
from extgate.model import Package  # noqa: E402
from extgate.options import Options  # noqa: E402
from extgate.policy import Policy  # noqa: E402
from extgate.profiles import get_profile  # noqa: E402
from extgate.rules.registry import load_registry  # noqa: E402
from support.osv_server import OsvServer, PackumentServer, packument  # noqa: E402


def records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((ROOT / "tests/fixtures/osv/npm").glob("*.json"))]


def versions(count: int) -> list[str]:
    return [f"{1 + i // 10}.{i % 10}.0" for i in range(count)]


def registry_docs(deps: int, count: int) -> dict[str, dict[str, Any]]:
    docs = {
        f"bench-dep-{i}": packument(
            f"bench-dep-{i}", {v: {"dependencies": {"bench-shared": "^1.0.0"}} for v in versions(count)}
        )
        for i in range(deps)
    }
    docs["bench-shared"] = packument("bench-shared", versions(count))
    # a few names real advisories cover, so matching and severity work is part of the measurement
    docs["lodash"] = packument("lodash", ["4.17.15", "4.17.20", "4.17.21"], latest="4.17.20")
    docs["minimist"] = packument("minimist", ["1.2.5", "1.2.8"], latest="1.2.5")
    return docs


def _tarball(manifest: dict[str, Any]) -> bytes:
    data = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/package.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def publish_to_verdaccio(docs: dict[str, dict[str, Any]], root: Path) -> Any:
    """Publish through the registry's publish API (what `npm publish` sends): thousands of `npm publish`
    processes would make the setup take many minutes; the timed audit is the same either way."""
    from support.verdaccio import start_verdaccio

    server = start_verdaccio(root)
    headers = {"authorization": f"Bearer {server.token}"}
    with httpx.Client(timeout=30) as client:
        for name, doc in docs.items():
            for version, manifest in doc["versions"].items():
                body = dict(manifest) | {"version": version, "maintainers": [{"name": "bench"}]}
                tgz = _tarball(body)
                filename = f"{name}-{version}.tgz"
                body["dist"] = {"tarball": f"{server.url}/{name}/-/{filename}", "shasum": hashlib.sha1(tgz).hexdigest()}
                tag = doc["dist-tags"]["latest"] if version == doc["dist-tags"]["latest"] else "bench"
                put = {
                    "_id": name,
                    "name": name,
                    "dist-tags": {tag: version},
                    "versions": {version: body},
                    "_attachments": {
                        filename: {
                            "content_type": "application/octet-stream",
                            "data": base64.b64encode(tgz).decode(),
                            "length": len(tgz),
                        }
                    },
                }
                client.put(f"{server.url}/{name}", json=put, headers=headers).raise_for_status()
    return server


def run_once(registry: str, osv: str, deps: dict[str, str]) -> tuple[float, int, int]:
    rules = load_registry()
    package = Package.from_files({"package.json": json.dumps({"name": "bench", "dependencies": deps}, indent=2)})
    options = Options(registry=registry, osv_url=osv, use_cache=False, now=datetime(2026, 1, 1, tzinfo=UTC))
    ctx = GateContext(package, get_profile("npm", rules), Policy(), options, rules, Facts(), "trust")
    start = time.perf_counter()
    result = TrustGate().run(ctx)
    elapsed = time.perf_counter() - start
    assert result.facts is not None
    return elapsed, len(result.facts.dependencies), len(result.findings)


def serve(docs: dict[str, dict[str, Any]], urls: Any, stop: Any) -> None:
    """Child process: the loopback registry and OSV servers, so their threads do not share the gate's GIL."""
    with OsvServer(records(), page_size=1000) as osv, PackumentServer(docs) as registry:
        urls.put((registry.url, osv.url))
        stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deps", type=int, default=100)
    parser.add_argument("--versions", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--verdaccio", action="store_true")
    args = parser.parse_args()

    docs = registry_docs(args.deps - 2, args.versions)
    deps = {f"bench-dep-{i}": "^1.0.0" for i in range(args.deps - 2)} | {"lodash": "^4.17.0", "minimist": "^1.2.0"}
    urls: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    servers = multiprocessing.Process(target=serve, args=(docs, urls, stop), daemon=True)
    servers.start()
    registry, osv = urls.get(timeout=60)
    with tempfile.TemporaryDirectory() as tmp:
        verdaccio = publish_to_verdaccio(docs, Path(tmp)) if args.verdaccio else None
        try:
            times = []
            for _ in range(args.repeat):
                elapsed, audited, findings = run_once(verdaccio.url if verdaccio else registry, osv, deps)
                times.append(elapsed)
            kind = "verdaccio" if verdaccio else "loopback registry"
            print(
                f"trust gate, {len(deps)} direct dependencies ({audited} audited incl. transitive, {findings} findings)"
                f" against {kind} + loopback OSV, cold cache: median {statistics.median(times):.3f} s, "
                f"min {min(times):.3f} s, max {max(times):.3f} s over {args.repeat} runs (target <= 2 s)"
            )
        finally:
            stop.set()
            servers.join(timeout=10)
            if verdaccio:
                verdaccio.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
