"""What `npm pack` would put in the tarball for a directory: a reimplementation of npm-packlist 10 (npm 10/11).

The rules, in npm's order of precedence, per directory:
  1. defaults, in every directory: `.npmignore`, `.gitignore`, `**/.git`, `**/.svn`, `**/.hg`, `**/CVS`,
     `/.lock-wscript`, `/.wafpickle-*`, `/build/config.gypi`, `npm-debug.log`, `**/.npmrc`, `.*.swp`, `.DS_Store`,
     `._*`, `*.orig`, `/archived-packages/**` are excluded;
  2. at the package root, a `files` array in package.json: everything is excluded (`*`) except what it lists (a
     listed directory brings its whole content);
  3. `.npmignore`, else `.gitignore` (gitignore syntax); at the root they are ignored when `files` is present;
  4. strict rules that nothing overrides: package.json, README*, COPYING*, LICENSE*, LICENCE* at the root, the
     `main`, `browser` and `bin` files, and files named in `files` are always included; `/.git`, `/node_modules`,
     `.npmrc`, and the lockfiles `package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`, `bun.lockb` at the root are
     always excluded (npm-packlist's own list: lockfiles are never published).
Bundled dependencies (`bundleDependencies`) are walked from `node_modules` like npm does (their package.json
rules, no defaults at their root). Names containing `*` are skipped, like npm (they break Windows).

Differences, on purpose: npm silently drops symlinks and special files; extgate lists the ones the rules select
(as links/special files, never followed or opened) so the archive gate can report them. Workspaces and
`directories.bin` expansion are not modelled. Ignore files that are symlinks are not read.
"""

from __future__ import annotations

import errno
import functools
import os
import posixpath
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from extgate.intake.glob import Glob, compile_rules
from extgate.intake.limits import issue
from extgate.jsondoc import json_file
from extgate.model import EntryKind, Issue

DEFAULTS = (
    ".npmignore",
    ".gitignore",
    "**/.git",
    "**/.svn",
    "**/.hg",
    "**/CVS",
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/CVS/**",
    "/.lock-wscript",
    "/.wafpickle-*",
    "/build/config.gypi",
    "npm-debug.log",
    "**/.npmrc",
    ".*.swp",
    ".DS_Store",
    "**/.DS_Store/**",
    "._*",
    "**/._*/**",
    "*.orig",
    "/archived-packages/**",
)
STRICT_DEFAULTS = ("/.git",)
ROOT_STRICT = (
    "!/package.json",
    "!/readme{,.*[^~$]}",
    "!/copying{,.*[^~$]}",
    "!/license{,.*[^~$]}",
    "!/licence{,.*[^~$]}",
    "/.git",
    "/node_modules",
    ".npmrc",
    "/package-lock.json",
    "/yarn.lock",
    "/pnpm-lock.yaml",
    "/bun.lockb",
)
# synthetic rule sets; NUL cannot appear in a file name, so they never collide with a real ignore file
_DEFAULT_RULES = "\0defaults"
_STRICT_RULES = "\0strict"
_PACKAGE_IGNORE_FILES = (_DEFAULT_RULES, "package.json", ".npmignore", ".gitignore", _STRICT_RULES)
_CHILD_IGNORE_FILES = (_DEFAULT_RULES, ".npmignore", ".gitignore", _STRICT_RULES)
_BUNDLE_IGNORE_FILES = ("package.json", _STRICT_RULES)
MAX_IGNORE_FILE = 1024 * 1024
MAX_DEPTH = 64
_MAX_MEMO = 200_000  # remembered rule matches per walk (a hostile tree and ignore files could ask for millions)


def kind_of_mode(mode: int) -> EntryKind:
    if stat.S_ISREG(mode):
        return EntryKind.FILE
    if stat.S_ISDIR(mode):
        return EntryKind.DIRECTORY
    if stat.S_ISLNK(mode):
        return EntryKind.SYMLINK
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return EntryKind.DEVICE
    if stat.S_ISFIFO(mode):
        return EntryKind.FIFO
    if stat.S_ISSOCK(mode):
        return EntryKind.SOCKET
    return EntryKind.OTHER


def lstat_inside(root: str, rel: str) -> os.stat_result | None:
    """lstat of `root/rel` without following any symlink on the way (a linked parent counts as missing)."""
    parts = [p for p in rel.split("/") if p]
    if any(p == ".." for p in parts):
        return None
    current = root
    result: os.stat_result | None = None
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            result = os.lstat(current)
        except OSError:
            return None
        if index < len(parts) - 1 and not stat.S_ISDIR(result.st_mode):
            return None
    return result


MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.ENAMETOOLONG})


