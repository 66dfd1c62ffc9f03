"""manifest gate: find and strictly parse the manifest, then run the publish-policy checks for its kind.

    package.json   (npm, Orchestra fields, Cinatra `cinatra` block)  -> schema, name, scope, version,
                   version-exists, entry points, files, install scripts (bundled dependencies' too), ABI,
                   permissions, dependency lifecycle; plus the Cinatra pack and dev fixtures when it is a Cinatra
                   extension
    manifest.yaml  (swamp, manifestVersion 1)                        -> schema, name, collective, CalVer,
                   version-exists, listed files, unlisted content, dependency lifecycle

The parsed manifest becomes `facts.manifest` for the trust gate and the scorer. Registry-backed checks run
only with `--registry` (the verdict's notes say when they were skipped); an unreachable registry is one
fail-closed `manifest/registry-unavailable` finding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from extgate.facts import Manifest
from extgate.gates.interface import GateContext, GateResult
from extgate.gates.manifest import (
    bundled,
    cinatra,
    fixtures,
    identity,
    install_payload,
    lifecycle,
    npm,
    permissions,
    publish,
    schemas,
    swamp,
)
from extgate.gates.manifest.interface import Check, Scope
from extgate.gates.manifest.parse import MAX_MANIFEST_BYTES, Parsed, ParseError, parse_json, parse_yaml
from extgate.model import Finding, truncate
from extgate.stages import internal_error

MANIFEST_KINDS = ("package.json", "manifest.yaml")
MAX_FINDINGS_PER_CHECK = 200  # a hostile manifest (thousands of bad entries) gets a summary, not a flood

COMMON: tuple[Check, ...] = (
    schemas.check_schema,
    identity.check_name,
    identity.check_scope,
    identity.check_version,
    lifecycle.check_version_exists,
)
PACKAGE_JSON: tuple[Check, ...] = (
    npm.check_entry_points,
    npm.check_files,
    npm.check_install_scripts,
    npm.check_bin_shadowing,
    install_payload.check_install_payloads,
    bundled.check_bundled_install_scripts,
    npm.check_abi,
    permissions.check_permissions,
    lifecycle.check_dependency_lifecycle,
)
SWAMP: tuple[Check, ...] = (
    swamp.check_files,
    swamp.check_unlisted,
    lifecycle.check_dependency_lifecycle,
)
CINATRA: tuple[Check, ...] = (
    cinatra.check_kind,
    cinatra.check_dependencies,
    cinatra.check_host_ports,
    cinatra.check_abi,
    cinatra.check_name,
    cinatra.check_artifact_shape,
    cinatra.check_server_entry,
    cinatra.check_first_party,
    cinatra.check_license,
    cinatra.check_readme_contract,
    fixtures.check_dev_fixtures,
)


class ManifestGate:
    name = "manifest"

    def run(self, ctx: GateContext) -> GateResult:
        kind = ctx.options.manifest_kind or ctx.profile.manifest
        if kind not in MANIFEST_KINDS:
            finding = ctx.finding(
                "manifest/missing",
                f"unknown manifest kind {truncate(kind, 40)!r}; use package.json or manifest.yaml.",
            )
            return GateResult((finding,))
        loaded = load(ctx, kind)
        # a publish document (extgate serve, check_publish) is judged even when the tarball has no manifest
        tarball_json = loaded[1].data if not isinstance(loaded, Finding) and kind == "package.json" else None
        claimed = publish.publish_findings(ctx, ctx.options.publish, tarball_json) if ctx.options.publish else []
        if isinstance(loaded, Finding):
            return GateResult((loaded, *claimed))
        path, parsed = loaded
        manifest = Manifest(kind=kind, path=path, data=parsed.data, lines=dict(parsed.lines))
        findings = [
            ctx.finding(
                "manifest/invalid",
                f"{problem.message}; remove the duplicate so every reader sees the same value.",
                path=path,
                line=problem.line,
                column=problem.column,
                evidence=f"duplicate:{problem.pointer}",
                properties={"pointer": problem.pointer},
            )
            for problem in parsed.problems
        ]
        is_cinatra = kind == "package.json" and (
            ctx.profile.name == "cinatra" or isinstance(parsed.data.get("cinatra"), dict)
        )
        scope = Scope(ctx, manifest, cinatra_checks=is_cinatra)
        checks: list[Check] = [*COMMON, *(PACKAGE_JSON if kind == "package.json" else SWAMP)]
        if is_cinatra:
            checks += CINATRA
        findings += run_checks(scope, checks) + claimed
        if scope.registry_error is not None:
            findings.append(
                ctx.finding(
                    "manifest/registry-unavailable",
                    f"the registry {scope.registry} gave no usable answer ({truncate(scope.registry_error, 200)}); "
                    "whether the version is free and what the dependencies' lifecycle states are is unknown, so "
                    "the verdict fails closed. Retry, or check --registry.",
                    evidence="registry-unavailable",
                )
            )
        facts = dataclasses.replace(ctx.facts, manifest=manifest, notes=ctx.facts.notes + tuple(scope.notes))
        return GateResult(tuple(findings), facts)


def load(ctx: GateContext, kind: str) -> tuple[str, Parsed] | Finding:
    """(path, parsed document) of the manifest, or the manifest/missing or manifest/invalid finding."""
    names = ("package.json",) if kind == "package.json" else ("manifest.yaml", "manifest.yml")
    limit = int(ctx.setting("max_manifest_bytes", MAX_MANIFEST_BYTES))
    for name in names:
        # The last member of that name is the one extraction leaves on disk (archive/duplicate-entry reports
        # duplicates); checking the first would let a second, different manifest slip through.
        entry = next((e for e in reversed(ctx.package.entries) if e.path == name), None)
        if entry is None:
            continue
        if not entry.is_file:
            return ctx.finding(
                "manifest/invalid",
                f"{name} is a {entry.kind.value}, not a regular file; publish the manifest itself.",
                path=name,
            )
        if entry.truncated or entry.size > limit:
            return ctx.finding(
                "manifest/invalid",
                f"{name} is {entry.size} bytes, over the {limit}-byte limit for a manifest; a real manifest is "
                "a few kilobytes, so shrink it.",
                path=name,
                evidence=f"{name}:size",
            )
        if entry.data is None:
            return ctx.finding(
                "manifest/invalid", f"{name} could not be read from the archive; repack the package.", path=name
            )
        try:
            parsed = (parse_json if kind == "package.json" else parse_yaml)(entry.data, what=name, limit=limit)
        except ParseError as exc:
            return ctx.finding(
                "manifest/invalid",
                f"{exc.message}; fix it so the registry can read the manifest.",
                path=name,
                line=exc.line,
                column=exc.column,
                evidence=f"{name}:parse",
            )
        if not isinstance(parsed.data, dict):
            return ctx.finding(
                "manifest/invalid",
                f"{name} must hold an object (a mapping of fields), not {type(parsed.data).__name__}.",
                path=name,
                line=1,
                evidence=f"{name}:not-object",
            )
        return name, parsed
    return ctx.finding(
        "manifest/missing",
        f"the package has no {' or '.join(names)} at its root; every publishable {ctx.profile.name} package needs one.",
        evidence=f"missing:{kind}",
    )


def run_checks(scope: Scope, checks: Sequence[Check]) -> list[Finding]:
    """Run each check; one that crashes becomes an engine/internal-error finding (fail closed) without
    losing what the others found."""
    out: list[Finding] = []
    for check in checks:
        name = getattr(check, "__name__", "check")
        try:
            found = list(check(scope))
        except Exception as exc:
            out.append(internal_error(f"manifest ({name})", exc))
            continue
        out.extend(found[:MAX_FINDINGS_PER_CHECK])
        if len(found) > MAX_FINDINGS_PER_CHECK:
            out.append(
                scope.ctx.finding(
                    "manifest/limit",
                    f"{len(found) - MAX_FINDINGS_PER_CHECK} more findings of the {name.removeprefix('check_')} "
                    f"check than the {MAX_FINDINGS_PER_CHECK} shown; fix those first.",
                    path=scope.manifest.path,
                    evidence=f"findings:{name}",
                )
            )
    return out


__all__ = ["MANIFEST_KINDS", "ManifestGate", "load", "run_checks"]
