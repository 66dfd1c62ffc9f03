"""Registry-backed checks: `manifest/version-exists` and `manifest/deprecated-dependency-extension`.

How an npm-style (Verdaccio) registry expresses extension lifecycle states (seed 004), as extgate reads it:

* deprecated -- npm's own marker: `versions[v].deprecated` is a non-empty string (`npm deprecate`). A whole
  extension is deprecated when every version that could be installed carries it.
* yanked     -- a version document with `"yanked": true` or `"lifecycle": {"status": "yanked"}` (Orchestra's
  `extension_versions.yanked`); yanked versions drop out of resolution.
* removed    -- a version listed in `time` but absent from `versions` (npm's trace of an unpublished
  version), or a package-level `"lifecycle": {"status": "removed" | "emergency-removed" | "suspended" |
  "deprecated"}` object that a registry operator adds to the packument.

Only dependencies that are extensions are judged here (declared in `cinatra.dependencies` or swamp
`dependencies`, or whose registry documents carry extension metadata); plain npm libraries belong to the
trust gate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import nodesemver

from extgate.gates.manifest.identity import today
from extgate.gates.manifest.interface import ORCHESTRA_FIELDS, RegistryDown, Scope
from extgate.gates.manifest.npm import satisfies, valid_range
from extgate.gates.manifest.parse import escape
from extgate.gates.manifest.versions import calver_problem, published_versions, semver_problem, strip_build
from extgate.model import Finding, truncate

PACKAGE_STATES = ("deprecated", "suspended", "removed", "emergency-removed")
DEPENDENCY_FIELDS = ("dependencies", "peerDependencies", "optionalDependencies")
MAX_DEPENDENCY_LOOKUPS = 200


def check_version_exists(scope: Scope) -> Iterator[Finding]:
    if not scope.registry_ready("manifest/version-exists"):
        return
    name, version = scope.name, scope.version
    if name is None or version is None:
        return
    if scope.manifest.kind == "manifest.yaml":
        if calver_problem(version, today(scope).date()) is not None:
            return  # manifest/version already blocks it
        wanted = version
    else:
        if semver_problem(version) is not None:
            return
        wanted = strip_build(version)
    try:
        packument = scope.packument(name)
    except RegistryDown:
        return  # reported once by the gate
    except ValueError:
        yield scope.at(
            "manifest/version-exists",
            f"cannot ask the registry about {truncate(name, 100)!r}: it is not a name an npm-style registry URL "
            "can carry, so whether this version is free is unknown (the check fails closed).",
            "/version",
            evidence="/version:unaskable",
        )
        return
    if packument is None:
        scope.note(f"manifest/version-exists: {name} is new on {scope.registry}")
        return
    current = packument.get("versions")
    if isinstance(current, Mapping) and wanted in current:
        yield scope.at(
            "manifest/version-exists",
            f"{name}@{wanted} is already published on {scope.registry}, and published versions are immutable; "
            "bump the version (extgate next-version PATH --registry URL prints the next free one).",
            "/version",
            snippet=version,
            evidence="/version:published",
        )
    elif wanted in published_versions(packument):
        yield scope.at(
            "manifest/version-exists",
            f"{name}@{wanted} was published on {scope.registry} before and then removed; a version number is "
            "never reused. Bump the version (extgate next-version prints the next free one).",
            "/version",
            snippet=version,
            evidence="/version:removed",
        )


def _dependencies(scope: Scope) -> list[tuple[str, str, str, bool]]:
    """(name, spec, pointer, declared-as-extension) for each dependency a consumer installs, first wins."""
    found: dict[str, tuple[str, str, str, bool]] = {}

    def add(name: Any, spec: Any, pointer: str, explicit: bool) -> None:
        if isinstance(name, str) and name and isinstance(spec, str):
            if name in found:
                first = found[name]
                found[name] = (first[0], first[1], first[2], first[3] or explicit)
            else:
                found[name] = (name, spec, pointer, explicit)

    data = scope.data
    if scope.manifest.kind == "manifest.yaml":
        deps = data.get("dependencies")
        for index, name in enumerate(deps if isinstance(deps, list) else ()):
            add(name, "*", f"/dependencies/{index}", True)
        return list(found.values())
    cinatra = scope.cinatra
    edges = cinatra.get("dependencies") if cinatra is not None else None
    for index, edge in enumerate(edges if isinstance(edges, list) else ()):
        if not isinstance(edge, Mapping):
            continue
        constraint = edge.get("versionConstraint")
        spec: Any = None
        if isinstance(constraint, Mapping):
            spec = {"semver-range": constraint.get("range"), "exact": constraint.get("version")}.get(
                str(constraint.get("kind"))
            )
        add(edge.get("packageName"), spec, f"/cinatra/dependencies/{index}", True)
    for field in DEPENDENCY_FIELDS:
        deps = data.get(field)
        if isinstance(deps, Mapping):
            for name, spec in deps.items():
                add(name, spec, f"/{field}/{escape(str(name))}", False)
    return list(found.values())


def _is_extension(packument: Mapping[str, Any]) -> bool:
    if isinstance(packument.get("lifecycle"), Mapping):
        return True
    versions = packument.get("versions")
    if not isinstance(versions, Mapping):
        return False
    markers = ("cinatra", "manifestVersion", *ORCHESTRA_FIELDS)
    return any(isinstance(doc, Mapping) and any(m in doc for m in markers) for doc in versions.values())


def _yanked(doc: Any) -> bool:
    if not isinstance(doc, Mapping):
        return False
    lifecycle = doc.get("lifecycle")
    return doc.get("yanked") is True or (isinstance(lifecycle, Mapping) and lifecycle.get("status") == "yanked")


def _deprecation(doc: Any) -> str | None:
    message = doc.get("deprecated") if isinstance(doc, Mapping) else None
    return message if isinstance(message, str) and message else None


def lifecycle_state(packument: Mapping[str, Any], spec: str) -> tuple[str, str] | None:
    """(state, detail) when what `spec` resolves to is deprecated, yanked or removed; None when healthy or
    when `spec` is no version range (git URLs, file: paths) or matches nothing at all."""
    lifecycle = packument.get("lifecycle")
    if isinstance(lifecycle, Mapping) and lifecycle.get("status") in PACKAGE_STATES:
        reason = lifecycle.get("reason")
        return str(lifecycle["status"]), str(reason) if isinstance(reason, str) else "marked by the registry"
    versions = packument.get("versions")
    versions = versions if isinstance(versions, Mapping) else {}
    tags = packument.get("dist-tags")
    tags = tags if isinstance(tags, Mapping) else {}
    if valid_range(spec) is not None:
        matching = [str(v) for v in versions if satisfies(str(v), spec)]
    elif isinstance(tags.get(spec), str) and tags[spec] in versions:
        matching = [str(tags[spec])]
    else:
        return None
    live = [v for v in matching if not _yanked(versions[v])]
    if not live:
        if matching:
            return "yanked", f"every version matching {spec!r} is yanked ({', '.join(sorted(matching)[:5])})"
        removed = sorted(v for v in published_versions(packument) - set(map(str, versions)) if satisfies(v, spec))
        if removed:
            return "removed", f"the versions matching {spec!r} were removed ({', '.join(removed[:5])})"
        return None
    # npm prefers a non-deprecated version when one satisfies; deprecation bites only when none does.
    healthy = [v for v in live if _deprecation(versions[v]) is None]
    if healthy:
        return None
    latest = tags.get("latest")
    chosen = latest if latest in live else str(nodesemver.sort(live, False)[-1])
    return "deprecated", f"{chosen}: {truncate(_deprecation(versions[chosen]) or '', 160)}"


def check_dependency_lifecycle(scope: Scope) -> Iterator[Finding]:
    rule = "manifest/deprecated-dependency-extension"
    dependencies = _dependencies(scope)
    if not dependencies or not scope.registry_ready(rule):
        return
    limit = int(scope.ctx.setting("max_dependency_lookups", MAX_DEPENDENCY_LOOKUPS))
    if len(dependencies) > limit:
        yield scope.at(
            "manifest/limit",
            f"{len(dependencies)} dependencies exceed the {limit} extgate looks up on the registry; the lifecycle "
            "of the rest is unknown. Trim dependencies or raise [manifest] max_dependency_lookups.",
            "",
            evidence="dependency-lookups",
        )
        dependencies = dependencies[:limit]
    for name, spec, pointer, explicit in dependencies:
        try:
            packument = scope.packument(name)
        except RegistryDown:
            return
        except ValueError:
            scope.note(f"{rule}: {truncate(name, 60)} not looked up (not an npm-style name)")
            continue
        if packument is None or not (explicit or _is_extension(packument)):
            continue
        state = lifecycle_state(packument, spec)
        if state is None:
            continue
        status, detail = state
        yield scope.at(
            rule,
            f"dependency {name} ({truncate(spec, 40)}) is {status} on {scope.registry}: {detail}. Depend on a "
            "maintained version or its replacement, or acknowledge the risk.",
            pointer,
            snippet=f"{name}@{spec}",
            evidence=f"{pointer}:{status}",
            properties={"state": status},
        )
