"""Facts one gate learns and later gates (and scoring) use. Plain frozen data, like the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from extgate.frozen import FrozenMap
from extgate.model import Baseline, Dependency


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed manifest.

    kind      'package.json' or 'manifest.yaml'
    path      its path in the package
    data      the parsed document (a mapping; never None here -- an unparsable manifest is no Manifest)
    lines     JSON pointer ('/dependencies/lodash') -> 1-based line, for locating findings
    """

    kind: str
    path: str
    data: Mapping[str, Any]
    lines: Mapping[str, int] = field(default_factory=lambda: FrozenMap({}))

    def line_of(self, pointer: str) -> int | None:
        """Line of the pointer, or of its nearest ancestor that has one."""
        return line_for_pointer(self.lines, pointer)


def line_for_pointer(lines: Mapping[str, int], pointer: str) -> int | None:
    """Line of a JSON pointer in a pointer -> line map, falling back to its nearest ancestor that has one."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]


@dataclass(frozen=True, slots=True)
class ImportRef:
    """A module specifier the code loads. kind: static, dynamic, require, import-equals, python."""

    specifier: str
    path: str
    line: int
    kind: str = "static"


@dataclass(frozen=True, slots=True)
class ApiUse:
    """A use of a capability-bearing API, named canonically ('child_process.spawn', 'fetch', 'process.env')."""

    api: str
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Behaviour:
    """A behaviour the code shows (gates/code/behaviour.py): rule id, the kind of behaviour ('home-write',
    'credential-read', 'timezone-targeting', ...) and where. Compared across releases by the drift gate."""

    rule_id: str
    kind: str
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Symbol:
    """An exported declaration (extgate.declarations): name, kind (function, class, const ...), 1-based line, and
    whether a doc comment / docstring documents it."""

    name: str
    kind: str
    line: int
    documented: bool


@dataclass(frozen=True, slots=True)
class CodeFile:
    """Per-file facts of the code gate, for the drift gate and scoring.

    obfuscated, minified   the file was flagged code/obfuscated, code/minified
    rules                  (rule id, first line) of every code rule that fired in the file, before policy
                           filtering (what the code does, not what the caller's policy reports)
    symbols                exported declarations read from the tree the code gate parsed (scoring's symbols-docs);
                           None when the file was not parsed (then scoring parses it itself)
    """

    path: str
    language: str
    obfuscated: bool = False
    minified: bool = False
    rules: tuple[tuple[str, int], ...] = ()
    symbols: tuple[Symbol, ...] | None = None


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """imports   every module specifier the code loads (verbatim: 'npm:zod@4', 'jsr:@std/path', './util.js')
    api_uses     capability-bearing APIs used (names: rules/code.yaml `data.api_names`)
    stats        debug counters of the code gate: files, parsed, skipped:<reason> (e.g. skipped:no-prefilter-hit)
    files        per-file flags (obfuscated, minified) of every code file analysed
    behaviours   behaviour-rule hits (home-folder writes, credential reads, targeting, delayed payloads)
    """

    imports: tuple[ImportRef, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    stats: Mapping[str, int] = field(default_factory=lambda: FrozenMap({}))
    files: tuple[CodeFile, ...] = ()
    behaviours: tuple[Behaviour, ...] = ()


@dataclass(frozen=True, slots=True)
class Facts:
    """What gates have learned so far; the engine threads it through the gates in order."""

    manifest: Manifest | None = None
    code: CodeFacts | None = None
    dependencies: tuple[Dependency, ...] = ()
    notes: tuple[str, ...] = ()
    baseline: Baseline | None = None
