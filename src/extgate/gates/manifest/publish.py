"""Publish metadata vs the tarball's package.json ("manifest confusion").

npm installs from the registry's copy of the metadata (dependencies, scripts, bin), not from the package.json inside
the tarball, so a publish document whose metadata differs from the tarball would have installers run code and pull
dependencies no reviewer of the tarball saw. `metadata_mismatches` is a pure function; `publish_findings` turns its
answer and the document's shape problems (`Options.publish`) into findings.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from typing import Any

from extgate.gates.interface import GateContext
from extgate.model import Finding, truncate
from extgate.publish.interface import PublishClaim

# Fields installers read from the registry's metadata. npm adds others (_id, dist, readme, gitHead, _npmUser...).
COMPARED = (
    "name",
    "version",
    "scripts",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
    "bundleDependencies",
    "bin",
    "os",
    "cpu",
    "engines",
)


# scripts npm derives from a file at the package root when package.json has none (read-package-json's gypfile and
# serverjs steps)
DERIVED_SCRIPTS = (("install", "node-gyp rebuild", "binding.gyp"), ("start", "node server.js", "server.js"))


def metadata_mismatches(
    published: Mapping[str, Any], package_json: Mapping[str, Any], files: frozenset[str] = frozenset()
) -> list[tuple[str, Any, Any]]:
    """(field, published value, tarball value) for every compared field that differs, after npm's own
    normalization of the tarball's package.json (bin string -> object, `directories.bin`, bundledDependencies
    alias, optional dependencies removed from `dependencies`, scripts npm derives from the package's `files`), so
    a real `npm publish` never differs."""
    out = []
    for name in COMPARED:
        ours = _normalized(name, published)
        theirs = _normalized(name, package_json)
        if name == "scripts" and isinstance(ours, dict) and isinstance(theirs, dict):
            for key, derived, trigger in DERIVED_SCRIPTS:
                if key not in theirs and trigger in files and ours.get(key) == derived:
                    theirs = {**theirs, key: derived}
        if name == "bin" and not theirs and _under_bin_dir(ours, package_json):
            continue
        if ours != theirs:
            out.append((name, ours, theirs))
    return out


def _under_bin_dir(bins: Any, package_json: Mapping[str, Any]) -> bool:
    """npm turns `directories.bin` into `bin` entries in the published metadata."""
    directories = package_json.get("directories")
    folder = directories.get("bin") if isinstance(directories, Mapping) else None
    if not isinstance(folder, str) or not isinstance(bins, dict) or not bins:
        return False
    root = posixpath.normpath(folder)
    return all(isinstance(v, str) and posixpath.dirname(posixpath.normpath(v)) == root for v in bins.values())


def _normalized(name: str, doc: Mapping[str, Any]) -> Any:
    if name == "bundleDependencies":
        value = doc.get("bundleDependencies", doc.get("bundledDependencies"))
        if value is True:
            deps = doc.get("dependencies")
            return sorted(deps) if isinstance(deps, Mapping) else []
        return sorted(str(v) for v in value) if isinstance(value, list) else ([] if value in (None, False) else value)
    value = doc.get(name)
    if name == "bin":
        if isinstance(value, str):
            pkg = doc.get("name")
            value = {str(pkg).rsplit("/", 1)[-1]: value} if isinstance(pkg, str) else {"": value}
        if isinstance(value, Mapping):
            return {str(k): posixpath.normpath(v) if isinstance(v, str) else v for k, v in value.items()}
    if name == "dependencies" and isinstance(value, Mapping):
        optional = doc.get("optionalDependencies")  # npm keeps a dependency listed in both only as optional
        return {k: v for k, v in value.items() if not (isinstance(optional, Mapping) and k in optional)}
    if name in ("scripts", "dependencies", "optionalDependencies", "peerDependencies", "engines"):
        return dict(value) if isinstance(value, Mapping) else ({} if value is None else value)
    return value


def publish_findings(ctx: GateContext, claim: PublishClaim, package_json: Mapping[str, Any] | None) -> list[Finding]:
    out = [
        ctx.finding(
            "manifest/publish-document",
            f"{problem.message} The publish is refused.",
            evidence=problem.evidence,
        )
        for problem in claim.problems
    ]
    if not claim.metadata or package_json is None:
        return out
    published = json.loads(claim.metadata)
    files = frozenset(entry.path for entry in ctx.package.files)
    for field, ours, theirs in metadata_mismatches(published, package_json, files):
        out.append(
            ctx.finding(
                "manifest/publish-metadata-mismatch",
                f"the publish metadata's `{field}` is {_show(ours)} but the tarball's package.json says "
                f"{_show(theirs)}; installers use the registry's metadata, so they would get what no one "
                "reviewed. Publish with the npm CLI (it builds both from one package.json) or make them equal.",
                path="package.json",
                snippet=truncate(f"{field}: {_show(ours)}", 200),
                evidence=f"publish-metadata:{field}",
                properties={"field": field},
            )
        )
    return out


def _show(value: Any) -> str:
    if value in (None, {}, []):
        return "absent"
    return truncate(json.dumps(value, sort_keys=True, ensure_ascii=False), 160)
