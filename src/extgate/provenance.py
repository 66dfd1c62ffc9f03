"""Provenance sidecars: what was checked and published, so an installer can verify it got exactly that.

A sidecar (JSON) records the package identity from its manifest, the payload's digests (sha256 hex, as
Orchestra verifies on install, and the sha512 SRI string npm uses), its size, when it was published, the
extgate version and the verdict's canonical digest (sha256 of the verdict JSON without timing). `verify`
recomputes the digests and re-reads the manifest of an archive and lists every mismatch. A sidecar attests a
pass: `extgate provenance` writes none for a package that did not pass, and `verify` rejects a sidecar whose
verdict is anything but `passed`.

    {"schema": "extgate.provenance/1", "name": "@acme/x", "version": "1.2.0",
     "payload": {"file": "x-1.2.0.tgz", "sha256": "...", "integrity": "sha512-...", "size": 1234},
     "publishedAt": "2026-05-20T12:00:00Z", "extgate": {"version": "0.1.0"},
     "verdict": {"status": "passed", "profile": "npm", "digest": "sha256:..."}}
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extgate import __version__
from extgate.model import Package, Verdict

SCHEMA = "extgate.provenance/1"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Payload:
    """sha256: hex digest; integrity: 'sha512-<base64>' (Subresource Integrity, as npm records); size: bytes."""

    sha256: str
    integrity: str
    size: int


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One field of the sidecar that does not match the archive (or a sidecar that attests no pass: `detail`)."""

    field: str
    expected: str
    actual: str
    detail: str = ""

    def __str__(self) -> str:
        return self.detail or f"{self.field}: sidecar says {self.expected}, archive has {self.actual}"


def digest_file(path: Path) -> Payload:
    """Digests of a file, read in chunks (archives can be large)."""
    sha256 = hashlib.sha256()
    sha512 = hashlib.sha512()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha256.update(chunk)
            sha512.update(chunk)
            size += len(chunk)
    return Payload(sha256.hexdigest(), "sha512-" + base64.b64encode(sha512.digest()).decode("ascii"), size)


def iso_utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_sidecar(archive: Path, verdict: Verdict, *, published_at: datetime) -> dict[str, Any]:
    """The sidecar for `archive` as checked into `verdict` (see the module docstring for the shape)."""
    from extgate.formatters.json import canonical_digest

    payload = digest_file(archive)
    return {
        "schema": SCHEMA,
        "name": verdict.manifest.get("name"),
        "version": verdict.manifest.get("version"),
        "payload": {
            "file": archive.name,
            "sha256": payload.sha256,
            "integrity": payload.integrity,
            "size": payload.size,
        },
        "publishedAt": iso_utc(published_at),
        "extgate": {"version": __version__},
        "verdict": {
            "status": verdict.status.value,
            "profile": verdict.profile,
            "digest": "sha256:" + canonical_digest(verdict),
        },
    }


def render(sidecar: Mapping[str, Any]) -> str:
    return json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n"


def package_identity(package: Package) -> tuple[str | None, str | None]:
    """(name, version) from the package's root manifest (manifest.yaml/yml, else package.json); (None, None)
    when there is none or it cannot be parsed."""
    from extgate.gates.manifest.parse import ParseError, parse_json, parse_yaml

    for path, parse in (("manifest.yaml", parse_yaml), ("manifest.yml", parse_yaml), ("package.json", parse_json)):
        raw = package.read(path)
        if raw is None:
            continue
        try:
            data = parse(raw, what=path).data
        except ParseError:
            return None, None
        if not isinstance(data, Mapping):
            return None, None
        name, version = data.get("name"), data.get("version")
        return (name if isinstance(name, str) else None, version if isinstance(version, str) else None)
    return None, None


def verify(archive: Path, sidecar: Any, package: Package | None = None) -> list[Mismatch]:
    """Every way `archive` differs from what `sidecar` records; [] when all match. `package` (the archive as
    intake read it) supplies the manifest's name and version; without it they are not compared."""
    if not isinstance(sidecar, Mapping) or sidecar.get("schema") != SCHEMA:
        found = sidecar.get("schema") if isinstance(sidecar, Mapping) else type(sidecar).__name__
        return [Mismatch("schema", SCHEMA, str(found))]
    mismatches: list[Mismatch] = []
    verdict = sidecar.get("verdict")
    status = verdict.get("status") if isinstance(verdict, Mapping) else None
    if status != "passed":
        mismatches.append(
            Mismatch("verdict.status", str(status), "passed", f"verdict.status: sidecar says {status}, not passed")
        )
    recorded = sidecar.get("payload")
    recorded = recorded if isinstance(recorded, Mapping) else {}
    actual = digest_file(archive)
    mismatches += [
        Mismatch(f"payload.{key}", str(recorded.get(key)), str(value))
        for key, value in (("sha256", actual.sha256), ("integrity", actual.integrity), ("size", actual.size))
        if recorded.get(key) != value
    ]
    if package is not None:
        name, version = package_identity(package)
        for key, value in (("name", name), ("version", version)):
            if sidecar.get(key) != value:
                mismatches.append(Mismatch(key, str(sidecar.get(key)), str(value)))
    return mismatches
