"""Files Node would run as JavaScript although their extension says otherwise.

`require()` loads a file of any extension it does not know (`.txt`, `.md`, `.css`, `.dat`, none) as CommonJS
JavaScript, so `require("./notes.txt")` -- or `"main": "lib/index.dat"`, or a bundled dependency whose `main` is
such a file -- runs code that a scanner choosing files by extension never reads. The code gate analyses these
files as JavaScript too: the ones reached from the package's entry points (`main`, `exports`, node-shebang `bin`s,
files the install scripts run with `node`) and from the `require` calls of every analysed file, resolved the way
Node resolves them (the exact path, then `.js`, `.json`, `.node`, then a folder's `package.json` `main` and
`index.js`; bare names through the `node_modules` folders above the importer; `#name` through the nearest
package.json's `imports`). ESM `import` is left out: Node refuses unknown extensions there.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from extgate import shellwords
from extgate.facts import ImportRef
from extgate.gates.code.interface import LANGUAGE_FOR_SUFFIX
from extgate.jsondoc import json_object
from extgate.model import Entry, Package

# what require() does not run as JavaScript: JSON is parsed, .node is a native addon (the safety gate's business)
NOT_SCRIPT = frozenset({".json", ".node"})
REQUIRE_KINDS = frozenset({"require", "import-equals"})
_PROBES = ("", ".js", ".json", ".node")
_INDEXES = ("index.js", "index.json", "index.node")
_MAX_EXPORT_TARGETS = 1_000
_MAX_MAIN_HOPS = 8  # folder -> package.json main -> folder ... (a cycle ends here)
_INSTALL_HOOKS = ("preinstall", "install", "postinstall")
_NODES = frozenset({"node", "nodejs"})
_DEPENDENCY_MANIFEST = re.compile(r"(?:.+/)?node_modules/(?:@[^/]+/)?[^/]+/package\.json")
_PYTHONS = frozenset({"python", "python3", "python2", "py"})
_NODE_EVAL = frozenset({"-e", "--eval", "-p", "--print"})
_NODE_PRELOADS = frozenset({"-r", "--require"})  # --import is ESM: unknown extensions refused


class Files:
    """The package's regular files by path (the last of duplicates: what extraction leaves on disk)."""

    def __init__(self, package: Package) -> None:
        self.by_path: dict[str, Entry] = {e.path: e for e in package.files}
        self._manifests: dict[str, Mapping[str, Any]] = {}

    def manifest(self, path: str) -> Mapping[str, Any]:
        """The package.json at `path` ({} when absent or unreadable: the manifest gate reports that), parsed once
        however many requires resolve through its folder."""
        found = self._manifests.get(path)
        if found is None:
            entry = self.by_path.get(path)
            found = self._manifests[path] = json_object(entry.data if entry is not None else None) or {}
        return found

    def resolve(self, importer: str, spec: str) -> Entry | None:
        """The file `require(spec)` from `importer` loads, or None (a builtin, a package not shipped, nothing)."""
        if spec.startswith(("./", "../")) or spec in (".", ".."):
            return self._file_or_folder(posixpath.join(posixpath.dirname(importer), spec), 0)
        if spec.startswith("#"):
            return self._subpath_import(importer, spec)
        if not spec or spec.startswith(("/", "node:")) or "\\" in spec:
            return None
        folder = posixpath.dirname(importer)
        while True:
            found = self._file_or_folder(posixpath.join(folder, "node_modules", spec), 0)
            if found is not None or not folder:
                return found
            folder = posixpath.dirname(folder)

    def _subpath_import(self, importer: str, spec: str) -> Entry | None:
        """`require("#internal")`: the `imports` map of the nearest package.json above the importer (exact keys
        and `*` patterns; every condition's target counts)."""
        folder = posixpath.dirname(importer)
        while True:
            manifest = f"{folder}/package.json" if folder else "package.json"
            if manifest in self.by_path:
                break
            if not folder:
                return None
            folder = posixpath.dirname(folder)
        imports = self.manifest(manifest).get("imports")
        if not isinstance(imports, Mapping):
            return None
        for key, target in list(imports.items())[:_MAX_EXPORT_TARGETS]:
            if not isinstance(key, str):
                continue
            head, star, tail = key.partition("*")
            if key == spec:
                filled = None
            elif star and spec.startswith(head) and spec.endswith(tail) and len(spec) >= len(head) + len(tail):
                filled = spec[len(head) : len(spec) - len(tail)]
            else:
                continue
            for leaf in _strings(target, _MAX_EXPORT_TARGETS):
                leaf = leaf.replace("*", filled) if filled is not None else leaf
                if leaf.startswith("./"):
                    found = self._file_or_folder(posixpath.join(folder, leaf), 0)
                    if found is not None:
                        return found
        return None

    def _file_or_folder(self, joined: str, hops: int) -> Entry | None:
        path = posixpath.normpath(joined)
        if path.startswith("..") or hops > _MAX_MAIN_HOPS:
            return None  # outside the package
        for probe in _PROBES if path != "." else ():
            entry = self.by_path.get(path + probe)
            if entry is not None:
                return entry
        prefix = "" if path == "." else path + "/"
        main = self.manifest(prefix + "package.json").get("main")
        if isinstance(main, str) and main:
            found = self._file_or_folder(prefix + main, hops + 1)
            if found is not None:
                return found
        return next((self.by_path[prefix + i] for i in _INDEXES if prefix + i in self.by_path), None)


