"""Data the trust roles pass each other, and the advisory-source contract. Frozen, picklable, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from extgate.model import Advisory

# Dependency.source values and the order findings prefer when one package is declared in several places.
SOURCES = ("package.json", "import-map", "import", "lockfile")

AUDITED = "audited"
NOT_AUDITED_JSR = "not-audited-jsr"
EXCLUDED = "excluded"
UNRESOLVED = "unresolved"


class PackageVersion(NamedTuple):
    """An exact version of an npm package: what OSV is asked about."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class Declared:
    """A dependency as the package declares it, before resolution.

    name      npm package name (for an alias `"x": "npm:real@^1"`, the real name)
    spec      what was written: range, dist-tag or exact version ('' = latest); for jsr/url deps the raw text
    source    package.json, lockfile, import, import-map
    path      file that declares it
    line      1-based line in `path`, when known
    field     package.json field (dependencies, optionalDependencies ...), lockfile kind, or import kind
    direct    False for lockfile entries that nothing in package.json/imports names
    status    audited (to be resolved and checked), not-audited-jsr, excluded, unresolved
    reason    why it is excluded/unresolved (goes into the message)
    pinned    exact version fixed by a lockfile or a bundled copy (resolution is then not needed)
    """

    name: str
    spec: str
    source: str
    path: str
    line: int | None = None
    field: str = ""
    direct: bool = True
    status: str = AUDITED
    reason: str = ""
    pinned: str | None = None


@dataclass(frozen=True, slots=True)
class OsvRecord:
    """One OSV record as published (`raw`), with the fields matching needs lifted out."""

    id: str
    raw: Mapping[str, Any]
    origin: str = ""  # file or URL it came from (for notes about malformed records)

    @property
    def aliases(self) -> tuple[str, ...]:
        value = self.raw.get("aliases")
        return tuple(str(a) for a in value if isinstance(a, str)) if isinstance(value, list) else ()

    @property
    def withdrawn(self) -> bool:
        return bool(self.raw.get("withdrawn"))


@dataclass(frozen=True, slots=True)
class Lookup:
    """What an advisory source answered.

    records   exact version -> records that affect it (already matched for the offline DB; as OSV listed them
              for the API)
    notes     things worth saying in the verdict (malformed records skipped, cache used while offline ...)
    """

    records: Mapping[PackageVersion, tuple[OsvRecord, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class AuditUnavailable(Exception):
    """The advisory source could not answer (unreachable, timed out, unreadable DB): fail closed."""


class AdvisorySource(Protocol):
    """Where advisories come from: the OSV API, an offline OSV database, or the cache in front of either."""

    name: str

    async def lookup(self, packages: Sequence[PackageVersion]) -> Lookup: ...


@dataclass(frozen=True, slots=True)
class Signal:
    """A registry trust signal that fired for a resolved version.

    rule        trust/<slug> rule id
    message     what and how to fix
    evidence    stable text for the fingerprint (no versions or dates)
    properties  machine-readable details
    """

    rule: str
    message: str
    evidence: str
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Audited:
    """One version that will install and what was found about it.

    name        the package
    version     the exact version
    declared    the declaration it comes from (for a transitive version: the direct dependency that pulls it in)
    via         names from that direct dependency down to this one's parent (empty for a direct dependency)
    spec        the spec it was resolved from (the declared one, or the parent's for a transitive version)
    advisories  merged advisories affecting `version`
    signals     registry signals that fired
    """

    name: str
    version: str
    declared: Declared
    via: tuple[str, ...] = ()
    spec: str = ""
    advisories: tuple[Advisory, ...] = ()
    signals: tuple[Signal, ...] = ()
