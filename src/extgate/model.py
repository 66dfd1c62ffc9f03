"""Plain, immutable, picklable data shared by every part of extgate.

Nothing in this module does I/O, and it imports nothing of extgate's but `frozen`: it is the bottom of the house.
Gates build `Finding`s, intake builds a `Package`, the engine builds a `Verdict`; formatters depend on this module,
never the reverse. The `to_dict` methods give the plain data of the JSON contract (`SCHEMA_VERSION`); rendering
it (JSON text, SARIF, markdown) is `extgate.formatters`' job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from extgate.frozen import FrozenMap

SCHEMA_VERSION = "1.1"  # the JSON verdict contract (schemas/verdict.schema.json); 1.1 added `baseline`


class Level(StrEnum):
    """How much a finding matters. Ordered: ERROR > WARNING > NOTE."""

    ERROR = "error"  # blocks the publish
    WARNING = "warning"  # needs an acknowledgement
    NOTE = "note"  # informational only

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.NOTE: 1, Level.WARNING: 2, Level.ERROR: 3}


class Status(StrEnum):
    PASSED = "passed"
    NEEDS_ACKNOWLEDGEMENT = "needs-acknowledgement"
    BLOCKED = "blocked"


class EntryKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device"
    FIFO = "fifo"
    SOCKET = "socket"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points. `path` is relative to the package root, POSIX separators; lines/columns are 1-based."""

    path: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule hit.

    rule_id      stable `<gate>/<slug>` id, an API
    level        effective level after profile and policy
    gate         the gate that produced it (archive, safety, code, manifest, trust, engine)
    message      what is wrong and how to fix it
    location     where, when it has a place in the package
    snippet      short excerpt of the offending text (<= 200 chars)
    evidence     normalized text the fingerprint is computed from (defaults to the snippet, then the message)
    fingerprint  stable across package versions: rule + path + evidence (+ occurrence), never the version
    acknowledged True when a warning was accepted (policy acknowledgement or `--yes`)
    acknowledgement  why/how it was acknowledged ("policy: <reason>", "flag: --yes")
    properties   extra machine-readable details (advisory ids, pointer, counts ...)
    """

    rule_id: str
    level: Level
    gate: str
    message: str
    location: Location | None = None
    snippet: str | None = None
    evidence: str | None = None
    fingerprint: str = ""
    acknowledged: bool = False
    acknowledgement: str | None = None
    properties: Mapping[str, Any] = field(default_factory=lambda: FrozenMap({}))

    @property
    def path(self) -> str | None:
        return self.location.path if self.location else None

    @property
    def line(self) -> int | None:
        return self.location.line if self.location else None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (
            loc.path if loc else "",
            (loc.line or 0) if loc else 0,
            (loc.column or 0) if loc else 0,
            self.rule_id,
            self.message,
        )

    def base_fingerprint(self) -> str:
        """Hash of rule + path + normalized evidence; no line numbers: they move between versions."""
        evidence = self.evidence if self.evidence is not None else (self.snippet or self.message)
        normalized = " ".join(evidence.split())
        raw = "\0".join((self.rule_id, self.path or "", normalized))
        return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """The finding as in the JSON verdict."""
        loc = self.location
        return {
            "rule_id": self.rule_id,
            "level": self.level.value,
            "gate": self.gate,
            "message": self.message,
            "path": loc.path if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "end_line": loc.end_line if loc else None,
            "end_column": loc.end_column if loc else None,
            "snippet": self.snippet,
            "fingerprint": self.fingerprint,
            "acknowledged": self.acknowledged,
            "acknowledgement": self.acknowledgement,
            "properties": dict(self.properties),
        }


def truncate(text: str, limit: int = 200) -> str:
    """Bounded, single-line excerpt for snippets and messages built from untrusted text."""
    flat = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of the package as intake saw it.

    path         normalized relative POSIX path (top folder such as `package/` stripped); may still contain `..`
                 segments or be absolute-looking in hostile archives -- the archive gate reports those
    raw_name     the member name exactly as stored (for messages)
    kind         file, directory, symlink, hardlink, device, fifo, socket
    size         bytes actually read (decompressed), not the header's claim
    declared_size  size the header claimed (for bomb detection), None when unknown
    mode         permission bits, when known
    link_target  for symlinks and hardlinks
    sha256       hex digest of the content, None when not a regular file or not read
    data         the content; None when not read (not a file, over a limit, or the directory input's lazy read failed)
    truncated    True when reading stopped at a limit before the end of the member
    compressed_size  bytes the member occupies compressed (zip members; for per-member bomb ratios), None otherwise
    publish_path  where the file lands in the published archive when that differs from `path` (a swamp directory:
                 extensions/models/x.ts -> models/x.ts); None when the same
    """

    path: str
    kind: EntryKind = EntryKind.FILE
    size: int = 0
    raw_name: str = ""
    declared_size: int | None = None
    mode: int | None = None
    link_target: str | None = None
    sha256: str | None = None
    data: bytes | None = None
    truncated: bool = False
    compressed_size: int | None = None
    publish_path: str | None = None

    @property
    def is_file(self) -> bool:
        return self.kind is EntryKind.FILE

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        """Lower-cased extension including the dot ('.d.ts' for declaration files), '' when none."""
        lower = self.name.lower()
        if lower.endswith(".d.ts"):
            return ".d.ts"
        dot = lower.rfind(".")
        return lower[dot:] if dot > 0 else ""

    def text(self) -> str:
        """Content decoded as UTF-8 with replacement; '' when not read."""
        return self.data.decode("utf-8", "replace") if self.data is not None else ""


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem intake met while reading (it has no rule registry): rule id, message, path, extra properties."""

    rule_id: str
    message: str
    path: str | None = None
    properties: Mapping[str, Any] = field(default_factory=lambda: FrozenMap({}))


@dataclass(frozen=True, slots=True)
class Package:
    """Immutable view of what would be published.

    source       what the caller passed, as text (a path, '<bytes>' or '<stream>')
    format       tgz, tar, zip, dir, unknown
    entries      every member in archive order (for a directory: the publish set)
    root_prefix  the stripped top folder ('package/'), '' when none
    sha256       hex digest of the archive bytes ('' for a directory)
    integrity    sha512 SRI string of the archive bytes ('' for a directory)
    archive_bytes  size of the archive as uploaded (compressed)
    issues       problems intake itself met (corrupt archive, a limit hit while streaming); the archive gate turns
                 them into findings
    root         for a directory input, its absolute path; '' otherwise
    decompressed_bytes  member content bytes the decompressor actually produced, including parts of over-size
                 members read past the per-file cap and discarded (0 for a directory)
    """

    source: str
    format: str
    entries: tuple[Entry, ...]
    root_prefix: str = ""
    sha256: str = ""
    integrity: str = ""
    archive_bytes: int = 0
    issues: tuple[Issue, ...] = ()
    root: str = ""
    decompressed_bytes: int = 0

    @property
    def files(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.is_file)

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)

    def get(self, path: str) -> Entry | None:
        """First regular file at `path` (normalized, relative)."""
        for entry in self.entries:
            if entry.path == path and entry.is_file:
                return entry
        return None

    def read(self, path: str) -> bytes | None:
        entry = self.get(path)
        return entry.data if entry else None

    def iter_files(self, suffixes: Iterable[str] | None = None) -> Iterator[Entry]:
        wanted = tuple(suffixes) if suffixes is not None else None
        for entry in self.entries:
            if entry.is_file and entry.data is not None and (wanted is None or entry.suffix in wanted):
                yield entry

    @classmethod
    def from_files(cls, files: Mapping[str, bytes | str], *, source: str = "<memory>") -> Package:
        """Build a package from a path -> content mapping. For tests and library callers that already hold files."""
        entries = []
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            entries.append(
                Entry(
                    path=path,
                    raw_name=path,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    data=data,
                )
            )
        return cls(source=source, format="memory", entries=tuple(entries))


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory affecting a dependency (merged across aliases)."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    severity: str = "UNKNOWN"  # CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN
    score: float | None = None
    fixed: tuple[str, ...] = ()
    malicious: bool = False


@dataclass(frozen=True, slots=True)
class Dependency:
    """A dependency as it will really install.

    name, spec   as declared ('lodash', '^4.17.0')
    resolved     the version npm would install, None when unresolved
    source       package.json, lockfile, import, import-map
    status       audited, not-audited-jsr, excluded, unresolved, not-audited
    advisories   advisories affecting `resolved`
    signals      registry signals that fired (deprecated, license, stale ...)
    location     where it is declared
    """

    name: str
    spec: str
    resolved: str | None = None
    source: str = "package.json"
    status: str = "audited"
    advisories: tuple[Advisory, ...] = ()
    signals: tuple[str, ...] = ()
    location: Location | None = None
    direct: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The dependency as in the JSON verdict."""
        return {
            "name": self.name,
            "spec": self.spec,
            "resolved": self.resolved,
            "source": self.source,
            "status": self.status,
            "direct": self.direct,
            "path": self.location.path if self.location else None,
            "line": self.location.line if self.location else None,
            "advisories": [{**asdict(a), "aliases": list(a.aliases), "fixed": list(a.fixed)} for a in self.advisories],
            "signals": list(self.signals),
        }


