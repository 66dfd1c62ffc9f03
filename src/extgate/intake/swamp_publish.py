"""What `swamp extension push` would publish from a directory, and where each file lands in its archive.

Modelled on swamp's resolver (`resolve_extension_files.ts` and `push.ts`, swamp CLI 2026):
  - `paths.base: typedDir` (default): models, include -> `modelsDir` (default `extensions/models`), vaults ->
    `extensions/vaults`, drivers -> `extensions/drivers`, datastores -> `extensions/datastores`, reports ->
    `extensions/reports` (overridable in the repo marker `.swamp.yaml`: modelsDir, vaultsDir, ...);
    `paths.base: manifest`: all of those resolve beside the manifest;
  - every model/vault/driver/datastore/report entry point brings the local modules it imports (`import|export ...
    from "./x"`, `.ts` appended when missing), transitively, as long as they stay inside that category's folder;
  - workflows: beside the manifest (manifest base only), then `workflows/`, then `workflowsDir` (default
    `extensions/workflows`); archived as `workflows/<dir-with-dashes>.yaml` or `workflows/<name>`;
  - skills: `<tool skill dir>/<name>/` (`.claude/skills` by default; the marker's `tools` pick others), beside
    the manifest first when the base is `manifest`, then at the repository root; archived under `skills/<name>/`;
  - additionalFiles and binaries: relative to the manifest, archived under `files/`;
  - the manifest itself as `manifest.yaml`.
Not modelled: environment overrides (SWAMP_MODELS_DIR ...), skills in the user's home folder, models pulled in
through workflow definitions in `.swamp/`, and the generated `bundles/` (built at push time). README and LICENSE
beside the manifest are added even when not listed (the scorecard reads them). Manifest paths that are absolute or
contain `..` are skipped (swamp refuses them), so nothing outside the scanned folder is ever read.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from extgate import safeyaml
from extgate.intake.npm_packlist import MISSING, access_problem, first_link, lstat_inside, unreadable
from extgate.intake.ts_imports import relative_specifiers, resolve
from extgate.model import Issue

TYPED_DIRS: Mapping[str, tuple[str, str, str]] = {
    # manifest key -> (marker key, default folder, archive folder)
    "models": ("modelsDir", "extensions/models", "models"),
    "vaults": ("vaultsDir", "extensions/vaults", "vaults"),
    "drivers": ("driversDir", "extensions/drivers", "drivers"),
    "datastores": ("datastoresDir", "extensions/datastores", "datastores"),
    "reports": ("reportsDir", "extensions/reports", "reports"),
}
SKILL_DIRS: Mapping[str, str] = {
    "claude": ".claude/skills",
    "cursor": ".cursor/skills",
    "opencode": ".agents/skills",
    "codex": ".agents/skills",
    "copilot": ".agents/skills",
    "kiro": ".kiro/skills",
}
_DOC = re.compile(r"^(readme|license|licence)(\..*)?$", re.IGNORECASE)
MAX_LIST = 10_000

Loader = Callable[[str], bytes | None]


def load_yaml(data: bytes | None) -> Mapping[str, Any]:
    if data is None:
        return {}
    try:
        doc = safeyaml.load(data, "manifest.yaml")
    except (yaml.YAMLError, RecursionError, UnicodeError, ValueError):
        return {}
    return doc if isinstance(doc, Mapping) else {}


def _safe(path: object) -> str | None:
    """A manifest path swamp accepts: relative, no `..` segments."""
    if not isinstance(path, str) or not path or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return None
    if ".." in re.split(r"[/\\]", path):
        return None
    return posixpath.normpath(path.replace("\\", "/"))


def _join(base: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(base or ".", rel))


def _strings(doc: Mapping[str, Any], key: str) -> list[str]:
    value = doc.get(key)
    if not isinstance(value, list):
        return []
    return [p for p in (_safe(v) for v in value[:MAX_LIST]) if p is not None]


class SwampSelection:
    """Collects `path -> archive path` for one manifest."""

    def __init__(self, root: str, manifest_rel: str, load: Loader, load_config: Loader, max_files: int) -> None:
        self.root = root
        self.load_config = load_config
        self.manifest_rel = manifest_rel
        self.manifest_dir = posixpath.dirname(manifest_rel)
        self.load = load
        self.max_files = max_files
        self.selected: dict[str, str | None] = {}
        self.issues: list[Issue] = []  # what could not be looked at (fails closed: never taken as absent)

    def add(self, rel: str, archive_path: str | None) -> None:
        if len(self.selected) < self.max_files or rel in self.selected:
            self.selected[rel] = None if archive_path == rel else archive_path

    def exists(self, rel: str) -> bool:
        """True when `rel` is there without passing through a symlink; a symlink on the way is selected itself
        (swamp would follow it), so the archive gate reports it."""
        if lstat_inside(self.root, rel) is not None:
            return True
        link = first_link(self.root, rel)
        if link is not None:
            self.add(link, None)
        else:
            self._problem(access_problem(self.root, rel))
        return False

    def _problem(self, found: Issue | None) -> None:
        if found is not None and all(i.path != found.path for i in self.issues):
            self.issues.append(found)

    def is_dir(self, rel: str) -> bool:
        st = lstat_inside(self.root, rel)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def run(self) -> dict[str, str | None]:
        manifest = load_yaml(self.load(self.manifest_rel))
        marker = load_yaml(self.load_config(".swamp.yaml"))
        paths = manifest.get("paths")
        by_manifest = isinstance(paths, Mapping) and paths.get("base") == "manifest"
        self.add(self.manifest_rel, "manifest.yaml")
        folders: dict[str, str] = {}
        for key, (marker_key, default, archive) in TYPED_DIRS.items():
            folder = self.manifest_dir if by_manifest else (_safe(marker.get(marker_key)) or default)
            folders[key] = folder
            self._typed(_strings(manifest, key), folder, archive)
        for inc in _strings(manifest, "include"):
            rel = _join(folders["models"], inc)
            if self.exists(rel):
                self.add(rel, "models/" + posixpath.relpath(rel, folders["models"] or "."))
        self._workflows(_strings(manifest, "workflows"), marker, by_manifest)
        self._skills(_strings(manifest, "skills"), marker, by_manifest)
        for key in ("additionalFiles", "binaries"):
            for item in _strings(manifest, key):
                rel = _join(self.manifest_dir, item)
                if self.exists(rel):
                    self.add(rel, f"files/{item}")
        self._docs()
        return self.selected

    def _typed(self, refs: list[str], folder: str, archive: str) -> None:
        """Entry points plus the local modules they import, inside `folder`."""
        queue = [_join(folder, ref) for ref in refs]
        seen: set[str] = set()
        boundary = "" if folder in ("", ".") else folder.rstrip("/") + "/"
        while queue and len(seen) < self.max_files:
            rel = queue.pop(0)
            if rel in seen or not self.exists(rel):
                continue
            seen.add(rel)
            self.add(rel, f"{archive}/{posixpath.relpath(rel, folder or '.')}")
            st = lstat_inside(self.root, rel)
            if st is None or not stat.S_ISREG(st.st_mode) or not rel.endswith(".ts"):
                continue
            data = self.load(rel)
            if data is None:
                continue
            for spec in relative_specifiers(data):
                target = resolve(rel, spec)
                if target.startswith(boundary) and not target.startswith("../") and target not in seen:
                    queue.append(target)

    def _workflows(self, refs: list[str], marker: Mapping[str, Any], by_manifest: bool) -> None:
        candidates: list[str] = []
        for folder in (
            self.manifest_dir if by_manifest else None,
            "workflows",
            _safe(marker.get("workflowsDir")) or "extensions/workflows",
        ):
            if folder is not None and folder not in candidates:
                candidates.append(folder)
        for ref in refs:
            for folder in candidates:
                rel = _join(folder, ref)
                if self.exists(rel):
                    ref_dir = posixpath.dirname(ref)
                    name = f"{ref_dir.replace('/', '-')}.yaml" if ref_dir else posixpath.basename(ref)
                    self.add(rel, f"workflows/{name}")
                    break

    def _skills(self, names: list[str], marker: Mapping[str, Any], by_manifest: bool) -> None:
        tools = marker.get("tools")
        tool_names = [t for t in tools if isinstance(t, str)] if isinstance(tools, list) and tools else ["claude"]
        bases: list[str] = []
        dirs = [SKILL_DIRS[t] for t in tool_names if t in SKILL_DIRS]
        for base in [*(_join(self.manifest_dir, d) for d in dirs if by_manifest), *dirs]:
            if base not in bases:
                bases.append(base)
        for name in names:
            for base in bases:
                folder = _join(base, name)
                if self.is_dir(folder):
                    self._collect(folder, f"skills/{name}")
                    break

    def _collect(self, folder: str, archive: str, depth: int = 0) -> None:
        try:
            names = sorted(os.listdir(os.path.join(self.root, folder)))
        except OSError as exc:
            if exc.errno not in MISSING:
                self._problem(unreadable(folder, exc, "listed"))
            return
        for name in names:
            rel = f"{folder}/{name}"
            if self.is_dir(rel):
                if depth < 32:
                    self._collect(rel, f"{archive}/{name}", depth + 1)
            else:
                self.add(rel, f"{archive}/{name}")

    def _docs(self) -> None:
        try:
            names = sorted(os.listdir(os.path.join(self.root, self.manifest_dir or ".")))
        except OSError as exc:
            if exc.errno not in MISSING:
                self._problem(unreadable(self.manifest_dir, exc, "listed"))
            return
        for name in names:
            rel = _join(self.manifest_dir, name)
            if _DOC.match(name) and not self.is_dir(rel) and rel not in self.selected:
                self.add(rel, None)


def swamp_publish_set(
    root: str,
    manifest_rel: str,
    load: Loader,
    load_config: Loader,
    *,
    max_files: int,
    issues: list[Issue] | None = None,
) -> dict[str, str | None]:
    """Relative path -> archive path (None when the same) of everything the manifest at `manifest_rel` publishes.
    `load` reads a file that is published (counted, cached); `load_config` one that only informs the selection.
    Folders that cannot be listed or searched are appended to `issues` (archive/corrupt)."""
    selection = SwampSelection(root, manifest_rel, load, load_config, max_files)
    selected = selection.run()
    if issues is not None:
        issues += selection.issues
    return selected
