"""The engine's small steps, kept out of `engine.py` so the pipeline there reads top-down at a glance."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from extgate.intake import Source
from extgate.intake.interface import IntakeLimits
from extgate.model import EntryKind, Finding, Level, Package, Target, truncate
from extgate.options import Options
from extgate.policy import POLICY_FILE_NAMES, Policy, PolicyError
from extgate.profiles import PROFILE_NAMES, Profile, detect_profile, get_profile
from extgate.rules.registry import RuleRegistry


def intake_limits(policy: Policy, options: Options, rules: RuleRegistry) -> IntakeLimits:
    """Hard reading caps: the largest limit any candidate profile (or the policy) allows. The profile is only known
    after reading the manifest; the archive gate then applies the detected profile's own, lower, limits."""
    profiles = [get_profile(name, rules) for name in ([options.profile] if options.profile else PROFILE_NAMES)]

    def cap(key: str) -> int:
        return max(int(policy.setting("archive", key, p.limit(key))) for p in profiles)

    return IntakeLimits(
        max_files=cap("max_files"), max_file_bytes=cap("max_file_bytes"), max_total_bytes=cap("max_total_bytes")
    )


def profile_and_policy(
    package: Package, policy: Policy, options: Options, rules: RuleRegistry
) -> tuple[Profile, Policy, list[str], list[Finding]]:
    """The profile and the policy that applies, failing closed: a crash in either (a hostile manifest or policy
    file) is an internal-error finding, with the npm profile and the caller's own policy standing in."""
    try:
        profile = get_profile(options.profile or detect_profile(package), rules)
    except Exception as exc:
        return get_profile("npm", rules), policy, [], [internal_error("profile detection", exc)]
    try:
        effective, notes = effective_policy(policy, package, rules)
    except Exception as exc:
        return profile, policy, [], [internal_error("policy loading", exc)]
    return profile, effective, notes, []


def effective_policy(policy: Policy, package: Package, rules: RuleRegistry) -> tuple[Policy, list[str]]:
    """The caller's policy, plus the author's policy in a scanned directory (trusted; the caller's wins), or a
    policy inside an uploaded archive (untrusted: it can only tighten)."""
    notes: list[str] = []
    if package.format == "dir" and package.root:
        author = Policy.discover(package.root)
        if author is not None:
            policy = author.merged_with(policy)
            notes.append(f"policy: using {author.source}")
        return policy, notes
    for name in POLICY_FILE_NAMES:
        raw = package.read(name)
        if raw is None:
            continue
        try:
            inside = Policy.from_toml(raw.decode("utf-8"), f"archive:{name}")
        except (UnicodeDecodeError, PolicyError) as exc:
            notes.append(f"policy: ignored unreadable in-archive {name}: {truncate(str(exc), 120)}")
            continue
        trusted_only = frozenset(rule.id for rule in rules if not rule.in_archive_ack)
        policy = policy.tightened_by(inside, {rule.id: rule.level for rule in rules}, trusted_only)
        notes.append(
            f"policy: in-archive {name} applied (it can only raise levels and acknowledge warnings; "
            "warnings that mean 'not analysed' need the caller's policy)"
        )
    return policy, notes


def finalize(findings: Sequence[Finding], policy: Policy, *, acknowledge_all: bool = False) -> list[Finding]:
    """Sort, fingerprint (hash:occurrence), apply the policy, then `--yes` acknowledgements."""
    seen: Counter[str] = Counter()
    stamped = []
    for finding in sorted(findings, key=Finding.sort_key):
        base = finding.base_fingerprint()
        seen[base] += 1
        stamped.append(replace(finding, fingerprint=f"{base}:{seen[base]}"))
    applied = policy.apply(stamped)
    if not acknowledge_all:
        return applied
    return [
        replace(f, acknowledged=True, acknowledgement="flag: --yes")
        if f.level is Level.WARNING and not f.acknowledged
        else f
        for f in applied
    ]


def internal_error(stage: str, exc: BaseException) -> Finding:
    """The fail-closed finding for anything that raised: blocked, with where and why."""
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
    )


def target_of(package: Package) -> Target:
    files = package.files
    return Target(
        path=package.source,
        sha256=package.sha256,
        integrity=package.integrity,
        files=len(files),
        bytes=sum(e.size for e in files),
        publish_set=tuple(e.path for e in package.entries if e.kind is not EntryKind.DIRECTORY),
    )


def describe(source: Source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    return "<bytes>" if isinstance(source, (bytes, bytearray, memoryview)) else "<stream>"