def unreadable(rel: str, exc: OSError, what: str = "read") -> Issue:
    """The fail-closed report for a path of the tree that exists but cannot be read or listed: what npm (or swamp)
    would publish from there is unknown, so the check must not pass as if it were absent."""
    reason = exc.strerror or type(exc).__name__
    return issue(
        "archive/corrupt",
        f"{rel or '.'} cannot be {what} ({reason}): what it holds was not scanned, so what would be published is "
        "unknown. Fix its permissions, or run extgate as the user that publishes.",
        rel or None,
        unreadable=True,
    )


def access_problem(root: str, rel: str) -> Issue | None:
    """Why `root/rel` cannot be looked at when the reason is not that it is missing (a folder on the way that
    cannot be searched: EACCES), as an `unreadable` issue for the deepest folder reached; None otherwise."""
    current = ""
    for part in (p for p in rel.split("/") if p):
        current = f"{current}/{part}" if current else part
        try:
            os.lstat(os.path.join(root, current))
        except OSError as exc:
            if exc.errno in MISSING:
                return None
            return unreadable(posixpath.dirname(current), exc, "searched")
    return None


def first_link(root: str, rel: str) -> str | None:
    """The first component of `rel` (below `root`) that is a symlink, or None."""
    current = ""
    for part in (p for p in rel.split("/") if p):
        current = f"{current}/{part}" if current else part
        try:
            if stat.S_ISLNK(os.lstat(os.path.join(root, current)).st_mode):
                return current
        except OSError:
            return None
    return None


@dataclass
class Walk:
    """State of one packlist run: results (relative path -> kind), bounded work, issues."""

    root: str
    max_entries: int
    json_limit: int
    found: dict[str, EntryKind] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    examined: int = 0
    stopped: bool = False
    # (rule id, Glob.memo_key(path), partial) -> Glob.match: an entry is matched as a file, as a folder and with a
    # trailing slash, each time through every ancestor's rules (`test/x`, `lib/test/x`: one basename), so the same
    # questions recur; the rules outlive the walk, so their ids stay theirs
    matches: dict[tuple[int, str, bool], bool] = field(default_factory=dict)

    def match(self, rule: Glob, path: str, partial: bool = False) -> bool:
        key = (id(rule), rule.memo_key(path), partial)
        found = self.matches.get(key)
        if found is None:
            if len(self.matches) > _MAX_MEMO:
                self.matches.clear()
            found = self.matches[key] = rule.match(path, partial)
        return found

    def examine(self, count: int, where: str) -> bool:
        self.examined += count
        if self.examined > self.max_entries and not self.stopped:
            self.stopped = True
            self.issues.append(
                issue(
                    "archive/too-many-files",
                    f"the directory has more than {self.max_entries:,} entries to consider; the walk stopped in "
                    f"{where or '.'}. Scan a smaller tree or exclude generated folders.",
                    where or None,
                )
            )
        return not self.stopped


