"""trust gate: audit the dependency versions that will really install, and fail closed.

Runs after the manifest gate (package.json facts with line numbers) and the code gate (`npm:`/`jsr:` imports).
The work is in `extgate.trust` (sources -> resolve -> OSV -> signals); this module turns its result into findings
and `facts.dependencies`. Levels: advisories by severity (CRITICAL/HIGH/UNKNOWN error, MEDIUM warning, LOW note);
registry/OSV failures are errors unless policy `[trust] fail_open = true` downgrades them -- visibly, in the
message. With nothing to audit, no network request is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from extgate.gates.interface import GateContext, GateResult
from extgate.model import Advisory, Dependency, Finding, Level, Location
from extgate.registry.client import DEFAULT_REGISTRY
from extgate.trust.audit import DEFAULT_NODE, AuditResult, AuditSettings, audit, run_sync
from extgate.trust.cache import DEFAULT_TTLS, Cache
from extgate.trust.interface import AUDITED, UNRESOLVED, Audited, Declared
from extgate.trust.signals import DEFAULT_LICENSES, now_utc
from extgate.trust.sources import collect

SIGNAL_RULES = (
    "trust/deprecated",
    "trust/license",
    "trust/no-maintainers",
    "trust/stale",
    "trust/low-downloads",
    "trust/install-script",
)
_SEVERITY_LEVEL = {
    "CRITICAL": Level.ERROR,
    "HIGH": Level.ERROR,
    "UNKNOWN": Level.ERROR,
    "MEDIUM": Level.WARNING,
    "LOW": Level.NOTE,
}
_MAX_NAMES_SHOWN = 5


class TrustGate:
    name = "trust"

    def run(self, ctx: GateContext) -> GateResult:
        data = ctx.rules.data("trust")
        exclude_defaults = data.get("exclude", {})
        exclude = ctx.setting("exclude", list(exclude_defaults.get(ctx.profile.name, ())))
        collected = collect(ctx.package, ctx.facts.manifest, ctx.facts.code, _strings(exclude))
        findings: list[Finding] = []
        notes: list[str] = list(collected.notes)
        fail_open = ctx.setting("fail_open", False) is True

        for path, message in collected.problems:
            findings.append(_failure(ctx, "trust/audit-unavailable", message, path, None, fail_open))
        for item in collected.declared:
            if item.status == UNRESOLVED:
                findings.append(_unresolved(ctx, item, item.reason))

        result = AuditResult()
        if any(item.status == AUDITED for item in collected.declared) or collected.lock:
            settings = _settings(ctx, data)
            cache = Cache.at(ctx.options.cache_dir, enabled=ctx.options.use_cache)
            try:
                result = run_sync(audit(collected.declared, settings, cache, collected.lock, collected.lock_declared))
            finally:
                cache.close()
                notes += cache.notes
            notes += result.notes
            findings += _result_findings(ctx, result, settings, fail_open)

        dependencies = _dependencies(collected.declared, result)
        facts = replace(ctx.facts, dependencies=dependencies, notes=ctx.facts.notes + tuple(dict.fromkeys(notes)))
        return GateResult.of(findings, facts)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(v) for v in value)
    return ()


def _settings(ctx: GateContext, data: Mapping[str, Any]) -> AuditSettings:
    options = ctx.options
    ttls = {kind: float(ctx.setting(f"cache_ttl_{kind.replace('-', '_')}", ttl)) for kind, ttl in DEFAULT_TTLS.items()}
    return AuditSettings(
        registry=options.registry or DEFAULT_REGISTRY,
        osv_url=options.osv_url,
        now=now_utc(options.now),
        osv_db=options.osv_db,
        offline=options.offline,
        timeout=options.timeout,
        downloads_url=options.downloads_url,
        ca_bundle=options.ca_bundle,
        licenses=_strings(ctx.setting("licenses", data.get("licenses", DEFAULT_LICENSES))),
        stale_months=int(ctx.setting("stale_months", data.get("stale_months", 24))),
        min_downloads=int(ctx.setting("min_weekly_downloads", data.get("min_weekly_downloads", 1000))),
        transitive=ctx.setting("transitive", True) is not False,
        max_dependencies=int(ctx.setting("max_dependencies", data.get("max_dependencies", 2000))),
        concurrency=int(ctx.setting("concurrency", data.get("concurrency", 16))),
        signals=frozenset(rule for rule in SIGNAL_RULES if ctx.enabled(rule)),
        registry_given=options.registry is not None,
        node_version=str(ctx.setting("node_version", data.get("node_version", DEFAULT_NODE))).lstrip("v"),
        ttls=ttls,
    )


# -- findings ------------------------------------------------------------------------------------------------
def _where(declared: Declared) -> dict[str, Any]:
    return {"path": declared.path, "line": declared.line}


def _origin(audited: Audited) -> str:
    declared = audited.declared
    if audited.via:
        return f" (via {' > '.join(audited.via)}, from {declared.name} in {declared.path})"
    spec = f" {declared.spec!r}" if declared.spec else ""
    return f" (declared{spec} in {declared.path})"


def _failure(
    ctx: GateContext, rule: str, message: str, path: str | None, line: int | None, fail_open: bool, **props: Any
) -> Finding:
    level = None
    if fail_open:
        level = Level.WARNING
        message = f"{message} -- downgraded to a warning by policy `[trust] fail_open = true`: the audit did NOT run"
    return ctx.finding(
        rule, message, path=path, line=line, level=level, evidence=rule, properties={**props, "fail_open": fail_open}
    )


def _unresolved(ctx: GateContext, declared: Declared, reason: str, via: Sequence[str] = ()) -> Finding:
    chain = f" (via {' > '.join((declared.name, *via))})" if via else ""
    spec = f" {declared.spec!r}" if declared.spec else ""
    return ctx.finding(
        "trust/unresolved-dependency",
        f"dependency {declared.name}{spec}{chain} cannot be resolved: {reason}. What cannot be resolved cannot be "
        "audited: depend on a published version or range of a registry package.",
        **_where(declared),
        snippet=f"{declared.name}: {declared.spec}",
        evidence=f"{declared.name} {reason}",
        properties={"name": declared.name, "spec": declared.spec, "via": tuple(via), "source": declared.source},
    )


def _advice(audited: Audited, advisory: Advisory) -> str:
    if advisory.malicious:
        return "Remove it or pin a version the record does not list; treat machines that installed it as compromised."
    if not advisory.fixed:
        return "No fixed version is published: replace or remove the dependency."
    target = f"{audited.name} {advisory.fixed[0]} or later"
    if audited.via:
        return f"Upgrade {audited.declared.name} to a release that pulls in {target}, or add an `overrides` entry."
    return f"Upgrade to {target}."


def _advisory_finding(ctx: GateContext, audited: Audited, advisory: Advisory) -> Finding:
    ids = ", ".join(advisory.aliases)
    named = f"{advisory.id} ({ids})" if ids else advisory.id
    score = f" {advisory.score:.1f}" if advisory.score is not None else ""
    summary = f": {advisory.summary}" if advisory.summary else ""
    properties = {
        "name": audited.name,
        "version": audited.version,
        "advisory": advisory.id,
        "aliases": advisory.aliases,
        "severity": advisory.severity,
        "score": advisory.score,
        "fixed": advisory.fixed,
        "via": audited.via,
    }
    where = _where(audited.declared)
    if advisory.malicious:
        return ctx.finding(
            "trust/malicious-package",
            f"{audited.name} {audited.version}{_origin(audited)} is a known malicious package ({named}){summary}. "
            f"{_advice(audited, advisory)}",
            **where,
            evidence=f"{audited.name} {advisory.id}",
            properties=properties,
        )
    return ctx.finding(
        "trust/vulnerability",
        f"{audited.name} {audited.version}{_origin(audited)} is affected by {named}, {advisory.severity}{score}"
        f"{summary}. {_advice(audited, advisory)}",
        **where,
        level=_SEVERITY_LEVEL.get(advisory.severity, Level.ERROR),
        evidence=f"{audited.name} {advisory.id}",
        properties=properties,
    )


def _result_findings(ctx: GateContext, result: AuditResult, settings: AuditSettings, fail_open: bool) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for audited in result.audited:
        for advisory in audited.advisories:
            key = (f"{audited.name}@{audited.version}", advisory.id)
            if key not in seen:
                seen.add(key)
                out.append(_advisory_finding(ctx, audited, advisory))
        for signal in audited.signals:
            key = (signal.rule, signal.evidence)
            if key not in seen:
                seen.add(key)
                out.append(
                    ctx.finding(
                        signal.rule,
                        signal.message + (f" (via {' > '.join(audited.via)})" if audited.via else ""),
                        **_where(audited.declared),
                        evidence=signal.evidence,
                        properties={"name": audited.name, "version": audited.version, **signal.properties},
                    )
                )
    for unresolved in result.unresolved:
        key = ("unresolved", f"{unresolved.declared.name} {unresolved.reason}")
        if key not in seen:
            seen.add(key)
            out.append(_unresolved(ctx, unresolved.declared, unresolved.reason, unresolved.via))
    if result.registry_failures:
        failed = list(dict.fromkeys(d.name for d, _ in result.registry_failures))
        first, reason = result.registry_failures[0]
        shown = ", ".join(failed[:_MAX_NAMES_SHOWN]) + (", ..." if len(failed) > _MAX_NAMES_SHOWN else "")
        out.append(
            _failure(
                ctx,
                "trust/registry-unavailable",
                f"registry {settings.registry} unavailable for {len(failed)} dependenc"
                f"{'y' if len(failed) == 1 else 'ies'} ({shown}): {reason}. What needs the registry was not "
                "checked (ranges and dist-tags, what these versions pull in, registry signals such as deprecation "
                "and install scripts); exact versions were still audited. Check --registry and the network and retry.",
                first.path,
                first.line,
                fail_open,
                dependencies=tuple(failed),
            )
        )
    out += _lock_gap_findings(ctx, result, fail_open)
    if result.audit_failure is not None:
        first_audited = result.audited[0].declared if result.audited else None
        out.append(
            _failure(
                ctx,
                "trust/audit-unavailable",
                f"advisories could not be looked up for {len(result.audited)} dependency version(s): "
                f"{result.audit_failure}. Retry, or pass --osv-db with an OSV database.",
                first_audited.path if first_audited else None,
                first_audited.line if first_audited else None,
                fail_open,
            )
        )
    if result.too_many:
        out.append(
            _failure(
                ctx,
                "trust/audit-unavailable",
                f"the dependency tree has more than {settings.max_dependencies} versions (policy `[trust] "
                "max_dependencies`); the audit stopped there. Trim dependencies or raise the limit.",
                None,
                None,
                fail_open,
            )
        )
    return out


def _lock_gap_findings(ctx: GateContext, result: AuditResult, fail_open: bool) -> list[Finding]:
    """One finding for a lockfile that leaves dependencies of its entries unpinned: an error when extgate could
    not resolve them either (what npm would install is unknown), a warning when it resolved and audited them."""
    gaps = result.lock_gaps
    if not gaps:
        return []
    lockfile = result.lock_file or "the lockfile"
    unresolved = [g for g in gaps if not g.resolved]
    listed = unresolved or gaps
    shown = ", ".join(f"{' > '.join((*g.chain, g.name))} {g.spec!r}" for g in listed[:_MAX_NAMES_SHOWN])
    more = ", ..." if len(listed) > _MAX_NAMES_SHOWN else ""
    if unresolved:
        tail = (
            f"{len(unresolved)} of them could not be resolved ({_outcome(result)}), so what npm installs there is "
            "unknown and unaudited"
        )
    else:
        tail = "extgate resolved and audited them as npm would today, but each install may get other versions"
    level = Level.ERROR if unresolved else Level.WARNING
    if unresolved and fail_open and result.registry_failures:
        level = Level.WARNING
        tail += " -- downgraded to a warning by policy `[trust] fail_open = true`"
    return [
        ctx.finding(
            "trust/lockfile-incomplete",
            f"{lockfile} is incomplete: {len(gaps)} dependenc{'y' if len(gaps) == 1 else 'ies'} of its entries "
            f"{'is' if len(gaps) == 1 else 'are'} not pinned in it ({shown}{more}); {tail}. Regenerate it with "
            "`npm install` (and `npm shrinkwrap` if you ship one) and publish the full file.",
            path=result.lock_file,
            level=level,
            evidence=f"{lockfile} incomplete",
            properties={
                "missing": tuple(f"{' > '.join((*g.chain, g.name))}@{g.spec}" for g in gaps),
                "unresolved": tuple(f"{' > '.join((*g.chain, g.name))}@{g.spec}" for g in unresolved),
                "fail_open": fail_open,
            },
        )
    ]


def _outcome(result: AuditResult) -> str:
    if result.registry_failures:
        return f"registry unavailable: {result.registry_failures[0][1]}"
    return "see the trust/unresolved-dependency findings"


# -- facts ---------------------------------------------------------------------------------------------------------
def _dependencies(declared: Sequence[Declared], result: AuditResult) -> tuple[Dependency, ...]:
    by_declared: dict[int, Audited] = {}
    transitive: dict[tuple[str, str], Audited] = {}
    for audited in result.audited:
        own_entry = audited.declared.source == "lockfile" and audited.declared.name == audited.name
        if audited.via and not own_entry:
            transitive.setdefault((audited.name, audited.version), audited)
        else:
            by_declared.setdefault(id(audited.declared), audited)
    failed = {id(d) for d, _ in result.registry_failures}
    unresolved = {id(u.declared) for u in result.unresolved if not u.via}
    out: list[Dependency] = []
    for item in declared:
        own = by_declared.get(id(item))
        status = item.status
        if status == AUDITED and (id(item) in failed or result.audit_failure is not None):
            status = "not-audited"
        elif status == AUDITED and (id(item) in unresolved or own is None):
            status = UNRESOLVED
        out.append(_dependency(item, own, status))
    for (_name, _version), audited in sorted(transitive.items()):
        status = "not-audited" if result.audit_failure is not None else AUDITED
        out.append(replace(_dependency(audited.declared, audited, status), direct=False))
    return tuple(out)


def _dependency(item: Declared, audited: Audited | None, status: str) -> Dependency:
    name = audited.name if audited else item.name
    return Dependency(
        name=name,
        spec=audited.spec if audited and audited.via else item.spec,
        resolved=audited.version if audited else None,
        source=item.source,
        status=status,
        advisories=audited.advisories if audited else (),
        signals=tuple(s.rule.split("/", 1)[1] for s in audited.signals) if audited else (),
        location=Location(item.path, item.line),
        direct=item.direct and not (audited and audited.via),
    )


__all__ = ["TrustGate"]
