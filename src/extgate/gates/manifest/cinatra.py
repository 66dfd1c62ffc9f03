"""The Cinatra pack (`cinatra/*`): the contract Cinatra's registry and install pipeline enforce, as its public
extension repos define it in their CI gate (extension-kind-gate.mjs). The rules are reimplemented here from
that contract (never its code) and run on the package that would be published: imports come from the code
gate's parse, files from the archive.

Constants (kinds, host ports, SDK packages, name patterns, the artifact key allowlist) are data in
rules/cinatra.yaml so they can follow the host without a code change.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from extgate.gates.manifest.cinatra_readme import check_readme
from extgate.gates.manifest.interface import Scope, capped, is_text
from extgate.gates.manifest.parse import escape
from extgate.model import Finding, Level, truncate

API_VERSION = "cinatra.ai/v1"
FIRST_PARTY_SCOPE = "@cinatra-ai"
# sdkAbiRange: empty, '*', or an optional operator (^ ~ >= =) and MAJOR[.MINOR[.PATCH]] with x/* wildcards.
_ABI_RANGE = re.compile(r"(\^|~|>=|=)?\s*(\d+)(?:\.(\d+|x|X|\*))?(?:\.(\d+|x|X|\*))?", re.ASCII)
_HOST_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)", re.ASCII)
MAX_IMPORT_FINDINGS = 100


def _data(scope: Scope) -> Mapping[str, Any]:
    return scope.ctx.rules.data("cinatra")


def _list(scope: Scope, key: str) -> Sequence[str]:
    return tuple(str(v) for v in _data(scope).get(key) or ())


def _show(value: Any) -> str:
    try:
        return truncate(json.dumps(value), 80)
    except (TypeError, ValueError):
        return truncate(repr(value), 80)


def block(scope: Scope) -> Mapping[str, Any] | None:
    return scope.cinatra


# -- cinatra/kind --------------------------------------------------------------------------------------------


def check_kind(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    if cinatra is None:
        yield scope.at(
            "cinatra/kind",
            "package.json must declare a `cinatra` block (an object with kind, apiVersion and dependencies) "
            "for a Cinatra extension.",
            "/cinatra" if "cinatra" in scope.data else "",
        )
        return
    kinds = _list(scope, "kinds")
    kind = cinatra.get("kind")
    if kind not in kinds:
        yield scope.at(
            "cinatra/kind",
            f"cinatra.kind must be one of {', '.join(kinds)} (got {_show(kind)}); the install pipeline refuses "
            "any other kind.",
            "/cinatra/kind" if "kind" in cinatra else "/cinatra",
            evidence="/cinatra/kind",
        )
    if cinatra.get("apiVersion") != API_VERSION:
        yield scope.at(
            "cinatra/kind",
            f"cinatra.apiVersion must be exactly {API_VERSION!r} (got {_show(cinatra.get('apiVersion'))}).",
            "/cinatra/apiVersion" if "apiVersion" in cinatra else "/cinatra",
            evidence="/cinatra/apiVersion",
        )
    if "migrations" in cinatra:
        yield scope.at(
            "cinatra/kind",
            "cinatra.migrations (the retired JSON migration DSL) is refused everywhere; use cinatra.migrationsDir "
            "with node-pg-migrate modules.",
            "/cinatra/migrations",
        )
    roles = cinatra.get("roles")
    if "roles" in cinatra and not (isinstance(roles, list) and all(is_text(r) for r in roles)):
        yield scope.at(
            "cinatra/kind", "cinatra.roles must be an array of non-empty strings when present.", "/cinatra/roles"
        )
    visibility = cinatra.get("visibility")
    if kind == "connector" and "visibility" in cinatra and visibility not in ("admin", "workspace"):
        yield scope.at(
            "cinatra/kind",
            f"cinatra.visibility of a connector must be 'admin' or 'workspace' when set (got {_show(visibility)}).",
            "/cinatra/visibility",
        )


# -- cinatra/dependencies ------------------------------------------------------------------------------------


def check_dependencies(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    if cinatra is None:
        return
    rule = "cinatra/dependencies"
    deps = cinatra.get("dependencies")
    if "dependencies" not in cinatra or not isinstance(deps, list):
        what = "is missing" if "dependencies" not in cinatra else f"is {_show(deps)}"
        yield scope.at(
            rule,
            f"cinatra.dependencies {what}; it must be an array (declare no dependencies as []).",
            "/cinatra/dependencies" if "dependencies" in cinatra else "/cinatra",
            evidence="/cinatra/dependencies",
        )
        return
    kinds = set(_list(scope, "kinds"))
    edge_types = _list(scope, "edge_types")
    requirements = _list(scope, "requirements")
    seen: set[str] = set()
    for index, dep in enumerate(deps):
        base = f"/cinatra/dependencies/{index}"
        problems = list(_dependency_problems(dep, scope.name, kinds, edge_types, requirements))
        for field, message in problems:
            yield scope.at(rule, f"cinatra.dependencies[{index}] {message}", base + field, evidence=base + field)
        if problems or not isinstance(dep, Mapping):
            continue
        name = str(dep["packageName"])
        if name in seen:
            yield scope.at(
                rule,
                f"cinatra.dependencies lists {name} twice; the install pipeline refuses duplicate edges.",
                base + "/packageName",
                evidence=f"duplicate:{name}",
            )
        seen.add(name)
        constraint = dep["versionConstraint"]
        if constraint.get("kind") == "git-ref":
            yield scope.at(
                rule,
                f"cinatra.dependencies[{index}] on {name} pins a git-ref; the shape is valid but a git-ref target "
                "cannot be installed from the registry. Pin a published semver-range or exact version.",
                base + "/versionConstraint",
                level=Level.WARNING,
                evidence=f"git-ref:{name}",
            )


def _dependency_problems(
    dep: Any, self_name: str | None, kinds: set[str], edge_types: Sequence[str], requirements: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """(pointer suffix, message) for each way one dependency entry is malformed."""
    if not isinstance(dep, Mapping):
        yield "", f"must be an object {{packageName, edgeType, versionConstraint, requirement}} (got {_show(dep)})"
        return
    name = dep.get("packageName")
    if not is_text(name):
        yield "/packageName", "needs a non-empty packageName"
    elif self_name is not None and name == self_name:
        yield "/packageName", f"names the package itself ({truncate(str(name), 80)}); a self-edge is malformed"
    if dep.get("edgeType") not in edge_types:
        yield "/edgeType", f"edgeType must be one of {', '.join(edge_types)} (got {_show(dep.get('edgeType'))})"
    if dep.get("requirement") not in requirements:
        yield (
            "/requirement",
            f"requirement must be one of {', '.join(requirements)} (got {_show(dep.get('requirement'))})",
        )
    constraint = dep.get("versionConstraint")
    fields = {"semver-range": "range", "exact": "version", "git-ref": "ref"}
    if not isinstance(constraint, Mapping):
        yield "/versionConstraint", "needs a versionConstraint object {kind, range|version|ref}"
    elif constraint.get("kind") not in fields:
        yield (
            "/versionConstraint/kind",
            f"versionConstraint.kind must be semver-range, exact or git-ref (got {_show(constraint.get('kind'))})",
        )
    else:
        needed = fields[str(constraint["kind"])]
        if not is_text(constraint.get(needed)):
            yield f"/versionConstraint/{needed}", f"a {constraint['kind']} constraint needs a non-empty `{needed}`"
    if "kind" in dep and dep.get("kind") not in kinds:
        yield "/kind", f"kind must be one of {', '.join(sorted(kinds))} when present (got {_show(dep.get('kind'))})"


# -- cinatra/host-ports --------------------------------------------------------------------------------------


def check_host_ports(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    if cinatra is None or "requestedHostPorts" not in cinatra:
        return
    ports = cinatra.get("requestedHostPorts")
    valid = _list(scope, "host_ports")
    if not isinstance(ports, list):
        yield scope.at(
            "cinatra/host-ports",
            "cinatra.requestedHostPorts must be an array when present.",
            "/cinatra/requestedHostPorts",
        )
        return
    for index, port in enumerate(ports):
        if port not in valid:
            yield scope.at(
                "cinatra/host-ports",
                f"cinatra.requestedHostPorts has an unknown port {_show(port)}; valid ports: {', '.join(valid)}.",
                f"/cinatra/requestedHostPorts/{index}",
                evidence=f"port:{port}",
            )


# -- cinatra/abi ---------------------------------------------------------------------------------------------


def abi_bounds(spec: str) -> tuple[tuple[int, int, int], tuple[int, int, int] | None] | None:
    """[lower, upper) of a supported sdkAbiRange; None when the grammar does not accept it. '' and '*' are
    unpinned: (0.0.0, None)."""
    text = spec.strip()
    if text in ("", "*"):
        return (0, 0, 0), None
    match = _ABI_RANGE.fullmatch(text)
    if not match:
        return None
    op = match.group(1) or "="
    major = int(match.group(2))
    if major < 1:  # major-0 ABI semantics differ; the host fails closed
        return None
    minor = None if match.group(3) in (None, "x", "X", "*") else int(match.group(3))
    patch = None if match.group(4) in (None, "x", "X", "*") else int(match.group(4))
    lower = (major, minor or 0, patch or 0)
    upper: tuple[int, int, int] | None
    if op == ">=":
        upper = None
    elif op == "^" or (op == "~" and minor is None) or (op == "=" and minor is None):
        upper = (major + 1, 0, 0)
    elif op == "~" or patch is None:
        upper = (major, (minor or 0) + 1, 0)
    else:
        upper = (major, minor or 0, patch + 1)
    return lower, upper


def abi_satisfied(spec: str, host: str) -> bool:
    bounds = abi_bounds(spec)
    version = _HOST_VERSION.match(host.strip())
    if bounds is None or version is None:
        return False
    current = (int(version.group(1)), int(version.group(2)), int(version.group(3)))
    lower, upper = bounds
    return current >= lower and (upper is None or current < upper)


def check_abi(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    if cinatra is None or "sdkAbiRange" not in cinatra:
        return
    spec = cinatra.get("sdkAbiRange")
    pointer = "/cinatra/sdkAbiRange"
    if not isinstance(spec, str):
        yield scope.at("cinatra/abi", "cinatra.sdkAbiRange must be a string when present.", pointer)
        return
    if abi_bounds(spec) is None:
        yield scope.at(
            "cinatra/abi",
            f"cinatra.sdkAbiRange {truncate(spec, 60)!r} is not a supported range; use X.Y.Z, X, X.Y, X.x, ^X[.Y[.Z]], "
            "~X[.Y[.Z]] or >=X[.Y[.Z]] with major >= 1 (the host fails closed on anything else).",
            pointer,
            snippet=spec,
            evidence=f"{pointer}:malformed",
        )
        return
    host = scope.ctx.options.host_version
    if host is None:
        return
    if not abi_satisfied(spec, host):
        yield scope.at(
            "cinatra/abi",
            f"cinatra.sdkAbiRange {truncate(spec, 60)!r} is not satisfied by host SDK ABI {truncate(host, 40)}; "
            "that host would refuse to activate this build. Widen the range or target that host.",
            pointer,
            level=Level.WARNING,
            snippet=spec,
            evidence=f"{pointer}:host",
        )


# -- cinatra/name --------------------------------------------------------------------------------------------


def check_name(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    name = scope.name
    if cinatra is None or name is None:
        return  # manifest/name reports a missing name
    kind = cinatra.get("kind")
    patterns: Mapping[str, str] = _data(scope).get("name_patterns") or {}
    pattern = patterns.get(str(kind)) if isinstance(kind, str) else None
    if pattern is None:
        return
    if kind == "skill" and cinatra.get("vendoredFrom") is not None:
        return  # a vendored skill bundle keeps its upstream name
    if not re.fullmatch(pattern, name):
        examples = {
            "connector": "@scope/<slug>-connector",
            "artifact": "@cinatra-ai/<slug>-artifact",
            "skill": "@scope/<slug>-skills",
        }
        yield scope.at(
            "cinatra/name",
            f"{kind} package name {truncate(name, 100)!r} does not follow the kind-at-end convention "
            f"{examples.get(str(kind), pattern)}; rename the package"
            + (" (or declare cinatra.vendoredFrom for a vendored bundle)." if kind == "skill" else "."),
            "/name",
            snippet=name,
            evidence=f"/name:{kind}",
        )


# -- cinatra/artifact-shape ----------------------------------------------------------------------------------


def check_artifact_shape(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    if cinatra is None or cinatra.get("kind") != "artifact":
        return
    rule = "cinatra/artifact-shape"
    allowed = _list(scope, "artifact_allowed_keys")
    for key in cinatra:
        if key not in allowed:
            yield scope.at(
                rule,
                f"artifact extensions are metadata-only: cinatra.{truncate(str(key), 60)} is not allowed (only "
                f"{', '.join(allowed)}); remove it.",
                f"/cinatra/{escape(str(key))}",
            )
    artifact = cinatra.get("artifact")
    if artifact is None:
        yield scope.at(
            rule,
            "an artifact must declare cinatra.artifact (a descriptor with at least `accepts`).",
            "/cinatra/artifact" if "artifact" in cinatra else "/cinatra",
            evidence="/cinatra/artifact",
        )
        return
    if not isinstance(artifact, Mapping):
        yield scope.at(rule, "cinatra.artifact must be an object.", "/cinatra/artifact")
        return
    accepts = artifact.get("accepts")
    forms = ("file", "connectorRef", "dashboard")
    if not isinstance(accepts, Mapping) or not any(form in accepts for form in forms):
        yield scope.at(
            rule,
            "cinatra.artifact.accepts must be an object declaring at least one representation form "
            "(file, connectorRef or dashboard).",
            "/cinatra/artifact/accepts" if "accepts" in artifact else "/cinatra/artifact",
            evidence="/cinatra/artifact/accepts",
        )


# -- cinatra/server-entry ------------------------------------------------------------------------------------


def resolve_server_entry(entry: str, exports: Any) -> tuple[str, str]:
    """(verdict, relative path): verdict is invalid-target, unsafe or ok. Cinatra's resolver: an exports key
    (exact lookup, one level of import/default/require conditions, a './' string target) or a './' path;
    no absolute path and no '..' segment even if it would normalize back inside."""
    if isinstance(exports, Mapping) and entry in exports:
        target = exports[entry]
        if isinstance(target, Mapping):
            target = next((target[k] for k in ("import", "default", "require") if target.get(k) is not None), None)
        if not (isinstance(target, str) and target.startswith("./")):
            return "invalid-target", ""
        rel = target
    elif entry.startswith("./"):
        rel = entry
    else:
        return "invalid-target", ""
    cleaned = rel[2:]
    if cleaned.startswith("/") or re.match(r"[A-Za-z]:", cleaned) or ".." in re.split(r"[\\/]", cleaned):
        return "unsafe", rel
    return "ok", rel


def check_server_entry(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    entry = cinatra.get("serverEntry") if cinatra is not None else None
    if not isinstance(entry, str) or not entry:
        return
    rule = "cinatra/server-entry"
    pointer = "/cinatra/serverEntry"
    verdict, rel = resolve_server_entry(entry, scope.data.get("exports"))
    if verdict == "invalid-target":
        yield scope.at(
            rule,
            f"cinatra.serverEntry {truncate(entry, 100)!r} is outside the supported resolver language: use a "
            "'./' path, or an exports key whose target is a './' string (one level of import/default/require "
            "conditions allowed).",
            pointer,
            snippet=entry,
            evidence=f"{pointer}:target",
        )
        return
    if verdict == "unsafe":
        yield scope.at(
            rule,
            f"cinatra.serverEntry resolves to {truncate(rel, 100)!r}, which is absolute or has a '..' segment; the "
            "host refuses a server entry that could leave the package.",
            pointer,
            snippet=entry,
            evidence=f"{pointer}:unsafe",
        )
        return
    path = posixpath.normpath(rel[2:])
    if path not in scope.files:
        yield scope.at(
            rule,
            f"cinatra.serverEntry {truncate(entry, 100)!r} resolves to {truncate(rel, 100)!r}, which is not a file "
            "in the package (no extension probing); publish it or fix the path.",
            pointer,
            snippet=entry,
            evidence=f"{pointer}:missing",
        )
    elif path.endswith((".mjs", ".cjs", ".js")):
        return
    elif path.endswith((".ts", ".tsx", ".mts", ".cts")):
        yield scope.at(
            rule,
            f"cinatra.serverEntry resolves to TypeScript source {truncate(rel, 100)!r}; the runtime package store "
            "loads only built .mjs/.cjs/.js entries. Point it at the built file before publishing to the store.",
            pointer,
            level=Level.WARNING,
            snippet=entry,
            evidence=f"{pointer}:source",
        )
    else:
        yield scope.at(
            rule,
            f"cinatra.serverEntry resolves to {truncate(rel, 100)!r}, neither a built module (.mjs/.cjs/.js) nor "
            "TypeScript source; point it at the built entry.",
            pointer,
            snippet=entry,
            evidence=f"{pointer}:unresolved",
        )


# -- cinatra/first-party-import ------------------------------------------------------------------------------


def base_package(specifier: str) -> str | None:
    """'@scope/name' for '@scope/name/sub', 'pkg' for 'pkg/sub'; None for relative or absolute specifiers."""
    if not specifier or specifier.startswith((".", "/")):
        return None
    if specifier.startswith("@"):
        parts = specifier.split("/")
        return f"{parts[0]}/{parts[1]}" if len(parts) >= 2 else None
    return specifier.split("/")[0]


def non_sdk_first_party(specifier: str, sdk: Sequence[str]) -> str | None:
    base = base_package(specifier)
    if base is None or not base.startswith(FIRST_PARTY_SCOPE + "/") or base in sdk:
        return None
    return base


def check_first_party(scope: Scope) -> Iterator[Finding]:
    if block(scope) is None:
        return
    rule = "cinatra/first-party-import"
    sdk = _list(scope, "sdk_packages")
    allowed = " and ".join(sdk)
    self_name = scope.name
    for field in ("dependencies", "peerDependencies", "optionalDependencies"):
        deps = scope.data.get(field)
        if not isinstance(deps, Mapping):
            continue
        for name in deps:
            base = non_sdk_first_party(str(name), sdk)
            if base is not None and name != self_name:
                yield scope.at(
                    rule,
                    f"{field} lists {truncate(str(name), 80)}: of the {FIRST_PARTY_SCOPE} scope only {allowed} may be "
                    "depended on; reach other host capabilities through register(ctx) ports.",
                    f"/{field}/{escape(str(name))}",
                    evidence=f"{field}:{name}",
                )
    code = scope.ctx.facts.code
    if code is None:
        scope.note(f"{rule}: source imports not checked (the code gate left no import facts)")
        return

    def findings() -> Iterator[Finding]:
        for ref in code.imports:
            if ref.specifier.startswith("@/"):
                yield scope.ctx.finding(
                    rule,
                    f"import of host-internal module {truncate(ref.specifier, 80)!r}: an extension reaches host "
                    "capabilities only through register(ctx) ports; remove the '@/' import.",
                    path=ref.path,
                    line=ref.line,
                    evidence=f"host-internal:{ref.specifier}",
                    properties={"specifier": ref.specifier, "import_kind": ref.kind},
                )
                continue
            base = non_sdk_first_party(ref.specifier, sdk)
            if base is not None and base != self_name:
                yield scope.ctx.finding(
                    rule,
                    f"import of {truncate(ref.specifier, 80)!r}: of the {FIRST_PARTY_SCOPE} scope only {allowed} may "
                    "be imported; route everything else through register(ctx) host ports.",
                    path=ref.path,
                    line=ref.line,
                    evidence=f"first-party:{base}",
                    properties={"specifier": ref.specifier, "import_kind": ref.kind},
                )

    def summary(extra: int) -> Finding:
        return scope.at(rule, f"{extra} more banned imports than shown; fix the ones above first.", "", evidence="more")

    yield from capped(findings(), MAX_IMPORT_FINDINGS, summary)


# -- cinatra/license -----------------------------------------------------------------------------------------


def check_license(scope: Scope) -> Iterator[Finding]:
    cinatra = block(scope)
    if cinatra is None:
        return
    name = scope.name or ""
    license_value = scope.data.get("license")
    pointer = "/license" if "license" in scope.data else ""
    vendored = cinatra.get("vendoredFrom") is not None
    if name.startswith(FIRST_PARTY_SCOPE + "/") and not vendored:
        if license_value != "Apache-2.0":
            yield scope.at(
                "cinatra/license",
                f'{FIRST_PARTY_SCOPE} extensions are Apache-2.0: set "license": "Apache-2.0" (got '
                f"{_show(license_value)}).",
                pointer,
                evidence="/license:first-party",
            )
    elif not is_text(license_value):
        yield scope.at(
            "cinatra/license",
            'package.json declares no license; add an SPDX identifier (for example "license": "MIT") so the '
            "host's license policy can be applied.",
            pointer,
            level=Level.WARNING,
            evidence="/license:missing",
        )


# -- cinatra/readme ------------------------------------------------------------------------------------------


def check_readme_contract(scope: Scope) -> Iterator[Finding]:
    if block(scope) is None:
        return
    raw = scope.ctx.package.read("README.md")
    if raw is None:
        yield scope.at(
            "cinatra/readme",
            "the package has no root README.md; the marketplace renders it (see the README contract: H1, a "
            "description paragraph, '## Capabilities' bullets).",
            "",
            evidence="README.md:missing",
        )
        return
    for problem in check_readme(raw):
        yield scope.ctx.finding(
            "cinatra/readme",
            problem.message + ".",
            path="README.md",
            line=problem.line,
            evidence=problem.code,
        )
