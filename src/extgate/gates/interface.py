"""The gate contract: one entry point, `run(ctx) -> GateResult`; never prints, never exits.

Everything a gate needs from outside (policy, options with URLs and clock, rule metadata, earlier facts) arrives in
the context, so tests hand in loopback servers and fixed clocks and worker processes can run gates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from extgate.facts import Facts
from extgate.frozen import FrozenMap
from extgate.model import Finding, Level, Location, Package, truncate
from extgate.options import Options
from extgate.policy import Policy
from extgate.profiles import Profile
from extgate.rules.registry import RuleRegistry


@dataclass(frozen=True, slots=True)
class FileHit:
    """A finding-to-be from pure per-file analysis (picklable, cacheable by content hash); the gate attaches the
    path and the rule metadata with `ctx.hit_finding(path, hit)`. Lines are 1-based; columns count characters.

    level       None = the rule's default level for the profile; set when a rule has a documented second level
    evidence    what the fingerprint is computed from (e.g. a hash for secrets, never the secret itself)
    properties  sorted (key, value) pairs: counts, lengths, categories
    """

    rule_id: str
    message: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    snippet: str | None = None
    evidence: str | None = None
    level: Level | None = None
    properties: tuple[tuple[str, Any], ...] = ()


R = TypeVar("R")


class FileMapper(Protocol):
    """Runs pure per-file analysis `fn(*call, config)` for every call, results in call order (the engine's
    cache + process pool, extgate.cache.FileRunner; the same results as calling `fn` directly)."""

    def map(self, fn: Callable[..., R], calls: Sequence[tuple[Any, ...]], config: Any) -> list[R]: ...


@dataclass(frozen=True, slots=True)
class GateContext:
    package: Package
    profile: Profile
    policy: Policy
    options: Options
    rules: RuleRegistry
    facts: Facts
    gate: str = ""
    files: FileMapper | None = None  # None: per-file analysis runs inline, uncached

    def map_files(self, fn: Callable[..., R], calls: Sequence[tuple[Any, ...]], config: Any) -> list[R]:
        """`[fn(*call, config) for call in calls]`, through the engine's cache and pool when it provides them."""
        if self.files is None:
            return [fn(*call, config) for call in calls]
        return self.files.map(fn, calls, config)

    def enabled(self, rule_id: str) -> bool:
        return self.policy.rule_enabled(rule_id)

    def setting(self, key: str, default: Any) -> Any:
        """A tunable of this gate: policy `[<gate>] key` first, then the profile's value, then `default`."""
        return self.policy.setting(self.gate, key, self.profile.settings.get(key, default))

    def finding(
        self,
        rule_id: str,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
        snippet: str | None = None,
        evidence: str | None = None,
        level: Level | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Finding:
        """A finding with the rule's default level for this profile (unless the gate passes a specific one).

        The policy's level override is applied later by the engine, uniformly for all gates.
        """
        rule = self.rules[rule_id]  # KeyError here means the rule is missing from rules/*.yaml: a bug, fail closed
        return Finding(
            rule_id=rule_id,
            level=level or rule.level_for(self.profile.name),
            gate=self.gate or rule.gate,
            message=message,
            location=Location(path, line, column, end_line, end_column) if path is not None else None,
            snippet=truncate(snippet) if snippet is not None else None,
            evidence=evidence,
            properties=FrozenMap(dict(properties or {})),
        )

    def hit_finding(self, path: str, hit: FileHit) -> Finding:
        """`finding(...)` with the hit's fields (built directly: a gate calls this for every hit of every file)."""
        rule = self.rules[hit.rule_id]  # KeyError: the rule is missing from rules/*.yaml, a bug: fail closed
        return Finding(
            rule_id=hit.rule_id,
            level=hit.level or rule.level_for(self.profile.name),
            gate=self.gate or rule.gate,
            message=hit.message,
            location=Location(path, hit.line, hit.column, hit.end_line, hit.end_column),
            snippet=truncate(hit.snippet) if hit.snippet is not None else None,
            evidence=hit.evidence,
            properties=FrozenMap(dict(hit.properties)),
        )


@dataclass(frozen=True, slots=True)
class GateResult:
    findings: tuple[Finding, ...] = ()
    facts: Facts | None = None  # replaces ctx.facts when set (use dataclasses.replace(ctx.facts, ...))

    @classmethod
    def of(cls, findings: Iterable[Finding], facts: Facts | None = None) -> GateResult:
        return cls(tuple(findings), facts)


class Gate(Protocol):
    name: str

    def run(self, ctx: GateContext) -> GateResult: ...
