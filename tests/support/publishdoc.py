"""Build npm publish documents (the JSON body of `PUT /:package`) the way the npm CLI (libnpmpublish) does."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from support.archives import npm_tgz


def publish_document(
    package_json: Mapping[str, Any],
    files: Mapping[str, str | bytes] | None = None,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A document carrying a tarball of `package_json` + `files`; `metadata` overrides fields of versions[v] only
    (what a tampered publish would do)."""
    tarball = npm_tgz({"package.json": json.dumps(package_json), **(files or {})})
    name, version = str(package_json["name"]), str(package_json["version"])
    tarball_name = f"{name}-{version}.tgz"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    meta = {
        **package_json,
        "_id": f"{name}@{version}",
        "_nodeVersion": "20.20.2",
        "_npmVersion": "11.19.1",
        "dist": {
            "integrity": integrity,
            "shasum": hashlib.sha1(tarball).hexdigest(),
            "tarball": f"http://127.0.0.1/{name}/-/{tarball_name}",
        },
        **(metadata or {}),
    }
    return {
        "_id": name,
        "name": name,
        "description": package_json.get("description", ""),
        "dist-tags": {"latest": version},
        "versions": {version: meta},
        "access": None,
        "_attachments": {
            tarball_name: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode(),
                "length": len(tarball),
            }
        },
    }


def encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document).encode()