class _Walker:
    def __init__(
        self,
        walk: Walk,
        rel: str,
        *,
        parent: _Walker | None,
        ignore_files: Sequence[str],
        is_package: bool,
        exact: bool = False,
        required: Sequence[str] = (),
        depth: int = 0,
    ) -> None:
        self.walk = walk
        self.rel = rel  # relative to walk.root, '' for the root
        self.parent = parent
        self.ignore_files = tuple(ignore_files)
        self.is_package = is_package
        self.exact = exact
        self.required = list(required)
        self.depth = depth
        self.basename = posixpath.basename(rel) if rel else ""
        self.rules: dict[str, tuple[Glob, ...] | None] = {_DEFAULT_RULES: _compiled(DEFAULTS)}
        if not is_package:
            self.rules[_STRICT_RULES] = _compiled((*STRICT_DEFAULTS, *(f"!{f}" for f in self.required)))
        self.package: Mapping[str, Any] | None = None

    @property
    def abspath(self) -> str:
        return os.path.join(self.walk.root, self.rel) if self.rel else self.walk.root

    def run(self) -> None:
        try:
            names = sorted(os.listdir(self.abspath))
        except OSError as exc:
            if exc.errno not in MISSING:
                self.walk.issues.append(unreadable(self.rel, exc, "listed"))
            return
        if not self.walk.examine(len(names), self.rel):
            return
        for name in names:
            if name in self.ignore_files:
                self._read_ignore_file(name)
        if self.rules.get("package.json"):
            self.rules[".npmignore"] = None
            self.rules[".gitignore"] = None
        elif self.rules.get(".npmignore"):
            self.rules[".gitignore"] = None
        for name in names:
            if self.walk.stopped:
                return
            self._consider(name)

    def _consider(self, name: str) -> None:
        pass_file = self.filter_entry(name)
        pass_dir = self.filter_entry(name, partial=True)
        if not (pass_file or pass_dir) or "*" in name:
            return
        rel = f"{self.rel}/{name}" if self.rel else name
        try:
            st = os.lstat(os.path.join(self.abspath, name))
        except OSError as exc:
            if exc.errno not in MISSING:
                self.walk.issues.append(unreadable(rel, exc, "looked at"))
            return
        kind = kind_of_mode(st.st_mode)
        if kind is EntryKind.DIRECTORY:
            if not pass_dir:
                return
            if self.depth >= MAX_DEPTH:
                self.walk.issues.append(
                    issue(
                        "archive/too-many-files",
                        f"{rel} is nested more than {MAX_DEPTH} folders deep; not walked.",
                        rel,
                    )
                )
                return
            child = _Walker(
                self.walk,
                rel,
                parent=self,
                ignore_files=_CHILD_IGNORE_FILES,
                is_package=False,
                exact=pass_file or self.filter_entry(name + "/"),
                required=[posixpath.relpath(f, name) for f in self.required if posixpath.dirname(f) == name],
                depth=self.depth + 1,
            )
            child.run()
        elif kind is EntryKind.FILE:
            if pass_file:
                self.walk.found[rel] = kind
        elif pass_file or (kind is EntryKind.SYMLINK and pass_dir):
            self.walk.found[rel] = kind  # npm drops these silently; extgate reports them

    def _read_ignore_file(self, name: str) -> None:
        path = os.path.join(self.abspath, name)
        if name == "package.json" and self.is_package:
            self.package = json_file(path, self.walk.json_limit) or {}
            self._process_package(self.package)
            return
        rel = f"{self.rel}/{name}" if self.rel else name
        st = lstat_inside(self.walk.root, rel)
        if st is None or not stat.S_ISREG(st.st_mode):
            return
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_IGNORE_FILE).decode("utf-8", "replace")
        except OSError as exc:
            # npm pack fails on an ignore file it cannot read; guessing "no rules" could scan a different set
            self.walk.issues.append(unreadable(rel, exc))
            return
        self.rules[name] = compile_rules(text)

    def _process_package(self, pkg: Mapping[str, Any]) -> None:
        ignores: list[str] = []
        strict: list[str] = [*STRICT_DEFAULTS, *ROOT_STRICT]
        files = pkg.get("files")
        if isinstance(files, list):
            for item in files:
                if not isinstance(item, str):
                    continue
                entry = item[1:] if item.startswith("./") else item
                if entry.endswith("/*"):
                    entry += "*"
                inverse = f"!{entry}"
                target = posixpath.normpath(posixpath.join(self.rel or ".", entry.lstrip("!").lstrip("/")))
                st = None if target.startswith("..") else lstat_inside(self.walk.root, target)
                if st is None or (entry.endswith("/") and not stat.S_ISDIR(st.st_mode)):
                    ignores.append(inverse)  # not on disk: a pattern
                elif stat.S_ISREG(st.st_mode):
                    strict.insert(0, inverse)
                    self.required.append(entry[1:] if entry.startswith("/") else entry)
                elif stat.S_ISDIR(st.st_mode):
                    ignores += [inverse, f"{inverse}/**"]
            self.rules["package.json"] = _compiled(("*", *ignores))
        browser = pkg.get("browser")
        if isinstance(browser, str):
            strict.append(f"!/{browser}")
        main = pkg.get("main")
        if isinstance(main, str):
            strict.append(f"!/{main}")
        for target in _bin_paths(pkg.get("bin"), pkg.get("name")):
            strict.append(f"!/{target}")
        self.rules[_STRICT_RULES] = _compiled(tuple(strict))

    def filter_entry(self, entry: str, partial: bool = False, basename: str | None = None) -> bool:
        included = True
        if self.parent is not None:
            included = self.parent.filter_entry(f"{self.basename}/{entry}", partial, basename or entry)
            if not included and not self.exact:
                return False
        low = entry.lower() if entry.isascii() else None
        for key in self.ignore_files:
            rules = self.rules.get(key)
            if not rules or (included and low is not None and _screened_out(rules, low)):
                continue  # none of its exclusions can match, and while included its negations do not apply
            for rule in rules:
                if rule.negate == included:
                    continue
                if _rule_matches(rule, entry, partial, basename, self.walk):
                    included = rule.negate
        return included


def _rule_matches(rule: Glob, entry: str, partial: bool, basename: str | None, walk: Walk) -> bool:
    # every variant below contains `entry` (the basename is its last segment): a literal the rule needs that is
    # absent from it rules out all full matches -- what makes deep and wide trees cheap to filter
    if rule.cannot_match(entry) and not (partial and rule.negate):
        return False
    match = walk.match
    if match(rule, "/" + entry) or match(rule, entry):
        return True
    if not partial:
        return False
    if match(rule, f"/{entry}/") or match(rule, f"{entry}/"):
        return True
    if rule.negate and (match(rule, "/" + entry, True) or match(rule, entry, True)):
        return True
    if basename and rule.is_relative:
        if match(rule, f"/{basename}/") or match(rule, f"{basename}/"):
            return True
        if rule.negate and (match(rule, "/" + basename, True) or match(rule, basename, True)):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _compiled(lines: tuple[str, ...]) -> tuple[Glob, ...]:
    """Rule sets are compiled once per process: the defaults are the same for every folder of every walk."""
    return compile_rules("\n".join(lines))


