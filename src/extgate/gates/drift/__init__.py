"""The drift gate (`check NEW --baseline OLD|auto`): what this release adds over the previous one.

    baseline (path, or the previous published version from --registry, integrity-verified)
      -> intake under the same limits -> code + manifest gates (offline) -> Snapshot
    this release's package + facts -> Snapshot
    compare(new, old) -> drift/* findings (new location, and the baseline's where it had one)

The baseline fails closed: unreadable, corrupt, over a limit, unverifiable or unreachable is a blocking
`drift/baseline-unavailable` finding, never a silent pass. Thresholds are data (rules/drift.yaml, policy [drift]).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from extgate.facts import Facts
from extgate.frozen import FrozenMap
from extgate.gates.code import CodeGate
from extgate.gates.drift.baseline import BaselineError, fetch_previous
from extgate.gates.drift.compare import compare
from extgate.gates.drift.interface import Change, DriftConfig
from extgate.gates.drift.snapshot import snapshot
from extgate.gates.interface import GateContext, GateResult
from extgate.gates.manifest import ManifestGate
from extgate.intake import Source, open_source
from extgate.model import Baseline, Finding, Level, Package, truncate
from extgate.options import Options
from extgate.registry.client import RegistryUnavailable, fetch_packument
from extgate.stages import intake_limits

__all__ = ["DriftGate", "build_drift_config", "compare", "snapshot"]

UNAVAILABLE = "drift/baseline-unavailable"
AUTO = "auto"
_NUMBERS = ("long_line", "large_patch_min_bytes", "large_patch_ratio", "typo_max_distance", "typo_short_name",
            "brand_new_days", "max_registry_lookups")  # fmt: skip


def build_drift_config(data: Mapping[str, Any], setting: Any) -> DriftConfig:
    """DriftConfig from the pack data; `setting(key, default)` applies the policy's [drift] numbers."""
    defaults = DriftConfig()
    numbers: dict[str, Any] = {}
    for key in _NUMBERS:
        kind = type(getattr(defaults, key))
        value = setting(key, data.get("thresholds", {}).get(key, getattr(defaults, key)))
        try:
            numbers[key] = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"policy [drift] {key} must be a number, not {value!r}") from None
    categories = {str(k): tuple(str(p) for p in v) for k, v in (data.get("categories") or {}).items()}
    return DriftConfig(
        **numbers,
        popular=frozenset(str(n) for n in data.get("popular_packages") or ()),
        categories=FrozenMap(categories),
        lifecycle_hooks=tuple(str(h) for h in data.get("lifecycle_hooks") or DriftConfig().lifecycle_hooks),
    )


class DriftGate:
    name = "drift"

    def run(self, ctx: GateContext) -> GateResult:
        spec = ctx.options.baseline
        if not spec:
            return GateResult()
        config = build_drift_config(ctx.rules.data("drift"), ctx.setting)
        limits_options = replace(ctx.options, profile=ctx.profile.name)
        max_bytes = intake_limits(ctx.policy, limits_options, ctx.rules).max_total_bytes
        source: Source
        label = spec
        if spec == AUTO:
            fetched = self._fetch(ctx, max_bytes)
            if isinstance(fetched, GateResult):
                return fetched
            if fetched is None:
                return self._first_release(ctx)
            label, source = fetched
        else:
            source = spec
        try:
            package = open_source(source, limits=intake_limits(ctx.policy, limits_options, ctx.rules))
        except Exception as exc:  # fail closed with the reason, whatever intake raised
            return self._unavailable(ctx, label, f"it could not be read ({type(exc).__name__}: {exc})")
        problem = _unreadable(package)
        if problem is not None:
            return self._unavailable(ctx, label, problem, package)
        try:
            old_facts = _baseline_facts(ctx, package)
        except Exception as exc:  # the baseline is hostile input too
            return self._unavailable(ctx, label, f"scanning it failed ({type(exc).__name__}: {exc})", package)
        old = snapshot(package, old_facts, config)
        new = snapshot(ctx.package, ctx.facts, config)
        changes = _brand_new(ctx, compare(new, old, config), config)
        findings = [_finding(ctx, change) for change in changes if ctx.enabled(change.rule_id)]
        old_paths, new_paths = set(old.files), set(new.files)
        modified = sum(1 for p in old_paths & new_paths if old.files[p].sha256 != new.files[p].sha256)
        baseline = Baseline(
            status="compared",
            source=label,
            name=old.name,
            version=old.version,
            sha256=package.sha256,
            integrity=package.integrity,
            files=len(package.files),
            changes=len(findings),
            added=len(new_paths - old_paths),
            removed=len(old_paths - new_paths),
            modified=modified,
        )
        note = f"drift: compared with {old.name or label}@{old.version or '?'}: {len(findings)} change(s)"
        return GateResult(tuple(findings), replace(ctx.facts, baseline=baseline, notes=(*ctx.facts.notes, note)))

    # -- baseline sources --------------------------------------------------------------------------------------
    def _fetch(self, ctx: GateContext, max_bytes: int) -> tuple[str, bytes] | GateResult | None:
        registry = ctx.options.registry
        manifest = ctx.facts.manifest.data if ctx.facts.manifest else {}
        name, version = manifest.get("name"), manifest.get("version")
        if not registry or ctx.options.offline:
            return self._unavailable(ctx, AUTO, "`--baseline auto` needs `--registry URL` (and no --offline)")
        if not isinstance(name, str) or not isinstance(version, str):
            return self._unavailable(ctx, AUTO, "the manifest has no name and version to look the package up by")
        try:
            fetched = fetch_previous(registry, name, version, max_bytes=max_bytes, timeout=ctx.options.timeout)
        except BaselineError as exc:
            return self._unavailable(ctx, AUTO, str(exc))
        if fetched.version is None:
            return None
        return fetched.url, fetched.data

    def _first_release(self, ctx: GateContext) -> GateResult:
        manifest = ctx.facts.manifest.data if ctx.facts.manifest else {}
        note = f"drift: {manifest.get('name')} has no earlier version on {ctx.options.registry}; nothing to compare"
        baseline = Baseline(status="none", source=AUTO)
        return GateResult((), replace(ctx.facts, baseline=baseline, notes=(*ctx.facts.notes, note)))

    def _unavailable(self, ctx: GateContext, label: str, reason: str, package: Package | None = None) -> GateResult:
        finding = ctx.finding(
            UNAVAILABLE,
            f"the baseline {truncate(label, 120)} is unusable: {truncate(reason, 300)}. Without it nothing shows "
            "what this release changed, so the check fails closed. Fix the baseline (or drop --baseline).",
            evidence=f"baseline:{truncate(reason, 60)}",
            properties={"baseline": truncate(label, 200)},
        )
        baseline = Baseline(
            status="unavailable",
            source=label,
            sha256=package.sha256 if package else "",
            integrity=package.integrity if package else "",
            files=len(package.files) if package else 0,
        )
        return GateResult((finding,), replace(ctx.facts, baseline=baseline))


