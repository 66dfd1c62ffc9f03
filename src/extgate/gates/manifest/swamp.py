"""swamp manifest.yaml content checks: `manifest/files` (listed files exist) and `manifest/unlisted-content`.

A listed path is looked for in both layouts extgate can be handed:
  source  (a swamp repository folder) -- `paths.base: typedDir` (the default): `models: [x.ts]` is
          extensions/models/x.ts, likewise extensions/vaults, drivers, datastores, reports (`include:` extra
          model modules), `workflows:` workflows/ or extensions/workflows/, `skills: [name]` the folder
          .claude/skills/name/, `additionalFiles:`/`binaries:` beside the manifest; `paths.base: manifest`: every
          path beside the manifest;
  archive (what `swamp extension push` uploads) -- models/x.ts, vaults/, drivers/, datastores/, reports/,
          workflows/, skills/name/, and files/ for additionalFiles and binaries.
The folders are data (rules/manifest.yaml `swamp_content`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from extgate.gates.manifest.interface import Scope, capped, package_path
from extgate.gates.manifest.npm import glob_regex
from extgate.model import Finding, truncate

DEFAULT_CONTENT: Mapping[str, Mapping[str, Any]] = {
    "models": {"source": ["extensions/models"], "archive": "models"},
    "include": {"source": ["extensions/models"], "archive": "models"},
    "vaults": {"source": ["extensions/vaults"], "archive": "vaults"},
    "drivers": {"source": ["extensions/drivers"], "archive": "drivers"},
    "datastores": {"source": ["extensions/datastores"], "archive": "datastores"},
    "reports": {"source": ["extensions/reports"], "archive": "reports"},
    "workflows": {"source": ["workflows", "extensions/workflows"], "archive": "workflows"},
    "skills": {"source": [".claude/skills"], "archive": "skills"},
    "additionalFiles": {"source": [""], "archive": "files"},
    "binaries": {"source": [""], "archive": "files"},
}
MAX_UNLISTED_FINDINGS = 50
_PROBE_SUFFIXES = ("", ".ts", ".tsx", ".js", ".mjs", "/mod.ts", "/index.ts")


def content_bases(scope: Scope) -> Mapping[str, Sequence[str]]:
    """manifest list -> folders its entries are relative to, source layout first, then the archive's."""
    configured: Mapping[str, Any] = scope.ctx.rules.data("manifest").get("swamp_content") or DEFAULT_CONTENT
    paths = scope.data.get("paths")
    beside_manifest = isinstance(paths, Mapping) and paths.get("base") == "manifest"
    folder = posixpath.dirname(scope.manifest.path)
    out: dict[str, Sequence[str]] = {}
    for field, layout in configured.items():
        sources = [str(s) for s in layout.get("source") or ()]
        if beside_manifest:
            sources = [folder, *sources] if field in ("workflows", "skills") else [folder]
        out[str(field)] = (*sources, str(layout.get("archive") or ""))
    return out


def _covered(scope: Scope, bases: Sequence[str], entry: str) -> set[str]:
    """Files a list entry names in any layout (a file, or every file under a folder); empty when none."""
    out: set[str] = set()
    for base in bases:
        candidate = posixpath.normpath(posixpath.join(base, entry)) if base else entry
        if candidate in scope.files:
            out.add(candidate)
        elif candidate in scope.directories:
            prefix = candidate + "/"
            out |= {path for path in scope.files if path.startswith(prefix)}
    return out


def listed_files(scope: Scope) -> tuple[set[str], list[Finding]]:
    """(files the lists name, manifest/files findings for entries that are unsafe or name nothing)."""
    covered: set[str] = set()
    findings: list[Finding] = []
    for field, bases in content_bases(scope).items():
        entries = scope.data.get(field)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue  # manifest/schema reports it
            pointer = f"/{field}/{index}"
            path = package_path(entry)
            if path is None or ".." in entry.replace("\\", "/").split("/"):
                findings.append(
                    scope.at(
                        "manifest/files",
                        f"{field} entry {truncate(entry, 120)!r} must be a relative path without '..' "
                        "(swamp refuses it); name the file relative to its folder.",
                        pointer,
                        snippet=entry,
                        evidence=f"{field}:{entry}",
                    )
                )
                continue
            names = _covered(scope, bases, path)
            if not names:
                places = " or ".join(posixpath.join(b, path) if b else path for b in bases)
                findings.append(
                    scope.at(
                        "manifest/files",
                        f"{field} entry {truncate(entry, 120)!r} names no file in the package (looked for "
                        f"{truncate(places, 160)}); add the file or remove the entry.",
                        pointer,
                        snippet=entry,
                        evidence=f"{field}:{entry}",
                    )
                )
            covered |= names
    return covered, findings


def check_files(scope: Scope) -> Iterator[Finding]:
    yield from listed_files(scope)[1]


def _import_closure(scope: Scope, roots: Iterable[str]) -> set[str] | None:
    """Files reachable from `roots` through relative imports (what swamp bundles with a model); None when
    the code gate left no import facts."""
    code = scope.ctx.facts.code
    if code is None:
        return None
    edges: dict[str, list[str]] = {}
    for ref in code.imports:
        if ref.specifier.startswith(("./", "../")):
            edges.setdefault(ref.path, []).append(ref.specifier)
    seen = set(roots)
    queue = list(seen)
    while queue:  # bounded: each file enters the queue at most once
        current = queue.pop()
        for spec in edges.get(current, ()):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(current), spec))
            for suffix in _PROBE_SUFFIXES:
                candidate = target + suffix
                if candidate in scope.files:
                    if candidate not in seen:
                        seen.add(candidate)
                        queue.append(candidate)
                    break
    return seen


def check_unlisted(scope: Scope) -> Iterator[Finding]:
    covered, _ = listed_files(scope)
    covered.add(scope.manifest.path)
    closure = _import_closure(scope, covered)
    if closure is None:
        # Without import facts, count helper files under the declared content folders as bundled.
        scope.note("manifest/unlisted-content: no import facts; files under declared content folders counted")
        bases = content_bases(scope)
        folders = {
            posixpath.normpath(b)
            for field, values in bases.items()
            if field not in ("additionalFiles", "binaries") and isinstance(scope.data.get(field), list)
            for b in values
            if b
        }
        covered |= {p for p in scope.files if any(p.startswith(f + "/") for f in folders)}
    else:
        covered |= closure
    default_ignore = scope.ctx.rules.data("manifest").get("swamp_unlisted_ignore", ())
    ignore = [glob_regex(str(p)) for p in scope.ctx.setting("swamp_unlisted_ignore", default_ignore)]
    unlisted = sorted(
        path for path in scope.files if path not in covered and not any(rx.fullmatch(path) for rx in ignore)
    )

    def finding(path: str) -> Finding:
        return scope.ctx.finding(
            "manifest/unlisted-content",
            f"{truncate(path, 160)} is in the archive but no manifest list (models, include, workflows, vaults, "
            "datastores, drivers, reports, skills, additionalFiles, binaries) names it and nothing listed imports "
            "it; "
            "list it, or leave it out of the package.",
            path=path,
            evidence=path,
        )

    def summary(extra: int) -> Finding:
        return scope.at(
            "manifest/unlisted-content",
            f"{extra} more unlisted files are in the archive than shown; list them or leave them out.",
            "",
            evidence="more",
        )

    yield from capped((finding(p) for p in unlisted), MAX_UNLISTED_FINDINGS, summary)
