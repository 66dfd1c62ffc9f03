"""The pipeline, top-down: intake -> gates in order -> scoring -> policy -> verdict.

`check(source, policy, options) -> Verdict` is a pure function of its inputs: no globals, nothing printed, nothing
written. Any exception inside a stage becomes an `engine/internal-error` finding, so the verdict fails closed.
"""

from __future__ import annotations

import asyncio
import time
import tomllib
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from extgate import __version__
from extgate.facts import Facts
from extgate.gates.archive import ArchiveGate
from extgate.gates.code import CodeGate
from extgate.gates.content import ContentGate
from extgate.gates.interface import Gate, GateContext
from extgate.gates.manifest import ManifestGate
from extgate.gates.safety import SafetyGate
from extgate.gates.trust import TrustGate
from extgate.intake import Source, open_source
from extgate.intake.interface import IntakeLimits
from extgate.model import Finding, Level, Location, Package, Score, Target, Verdict, status_for, truncate
from extgate.options import Options
from extgate.policy import POLICY_FILE_NAMES, Policy
from extgate.profiles import PROFILE_NAMES, Profile, detect_profile, get_profile
from extgate.rules.registry import RuleRegistry, load_registry
from extgate.scoring import score as compute_score

# archive integrity -> file safety -> code safety (parsers, then content/secrets) -> manifest/policy -> trust
GATES: tuple[Gate, ...] = (ArchiveGate(), SafetyGate(), CodeGate(), ContentGate(), ManifestGate(), TrustGate())


def check(source: Source, policy: Policy | None = None, *, options: Options | None = None) -> Verdict:
    """Run every gate on `source` (archive path, directory, bytes or binary stream) and return the verdict."""
    started = time.perf_counter()
    options = options or Options()
    rules = load_registry()
    policy = policy or Policy()
    findings: list[Finding] = []
    notes: list[str] = []

    # 1. intake: stream the archive (or select a directory's publish set) within hard limits
    try:
        package = open_source(source, limits=_intake_limits(policy, options, rules), all_files=options.all_files)
    except Exception as exc:  # fail closed: whatever broke, the verdict is blocked
        package = Package(source=_describe(source), format="unknown", entries=())
        findings.append(internal_error("intake", exc))

    # 2. profile and the policy that applies (caller's, author's directory policy, in-archive tightening)
    profile = get_profile(options.profile or detect_profile(package), rules)
    policy, policy_notes = _effective_policy(policy, package, rules)
    notes += policy_notes

    # 3. gates in order; each sees what earlier gates learned
    facts = Facts()
    for gate in GATES:
        ctx = GateContext(package, profile, policy, options, rules, facts, gate.name)
        try:
            result = gate.run(ctx)
        except Exception as exc:
            findings.append(internal_error(gate.name, exc))
            continue
        findings.extend(result.findings)
        facts = result.facts or facts

    # 4. scoring: never blocks, but a crash still fails closed
    score: Score | None = None
    try:
        score = compute_score(package, facts, findings, options, policy)
    except Exception as exc:
        findings.append(internal_error("scoring", exc))

    # 5. policy, fingerprints, acknowledgements -> verdict
    final = finalize(findings, policy, acknowledge_all=options.acknowledge_all)
    manifest = facts.manifest.data if facts.manifest else {}
    return Verdict(
        status=status_for(final),
        findings=tuple(final),
        target=_target(package),
        profile=profile.name,
        tool_version=__version__,
        duration_ms=int((time.perf_counter() - started) * 1000),
        score=score,
        dependencies=facts.dependencies,
        notes=tuple(notes) + facts.notes,
        manifest={k: manifest[k] for k in ("name", "version") if isinstance(manifest.get(k), str)},
    )


async def acheck(source: Source, policy: Policy | None = None, *, options: Options | None = None) -> Verdict:
    """`check` for an event loop (the publish service): runs in a worker thread; the engine holds no shared state."""
    return await asyncio.to_thread(check, source, policy, options=options)


def finalize(findings: Sequence[Finding], policy: Policy, *, acknowledge_all: bool = False) -> list[Finding]:
    """Sort, fingerprint (hash:occurrence), apply the policy, then `--yes` acknowledgements."""
    ordered = sorted(findings, key=Finding.sort_key)
    seen: Counter[str] = Counter()
    stamped = []
    for finding in ordered:
        base = finding.base_fingerprint()
        seen[base] += 1
        stamped.append(replace(finding, fingerprint=f"{base}:{seen[base]}"))
    applied = policy.apply(stamped)
    if acknowledge_all:
        applied = [
            replace(f, acknowledged=True, acknowledgement="flag: --yes")
            if f.level is Level.WARNING and not f.acknowledged
            else f
            for f in applied
        ]
    return applied


def internal_error(stage: str, exc: BaseException) -> Finding:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return Finding(
        rule_id="engine/internal-error",
        level=Level.ERROR,
        gate="engine",
        message=truncate(
            f"{stage} failed ({type(exc).__name__}: {exc}){where}; the verdict fails closed. "
            "Re-run; if it persists, report this message.",
            500,
        ),
        evidence=f"{stage}:{type(exc).__name__}",
        location=None,
    )


def _intake_limits(policy: Policy, options: Options, rules: RuleRegistry) -> IntakeLimits:
    """Hard reading caps: the largest limit any candidate profile (or the policy) allows; the archive gate then
    applies the detected profile's own limits."""
    candidates = [options.profile] if options.profile else list(PROFILE_NAMES)
    profiles: list[Profile] = [get_profile(name, rules) for name in candidates]

    def cap(key: str) -> int:
        return max(int(policy.setting("archive", key, p.limit(key))) for p in profiles)

    return IntakeLimits(
        max_files=cap("max_files"), max_file_bytes=cap("max_file_bytes"), max_total_bytes=cap("max_total_bytes")
    )


def _effective_policy(policy: Policy, package: Package, rules: RuleRegistry) -> tuple[Policy, list[str]]:
    notes: list[str] = []
    if package.format == "dir" and package.root:
        author = Policy.discover(package.root)  # the author's own tree: trusted, but the caller's policy wins
        if author is not None:
            policy = author.merged_with(policy)
            notes.append(f"policy: using {author.source}")
        return policy, notes
    for name in POLICY_FILE_NAMES:
        raw = package.read(name)
        if raw is None:
            continue
        try:
            inside = Policy.from_mapping(tomllib.loads(raw.decode("utf-8")), f"archive:{name}")
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
            notes.append(f"policy: ignored unreadable in-archive {name}: {truncate(str(exc), 120)}")
            continue
        defaults = {rule.id: rule.level for rule in rules}
        policy = policy.tightened_by(inside, defaults)
        notes.append(f"policy: in-archive {name} applied (it can only raise levels and acknowledge warnings)")
    return policy, notes


def _target(package: Package) -> Target:
    files = package.files
    return Target(
        path=package.source,
        sha256=package.sha256,
        integrity=package.integrity,
        files=len(files),
        bytes=sum(e.size for e in files),
        publish_set=tuple(e.path for e in package.entries if e.kind.value != "directory"),
    )


def _describe(source: Source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return "<bytes>" if isinstance(source, (bytes, bytearray, memoryview)) else "<stream>"


__all__ = ["GATES", "Location", "acheck", "check", "finalize", "internal_error"]
