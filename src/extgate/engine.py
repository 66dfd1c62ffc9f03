"""The pipeline, top-down: intake -> gates in order -> scoring -> policy -> verdict.

`check(source, policy, options) -> Verdict` is a pure function of its inputs: no globals, nothing printed, nothing
written. Any exception inside a stage becomes an `engine/internal-error` finding, so the verdict fails closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Mapping
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from extgate import __version__
from extgate.cache import FileRunner
from extgate.cache.archive import open_cached
from extgate.facts import Facts
from extgate.gates.archive import ArchiveGate
from extgate.gates.code import CodeGate
from extgate.gates.content import ContentGate
from extgate.gates.drift import DriftGate
from extgate.gates.interface import Gate, GateContext
from extgate.gates.manifest import ManifestGate
from extgate.gates.safety import SafetyGate
from extgate.gates.trust import TrustGate
from extgate.intake import Source, open_source
from extgate.model import Finding, Package, Score, Status, Target, Verdict, status_for
from extgate.options import Options
from extgate.policy import Policy
from extgate.rules.registry import load_registry
from extgate.scoring import score as compute_score
from extgate.stages import describe, finalize, intake_limits, internal_error, profile_and_policy, target_of

# archive integrity -> file safety -> code safety (parsers, then content/secrets) -> manifest/policy -> trust
# -> drift (what changed since the baseline; a no-op without --baseline)
GATES: tuple[Gate, ...] = (
    ArchiveGate(), SafetyGate(), CodeGate(), ContentGate(), ManifestGate(), TrustGate(), DriftGate()
)  # fmt: skip


def check(
    source: Source, policy: Policy | Mapping[str, Any] | None = None, *, options: Options | None = None
) -> Verdict:
    """Run every gate on `source` (archive path, directory, bytes or binary stream) and return the verdict.
    `policy` may be a mapping shaped like the policy file (Policy.from_mapping); a value of the wrong type or shape
    raises TypeError / PolicyError (the caller's mistake). Anything else that breaks gives a blocked verdict."""
    started = time.perf_counter()
    options = options or Options()
    policy = Policy.coerce(policy)
    try:
        return _check(source, policy, options, started)
    except Exception as exc:  # outside every stage's own handling (rule packs, cache set-up, policy application)
        return _crashed(source, exc, started)


def _crashed(source: Source, exc: Exception, started: float) -> Verdict:
    """The verdict when the pipeline itself broke: blocked, with the one finding that says where and why."""
    finding = internal_error("check", exc)
    finding = replace(finding, fingerprint=f"{finding.base_fingerprint()}:1")
    return Verdict(
        status=Status.BLOCKED,
        findings=(finding,),
        target=Target(path=describe(source), sha256="", integrity="", files=0, bytes=0, publish_set=()),
        profile="npm",
        tool_version=__version__,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )


def _check(source: Source, policy: Policy, options: Options, started: float) -> Verdict:
    rules = load_registry()
    findings: list[Finding] = []
    notes: list[str] = []

    # per-file analysis (and a clean tar upload's layout) runs through the content-addressed result cache and, for
    # large packages, a process pool
    files = FileRunner.from_options(options.use_cache, options.cache_dir, options.jobs)
    facts = Facts()
    score: Score | None = None
    try:
        # 1. intake: stream the archive (or select a directory's publish set) within hard limits; an upload read
        #    cleanly before is rebuilt from its layout (extgate.cache.archive)
        try:
            limits = intake_limits(policy, options, rules)
            cached = open_cached(source, limits=limits, cache=files.cache, notes=notes, read=open_source)
            package = open_source(source, limits=limits, all_files=options.all_files) if cached is None else cached
        except Exception as exc:  # fail closed: whatever broke, the verdict is blocked
            package = Package(source=describe(source), format="unknown", entries=())
            findings.append(internal_error("intake", exc))

        # 2. profile and the policy that applies (caller's, author's directory policy, in-archive tightening)
        profile, policy, policy_notes, problems = profile_and_policy(package, policy, options, rules)
        notes += policy_notes
        findings += problems

        # 3. gates in order; each sees what earlier gates learned
        for gate in GATES:
            ctx = GateContext(package, profile, policy, options, rules, facts, gate.name, files)
            try:
                result = gate.run(ctx)
            except Exception as exc:
                findings.append(internal_error(gate.name, exc))
                continue
            findings.extend(result.findings)
            facts = result.facts or facts

        # 4. scoring: never blocks, but a crash still fails closed (symbols go through the file cache too)
        try:
            score = compute_score(package, facts, findings, options, policy, files=files)
        except Exception as exc:
            findings.append(internal_error("scoring", exc))
    finally:
        files.close()
    notes += files.notes

    # 5. policy, fingerprints, acknowledgements -> verdict
    try:
        final = finalize(findings, policy, acknowledge_all=options.acknowledge_all)
    except Exception as exc:  # the policy could not be applied: every finding stands as found, none acknowledged
        final = finalize([*findings, internal_error("policy application", exc)], Policy())
    manifest = facts.manifest.data if facts.manifest else {}
    return Verdict(
        status=status_for(final),
        findings=tuple(final),
        target=target_of(package),
        profile=profile.name,
        tool_version=__version__,
        duration_ms=int((time.perf_counter() - started) * 1000),
        score=score,
        dependencies=facts.dependencies,
        notes=tuple(notes) + facts.notes,
        manifest={k: manifest[k] for k in ("name", "version") if isinstance(manifest.get(k), str)},
        baseline=facts.baseline,
    )


async def acheck(
    source: Source,
    policy: Policy | Mapping[str, Any] | None = None,
    *,
    options: Options | None = None,
    executor: Executor | None = None,
    limiter: AbstractAsyncContextManager[Any] | None = None,
) -> Verdict:
    """`check` for an event loop (a publish service). Runs in `executor` (a ProcessPoolExecutor for CPU-bound
    services; inputs and the verdict are picklable), else in a worker thread. `limiter` (an asyncio.Semaphore)
    bounds how many checks run at once; the engine holds no shared state."""
    call = functools.partial(check, source, Policy.coerce(policy), options=options)
    async with limiter or contextlib.nullcontext():
        if executor is None:
            return await asyncio.to_thread(call)
        return await asyncio.get_running_loop().run_in_executor(executor, call)


__all__ = ["GATES", "acheck", "check", "finalize", "internal_error"]
