"""Archives and verdict comparison shared by the serve tests."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

from extgate import Options
from support.archives import npm_tgz

OPTIONS = Options(offline=True, network=False, use_cache=False)  # what `extgate serve --offline --no-cache` uses
SERVE_ARGS = ("--offline", "--no-cache", "--workers", "2", "--max-body", "2m", "--max-concurrency", "24")


def clean_archive(i: int = 0) -> bytes:
    manifest = {
        "name": f"clean-pkg-{i}",
        "version": f"1.0.{i}",
        "description": "ok",
        "main": "index.js",
        "license": "MIT",
    }
    return npm_tgz({"package.json": json.dumps(manifest), "index.js": f"module.exports = {i};\n"})


def hostile_archive(i: int = 0) -> bytes:
    """eval, a hidden .env holding a secret, and a path-traversal member."""
    buf = io.BytesIO()
    members = [
        ("package/package.json", json.dumps({"name": f"evil-pkg-{i}", "version": "1.0.0"}).encode()),
        ("package/index.js", f"eval(process.argv[{i + 2}]);\n".encode()),
        ("package/.env", b"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
        ("package/../../etc/cron.d/x", b"* * * * * root id\n"),
    ]
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def comparable(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict without what legitimately differs between runs and callers: timing and the source's name."""
    out = dict(verdict)
    out.pop("duration_ms", None)
    out["target"] = {k: v for k, v in verdict["target"].items() if k != "path"}
    return out