def runs_as_script(entry: Entry) -> bool:
    """A file require() would execute whose extension the code gate does not analyse by itself."""
    return entry.suffix not in LANGUAGE_FOR_SUFFIX and entry.suffix not in NOT_SCRIPT and entry.data is not None


def entry_points(files: Files) -> Iterator[Entry]:
    """What consumers load: `main` (or index.js), every `exports` target, and `bin`s with a node shebang."""
    manifest = files.manifest("package.json")
    root = files.resolve("package.json", "./")
    if root is not None:
        yield root
    for target in _strings(manifest.get("exports"), _MAX_EXPORT_TARGETS):
        # pattern targets ("./*": "./*") are not followed: they expose every file (maps, licences) to consumers
        # that name it, which is no load of this package's own; its own requires are followed below
        if target.startswith("./") and "*" not in target:
            found = files.resolve("package.json", target)
            if found is not None:
                yield found
    nested = (p for p in files.by_path if p.endswith("/package.json") and _DEPENDENCY_MANIFEST.fullmatch(p))
    for path in ["package.json", *nested]:
        yield from _install_targets(files, path)  # a bundled dependency's scripts run in its own folder
    bins = manifest.get("bin")
    for target in [bins] if isinstance(bins, str) else bins.values() if isinstance(bins, Mapping) else []:
        if isinstance(target, str):
            found = files.resolve("package.json", "./" + target.removeprefix("./"))
            if found is not None and _node_shebang(found):
                yield found


def _install_targets(files: Files, path: str) -> Iterator[Entry]:
    """What the install scripts of the manifest at `path` run with node: `node x`, preloads, files run by path
    with a node shebang (resolved in the manifest's folder, the scripts' working directory)."""
    manifest = files.manifest(path)
    if not isinstance(manifest.get("scripts"), Mapping):
        return
    folder = posixpath.dirname(path)
    for target in _install_script_files(manifest):
        found = files.resolve(path, "./" + target.removeprefix("./"))
        if found is not None:
            yield found
    for target in _direct_files(manifest):
        found = files.by_path.get(posixpath.normpath(posixpath.join(folder, target)))
        if found is not None and found.data is not None and found.data.startswith(b"#!") and _node_shebang(found):
            yield found


def required(files: Files, imports: Iterable[ImportRef]) -> Iterator[Entry]:
    """The files the `require` calls among `imports` load."""
    for ref in imports:
        if ref.kind in REQUIRE_KINDS:
            found = files.resolve(ref.path, ref.specifier)
            if found is not None:
                yield found