@dataclass(frozen=True, slots=True)
class FactorResult:
    """One rubric factor: status is earned, missed, provisional or not-applicable.

    max     the factor's weight (also for provisional and not-applicable factors, which the score leaves out)
    hint    one line: how to earn the factor (specific to what was found when it was missed)
    title   short human name from the rubric
    detail  what was found ("7/9 exported declarations documented (78%)")
    """

    id: str
    status: str
    earned: float
    max: float
    hint: str = ""
    title: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Score:
    earned: float
    max: float
    percentage: float
    grade: str
    rubric_version: str
    factors: tuple[FactorResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["factors"] = [asdict(f) for f in self.factors]
        return data


@dataclass(frozen=True, slots=True)
class Target:
    """What was scanned: the archive's digests and the set of paths that would be published.

    root  the package's folder relative to the repository root when paths were rebased onto it (`--repo-root`,
          `--each-package`): every location path then starts with it; '' = paths are relative to the package
    """

    path: str
    sha256: str
    integrity: str
    files: int
    bytes: int
    publish_set: tuple[str, ...]
    root: str = ""


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the drift gate compared against (the verdict's `baseline` block).

    status     'compared', 'unavailable' (could not be read or fetched: a finding says why), 'none' (the
               registry has no earlier version: a first release)
    source     the path given, or the tarball URL fetched for `--baseline auto`
    name, version   of the baseline's manifest ('' when unknown)
    sha256, integrity  of the baseline archive ('' for a directory)
    files      files in the baseline
    changes    drift findings produced
    added, removed, modified  file counts by path between the two publish sets
    """

    status: str
    source: str = ""
    name: str = ""
    version: str = ""
    sha256: str = ""
    integrity: str = ""
    files: int = 0
    changes: int = 0
    added: int = 0
    removed: int = 0
    modified: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The result of one check. Frozen and picklable; formatters turn it into JSON, SARIF, text and markdown."""

    status: Status
    findings: tuple[Finding, ...]
    target: Target
    profile: str
    tool_version: str
    duration_ms: int = 0
    score: Score | None = None
    dependencies: tuple[Dependency, ...] = ()
    notes: tuple[str, ...] = ()
    manifest: Mapping[str, Any] = field(default_factory=lambda: FrozenMap({}))
    baseline: Baseline | None = None  # set when the check compared against an earlier release (--baseline)

    @property
    def blocked(self) -> bool:
        return self.status is Status.BLOCKED

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_dict(self) -> dict[str, Any]:
        """The JSON verdict as plain data (`schema_version` SCHEMA_VERSION). Text: `extgate.formatters.to_json`."""
        counts = {"error": 0, "warning": 0, "note": 0, "acknowledged": 0}
        for f in self.findings:
            counts[f.level.value] += 1
            counts["acknowledged"] += int(f.acknowledged)
        target = self.target
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "extgate", "version": self.tool_version},
            "target": {
                "path": target.path,
                "sha256": target.sha256,
                "integrity": target.integrity,
                "files": target.files,
                "bytes": target.bytes,
                "publish_set": list(target.publish_set),
                **({"root": target.root} if target.root else {}),
            },
            "package": dict(self.manifest),
            "profile": self.profile,
            "status": self.status.value,
            "summary": counts,
            "findings": [f.to_dict() for f in self.findings],
            "score": self.score.to_dict() if self.score is not None else None,
            "dependencies": [d.to_dict() for d in self.dependencies],
            "notes": list(self.notes),
            "baseline": self.baseline.to_dict() if self.baseline is not None else None,
            "duration_ms": self.duration_ms,
        }


def status_for(findings: Iterable[Finding]) -> Status:
    """Errors block; unacknowledged warnings need acknowledgement; notes never matter."""
    status = Status.PASSED
    for finding in findings:
        if finding.level is Level.ERROR:
            return Status.BLOCKED
        if finding.level is Level.WARNING and not finding.acknowledged:
            status = Status.NEEDS_ACKNOWLEDGEMENT
    return status