_SCREENS: dict[int, tuple[tuple[Glob, ...], re.Pattern[str] | None]] = {}


def _screened_out(rules: tuple[Glob, ...], low: str) -> bool:
    """True when no exclusion (non-negated rule) of `rules` can fully match the lower-case ASCII `low`: one
    regex search for the longest literal of every alternative instead of every rule in turn."""
    cached = _SCREENS.get(id(rules))
    if cached is None or cached[0] is not rules:
        if len(_SCREENS) > 4096:
            _SCREENS.clear()
        pieces: set[str] = set()
        screen: re.Pattern[str] | None = None
        exclusions = [rule for rule in rules if not rule.negate and not rule.comment]
        if all(rule.required is not None for rule in exclusions):
            for rule in exclusions:
                pieces.update(max(alternative, key=len) for alternative in rule.required or ())
            screen = re.compile("|".join(re.escape(p) for p in sorted(pieces))) if pieces else None
            if not pieces:
                screen = re.compile(r"(?!)")  # nothing to exclude
        cached = _SCREENS[id(rules)] = (rules, screen)  # the tuple is kept, so its id is not reused
    screen = cached[1]
    return screen is not None and screen.search(low) is None


def _bin_paths(bin_field: object, name: object) -> list[str]:
    """npm normalizes `bin` (a string means {name: path}) and cleans each path as if rooted at the package."""
    if isinstance(bin_field, str):
        values = [bin_field] if isinstance(name, str) else []
    elif isinstance(bin_field, Mapping):
        values = [v for v in bin_field.values() if isinstance(v, str)]
    else:
        values = []
    return [posixpath.normpath("/" + v.replace("\\", "/"))[1:] for v in values]


def packlist(root: str, *, max_entries: int, json_limit: int) -> Walk:
    """Run the npm rules on the package at `root`; `walk.found` maps each selected path to its kind."""
    walk = Walk(root=root, max_entries=max_entries, json_limit=json_limit)
    walker = _Walker(walk, "", parent=None, ignore_files=_PACKAGE_IGNORE_FILES, is_package=True)
    walker.run()
    _bundle(walk, "", walker.package or {}, [""], is_root=True, seen=set())
    return walk


def _bundle(
    walk: Walk, pkg_rel: str, pkg: Mapping[str, Any], chain: list[str], *, is_root: bool, seen: set[str]
) -> None:
    """Add bundled dependencies: npm walks each installed one with its own package.json rules."""
    if is_root:
        wanted = pkg.get("bundleDependencies", pkg.get("bundledDependencies"))
        if wanted is True:
            wanted = list(_keys(pkg.get("dependencies")))
        names = [n for n in wanted if isinstance(n, str)] if isinstance(wanted, list) else []
        prod = set(_keys(pkg.get("dependencies"))) | set(_keys(pkg.get("optionalDependencies")))
        names = [n for n in names if n in prod]  # dev and peer dependencies are never bundled
    else:
        names = [*_keys(pkg.get("dependencies")), *_keys(pkg.get("optionalDependencies"))]
    for name in names:
        if walk.stopped or "/.." in f"/{name}" or name.startswith("/"):
            continue
        location = _resolve(walk.root, chain, name)
        if location is None or location in seen:
            continue
        st = lstat_inside(walk.root, location)
        if st is None:
            continue
        if stat.S_ISLNK(st.st_mode):
            walk.found[location] = EntryKind.SYMLINK  # a linked dependency: reported, not followed
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        seen.add(location)
        sub = Walk(
            root=os.path.join(walk.root, location),
            max_entries=walk.max_entries - walk.examined,
            json_limit=walk.json_limit,
        )
        walker = _Walker(sub, "", parent=None, ignore_files=_BUNDLE_IGNORE_FILES, is_package=True)
        walker.run()
        walk.examined += sub.examined
        walk.issues += sub.issues
        walk.stopped = walk.stopped or sub.stopped
        for path, kind in sub.found.items():
            walk.found[f"{location}/{path}"] = kind
        _bundle(walk, location, walker.package or {}, [*chain, location], is_root=False, seen=seen)


def _resolve(root: str, chain: list[str], name: str) -> str | None:
    """node_modules resolution from the innermost package outwards; the relative location, or None."""
    for base in reversed(chain):
        candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
        if lstat_inside(root, candidate) is not None:
            return candidate
    return None


def _keys(value: object) -> list[str]:
    return [k for k in value if isinstance(k, str)] if isinstance(value, Mapping) else []