def _install_script_files(manifest: Mapping[str, Any]) -> Iterator[str]:
    """Files the install scripts hand to node (`"postinstall": "node scripts/setup.dat"`, `node -r ./hook.txt x.js`):
    node runs any file it is given as a script or preload, whatever its extension."""
    for command in _node_commands(manifest):
        yield from _preloads(command)
        args = iter(command.args)
        for arg in args:
            name, _, value = arg.partition("=")
            if name in _NODE_PRELOADS:
                if not value:
                    next(args, None)  # the preload's path (_preloads)
            elif name in _NODE_EVAL:
                break  # inline code: install_inline_code
            elif arg == "--":
                yield from itertools.islice(args, 1)
                break
            elif not arg.startswith("-"):
                yield arg
                break


def _direct_files(manifest: Mapping[str, Any]) -> Iterator[str]:
    """Files an install script runs by path (`./scripts/setup`, `bin/install`): the kernel reads the shebang, so a
    node one runs as JavaScript whatever the extension (`entry_points` checks the shebang)."""
    for command in _commands(manifest):
        if "/" in command.word and not command.word.startswith("/"):
            yield command.word


def install_python_files(files: Files) -> Iterator[Entry]:
    """Files the root install scripts hand to Python (`python scripts/setup.dat`): analysed as Python whatever
    their extension."""
    for command in _commands(files.manifest("package.json")):
        if command.program in _PYTHONS:
            target = next((a for a in command.args if not a.startswith("-")), None)
            if target is not None and "-c" not in command.args and "-m" not in command.args:
                found = files.by_path.get(posixpath.normpath(target))
                if found is not None and found.data is not None:
                    yield found


def _preloads(command: shellwords.Command) -> Iterator[str]:
    """`node -r ./hook.txt`, `--require=./hook.txt`, and the same in NODE_OPTIONS=...: node loads them first. A
    bare name is a package in node_modules, a path a file of this one: only paths are this package's files."""
    words = list(command.args)
    for assignment in command.env:
        name, _, value = assignment.partition("=")
        if name == "NODE_OPTIONS":
            words = [*shellwords.words(value), *words]
    for i, word in enumerate(words):
        name, equals, value = word.partition("=")
        if name in _NODE_PRELOADS:
            preload = value if equals else words[i + 1] if i + 1 < len(words) else ""
            if preload.startswith(("./", "../")):
                yield preload


def install_inline_code(files: Files) -> list[bytes]:
    """The inline JavaScript of the root install scripts (`node -e "require('./setup.txt')"`): the files it
    requires run too (the code is the manifest gate's business: manifest/install-script-payload)."""
    manifest = files.manifest("package.json")
    inline = (shellwords.option(command.args, _NODE_EVAL) for command in _node_commands(manifest))
    return [code.encode("utf-8", "surrogateescape") for _, code in filter(None, inline)]


def _node_commands(manifest: Mapping[str, Any]) -> Iterator[shellwords.Command]:
    return (c for c in _commands(manifest) if c.program in _NODES)


def _commands(manifest: Mapping[str, Any]) -> Iterator[shellwords.Command]:
    scripts = manifest.get("scripts")
    for hook in _INSTALL_HOOKS:
        script = scripts.get(hook) if isinstance(scripts, Mapping) else None
        if isinstance(script, str):
            yield from shellwords.commands(script)


def _node_shebang(entry: Entry) -> bool:
    first = (entry.data or b"")[:256].split(b"\n", 1)[0]
    return not first.startswith(b"#!") or b"node" in first  # no shebang: npm's shims run it with node


def _strings(value: object, limit: int) -> list[str]:
    """String leaves of a nested `exports` value (conditions, subpaths, fallback arrays), breadth-first."""
    out: list[str] = []
    queue = [value]
    while queue and len(out) < limit and len(queue) < 10 * limit:
        item = queue.pop(0)
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            queue.extend(item.values())
        elif isinstance(item, list):
            queue.extend(item)
    return out
