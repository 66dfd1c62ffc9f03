"""Data of the drift gate: a release reduced to what drift compares (`Snapshot`), the thresholds, and a change.

Everything is frozen and picklable; `compare(new, old, config)` (compare.py) is a pure function of two snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from extgate.frozen import FrozenMap
from extgate.model import Level


@dataclass(frozen=True, slots=True)
class Where:
    """A location in one release: path and 1-based line (None when the thing has no line)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One published file. binary: '' (text), 'executable' (ELF/PE/Mach-O/.node), 'binary' (other NUL bytes)."""

    path: str
    size: int
    sha256: str
    code: bool = False
    max_line: int = 0
    long_line: int = 0  # 1-based number of the first line over the long-line threshold, 0 when none
    padded: bool = False  # that line hides text behind a long run of blanks (past the edge of the screen)
    binary: str = ""
    obfuscated: bool = False
    minified: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A release as drift sees it.

    name, version      from the manifest ('' when missing)
    manifest_path      'package.json' / 'manifest.yaml' ('' when none)
    scripts            lifecycle hook -> (script, line)
    dependencies       name -> (spec, line)
    entry_points       field ('main', 'bin.cli', 'exports/./x/import') -> (target, line)
    capabilities       category ('network', 'process', 'eval' ...) -> (first location, sorted names)
    hosts              host -> first location (URL literals in code files that use the network)
    files              path -> FileInfo
    """

    name: str = ""
    version: str = ""
    manifest_path: str = ""
    scripts: Mapping[str, tuple[str, int | None]] = field(default_factory=lambda: FrozenMap({}))
    dependencies: Mapping[str, tuple[str, int | None]] = field(default_factory=lambda: FrozenMap({}))
    entry_points: Mapping[str, tuple[str, int | None]] = field(default_factory=lambda: FrozenMap({}))
    capabilities: Mapping[str, tuple[Where, tuple[str, ...]]] = field(default_factory=lambda: FrozenMap({}))
    hosts: Mapping[str, Where] = field(default_factory=lambda: FrozenMap({}))
    files: Mapping[str, FileInfo] = field(default_factory=lambda: FrozenMap({}))

    @property
    def code_bytes(self) -> int:
        return sum(f.size for f in self.files.values() if f.code)


@dataclass(frozen=True, slots=True)
class DriftConfig:
    """Thresholds and lists (rules/drift.yaml `data`; policy `[drift]` overrides the numbers).

    long_line               a line at least this long is a long line
    large_patch_min_bytes   a patch release adding at least this much code ...
    large_patch_ratio       ... and growing the code by at least this share is a large patch
    typo_max_distance       Damerau-Levenshtein distance to a popular name that counts as typo-near (names of
                            `typo_short_name` characters or fewer use distance 1)
    brand_new_days          with --registry: a dependency whose package was created this recently is brand-new
    max_registry_lookups    dependencies looked up for brand-new names
    popular                 popular npm names (typo targets)
    categories              capability category -> fnmatch patterns over API names and rule ids
    lifecycle_hooks         scripts npm runs on install
    """

    long_line: int = 1000
    large_patch_min_bytes: int = 50_000
    large_patch_ratio: float = 0.5
    typo_max_distance: int = 2
    typo_short_name: int = 5
    brand_new_days: int = 30
    max_registry_lookups: int = 20
    popular: frozenset[str] = frozenset()
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: FrozenMap({}))
    lifecycle_hooks: tuple[str, ...] = ("preinstall", "install", "postinstall")


@dataclass(frozen=True, slots=True)
class Change:
    """One drift finding-to-be: the new location and, when the thing existed before, the baseline's."""

    rule_id: str
    message: str
    new: Where | None
    old: Where | None = None
    level: Level | None = None  # None: the rule's default
    evidence: str = ""
    properties: Mapping[str, Any] = field(default_factory=lambda: FrozenMap({}))