def _unreadable(package: Package) -> str | None:
    if package.issues:
        first = package.issues[0]
        return f"{first.rule_id}: {truncate(first.message, 200)}"
    if not package.files:
        return "it contains no files"
    cut = [e.path for e in package.files if e.truncated or e.data is None]
    if cut:
        return f"{len(cut)} file(s) were not read within the intake limits (first: {truncate(cut[0], 80)})"
    return None


def _baseline_facts(ctx: GateContext, package: Package) -> Facts:
    """The code and manifest facts of the baseline: the same gates, offline (no registry, no recursion)."""
    options = Options(
        profile=ctx.profile.name,
        manifest_kind=ctx.options.manifest_kind,
        offline=True,
        network=False,
        use_cache=False,
        now=ctx.options.now,
    )
    facts = Facts()
    for gate in (CodeGate(), ManifestGate()):
        sub = GateContext(package, ctx.profile, ctx.policy, options, ctx.rules, facts, gate.name, ctx.files)
        result = gate.run(sub)
        facts = result.facts or facts
    return facts


def _brand_new(ctx: GateContext, changes: list[Change], config: DriftConfig) -> list[Change]:
    """With --registry: a new dependency whose package was created within `brand_new_days` is a warning."""
    registry = ctx.options.registry
    if not registry or ctx.options.offline:
        return changes
    now = ctx.options.now or datetime.now(UTC)
    out: list[Change] = []
    lookups = 0
    for change in changes:
        name = change.properties.get("name")
        if change.rule_id != "drift/new-dependency" or not isinstance(name, str) or "typo_of" in change.properties:
            out.append(change)
            continue
        if lookups >= config.max_registry_lookups:
            out.append(change)
            continue
        lookups += 1
        created = _created(registry, name, ctx.options.timeout)
        if created is not None and now - created < timedelta(days=config.brand_new_days):
            age = max(0, (now - created).days)
            change = replace(
                change,
                message=f"{change.message} The package {name!r} was created on {registry} only {age} day(s) ago: "
                "brand-new names in an update are how hijackers stage their payload. Check who publishes it.",
                level=Level.WARNING,
                properties=FrozenMap({**change.properties, "created": created.isoformat()}),
            )
        out.append(change)
    return out


def _created(registry: str, name: str, timeout: float) -> datetime | None:
    try:
        packument = fetch_packument(registry, name, timeout=timeout)
    except (RegistryUnavailable, ValueError):
        return None  # the trust gate reports an unreachable registry; drift only adds context
    times = packument.get("time") if packument else None
    created = times.get("created") if isinstance(times, Mapping) else None
    if not isinstance(created, str):
        return None
    try:
        parsed = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _finding(ctx: GateContext, change: Change) -> Finding:
    new, old = change.new, change.old
    props: dict[str, Any] = dict(change.properties)
    if old is not None:
        props["baseline_path"] = old.path
        if old.line is not None:
            props["baseline_line"] = old.line
    message = change.message
    if old is not None and old.path:
        message += f" Baseline location: {old}."
    return ctx.finding(
        change.rule_id,
        message,
        path=new.path if new is not None and new.path else None,
        line=new.line if new is not None else None,
        evidence=change.evidence or None,
        level=change.level,
        properties=props,
    )
