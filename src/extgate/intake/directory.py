"""A directory (an author's working tree) as the Package that would be published.

What is selected: with `package.json`, what `npm pack` would include (npm_packlist); with `manifest.yaml`, what
`swamp extension push` would publish (swamp_publish); with neither, or with `all_files`, the whole tree except
version-control folders and `node_modules`. Only selected files are read, each at most once, within the budget;
nothing is ever followed through a symlink (links are listed as links) and FIFOs and devices are never opened.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

from extgate.intake.interface import IntakeLimits
from extgate.intake.limits import Budget, LimitReached, issue
from extgate.intake.npm_packlist import MISSING, kind_of_mode, lstat_inside, packlist, unreadable
from extgate.intake.swamp_publish import swamp_publish_set
from extgate.model import Entry, EntryKind, Issue, Package

SKIPPED_IN_ALL_FILES = frozenset({".git", ".hg", ".svn", "CVS", "node_modules"})
SWAMP_MANIFESTS = ("manifest.yaml", "manifest.yml")
_O_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_CONFIG_CAP = 1024 * 1024


def max_walk_entries(limits: IntakeLimits) -> int:
    """Directory entries a walk may look at: generous, because excluded folders are pruned before they are read."""
    return 20 * limits.max_files + 10_000


class TreeReader:
    """Reads selected files of one directory, each at most once, within the budget."""

    def __init__(self, root: str, budget: Budget) -> None:
        self.root = root
        self.budget = budget
        self.cache: dict[str, Entry | None] = {}
        self.issues: list[Issue] = []
        self.stopped = False

    def data(self, rel: str) -> bytes | None:
        entry = self.entry(rel)
        return entry.data if entry is not None else None

    def entry(self, rel: str) -> Entry | None:
        if rel not in self.cache:
            self.cache[rel] = None if self.stopped else self._read(rel)
        return self.cache[rel]

    def _read(self, rel: str) -> Entry | None:
        st = lstat_inside(self.root, rel)
        if st is None:
            return None
        kind = kind_of_mode(st.st_mode)
        if kind is EntryKind.DIRECTORY:
            return None
        try:
            self.budget.admit(rel, is_dir=False)
            if kind is EntryKind.SYMLINK:
                return Entry(
                    rel,
                    kind,
                    raw_name=rel,
                    declared_size=st.st_size,
                    mode=st.st_mode & 0o7777,
                    link_target=self._link(rel),
                )
            if kind is not EntryKind.FILE:
                return Entry(rel, kind, raw_name=rel, declared_size=st.st_size, mode=st.st_mode & 0o7777)
            return self._read_file(rel, st)
        except LimitReached as stop:
            self.stopped = True
            self.issues.append(stop.issue)
            return None

    def _link(self, rel: str) -> str | None:
        try:
            return os.readlink(os.path.join(self.root, rel))[:4096]
        except OSError:
            return None

    def _read_file(self, rel: str, st: os.stat_result) -> Entry:
        path = os.path.join(self.root, rel)
        mode = st.st_mode & 0o7777
        try:
            fd = os.open(path, _O_FLAGS)
        except OSError as exc:
            self.issues.append(issue("archive/corrupt", f"{rel} cannot be read ({exc.strerror}).", rel))
            return Entry(rel, EntryKind.FILE, raw_name=rel, declared_size=st.st_size, mode=mode)
        with os.fdopen(fd, "rb") as handle:
            now = os.fstat(handle.fileno())
            if not stat.S_ISREG(now.st_mode) or (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
                # swapped while we looked: report what is there now, never read it
                return Entry(rel, kind_of_mode(now.st_mode), raw_name=rel, declared_size=now.st_size, mode=mode)
            data, sha256, size, truncated, found = self.budget.read(handle, rel)
        if found is not None:
            self.issues.append(found)
        return Entry(
            rel,
            EntryKind.FILE,
            size=size,
            raw_name=rel,
            declared_size=st.st_size,
            mode=mode,
            sha256=sha256,
            data=data,
            truncated=truncated,
        )


def read_config(root: str, rel: str) -> bytes | None:
    """A small config file (the repo marker) that informs the selection but is not published itself."""
    st = lstat_inside(root, rel)
    if st is None or not stat.S_ISREG(st.st_mode):
        return None
    try:
        fd = os.open(os.path.join(root, rel), _O_FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(_CONFIG_CAP + 1)
    return data if len(data) <= _CONFIG_CAP else None


def whole_tree(root: str, max_entries: int) -> tuple[list[str], list[Issue]]:
    """Every non-directory path below `root` (links not followed), skipping VCS folders and node_modules."""
    found: list[str] = []
    issues: list[Issue] = []
    examined = 0
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            names = sorted(os.listdir(os.path.join(root, rel_dir) if rel_dir else root))
        except OSError as exc:
            if exc.errno not in MISSING:
                issues.append(unreadable(rel_dir, exc, "listed"))
            continue
        examined += len(names)
        if examined > max_entries:
            issues.append(
                issue(
                    "archive/too-many-files",
                    f"the directory has more than {max_entries:,} entries; the walk stopped in {rel_dir or '.'}. "
                    "Scan a smaller tree.",
                    rel_dir or None,
                )
            )
            break
        for name in names:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                st = os.lstat(os.path.join(root, rel))
            except OSError as exc:
                if exc.errno not in MISSING:
                    issues.append(unreadable(rel, exc, "looked at"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if name not in SKIPPED_IN_ALL_FILES:
                    stack.append(rel)
            else:
                found.append(rel)
    return sorted(found), issues


def read_directory(path: Path, *, limits: IntakeLimits, all_files: bool = False) -> Package:
    root = os.path.realpath(path)
    budget = Budget(limits)
    reader = TreeReader(root, budget)
    issues: list[Issue] = []
    selection: dict[str, str | None]
    manifest = next((m for m in SWAMP_MANIFESTS if _is_file(root, m)), None)
    if all_files or (manifest is None and not _is_file(root, "package.json")):
        paths, issues = whole_tree(root, max_walk_entries(limits))
        selection = dict.fromkeys(paths)
    elif manifest is not None:
        selection = swamp_publish_set(
            root,
            manifest,
            reader.data,
            lambda rel: read_config(root, rel),
            max_files=2 * limits.max_files + 1000,
            issues=issues,
        )
    else:
        walk = packlist(root, max_entries=max_walk_entries(limits), json_limit=limits.max_file_bytes)
        # npm always packs package.json: a walk stopped early (too many entries) still reports the manifest
        selection = dict.fromkeys(["package.json", *walk.found])
        issues = walk.issues
    entries: list[Entry] = []
    for rel in sorted(selection):
        entry = reader.entry(rel)
        if reader.stopped and entry is None:
            break
        if entry is not None:
            entries.append(replace(entry, publish_path=selection[rel]))
    return Package(
        source=str(path),
        format="dir",
        entries=tuple(entries),
        issues=tuple(issues + reader.issues),
        root=root,
    )


def _is_file(root: str, rel: str) -> bool:
    st = lstat_inside(root, rel)
    return st is not None and stat.S_ISREG(st.st_mode)
